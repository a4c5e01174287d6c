import { type Command, InvalidArgumentError } from "commander";
import { createInterface } from "node:readline";
import { loadStackSpec } from "../engine/stackSpec";
import type { BackupInputs } from "../providers/backup/inputs";
import { execWithProgress } from "../providers/backup/progress";
import { EXIT_LOCKED, parseProgressLine } from "../providers/backup/script";
import { parseStatus } from "../providers/backup/status";
import { checkBackup } from "../providers/backup/validate";
import { RemoteCommandError } from "../providers/transport/errors";
import { closeAll, sessionFor } from "../providers/transport/session";
import type { NodeTarget } from "../providers/transport/target";
import { targetFor } from "../spec/targets";
import { type ClusterSpec, CONFIG_NAMESPACE, mergeFeature, type NodeSpec } from "../spec/schema";

/**
 * `ngcp-fleet backup run --stack S --node N` (issue 7 item 2), and what every backup/recovery command
 * shares: one node of a stack, read through the Automation API; progress lines; typed confirmations.
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
  const { spec, sshPrivateKey } = await loadStackSpec(stackName);
  const node = spec.nodes.find((n) => n.name === nodeName);
  if (!node) {
    throw new Error(
      `stack ${stackName} has no node ${nodeName} (nodes: ${spec.nodes.map((n) => n.name).join(", ")})`,
    );
  }
  const target = targetFor(spec, node, sshPrivateKey);
  const settings = mergeFeature(spec.backup, node.backup);
  const checked = checkBackup(settings ?? {});
  if (!checked.inputs) {
    throw new Error(
      `stack ${stackName}, node ${nodeName}: invalid backup settings:\n` +
        checked.failures.map((f) => `  - ${CONFIG_NAMESPACE}:backup.${f.property}: ${f.reason}`).join("\n"),
    );
  }
  return { stack: stackName, spec, node, target, backup: checked.inputs, managed: settings !== undefined };
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
  readonly node: string;
  readonly timeout: number;
}

async function backupRun(options: RunOptions): Promise<void> {
  const { target, backup, managed } = await loadStackNode(options.stack, options.node);
  const session = await sessionFor(target);
  const installed = await session.exec(["test", "-x", backup.paths.script], { okExitCodes: [0, 1] });
  if (installed.exitCode !== 0) {
    throw new Error(
      `node ${target.name}: no backup script at ${backup.paths.script}` +
        (managed
          ? ": run `pulumi up` for this stack first"
          : `: stack ${options.stack} does not manage backups (set ngcp-fleet:backup, then pulumi up)`),
    );
  }
  const started = Date.now();
  process.stdout.write(
    `${target.name}: running ${backup.paths.script} (destination ${backup.destination})\n`,
  );
  let failure: unknown;
  try {
    await execWithProgress(session, [backup.paths.script], {
      timeoutMs: options.timeout,
      onLine: (line) => printScriptLine(target.name, line),
    });
  } catch (err) {
    failure = err;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failure instanceof RemoteCommandError && failure.exitCode === EXIT_LOCKED) {
    throw new Error(
      `node ${target.name}: another backup run holds ${backup.paths.lockFile}; nothing was started`,
    );
  }
  const text = await session.readFile(backup.paths.statusFile);
  const parsed = text ? parseStatus(text.toString("utf8")) : undefined;
  if (failure) {
    const recorded =
      parsed?.ok && parsed.status.result === "failed"
        ? `\nrecorded in ${backup.paths.statusFile}: ${parsed.status.error}`
        : "";
    const stderr = failure instanceof RemoteCommandError ? failure.stderr.trim() : String(failure);
    throw new Error(`node ${target.name}: backup FAILED after ${seconds} s:\n${stderr}${recorded}`);
  }
  if (parsed?.ok) {
    const s = parsed.status;
    process.stdout.write(
      `${target.name}: backup ${s.id} ok in ${seconds} s: ${s.bytes} bytes in ${s.destination}/${s.id}` +
        (s.pruned.length > 0 ? `; pruned ${s.pruned.join(", ")}` : "") +
        (s.offNode !== "skipped" ? `; off-node copy ${s.offNode}` : "") +
        "\n",
    );
  } else {
    process.stdout.write(`${target.name}: backup finished in ${seconds} s\n`);
  }
}

export function registerBackupCommands(program: Command): void {
  const backup = program.command("backup").description("backups of NGCP nodes (handbook 15.5.1)");
  backup
    .command("run")
    .description("run the node's installed backup script now, showing its progress")
    .requiredOption("--stack <name>", "the stack the node belongs to")
    .requiredOption("--node <name>", "the node to back up")
    .option("--timeout <minutes>", "give up after this many minutes", minutes, 120 * 60_000)
    .action(async (options: RunOptions) => {
      try {
        await backupRun(options);
      } finally {
        await closeAll();
      }
    });
}
