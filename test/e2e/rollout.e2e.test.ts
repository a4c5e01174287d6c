import { strict as assert } from "node:assert";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../engine/automation";
import { disposeStack } from "../support/stacks";
import { ensureLab } from "../support/lab";
import { labStackConfig, nodeShell } from "../support/labTargets";
import { appliesOn } from "../support/ngcpConfigNode";

/**
 * A three-node fleet rolled out in waves by the real engine: converge, no-op, per-node preview, a canary
 * whose SIP service is down stops the rollout, HA pairs never share a wave, a one-node change touches
 * one node.
 */
describe("e2e: rolling out a three-node cluster in waves", function () {
  this.timeout(900_000);
  const stackName = `e2e-rollout-${process.pid}`;
  // ngcp1 is the canary; ngcp7 and ngcp8 are this file's own (other files use ngcp2..ngcp6).
  let nodes: string[] = [];
  let stack: Stack;

  async function configure(extra: Record<string, unknown>): Promise<void> {
    const config = labStackConfig(8, extra);
    const all = config.nodes as { name: string }[];
    config.nodes = nodes.map((name) => all.find((n) => n.name === name));
    for (const [key, value] of Object.entries(config)) {
      await stack.setConfig(`ngcp-fleet:${key}`, {
        value: typeof value === "string" ? value : JSON.stringify(value),
      });
    }
  }

  before(async () => {
    await ensureLab(8);
    nodes = ["ngcp1", "ngcp7", "ngcp8"];
    stack = await openStack(stackName, { passphrase: "e2e-only" });
  });

  after(async () => {
    nodeShell("ngcp1", "ngcp-lab-services start sip >/dev/null 2>&1 || true");
    await disposeStack(stack, stackName);
  });

  it("converges the cluster from nothing, canary first, then changes nothing on a second up", async () => {
    await configure({ performance: { profile: "high" }, rollout: { canary: 1, batchSize: 2 } });
    const result = await stack.up({});
    assert.deepEqual(result.outputs.waves.value, [["ngcp1"], ["ngcp7", "ngcp8"]]);
    await stack.up({ expectNoChanges: true });
  });

  it("shows each node's own changes in preview", async () => {
    await configure({ performance: { profile: "low" }, rollout: { canary: 1, batchSize: 2 } });
    const preview = await stack.preview({ diff: true });
    for (const node of nodes) {
      assert.match(preview.stdout, new RegExp(`${node}-performance`), `${node} in the preview`);
    }
    assert.match(preview.stdout, /kamailio\.proxy\.children/);
  });

  it("stops the rollout at an unhealthy canary and leaves later waves untouched", async () => {
    // GIVEN the canary's SIP service is down (it stays down across ngcpcfg apply)
    nodeShell("ngcp1", "ngcp-lab-services stop sip");
    const before = nodes.map(appliesOn);
    // WHEN a change for every node rolls out
    await assert.rejects(stack.up({}), (err: Error) =>
      /rollout stopped at wave 0: node ngcp1: SIP OPTIONS udp 198\.18\.0\.11:5060/.test(err.message),
    );
    // THEN the canary converged, the later waves did not
    const after = nodes.map(appliesOn);
    assert.equal(after[0], before[0] + 1, "the canary converged");
    assert.deepEqual(after.slice(1), before.slice(1), "later waves untouched");
    // AND once the canary is healthy again the rollout completes
    nodeShell("ngcp1", "ngcp-lab-services start sip");
    await stack.up({});
    assert.deepEqual(
      nodes.map(appliesOn).slice(1),
      before.slice(1).map((n) => n + 1),
    );
  });

  it("never puts both nodes of an HA pair in one wave", async () => {
    await configure({
      performance: { profile: "low" },
      rollout: { canary: 1, batchSize: 2, haPairs: [["ngcp7", "ngcp8"]] },
    });
    const result = await stack.up({});
    assert.deepEqual(result.outputs.waves.value, [["ngcp1"], ["ngcp7"], ["ngcp8"]]);
  });

  it("changes only the node whose config changed", async () => {
    const before = nodes.map(appliesOn);
    await configure({
      performance: { profile: "low" },
      rollout: { canary: 1, batchSize: 2, haPairs: [["ngcp7", "ngcp8"]] },
    });
    const config = labStackConfig(8);
    const all = config.nodes as { name: string }[];
    const withOverride = nodes.map((name) => ({
      ...all.find((n) => n.name === name),
      ...(name === "ngcp8" ? { performance: { lbTcpChildren: 4 } } : {}),
    }));
    await stack.setConfig("ngcp-fleet:nodes", { value: JSON.stringify(withOverride) });
    await stack.up({});
    assert.deepEqual(nodes.map(appliesOn), [before[0], before[1], before[2] + 1]);
    assert.equal(
      nodeShell("ngcp8", "grep -A12 '^  lb:' /etc/ngcp-config/config.yml | grep -m1 tcp_children").trim(),
      "tcp_children: 4",
    );
  });
});
