import Table from "cli-table3";
import { type Command, InvalidArgumentError, Option } from "commander";
import { createInterface } from "node:readline";
import { loadStackSpec } from "../engine/stackSpec";
import {
  catalogOf,
  catalogScript,
  humanBytes,
  parseCatalogOutput,
  renderBackupList,
} from "../operations/recovery/catalog";
import type { BackupInputs } from "../providers/backup/inputs";
import { execWithProgress } from "../providers/backup/progress";
import { EXIT_LOCKED, parseProgressLine } from "../providers/backup/script";
import { parseStatus } from "../providers/backup/status";
import { checkBackup } from "../providers/backup/validate";
import { RemoteCommandError } from "../providers/transport/errors";
import { closeAll, sessionFor } from "../providers/transport/session";
import type { NodeTarget } from "../providers/transport/target";
import { resolveNode } from "../spec/resolve";
import { type ClusterSpec, CONFIG_NAMESPACE, type NodeSpec } from "../spec/schema";

/**
 * `ngcp-fleet backup run --stack S [--node N]` and `backup list`, and what every backup/recovery command
 * shares: the nodes of a stack, read through the Automation API; progress lines; typed confirmations.
 */

/** One node of a stack, as the backup and recovery commands need it. */
export interface StackNode {
  readonly stack: string;
  readonly spec: ClusterSpec;
  readonly node: NodeSpec;
  readonly target: NodeTarget;
  /** The node's backup inputs (the stack's, or the defaults when the stack does not manage backups). */
  readonly backup: BackupInputs;
  /** Whether the stack sets `backup` for this node. */
  readonly managed: boolean;
}

/** Parses a config value the way `pulumi config set` / `--path` store it (JSON for objects and lists). */

/**
 * Reads stack `stackName`'s config through the Automation API (the lab stack gets its passphrase from
 * engine/env.ts; other stacks need PULUMI_CONFIG_PASSPHRASE), validates it like `pulumi preview` does,
 * and returns node `nodeName` with its connection and backup settings. Refuses a stack without a config
 * file instead of creating an empty one.
 */
export async function loadStackNode(stackName: string, nodeName: string): Promise<StackNode> {
  const [node] = await loadStackNodes(stackName, nodeName);
  return node;
}

/**
 * Every node of stack `stackName` (or only `nodeName`) with its connection and backup settings, read and
 * validated as {@link loadStackNode} does; one read of the stack for all of them.
 */
export async function loadStackNodes(stackName: string, nodeName?: string): Promise<StackNode[]> {
  const { spec, sshPrivateKey } = await loadStackSpec(stackName);
  const nodes = nodeName === undefined ? spec.nodes : spec.nodes.filter((n) => n.name === nodeName);
  if (nodes.length === 0) {
    throw new Error(
      `stack ${stackName} has no node ${nodeName} (nodes: ${spec.nodes.map((n) => n.name).join(", ")})`,
    );
  }
  return nodes.map((node) => {
    const resolved = resolveNode(spec, node, sshPrivateKey);
    const settings = resolved.features.backup;
    const checked = checkBackup(settings ?? {});
    if (!checked.inputs) {
      throw new Error(
        `stack ${stackName}, node ${node.name}: invalid backup settings:\n` +
          checked.failures.map((f) => `  - ${CONFIG_NAMESPACE}:backup.${f.property}: ${f.reason}`).join("\n"),
      );
    }
    return {
      stack: stackName,
      spec,
      node,
      target: resolved.target,
      backup: checked.inputs,
      managed: settings !== undefined,
    };
  });
}

/** Prints a node-side script's line: progress as `node [n/N] title`, anything else indented. */
export function printScriptLine(
  node: string,
  line: string,
  out: NodeJS.WritableStream = process.stdout,
): void {
  const progress = parseProgressLine(line);
  if (progress) {
    out.write(`${node}: [${progress.step}/${progress.of}] ${progress.title}\n`);
  } else {
    out.write(`${node}:   ${line.replace(/^ngcp-fleet-(backup|restore|drill): /, "")}\n`);
  }
}

/**
 * `--timeout <minutes>`, its value in milliseconds. Commander's help prints a parsed default as it is stored,
 * so the help is given the minutes.
 */
export function timeoutOption(defaultMinutes: number, description: string): Option {
  return new Option("--timeout <minutes>", description)
    .argParser(minutes)
    .default(defaultMinutes * 60_000, String(defaultMinutes));
}

/** `--timeout <minutes>` as milliseconds. */
export function minutes(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) {
    throw new InvalidArgumentError(`must be a whole number of minutes, at least 1, got: ${value}`);
  }
  return n * 60_000;
}

/**
 * The typed confirmation of a destructive command: the operator types the node's name. `typed` (from
 * `--yes-i-typed NODE`) is used as given; otherwise a line is read from an interactive stdin. A stdin
 * that is not a terminal without `--yes-i-typed` is a refusal: nobody typed anything.
 */
export async function typedConfirmation(prompt: string, typed: string | undefined): Promise<string> {
  process.stderr.write(prompt);
  if (typed !== undefined) {
    process.stderr.write(`${typed} (--yes-i-typed)\n`);
    return typed;
  }
  if (!process.stdin.isTTY) {
    process.stderr.write("\n");
    throw new Error(
      "stdin is not a terminal: type the node name interactively, or pass --yes-i-typed <node>",
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string>((resolve) => rl.once("line", resolve));
  } finally {
    rl.close();
  }
}

interface RunOptions {
  readonly stack: string;
  readonly node?: string;
  readonly timeout: number;
  readonly parallel: number;
}

/** How one node's backup run ended, for the summary. */
export interface NodeRunResult {
  readonly node: string;
  readonly result: "ok" | "failed" | "locked" | "not installed";
  readonly id?: string;
  readonly bytes?: number;
  readonly seconds: number;
  /** One line: where the backup is, or why it failed. */
  readonly detail: string;
}

/** Runs one node's installed backup script with progress; never throws for the node's own failures. */
async function backupRunNode(stackNode: StackNode, stack: string, timeoutMs: number): Promise<NodeRunResult> {
  const { target, backup, managed } = stackNode;
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  let session;
  try {
    session = await sessionFor(target);
  } catch (err) {
    return {
      node: target.name,
      result: "failed",
      seconds: seconds(),
      detail: (err as Error).message.split("\n")[0],
    };
  }
  const installed = await session.exec(["test", "-x", backup.paths.script], { okExitCodes: [0, 1] });
  if (installed.exitCode !== 0) {
    return {
      node: target.name,
      result: "not installed",
      seconds: seconds(),
      detail:
        `no backup script at ${backup.paths.script}` +
        (managed
          ? ": run `pulumi up` for this stack first"
          : `: stack ${stack} does not manage backups (set ngcp-fleet:backup, then pulumi up)`),
    };
  }
  process.stdout.write(
    `${target.name}: running ${backup.paths.script} (destination ${backup.destination})\n`,
  );
  let failure: unknown;
  try {
    await execWithProgress(session, [backup.paths.script], {
      timeoutMs,
      onLine: (line) => printScriptLine(target.name, line),
    });
  } catch (err) {
    failure = err;
  }
  if (failure instanceof RemoteCommandError && failure.exitCode === EXIT_LOCKED) {
    return {
      node: target.name,
      result: "locked",
      seconds: seconds(),
      detail: `another backup run holds ${backup.paths.lockFile}; nothing was started`,
    };
  }
  const text = await session.readFile(backup.paths.statusFile).catch(() => undefined);
  const parsed = text ? parseStatus(text.toString("utf8")) : undefined;
  if (failure) {
    const recorded = parsed?.ok && parsed.status.result === "failed" ? parsed.status.error : null;
    const stderr = failure instanceof RemoteCommandError ? failure.stderr.trim() : String(failure);
    process.stderr.write(
      `node ${target.name}: backup FAILED after ${seconds().toFixed(1)} s:\n${stderr}` +
        (recorded ? `\nrecorded in ${backup.paths.statusFile}: ${recorded}` : "") +
        "\n",
    );
    const why =
      recorded ??
      (stderr
        .split("\n")
        .filter((l) => l.trim() !== "")
        .at(-1) ||
        "the script failed");
    return { node: target.name, result: "failed", seconds: seconds(), detail: why };
  }
  if (parsed?.ok) {
    const s = parsed.status;
    process.stdout.write(
      `${target.name}: backup ${s.id} ok in ${seconds().toFixed(1)} s: ${s.bytes} bytes\n`,
    );
    return {
      node: target.name,
      result: "ok",
      id: s.id,
      bytes: s.bytes,
      seconds: seconds(),
      detail:
        `${s.destination}/${s.id}` +
        (s.pruned.length > 0 ? `; pruned ${s.pruned.join(", ")}` : "") +
        (s.offNode !== "skipped" ? `; off-node copy ${s.offNode}` : ""),
    };
  }
  return { node: target.name, result: "ok", seconds: seconds(), detail: "finished (no status file)" };
}

/** Runs `work` over `items`, at most `width` at once, keeping the input order in the results. */
export async function boundedParallel<T, R>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return results;
}

/** The summary table of `backup run`. */
export function renderRunSummary(results: readonly NodeRunResult[]): string {
  const table = new Table({
    head: ["node", "result", "backup id", "size", "seconds", "detail"],
    style: { head: [], border: [] },
  });
  for (const r of results) {
    table.push([
      r.node,
      r.result,
      r.id ?? "-",
      r.bytes === undefined ? "-" : humanBytes(r.bytes),
      r.seconds.toFixed(1),
      r.detail,
    ]);
  }
  const failed = results.filter((r) => r.result !== "ok").length;
  return `${table.toString()}\n${results.length - failed} of ${results.length} node(s) backed up${failed > 0 ? `; ${failed} FAILED` : ""}\n`;
}

async function backupRun(options: RunOptions): Promise<void> {
  const nodes = await loadStackNodes(options.stack, options.node);
  const results = await boundedParallel(nodes, options.parallel, (n) =>
    backupRunNode(n, options.stack, options.timeout),
  );
  process.stdout.write(renderRunSummary(results));
  if (results.some((r) => r.result !== "ok")) {
    process.exitCode = 1;
  }
}

interface ListOptions {
  readonly stack: string;
  readonly node?: string;
  readonly json?: boolean;
  readonly parallel: number;
}

async function backupList(options: ListOptions): Promise<void> {
  const nodes = await loadStackNodes(options.stack, options.node);
  const now = new Date();
  const problems: string[] = [];
  const perNode = await boundedParallel(nodes, options.parallel, async ({ target, backup }) => {
    try {
      const session = await sessionFor(target);
      const out = await session.script(catalogScript(backup.destination, backup.paths.statusFile));
      const read = parseCatalogOutput(out.stdout);
      problems.push(...read.problems.map((p) => `${target.name}: ${p}`));
      return catalogOf(target.name, read, now);
    } catch (err) {
      problems.push(`${target.name}: cannot read its backups: ${(err as Error).message.split("\n")[0]}`);
      return [];
    }
  });
  const rows = perNode.flat();
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ stack: options.stack, backups: rows, problems }, null, 2)}\n`);
  } else {
    process.stdout.write(rows.length > 0 ? renderBackupList(rows) : "no backups\n");
    for (const problem of problems) {
      process.stderr.write(`ngcp-fleet backup list: ${problem}\n`);
    }
  }
  if (problems.length > 0) {
    process.exitCode = 1;
  }
}

/** `--parallel <n>`: how many nodes at once. */
function width(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 64) {
    throw new InvalidArgumentError(`must be a whole number from 1 to 64, got: ${value}`);
  }
  return n;
}

export function registerBackupCommands(program: Command): void {
  const backup = program.command("backup").description("backups of NGCP nodes (handbook 15.5.1)");
  backup
    .command("run")
    .description(
      "run the installed backup script now on every node of the stack (or --node), in parallel, showing each " +
        "node's progress and a summary; exits 1 when any node failed",
    )
    .requiredOption("--stack <name>", "the stack whose nodes to back up")
    .option("--node <name>", "only this node")
    .option("--parallel <n>", "nodes at once (1-64)", width, 4)
    .addOption(timeoutOption(120, "give up on a node after this many minutes"))
    .action(async (options: RunOptions) => {
      try {
        await backupRun(options);
      } finally {
        await closeAll();
      }
    });
  backup
    .command("list")
    .description(
      "list the backups on every node of the stack (or --node): id, time, age, size, result, drill",
    )
    .requiredOption("--stack <name>", "the stack whose nodes to read")
    .option("--node <name>", "only this node")
    .option("--json", "print JSON instead of a table")
    .option("--parallel <n>", "nodes read at once (1-64)", width, 8)
    .action(async (options: ListOptions) => {
      try {
        await backupList(options);
      } finally {
        await closeAll();
      }
    });
}
