import { strict as assert } from "node:assert";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../engine/automation";
import { disposeStack } from "../support/stacks";
import { ensureLab } from "../support/lab";
import { labStackConfig, nodeShell } from "../support/labTargets";
import { appliesOn, configSha, configValue } from "../support/ngcpConfigNode";

const NODES = ["ngcp1", "ngcp2"];

/**
 * Handbook 15.7 on the real engine: table-10 values written through the config layer, one
 * `ngcpcfg apply` per node per run, drift restored, a failing apply rolled back, bad input refused
 * before anything is touched.
 */
describe("e2e: performance profiles through one ngcpcfg apply per node", function () {
  this.timeout(900_000);
  const stackName = `e2e-perf-${process.pid}`;
  let stack: Stack;

  async function configure(performance: Record<string, unknown>): Promise<void> {
    const config = labStackConfig(NODES.length, { performance });
    for (const [key, value] of Object.entries(config)) {
      await stack.setConfig(`ngcp-fleet:${key}`, {
        value: typeof value === "string" ? value : JSON.stringify(value),
      });
    }
  }

  before(async () => {
    await ensureLab(NODES.length);
    stack = await openStack(stackName, { passphrase: "e2e-only" });
  });

  after(async () => {
    for (const node of NODES) {
      nodeShell(node, "rm -f /etc/ngcp-config/templates/etc/e2e-broken.customtt.tt2");
    }
    await disposeStack(stack, stackName);
  });

  // Every limit has a unit test (test/unit/performance.planner.test.ts); these prove the same
  // validation stops a real `pulumi preview` before anything reaches a node.
  const invalid: [string, Record<string, unknown>, RegExp][] = [
    [
      "natping_processes above 7",
      { natpingProcesses: 9 },
      /natping_processes must be 1\.\.7 \(kamailio does not start above 7\), got: 9/,
    ],
    [
      "sizing that needs more than 7 natping processes",
      { sizing: { natedSubscribers: 100_000 }, natpingInterval: 30 },
      /natping_processes must be 1\.\.7.*got: 14.*100000/s,
    ],
    [
      "an unknown profile",
      { profile: "turbo" },
      /ngcp-fleet:performance\.profile: must be one of "high", "low", got: "turbo"/,
    ],
    [
      "expires out of order",
      { proxyMinExpires: 600, proxyDefaultExpires: 300, proxyMaxExpires: 900 },
      /expires/,
    ],
    ["shm_mem beyond the node's RAM", { lbShmMem: 10_000_000 }, /kamailio\.lb\.shm_mem/],
  ];

  it("creates the nodes with their facts first (RAM is needed to validate sizing), at the high profile", async () => {
    // High first, whatever the nodes had: the low profile below is then always a change (a kept lab's nodes
    // may still hold the low values of an earlier run).
    await configure({ profile: "high" });
    await stack.up({});
  });

  for (const [what, performance, expected] of invalid) {
    it(`refuses ${what} in preview, naming the key, with nothing written`, async () => {
      const before = NODES.map((n) => [configSha(n), appliesOn(n)].join());
      await configure(performance);
      await assert.rejects(stack.preview({}), (err: Error) => expected.test(err.message));
      assert.deepEqual(
        NODES.map((n) => [configSha(n), appliesOn(n)].join()),
        before,
      );
    });
  }

  it("writes the low profile with exactly one ngcpcfg apply per node, keeping comments", async () => {
    const applies = NODES.map(appliesOn);
    const comments = nodeShell("ngcp1", "grep -c '^ *#' /etc/ngcp-config/config.yml").trim();
    await configure({ profile: "low" });
    await stack.up({});
    for (const [i, node] of NODES.entries()) {
      assert.equal(appliesOn(node), applies[i] + 1, `${node}: exactly one apply`);
      assert.equal(configValue(node, "kamailio.lb.shm_mem"), "64");
      assert.equal(configValue(node, "kamailio.proxy.children"), "2");
    }
    assert.equal(nodeShell("ngcp1", "grep -c '^ *#' /etc/ngcp-config/config.yml").trim(), comments);
  });

  it("changes nothing, and applies nothing, on a second up", async () => {
    const applies = NODES.map(appliesOn);
    await stack.up({ expectNoChanges: true });
    assert.deepEqual(NODES.map(appliesOn), applies);
  });

  it("switches low to high in one apply per node, keeping the mode and owner an operator gave config.yml", async () => {
    const applies = NODES.map(appliesOn);
    nodeShell("ngcp1", "chmod 0640 /etc/ngcp-config/config.yml && chgrp 4 /etc/ngcp-config/config.yml");
    await configure({ profile: "high" });
    await stack.up({});
    assert.deepEqual(
      NODES.map(appliesOn),
      applies.map((n) => n + 1),
    );
    assert.equal(nodeShell("ngcp1", "stat -c '%a %u:%g' /etc/ngcp-config/config.yml").trim(), "640 0:4");
    assert.equal(nodeShell("ngcp2", "stat -c '%a %u:%g' /etc/ngcp-config/config.yml").trim(), "644 0:0");
    assert.equal(configValue("ngcp1", "kamailio.proxy.children"), "8");
    assert.notEqual(configValue("ngcp1", "kamailio.lb.shm_mem"), "64");
  });

  it("shows a key edited by hand as drift on refresh, and the next up puts it back", async () => {
    nodeShell("ngcp1", "sed -i 's/^\\(    children:\\) 8$/\\1 5/' /etc/ngcp-config/config.yml");
    assert.equal(configValue("ngcp1", "kamailio.proxy.children"), "5", "GIVEN the hand edit landed");
    await stack.refresh({});
    // --diff: the key itself, `5 => 8`, as an operator reads it
    const preview = await stack.preview({ diff: true });
    // The node's NgcpConfig, and the health gate of its wave that re-probes after it.
    assert.ok((preview.changeSummary.update ?? 0) >= 1, JSON.stringify(preview.changeSummary));
    assert.match(preview.stdout, /kamailio\.proxy\.children/);
    await stack.up({});
    assert.equal(configValue("ngcp1", "kamailio.proxy.children"), "8");
  });

  it("corrects a hand edit with a plain up, no refresh asked for (Pulumi.yaml: refresh always)", async () => {
    nodeShell("ngcp1", "sed -i 's/^\\(    children:\\) 8$/\\1 5/' /etc/ngcp-config/config.yml");
    assert.equal(configValue("ngcp1", "kamailio.proxy.children"), "5", "GIVEN the hand edit landed");
    const applies = appliesOn("ngcp1");
    await stack.up({});
    assert.equal(configValue("ngcp1", "kamailio.proxy.children"), "8");
    assert.equal(appliesOn("ngcp1"), applies + 1);
  });

  it("puts the previous config back when ngcpcfg apply fails, and reports ngcpcfg's output", async () => {
    // GIVEN a custom template that makes the real ngcpcfg (and the stand-in) fail to build
    nodeShell(
      "ngcp2",
      "mkdir -p /etc/ngcp-config/templates/etc && printf 'a\\n[%% broken\\n' > /etc/ngcp-config/templates/etc/e2e-broken.customtt.tt2",
    );
    const before = configSha("ngcp2");
    await configure({ profile: "low" });
    await assert.rejects(
      stack.up({}),
      (err: Error) =>
        /ngcpcfg apply failed; the previous \/etc\/ngcp-config\/config\.yml was put back/.test(err.message) &&
        /e2e-broken/.test(err.message),
    );
    assert.equal(configSha("ngcp2"), before);
    // THEN once the template is fixed, the next up converges
    nodeShell("ngcp2", "rm -f /etc/ngcp-config/templates/etc/e2e-broken.customtt.tt2");
    await stack.up({});
    assert.equal(configValue("ngcp2", "kamailio.lb.shm_mem"), "64");
  });
});
