/**
 * The fleet benchmark: for each size (1, 10, 30 and 100 lab nodes by default) it brings up fresh lab
 * nodes, converges them with every feature of the lab stack on, and measures four operations with the
 * real `pulumi` CLI, as an operator runs them:
 *
 *   first converge          pulumi up --yes --skip-preview                  (fresh nodes)
 *   no-op up                pulumi up --yes --skip-preview --refresh
 *   no-op preview           pulumi preview --refresh --expect-no-changes
 *   refresh                 pulumi refresh --yes --skip-preview
 *
 * For each: wall time; CPU of the whole process tree (kernel's account through /usr/bin/time) and per role
 * (engine, language host, program, provider: sampled from /proc); peak RSS per role; the state's size;
 * SSH logins and remote commands per node, counted from each node's own sshd and command logs (read on
 * the lab's disk, so counting adds none).
 *
 *   npm run bench                       # 1, 10, 30, 100 nodes
 *   npm run bench -- 10 30              # some sizes
 *   npm run bench -- --label before 10  # tag the results file
 *
 * A benchmark, not a test: it prints and records figures (bench/results/*.json, bench/fleet.png) and
 * never fails on them.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { engineEnv } from "../engine/env";
import { ensureLabStackSecrets } from "../engine/labSecrets";
import { labPassphrase, projectRoot } from "../engine/paths";
import { labDown, labStatus, labUp, nodeActivity } from "../lab";
import { type Role, type RoleFigures, sampleTree } from "./processTree";
import { renderPlot } from "./plot";

const STACK = "bench";

export interface NodeCounts {
  logins: { min: number; max: number; mean: number };
  commands: { min: number; max: number; mean: number };
}

export interface OperationFigures {
  operation: string;
  ok: boolean;
  wallSeconds: number;
  /** CPU of the whole tree, from the kernel's rusage of `pulumi` and its waited-for descendants. */
  treeCpuSeconds: number;
  roles: Record<Role, RoleFigures>;
  /** `pulumi stack export` (indented JSON). */
  stateBytes: number;
  /** The checkpoint file of the file backend (compact JSON). */
  checkpointBytes: number;
  /** Wall seconds of each run (the figures are the median run's). */
  runs: number[];
  perNode: NodeCounts;
  resources: number;
  error?: string;
}

export interface SizeFigures {
  nodes: number;
  labUpSeconds: number;
  /** MemAvailable lost to the lab's nodes once converged, per node (MB). */
  nodeFootprintMb: number;
  operations: OperationFigures[];
}

function root(): string {
  return projectRoot();
}

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...engineEnv({ root: root() }),
    PULUMI_CONFIG_PASSPHRASE: labPassphrase(root()),
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  treeCpuSeconds: number;
  roles: Record<Role, RoleFigures>;
}

/** Runs `pulumi …` under /usr/bin/time, sampling its process tree. */
function pulumi(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn("/usr/bin/time", ["-f", "@@rusage %U %S", "pulumi", ...args, "--stack", STACK], {
      cwd: root(),
      env: env(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const sampler = sampleTree(child.pid ?? 0);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      const roles = sampler.stop();
      const rusage = /@@rusage (\S+) (\S+)/.exec(stderr);
      resolve({
        code: code ?? -1,
        stdout,
        stderr: stderr.replace(/@@rusage .*\n?/, ""),
        wallSeconds: Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(2)),
        treeCpuSeconds: rusage ? Number((Number(rusage[1]) + Number(rusage[2])).toFixed(2)) : NaN,
        roles,
      });
    });
  });
}

/** Logins and commands each node's sshd recorded so far (read from the lab's disk: adds none). */
function nodeLogCounts(names: readonly string[]): Map<string, { logins: number; commands: number }> {
  return new Map(
    names.map((name) => {
      const activity = nodeActivity(name);
      return [name, { logins: activity.logins, commands: activity.commands.length }];
    }),
  );
}

function spread(values: number[]): { min: number; max: number; mean: number } {
  if (values.length === 0) {
    return { min: 0, max: 0, mean: 0 };
  }
  return {
    min: Math.min(...values),
    max: Math.max(...values),
    mean: Number((values.reduce((a, b) => a + b, 0) / values.length).toFixed(2)),
  };
}

async function exportedState(): Promise<{ bytes: number; resources: number }> {
  const run = await pulumi(["stack", "export"]);
  if (run.code !== 0) {
    return { bytes: 0, resources: 0 };
  }
  const parsed = JSON.parse(run.stdout) as { deployment?: { resources?: unknown[] } };
  return { bytes: Buffer.byteLength(run.stdout), resources: parsed.deployment?.resources?.length ?? 0 };
}

/** Size of the stack's checkpoint file: what the file backend rewrites (compact JSON). */
function checkpointBytes(): number {
  try {
    return statSync(join(root(), ".pulumi", "state", ".pulumi", "stacks", "ngcp-fleet", `${STACK}.json`))
      .size;
  } catch {
    return 0;
  }
}

/**
 * Runs an operation `repeat` times (no-op operations only) and keeps the run of median wall time: a 2-core
 * machine shared with the lab's own daemons varies by a fifth from run to run.
 */
async function measure(
  operation: string,
  args: string[],
  names: readonly string[],
  repeat = 1,
): Promise<OperationFigures> {
  const runs: {
    run: Run;
    before: ReturnType<typeof nodeLogCounts>;
    after: ReturnType<typeof nodeLogCounts>;
  }[] = [];
  for (let i = 0; i < repeat; i++) {
    const before = nodeLogCounts(names);
    const run = await pulumi(args);
    runs.push({ run, before, after: nodeLogCounts(names) });
  }
  runs.sort((a, b) => a.run.wallSeconds - b.run.wallSeconds);
  const { run, before, after } = runs[Math.floor((runs.length - 1) / 2)];
  const state = await exportedState();
  const delta = (key: "logins" | "commands") =>
    names.map((name) => (after.get(name)?.[key] ?? 0) - (before.get(name)?.[key] ?? 0));
  const figures: OperationFigures = {
    operation,
    ok: run.code === 0,
    wallSeconds: run.wallSeconds,
    treeCpuSeconds: run.treeCpuSeconds,
    roles: run.roles,
    stateBytes: state.bytes,
    checkpointBytes: checkpointBytes(),
    runs: runs.map((r) => r.run.wallSeconds),
    resources: state.resources,
    perNode: { logins: spread(delta("logins")), commands: spread(delta("commands")) },
    ...(run.code === 0
      ? {}
      : { error: `${run.stdout}\n${run.stderr}`.trim().split("\n").slice(-30).join("\n") }),
  };
  process.stderr.write(
    `bench: ${names.length} nodes, ${operation}: ${figures.ok ? "ok" : "FAILED"} ${figures.wallSeconds} s wall, ` +
      `${figures.treeCpuSeconds} s CPU, state ${Math.round(figures.checkpointBytes / 1024)} KiB ` +
      `(export ${Math.round(figures.stateBytes / 1024)} KiB), runs ${figures.runs.join("/")} s, ` +
      `logins/node ${figures.perNode.logins.max}, commands/node ${figures.perNode.commands.max}\n`,
  );
  if (!figures.ok) {
    process.stderr.write(`${figures.error}\n`);
  }
  return figures;
}

function memAvailableMb(): number {
  const match = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"));
  return Math.floor(Number(match?.[1] ?? "0") / 1024);
}

async function benchSize(nodes: number): Promise<SizeFigures> {
  // Fresh nodes for a first converge: the lab's disks go with `lab down`.
  await labDown();
  const idle = memAvailableMb();
  const started = process.hrtime.bigint();
  await labUp({ nodes, stackNodes: nodes, log: (line) => process.stderr.write(`lab: ${line}\n`) });
  const labUpSeconds = Number((Number(process.hrtime.bigint() - started) / 1e9).toFixed(1));
  await ensureLabStackSecrets(root());
  const names = labStatus()
    .nodes.slice(0, nodes)
    .map((n) => n.name);
  // The bench stack is the lab stack (every feature on, its secrets under the lab passphrase) under
  // another name, in a state of its own.
  const stacks = join(root(), "stacks");
  await pulumi(["stack", "rm", "--yes", "--force", "--preserve-config"]).catch(() => undefined);
  copyFileSync(join(stacks, "Pulumi.lab.yaml"), join(stacks, `Pulumi.${STACK}.yaml`));
  const init = await new Promise<number>((resolve) => {
    const child = spawn("pulumi", ["stack", "init", STACK, "--secrets-provider", "passphrase"], {
      cwd: root(),
      env: env(),
      stdio: "ignore",
    });
    child.on("close", (code) => resolve(code ?? -1));
  });
  if (init !== 0) {
    throw new Error(`pulumi stack init ${STACK} failed`);
  }
  const operations: OperationFigures[] = [];
  try {
    operations.push(await measure("first converge", ["up", "--yes", "--skip-preview"], names));
    operations.push(
      await measure("no-op up --refresh", ["up", "--yes", "--skip-preview", "--refresh"], names, 3),
    );
    operations.push(
      await measure("no-op preview --refresh", ["preview", "--refresh", "--expect-no-changes"], names, 3),
    );
    operations.push(await measure("refresh", ["refresh", "--yes", "--skip-preview"], names, 3));
  } finally {
    await pulumi(["stack", "rm", "--yes", "--force", "--preserve-config"]).catch(() => undefined);
    rmSync(join(stacks, `Pulumi.${STACK}.yaml`), { force: true });
  }
  const nodeFootprintMb = Math.round((idle - memAvailableMb()) / nodes);
  return { nodes, labUpSeconds, nodeFootprintMb, operations };
}

function table(results: readonly SizeFigures[]): string {
  const rows = results.flatMap((size) =>
    size.operations.map((op) => ({
      nodes: size.nodes,
      operation: op.operation,
      ok: op.ok ? "yes" : "NO",
      wall: op.wallSeconds,
      cpu: op.treeCpuSeconds,
      engine: op.roles.engine.cpuSeconds,
      program: op.roles.program.cpuSeconds,
      provider: op.roles.provider.cpuSeconds,
      "rss engine/program/provider MiB": `${op.roles.engine.peakRssMb}/${op.roles.program.peakRssMb}/${op.roles.provider.peakRssMb}`,
      "state KiB (export)": `${Math.round(op.checkpointBytes / 1024)} (${Math.round(op.stateBytes / 1024)})`,
      "logins/node": `${op.perNode.logins.min}..${op.perNode.logins.max}`,
      "commands/node": `${op.perNode.commands.min}..${op.perNode.commands.max}`,
    })),
  );
  const headers = Object.keys(rows[0] ?? {});
  const line = (cells: readonly unknown[]) => `| ${cells.map(String).join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map((row) => line(Object.values(row)))].join(
    "\n",
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const labelAt = args.indexOf("--label");
  const label = labelAt >= 0 ? args.splice(labelAt, 2)[1] : "run";
  const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const results: SizeFigures[] = [];
  const out = join(root(), "bench", "results");
  mkdirSync(out, { recursive: true });
  const file = join(out, `${new Date().toISOString().slice(0, 10)}-${label}.json`);
  for (const size of sizes.length > 0 ? sizes : [1, 10, 30, 100]) {
    results.push(await benchSize(size));
    writeFileSync(file, `${JSON.stringify({ label, cores: cores(), results }, null, 2)}\n`);
  }
  await labDown();
  console.log(`machine: ${cores()} cores; results in ${file}`);
  console.log(table(results));
  const png = renderPlot(file, join(root(), "bench", `fleet-${label}.png`));
  if (png !== undefined) {
    console.log(`plot: ${png} (${statSync(png).size} bytes)`);
  }
}

function cores(): number {
  return readFileSync("/proc/cpuinfo", "utf8")
    .split("\n")
    .filter((l) => l.startsWith("processor")).length;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
