import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { FirewallInputError } from "../../providers/firewall/planner";
import {
  CommandTimeoutError,
  HostKeyMismatchError,
  NodeUnreachableError,
  RemoteCommandError,
} from "../../providers/transport/errors";

/**
 * A dynamic provider runs our code as Pulumi's closure serializer rewrote it. These tests serialize a
 * function that throws each error class exactly the way the engine does (`runtime.serializeFunction`),
 * load the produced module text and check that what comes out still carries its message: the engine reads
 * `message` off the thrown value and otherwise prints "Unknown Error".
 */
async function thrownAfterSerialization(thrower: () => never): Promise<unknown> {
  const serialized = await pulumi.runtime.serializeFunction(thrower, {});
  const module = { exports: {} as Record<string, () => unknown> };
  // The serializer's output is a CommonJS module body; evaluating it is what the provider host does.
  new Function("exports", "require", "module", serialized.text)(module.exports, require, module);
  try {
    module.exports[serialized.exportName]();
  } catch (thrown) {
    return thrown;
  }
  assert.fail("the serialized function did not throw");
}

describe("provider errors survive closure serialization", () => {
  const cases: [string, () => never, RegExp][] = [
    [
      "RemoteCommandError",
      () => {
        throw new RemoteCommandError("ngcp1", "ngcpcfg apply", 2, undefined, "template broken", "");
      },
      /node ngcp1: `ngcpcfg apply` failed with exit code 2 \(misuse of shell builtins \/ bad arguments\):\ntemplate broken/,
    ],
    [
      "NodeUnreachableError",
      () => {
        throw new NodeUnreachableError("ngcp2", "198.18.0.12:22", "connect ETIMEDOUT");
      },
      /node ngcp2 \(198\.18\.0\.12:22\) is unreachable: connect ETIMEDOUT/,
    ],
    [
      "HostKeyMismatchError",
      () => {
        throw new HostKeyMismatchError("ngcp3", "SHA256:aaa", "SHA256:bbb");
      },
      /host key mismatch: the stack pins SHA256:aaa but the node presented SHA256:bbb/,
    ],
    [
      "CommandTimeoutError",
      () => {
        throw new CommandTimeoutError("ngcp4", "iptables-restore", 5000);
      },
      /node ngcp4: `iptables-restore` did not finish within 5000 ms/,
    ],
    [
      "FirewallInputError",
      () => {
        throw new FirewallInputError([{ property: "adminSources", reason: "not a CIDR" }]);
      },
      /invalid firewall inputs:\n {2}adminSources: not a CIDR/,
    ],
  ];

  for (const [name, thrower, message] of cases) {
    it(`${name} keeps its message, name, stack and string form`, async () => {
      const thrown = (await thrownAfterSerialization(thrower)) as Record<string, unknown>;
      // GIVEN the engine's view: it reads `message` as an own or inherited property of the thrown value
      assert.ok("message" in thrown, "no message: the engine would print 'Unknown Error'");
      assert.match(String(thrown.message), message);
      assert.equal(thrown.name, name);
      assert.ok(thrown instanceof Error, "the prototype chain does not reach Error");
      assert.match(String(thrown.stack), new RegExp(`^${name}: `));
      assert.match(String(thrown), new RegExp(`^${name}: `));
    });
  }
});
