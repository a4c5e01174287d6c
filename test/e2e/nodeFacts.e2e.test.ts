import { strict as assert } from "node:assert";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../engine/automation";
import { projectRoot } from "../../engine/paths";
import { ensureLab } from "../support/lab";
import { labStackConfig } from "../support/labTargets";

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
    if (stack) {
      await stack.destroy({}).catch(() => undefined);
      await stack.workspace.removeStack(stackName).catch(() => undefined);
    }
    rmSync(join(projectRoot(), "stacks", `Pulumi.${stackName}.yaml`), { force: true });
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
