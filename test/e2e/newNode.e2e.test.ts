import { strict as assert } from "node:assert";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../engine/automation";
import { disposeStack } from "../support/stacks";
import { ensureLab } from "../support/lab";
import { labStackConfig, nodeShell } from "../support/labTargets";
import { configValue } from "../support/ngcpConfigNode";

const CONVERGED = "ngcp13";
const ADDED = "ngcp14";

function memTotalMb(node: string): number {
  return Math.floor(
    Number(/MemTotal:\s+(\d+)/.exec(nodeShell(node, "cat /proc/meminfo"))?.[1] ?? "0") / 1024,
  );
}

/**
 * Issue 15's defect: a node whose facts are not known yet (a new node) with `performance.profile: high` (RAM/16
 * for shm_mem) failed the preview, and so the `up`, with "needs the node's RAM". Now the preview leaves the
 * RAM-based values to the apply, and one `up` adds the node with them.
 */
describe("e2e: a new node with performance.profile high joins a converged stack (ngcp13, ngcp14)", function () {
  this.timeout(900_000);
  const stackName = `e2e-new-node-${process.pid}`;
  let stack: Stack;

  async function configure(nodes: readonly string[]): Promise<void> {
    const config = labStackConfig(99, { performance: { profile: "low" } });
    const entries = (config.nodes as { name: string }[]).filter((n) => nodes.includes(n.name));
    config.nodes = entries.map((n) => (n.name === ADDED ? { ...n, performance: { profile: "high" } } : n));
    for (const [key, value] of Object.entries(config)) {
      await stack.setConfig(`ngcp-fleet:${key}`, {
        value: typeof value === "string" ? value : JSON.stringify(value),
      });
    }
  }

  before(async () => {
    await ensureLab(14);
    stack = await openStack(stackName, { passphrase: "e2e-only" });
  });

  after(() => disposeStack(stack, stackName));

  it("GIVEN a converged stack WHEN a node with profile high is added THEN the preview passes and one up converges it", async () => {
    await configure([CONVERGED]);
    await stack.up({});
    await configure([CONVERGED, ADDED]);

    const preview = await stack.preview({ diff: true });
    assert.equal(preview.changeSummary.create !== undefined && preview.changeSummary.create > 0, true);

    const up = await stack.up({});
    assert.ok((up.summary.resourceChanges?.create ?? 0) > 0);
    // THEN the added node runs the high profile with shm_mem = RAM/16 of its own RAM
    const shm = String(Math.floor(memTotalMb(ADDED) / 16));
    assert.equal(configValue(ADDED, "kamailio.lb.shm_mem"), shm);
    assert.equal(configValue(ADDED, "kamailio.proxy.shm_mem"), shm);
    assert.equal(configValue(ADDED, "kamailio.lb.tcp_children"), "8");
    // AND the converged node kept its low profile, and nothing is left to do
    assert.equal(configValue(CONVERGED, "kamailio.lb.tcp_children"), "2");
    await stack.preview({ expectNoChanges: true });
  });
});
