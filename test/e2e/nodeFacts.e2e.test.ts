import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../engine/automation";
import { disposeStack } from "../support/stacks";
import { ensureLab } from "../support/lab";
import { labStackConfig } from "../support/labTargets";
import { exportedState, unmarkedOccurrences } from "../support/state";

/**
 * The whole pipeline on the real engine: stack config → program → dynamic
 * provider → pooled SSH → lab nodes, through preview, up, a no-op up, refresh
 * and destroy.
 */
describe("e2e: NodeFacts on two lab nodes through the real Pulumi engine", function () {
  this.timeout(600_000);
  const stackName = `e2e-facts-${process.pid}`;
  let stack: Stack;

  before(async () => {
    await ensureLab(2);
    stack = await openStack(stackName, { passphrase: "e2e-only" });
    const config = labStackConfig(2);
    for (const [key, value] of Object.entries(config)) {
      await stack.setConfig(`ngcp-fleet:${key}`, {
        value: typeof value === "string" ? value : JSON.stringify(value),
      });
    }
  });

  after(async () => {
    await disposeStack(stack, stackName);
  });

  it("previews two NodeFacts to create", async () => {
    const preview = await stack.preview({});
    // Stack, cluster, per node (the component, its NodeFacts, its NgcpConfig), one health gate per wave.
    assert.equal(preview.changeSummary.create, 1 + 1 + 2 * 3 + 2, JSON.stringify(preview.changeSummary));
  });

  it("reads each node's facts on up", async () => {
    const result = await stack.up({});
    const nodes = result.outputs.nodes.value as Record<
      string,
      { hostname: string; ramMb: number; ngcpVersion: string }
    >;
    assert.deepEqual(Object.keys(nodes).sort(), ["ngcp1", "ngcp2"]);
    assert.equal(nodes.ngcp1.hostname, "ngcp1");
    assert.equal(nodes.ngcp2.hostname, "ngcp2");
    assert.ok(nodes.ngcp1.ramMb > 0);
    assert.match(nodes.ngcp1.ngcpVersion, /^mr\d/);
  });

  it("changes nothing on a second up", async () => {
    const result = await stack.up({ expectNoChanges: true });
    assert.equal(result.summary.resourceChanges?.update ?? 0, 0);
  });

  it("refreshes without drift", async () => {
    const result = await stack.refresh({});
    assert.equal(result.summary.result, "succeeded");
    const preview = await stack.preview({ expectNoChanges: true });
    assert.equal(preview.changeSummary.update ?? 0, 0);
  });

  it("destroys cleanly", async () => {
    const result = await stack.destroy({});
    assert.equal(result.summary.result, "succeeded");
  });
});

describe("e2e: the SSH private key as the secret ngcp-fleet:sshPrivateKey", function () {
  this.timeout(600_000);
  const stackName = `e2e-sshkey-${process.pid}`;
  let stack: Stack;
  let privateKey: string;

  before(async () => {
    const lab = await ensureLab(1);
    privateKey = readFileSync(lab.deployerKey, "utf8");
    stack = await openStack(stackName, { passphrase: "e2e-only" });
    const config = labStackConfig(1);
    const ssh = config.ssh as Record<string, unknown>;
    config.ssh = { user: ssh.user };
    for (const [key, value] of Object.entries(config)) {
      await stack.setConfig(`ngcp-fleet:${key}`, {
        value: typeof value === "string" ? value : JSON.stringify(value),
      });
    }
    await stack.setConfig("ngcp-fleet:sshPrivateKey", { value: privateKey, secret: true });
  });

  after(async () => {
    await disposeStack(stack, stackName);
  });

  it("converges with the key and never shows it: engine output (--debug), state, stack outputs", async () => {
    // The key's base64 body lines: any one of them in clear would be a leak.
    const secretLines = privateKey
      .split("\n")
      .filter((line) => line.length >= 40 && !line.startsWith("-----"));
    assert.ok(secretLines.length > 0);
    let output = "";
    const result = await stack.up({ debug: true, logToStdErr: false, onOutput: (text) => (output += text) });
    assert.equal(result.summary.result, "succeeded");
    const decrypted = await stack.exportStack();
    const exported = exportedState(stack);
    const outputs = JSON.stringify(await stack.outputs());
    for (const line of secretLines) {
      assert.ok(!output.includes(line), "the private key appears in the engine output");
      assert.ok(!exported.includes(line), "the private key appears in `pulumi stack export`");
      assert.deepEqual(unmarkedOccurrences(decrypted, line), [], "state fields holding the key unmarked");
      assert.ok(!outputs.includes(line), "the private key appears in the stack outputs");
    }
  });
});
