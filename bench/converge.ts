/**
 * Converges 1, 3 and 10 lab nodes with the real engine and reports, per size: wall time of the first
 * `up` and of a no-op `up`, SSH connections opened per node (counted from each node's own sshd log,
 * not from our pool's counter), and the peak RSS of the dynamic-provider process.
 *
 *   npm run bench                 # sizes 1,3,10
 *   npm run bench -- 3            # just 3 nodes
 *
 * A benchmark, not a test: it prints figures and never fails on them.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openStack } from "../engine/automation";
import { projectRoot } from "../engine/paths";
import { labDown, labStatus, labUp } from "../lab";
import { labStackConfig, nodeShell } from "../test/support/labTargets";

interface Figures {
  nodes: number;
  firstUpSeconds: number;
  noopUpSeconds: number;
  connectionsPerNode: { min: number; max: number };
  providerPeakRssMb: number;
}

/** Logins sshd accepted so far; the count itself arrives over one more (logged before it reads). */
function acceptedConnections(node: string): number {
  return Number(nodeShell(node, "grep -c 'Accepted publickey' /var/log/sshd.log || true").trim() || "0");
}

/** Samples every dynamic-provider process's resident set while `work` runs; returns the peak in MiB. */
async function peakProviderRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peakKb = 0;
  const sample = () => {
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (cmdline.includes("dynamic-provider")) {
          const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
          peakKb = Math.max(peakKb, match ? Number(match[1]) : 0);
        }
      } catch {
        // The process ended between listing and reading.
      }
    }
  };
  const timer = setInterval(sample, 100);
  try {
    const result = await work();
    return { result, peakMb: Math.round(peakKb / 1024) };
  } finally {
    clearInterval(timer);
  }
}

async function timed<T>(work: () => Promise<T>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function benchSize(nodes: number): Promise<Figures> {
  await labUp({ nodes, log: (line) => process.stderr.write(`lab: ${line}\n`) });
  const names = labStatus()
    .nodes.slice(0, nodes)
    .map((n) => n.name);
  const stackName = `bench-${nodes}-${process.pid}`;
  const stack = await openStack(stackName, { passphrase: "bench-only" });
  try {
    for (const [key, value] of Object.entries(labStackConfig(nodes, { performance: { profile: "low" } }))) {
      await stack.setConfig(`ngcp-fleet:${key}`, {
        value: typeof value === "string" ? value : JSON.stringify(value),
      });
    }
    const before = names.map(acceptedConnections);
    const first = await peakProviderRss(() => timed(() => stack.up({})));
    // Less the second count's own login: what is left is the provider's.
    const connections = names.map((name, i) => acceptedConnections(name) - before[i] - 1);
    const noop = await peakProviderRss(() => timed(() => stack.up({ expectNoChanges: true })));
    return {
      nodes,
      firstUpSeconds: Number(first.result.toFixed(1)),
      noopUpSeconds: Number(noop.result.toFixed(1)),
      connectionsPerNode: { min: Math.min(...connections), max: Math.max(...connections) },
      providerPeakRssMb: Math.max(first.peakMb, noop.peakMb),
    };
  } finally {
    await stack.destroy({}).catch(() => undefined);
    await stack.workspace.removeStack(stackName).catch(() => undefined);
    rmSync(join(projectRoot(), "stacks", `Pulumi.${stackName}.yaml`), { force: true });
  }
}

async function main(): Promise<void> {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  const wasUp = labStatus().up;
  const results: Figures[] = [];
  for (const size of sizes.length > 0 ? sizes : [1, 3, 10]) {
    results.push(await benchSize(size));
    process.stderr.write(`${JSON.stringify(results[results.length - 1])}\n`);
  }
  if (!wasUp) {
    await labDown();
  }
  console.log(`machine: ${execFileSync("nproc").toString().trim()} cores`);
  console.table(
    results.map((r) => ({
      ...r,
      connectionsPerNode: `${r.connectionsPerNode.min}..${r.connectionsPerNode.max}`,
    })),
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
