import { strict as assert } from "node:assert";
import { parseClusterSpec, SpecError } from "../../spec/parse";
import { mergeFeature } from "../../spec/resolve";

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

function problems(raw: Record<string, unknown>): string[] {
  try {
    parseClusterSpec(raw);
  } catch (err) {
    assert.ok(err instanceof SpecError);
    return err.problems;
  }
  return [];
}

describe("spec: cluster spec from stack config", () => {
  it("fills defaults for a minimal valid stack", () => {
    const spec = parseClusterSpec({ nodes: [{ name: "ngcp1", host: "198.18.0.11", hostKey }] });
    assert.equal(spec.environment, "lab");
    assert.equal(spec.ssh.user, "root");
    assert.equal(spec.ssh.connectTimeoutMs, 10_000);
    assert.deepEqual(spec.adminSources, []);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["no nodes key", {}, /^ngcp-fleet:nodes: /],
    ["an empty node list", { nodes: [] }, /^ngcp-fleet:nodes: must list at least one node/],
    ["a node without host", { nodes: [{ name: "a", hostKey }] }, /^ngcp-fleet:nodes\[0\]\.host: /],
    [
      "a node without host key",
      { nodes: [{ name: "a", host: "h" }] },
      /^ngcp-fleet:nodes\[0\]\.hostKey: is required/,
    ],
    [
      "a garbage host key",
      { nodes: [{ name: "a", host: "h", hostKey: "nope" }] },
      /^ngcp-fleet:nodes\[0\]\.hostKey: not an OpenSSH public key/,
    ],
    [
      "a port out of range",
      { nodes: [{ name: "a", host: "h", hostKey, port: 70000 }] },
      /^ngcp-fleet:nodes\[0\]\.port: /,
    ],
    [
      "a bad node name",
      { nodes: [{ name: "A B", host: "h", hostKey }] },
      /^ngcp-fleet:nodes\[0\]\.name: must be lower-case/,
    ],
    [
      "duplicate node names",
      {
        nodes: [
          { name: "a", host: "h", hostKey },
          { name: "a", host: "i", hostKey },
        ],
      },
      /^ngcp-fleet:nodes\[1\]\.name: duplicates nodes\[0\]\.name "a"/,
    ],
    [
      "an unknown key (typo)",
      { nodes: [{ name: "a", host: "h", hostKey }], adminSource: [] },
      /^ngcp-fleet:adminSource: is not a setting here \(a typo\?\)/,
    ],
    [
      "an unknown ssh key",
      { nodes: [{ name: "a", host: "h", hostKey }], ssh: { usr: "x" } },
      /^ngcp-fleet:ssh\.usr: is not a setting here \(a typo\?\)/,
    ],
  ];
  for (const [what, raw, expected] of bad) {
    it(`names the key for ${what}`, () => {
      const found = problems(raw);
      assert.ok(
        found.some((p) => expected.test(p)),
        `expected ${expected} in ${JSON.stringify(found)}`,
      );
    });
  }

  it("accepts unpinned host keys only when the stack opts in", () => {
    const spec = parseClusterSpec({ nodes: [{ name: "a", host: "h" }], ssh: { trustUnknownHostKeys: true } });
    assert.equal(spec.ssh.trustUnknownHostKeys, true);
  });
});

describe("spec: per-node feature overrides (mergeFeature)", () => {
  it("is undefined when neither the cluster nor the node sets the feature", () => {
    assert.equal(mergeFeature(undefined, undefined), undefined);
  });

  it("keeps the cluster's certificate of a service whose hostname a node overrides (objects merge at every depth)", () => {
    const cluster = {
      mode: "perService",
      services: {
        csc: { certificateFile: "csc.pem", privateKeyFile: "csc.key", hostname: "csc.example.net" },
        admin: { certificateFile: "admin.pem", privateKeyFile: "admin.key" },
      },
    };
    const node = { services: { csc: { hostname: "csc-b.example.net" } } };
    assert.deepEqual(mergeFeature(cluster, node), {
      mode: "perService",
      services: {
        csc: { certificateFile: "csc.pem", privateKeyFile: "csc.key", hostname: "csc-b.example.net" },
        admin: { certificateFile: "admin.pem", privateKeyFile: "admin.key" },
      },
    });
  });

  it("replaces lists and scalars instead of merging them", () => {
    const merged = mergeFeature(
      { adminSources: ["198.18.0.1/32", "198.18.0.2/32"], rtpengine: { kind: "userChain" }, enabled: true },
      { adminSources: ["198.18.0.9/32"], rtpengine: "none", enabled: false },
    );
    assert.deepEqual(merged, { adminSources: ["198.18.0.9/32"], rtpengine: "none", enabled: false });
  });

  it("never changes the cluster-wide object it merges from", () => {
    const cluster = { sizing: { ramMb: 4096, load: { natedSubscribers: 100 } } };
    const frozen = JSON.stringify(cluster);
    mergeFeature(cluster, { sizing: { load: { natedSubscribers: 5000 } } });
    assert.equal(JSON.stringify(cluster), frozen);
  });
});
