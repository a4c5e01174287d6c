import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStack } from "../../engine/automation";
import { projectRoot } from "../../engine/paths";
import { disposeStack } from "../support/stacks";
import { ensureLab } from "../support/lab";
import { labStackConfig, nodeShell } from "../support/labTargets";
import { appliesOn } from "../support/ngcpConfigNode";

const PASSPHRASE = "e2e-only";

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `ngcp-fleet rollout --stacks a,b --up` as an operator (or CI) runs it: the compiled CLI in a child process,
 * against a temporary file backend with its own passphrase.
 */
describe("e2e: `ngcp-fleet rollout --stacks` drives several stacks in parallel", function () {
  this.timeout(900_000);
  const backend = mkdtempSync(join(tmpdir(), "ngcp-fleet-rollout-backend-"));
  const env = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
  };
  // One stack per "site", one lab node each: ngcp9 and ngcp10 are this file's own.
  const sites = [
    { stack: `e2e-site-a-${process.pid}`, node: "ngcp9" },
    { stack: `e2e-site-b-${process.pid}`, node: "ngcp10" },
  ];
  const previousBackend = process.env.PULUMI_BACKEND_URL;

  function rollout(...args: string[]): Promise<CliRun> {
    const cli = join(projectRoot(), "bin", "ngcp-fleet");
    const stacks = sites.map((s) => s.stack).join(",");
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [cli, "rollout", "--stacks", stacks, ...args],
        { env, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /** Each site's stack config: its node, the deployer as admin network, a performance profile. */
  async function configure(profile: "low" | "high"): Promise<void> {
    for (const site of sites) {
      const stack = await openStack(site.stack, { passphrase: PASSPHRASE });
      const config = labStackConfig(10, {
        performance: { profile },
        rollout: { canary: 1, batchSize: 1, haPairs: [] },
      });
      config.nodes = (config.nodes as { name: string }[]).filter((n) => n.name === site.node);
      for (const [key, value] of Object.entries(config)) {
        await stack.setConfig(`ngcp-fleet:${key}`, {
          value: typeof value === "string" ? value : JSON.stringify(value),
        });
      }
    }
  }

  /** The summary's rows: `| stack | node | changes | result |` → cells. */
  function rows(summary: string): string[][] {
    return summary
      .split("\n")
      .filter((line) => line.startsWith("| e2e-site-"))
      .map((line) =>
        line
          .split("|")
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
  }

  before(async () => {
    await ensureLab(10);
    process.env.PULUMI_BACKEND_URL = `file://${backend}`;
    await configure("low");
  });

  after(async () => {
    nodeShell("ngcp10", "ngcp-lab-services start sip >/dev/null 2>&1 || true");
    for (const site of sites) {
      const stack = await openStack(site.stack, { passphrase: PASSPHRASE }).catch(() => undefined);
      await disposeStack(stack, site.stack);
    }
    if (previousBackend === undefined) {
      delete process.env.PULUMI_BACKEND_URL;
    } else {
      process.env.PULUMI_BACKEND_URL = previousBackend;
    }
    rmSync(backend, { recursive: true, force: true });
  });

  it("converges both stacks, one apply per node, with one combined summary; a second run changes nothing", async () => {
    // GIVEN two stacks, one node each
    const before = sites.map((s) => appliesOn(s.node));
    // WHEN both roll out
    const first = await rollout("--up", "--parallel", "2");
    // THEN both succeeded, each node converged with exactly one apply, and the summary names both
    assert.equal(first.code, 0, first.stderr.slice(-4000));
    assert.match(first.stdout, /^### ngcp-fleet up$/m);
    const firstRows = rows(first.stdout);
    for (const site of sites) {
      const row = firstRows.find((r) => r[0] === site.stack && r[1] === site.node);
      assert.ok(row, `a row for ${site.stack}/${site.node} in:\n${first.stdout}`);
      assert.match(row[2], /\d+ create/);
      assert.match(row[3], /^ok \(\d+ s\)$/);
    }
    assert.deepEqual(
      sites.map((s) => appliesOn(s.node)),
      before.map((n) => n + 1),
    );
    // WHEN they roll out again THEN nothing changes, on the nodes or in the summary
    const second = await rollout("--up");
    assert.equal(second.code, 0, second.stderr.slice(-4000));
    assert.deepEqual(
      rows(second.stdout).map((r) => [r[0], r[1], r[2]]),
      sites.map((s) => [s.stack, "–", "no changes"]),
    );
    assert.deepEqual(
      sites.map((s) => appliesOn(s.node)),
      before.map((n) => n + 1),
    );
  });

  it("reports a stack whose node is unhealthy with a non-zero exit, and still converges the other", async () => {
    // GIVEN site b's node answers no SIP OPTIONS, and a change for both sites
    nodeShell("ngcp10", "ngcp-lab-services stop sip");
    await configure("high");
    const before = sites.map((s) => appliesOn(s.node));
    // WHEN both roll out
    const run = await rollout("--up");
    // THEN the exit status is non-zero, b is reported failed naming its node and probe, a converged
    assert.notEqual(run.code, 0);
    const byStack = new Map(rows(run.stdout).map((r) => [r[0], r]));
    assert.match(byStack.get(sites[0].stack)?.[3] ?? "", /^ok /, run.stdout);
    assert.match(byStack.get(sites[1].stack)?.[3] ?? "", /^failed: /, run.stdout);
    assert.match(run.stderr, /ngcp10: SIP OPTIONS/);
    assert.equal(appliesOn(sites[0].node), before[0] + 1, "site a converged");
    assert.equal(
      nodeShell("ngcp9", "grep -A12 '^  lb:' /etc/ngcp-config/config.yml | grep -m1 tcp_children").trim(),
      "tcp_children: 8",
    );
  });
});
