import Table from "cli-table3";
import type { Command } from "commander";
import { randomBytes } from "node:crypto";
import { posix } from "node:path";
import { artifactOf } from "../providers/backup/manifest";
import { execWithProgress } from "../providers/backup/progress";
import { backupIdOf } from "../providers/backup/retention";
import { confirmationMatches, planResetDb, resetDbWarning } from "../operations/recovery/confirm";
import {
  compareTableStats,
  type DrillResult,
  parseDrillOutput,
  renderDrillScript,
} from "../operations/recovery/drill";
import {
  DRILL_RECORD_PATH,
  drillRecordOf,
  renderDrillRecord,
  type DrillOutcome,
} from "../operations/recovery/drillRecord";
import { checkBackupIntegrity, existingPaths, findBackup } from "../operations/recovery/node";
import {
  planRestore,
  renderDryRun,
  restoreTargetPaths,
  restoreWarning,
} from "../operations/recovery/restore";
import { renderRestoreScript } from "../operations/recovery/restoreScript";
import {
  CommandTimeoutError,
  HostKeyMismatchError,
  NodeUnreachableError,
  RemoteCommandError,
} from "../providers/transport/errors";
import { closeAll, sessionFor, type NodeSession } from "../providers/transport/session";
import { loadStackNode, printScriptLine, timeoutOption, typedConfirmation } from "./backup";

/**
 * `ngcp-fleet restore`, `restore-drill` and `reset-db` (handbook 15.5.2 and 15.6, issue 7 items 3–5):
 * read the node, plan with providers/recovery, confirm, run the node-side script with progress.
 */

interface RestoreOptions {
  readonly stack: string;
  readonly node: string;
  readonly backup: string;
  readonly dryRun?: boolean;
  readonly yesITyped?: string;
  readonly timeout: number;
}

const TRANSPORT_ERRORS = [
  NodeUnreachableError,
  HostKeyMismatchError,
  RemoteCommandError,
  CommandTimeoutError,
];

function failureDetail(err: unknown): string {
  return err instanceof RemoteCommandError ? err.stderr.trim() || err.message : String(err);
}

async function restore(options: RestoreOptions): Promise<void> {
  const { target, backup } = await loadStackNode(options.stack, options.node);
  const session = await sessionFor(target);
  const found = await findBackup(session, backup.destination, options.backup);
  const { manifest } = found;
  const base = { node: target.name, destination: backup.destination };
  const live = await existingPaths(session, restoreTargetPaths(manifest, base));
  const plan = planRestore(manifest, live, { ...base, timestamp: backupIdOf(new Date()) });
  if (plan.problems.length > 0) {
    throw new Error(
      `backup ${found.id} cannot be restored:\n${plan.problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }

  // Checksums before anything is touched (the script checks them once more on the node).
  const integrity = await checkBackupIntegrity(session, found.dir, manifest);
  const needed = new Set(plan.checksums.map((c) => c.name));
  const bad = integrity.artifacts.filter((a) => a.result !== "ok");
  for (const a of bad) {
    process.stderr.write(
      `${target.name}: ${a.name}: ${a.result}${needed.has(a.name) ? "" : " (not needed by the restore)"}\n`,
    );
  }
  if (bad.some((a) => needed.has(a.name)) || !integrity.manifestMatchesSums) {
    throw new Error(
      `backup ${found.id} on ${target.name} is damaged (${[
        ...bad.filter((a) => needed.has(a.name)).map((a) => `${a.name} ${a.result}`),
        ...(integrity.manifestMatchesSums ? [] : ["manifest.json does not match SHA256SUMS"]),
      ].join(", ")}): nothing was changed`,
    );
  }
  process.stdout.write(
    `${target.name}: backup ${found.id}: ${plan.checksums.length} artifact(s) verified (SHA-256)\n`,
  );

  if (options.dryRun) {
    process.stdout.write(renderDryRun(plan, manifest));
    return;
  }
  process.stdout.write(
    "Handbook 15.5.2: (1) the sip:provider CE is installed and reachable — that is this node; " +
      "(2) restore config.yml, constants.yml, network.yml and sipwise.cnf; (3) restore the database dump; (4) ngcpcfg apply.\n",
  );
  const typed = await typedConfirmation(restoreWarning(plan), options.yesITyped);
  if (!confirmationMatches(typed, target.name)) {
    throw new Error(
      `confirmation "${typed.trim()}" does not name the node ${target.name}: nothing was changed`,
    );
  }
  const script = renderRestoreScript(plan, { sipwiseCnf: backup.paths.sipwiseCnf });
  const started = Date.now();
  try {
    await execWithProgress(session, ["bash", "-s"], {
      stdin: script,
      timeoutMs: options.timeout,
      onLine: (line) => printScriptLine(target.name, line),
    });
  } catch (err) {
    throw new Error(`node ${target.name}: restore of ${found.id} FAILED:\n${failureDetail(err)}`);
  }
  process.stdout.write(
    `${target.name}: backup ${found.id} restored in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `the previous files and databases are in ${plan.preRestoreDir}\n`,
  );
}

interface DrillOptions {
  readonly stack: string;
  readonly node: string;
  readonly backup: string;
  readonly json?: boolean;
  readonly timeout: number;
}

function drillTable(result: DrillResult): string {
  const table = new Table({
    head: ["table", "result", "rows (backup)", "rows (restored)", "checksum", "reason"],
    // Plain text: the report goes to logs and CI as often as to a terminal.
    style: { head: [], border: [] },
  });
  for (const t of result.tables) {
    const checksum =
      t.expected && t.actual ? (t.expected.checksum === t.actual.checksum ? "equal" : "differs") : "-";
    table.push([
      `${t.schema}.${t.table}`,
      t.result.toUpperCase(),
      t.expected ? String(t.expected.rows) : "-",
      t.actual ? String(t.actual.rows) : "-",
      checksum,
      t.reason,
    ]);
  }
  return `${table.toString()}\n`;
}

/**
 * Runs the drill and prints its result; returns what the node's record says. Never throws for a failed drill
 * (a backup that does not restore is the answer, not an error): only for a node that cannot be reached.
 */
async function runDrill(
  options: DrillOptions,
  session: NodeSession,
  destination: string,
): Promise<{ backupId: string | null; outcome: DrillOutcome }> {
  const node = session.target.name;
  let found: Awaited<ReturnType<typeof findBackup>>;
  try {
    found = await findBackup(session, destination, options.backup);
  } catch (err) {
    // A node that cannot be reached or read is not a drill result; no backup to drill is (a failed one).
    if (TRANSPORT_ERRORS.some((kind) => err instanceof kind)) {
      throw err;
    }
    return { backupId: null, outcome: { kind: "failed", reason: (err as Error).message } };
  }
  const failed = (reason: string) => ({ backupId: found.id, outcome: { kind: "failed" as const, reason } });
  const dump = artifactOf(found.manifest, "databases");
  if (!dump) {
    return failed(`backup ${found.id} on ${node} has no database dump`);
  }
  const integrity = await checkBackupIntegrity(session, found.dir, found.manifest);
  if (!integrity.manifestMatchesSums) {
    return failed(`backup ${found.id}: manifest.json does not match SHA256SUMS`);
  }
  // Never the live server: a private datadir and socket under a fresh 0700 directory, no network.
  const workDir = `/var/tmp/ngcp-fleet-drill-${found.id}-${randomBytes(4).toString("hex")}`;
  const script = renderDrillScript({
    dumpFile: posix.join(found.dir, dump.name),
    dumpSha256: dump.sha256,
    compression: found.manifest.compression,
    workDir,
  });
  process.stdout.write(`${node}: restore drill of backup ${found.id} into a scratch MariaDB in ${workDir}\n`);
  let stdout: string;
  try {
    stdout = (
      await execWithProgress(session, ["bash", "-s"], {
        stdin: script,
        timeoutMs: options.timeout,
        onLine: (line) => {
          if (!line.startsWith("--- ngcp-fleet") && !line.includes("\t")) {
            printScriptLine(node, line);
          }
        },
      })
    ).stdout;
  } catch (err) {
    return failed(`backup ${found.id}: ${failureDetail(err)}`);
  }
  return {
    backupId: found.id,
    outcome: { kind: "compared", result: compareTableStats(found.manifest.tables, parseDrillOutput(stdout)) },
  };
}

async function restoreDrill(options: DrillOptions): Promise<void> {
  const { target, backup } = await loadStackNode(options.stack, options.node);
  const session = await sessionFor(target);
  const startedAt = new Date();
  const { backupId, outcome } = await runDrill(options, session, backup.destination);
  const record = drillRecordOf(target.name, backupId, outcome, startedAt, new Date());
  const drilled = backupId ?? options.backup;
  if (outcome.kind === "failed") {
    process.stdout.write(`restore drill of ${drilled} on ${target.name}: FAIL — ${outcome.reason}\n`);
  } else if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ node: target.name, backup: backupId, ...outcome.result }, null, 2)}\n`,
    );
  } else {
    const result = outcome.result;
    process.stdout.write(drillTable(result));
    process.stdout.write(
      `restore drill of ${drilled} on ${target.name}: ${result.ok ? "PASS" : "FAIL"} — ${result.passed} passed, ` +
        `${result.failed} failed, ${result.unverified} unverified\n`,
    );
  }
  if (record.result === "fail") {
    process.exitCode = 1;
  }
  // The outcome stays on the node for the audit (backup-drill) and for operators: the last drill's verdict.
  try {
    await session.exec(["install", "-d", "-m", "0755", posix.dirname(DRILL_RECORD_PATH)]);
    await session.writeFileAtomic(DRILL_RECORD_PATH, renderDrillRecord(record), { mode: 0o644 });
  } catch (err) {
    process.exitCode = 1;
    process.stderr.write(
      `${target.name}: the drill's outcome could not be recorded in ${DRILL_RECORD_PATH}: ${(err as Error).message.split("\n")[0]}\n`,
    );
  }
}

interface ResetOptions {
  readonly stack: string;
  readonly node: string;
  readonly yesITyped?: string;
  readonly timeout: number;
}

async function resetDb(options: ResetOptions): Promise<void> {
  const { target } = await loadStackNode(options.stack, options.node);
  const typed = await typedConfirmation(resetDbWarning(target.name), options.yesITyped);
  const plan = planResetDb(target.name, typed);
  if (!plan.ok) {
    throw new Error(plan.reason);
  }
  const session = await sessionFor(target);
  try {
    await execWithProgress(session, plan.argv, {
      timeoutMs: options.timeout,
      onLine: (line) => process.stdout.write(`${target.name}:   ${line}\n`),
    });
  } catch (err) {
    throw new Error(`node ${target.name}: ngcp-reset-db FAILED:\n${failureDetail(err)}`);
  }
}

/** Runs `fn`, then closes every pooled SSH connection so the process can exit. */
function closing<T>(fn: (options: T) => Promise<void>): (options: T) => Promise<void> {
  return async (options) => {
    try {
      await fn(options);
    } finally {
      await closeAll();
    }
  };
}

export function registerRecoveryCommands(program: Command): void {
  program
    .command("restore")
    .description("restore a node from one of its backups (handbook 15.5.2), after a typed confirmation")
    .requiredOption("--stack <name>", "the stack the node belongs to")
    .requiredOption("--node <name>", "the node to restore")
    .requiredOption("--backup <id|latest>", "the backup id (YYYYMMDDTHHMMSSZ) or latest")
    .option("--dry-run", "list what would be overwritten, change nothing")
    .option("--yes-i-typed <node>", "the confirmation, for scripts: must be the node name")
    .addOption(timeoutOption(120, "give up after this many minutes"))
    .action(closing(restore));

  program
    .command("restore-drill")
    .description(
      "restore a backup into a scratch MariaDB on the node (never the live one) and compare every table",
    )
    .requiredOption("--stack <name>", "the stack the node belongs to")
    .requiredOption("--node <name>", "the node whose backup to drill")
    .option("--backup <id|latest>", "the backup id (YYYYMMDDTHHMMSSZ) or latest", "latest")
    .option("--json", "print the per-table result as JSON")
    .addOption(timeoutOption(120, "give up after this many minutes"))
    .action(closing(restoreDrill));

  program
    .command("reset-db")
    .description("wipe a node's databases with ngcp-reset-db (handbook 15.6), after a typed confirmation")
    .requiredOption("--stack <name>", "the stack the node belongs to")
    .requiredOption("--node <name>", "the node to reset")
    .option("--yes-i-typed <node>", "the confirmation, for scripts: must be the node name")
    .addOption(timeoutOption(30, "give up after this many minutes"))
    .action(closing(resetDb));
}
