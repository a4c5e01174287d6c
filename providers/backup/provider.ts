/**
 * The BackupSchedule dynamic provider (handbook 15.5.1, issue 7): installs the backup script, its schedule
 * and the MySQL option file on one node, and reads the last run's status back as outputs and drift.
 *
 * Thin shell over the pure core of this directory: `checkBackup` validates, `planBackupInstall` says what
 * to write, `parseStatus` / `backupDrift` judge the node's backups. Every byte reaches the node through
 * `providers/transport` (SFTP writes with their final mode; argv quoted by the transport; the MySQL
 * password only inside the 0600 option file).
 *
 * Two kinds of drift, deliberately handled differently:
 * - **files**: the script, the cron file (or units), the known_hosts or the option file changed or removed
 *   by hand. `read` returns the live state in `files` (an input too), so the next preview shows
 *   `files./etc/cron.d/ngcp-fleet-backup: "missing" => "installed"` and `up` puts them back.
 * - **backups**: no recent successful backup (after the install's grace period), the last run failed, a
 *   run hanging, or the option file's login broken. `read` puts the reasons into `health` (an input whose
 *   desired value is `ok`), so `refresh` shows `health: "ok" => "the last run … failed: …"` and the next
 *   preview shows the way back. `up` then converges the way an operator would: it reinstalls and runs a
 *   backup now; if that run fails (a full disk), `up` fails with the run's error and the drift stays.
 */
import type * as pulumi from "@pulumi/pulumi";
import { posix } from "node:path";
import { checkTarget } from "../common/checkTarget";
import { nodeSnapshot } from "../common/nodeReads";
import { readNow, type NodeSnapshot } from "../transport/snapshot";
import {
  backupLockSection,
  backupLoginSection,
  backupReadRequest,
  fileState,
  type InstalledFileState,
} from "./nodeReads";
import { RemoteCommandError } from "../transport/errors";
import { sessionFor } from "../transport/session";
import { targetMoved } from "../systemAccounts/providerKit";
import type { NodeTarget } from "../transport/target";
import type { BackupInputs } from "./inputs";
import {
  BACKUP_MYSQL_GRANTS,
  BACKUP_MYSQL_USER,
  BACKUP_UNIT,
  planBackupInstall,
  renderBackupLoginRemovalScript,
  renderBackupLoginScript,
  type NodeFile,
} from "./script";
import { backupDrift, parseStatus, type BackupStatus, type RunResult } from "./status";
import { checkBackup, effectiveMaxAgeHours } from "./validate";

/** How long `up` waits for the backup it runs to repair drift (a large CDR database dumps for a while). */
export const BACKUP_RUN_TIMEOUT_MS = 4 * 3_600_000;

/** The desired value of `health`. */
export const HEALTHY = "ok";

/** The state of one installed file: as rendered, edited by hand, absent, or with a wrong mode. */
export type { InstalledFileState };

/** What the provider receives (and stores). `backup` holds the normalized inputs after `check`. */
export interface BackupScheduleInputs {
  readonly target: NodeTarget;
  /** The stack's `backup` settings; after `check`, parsed with every default filled in. */
  readonly backup: BackupInputs;
  /**
   * Left by an earlier version, which logged the dump in as MariaDB root with root's password; its presence
   * makes the next `up` move the node to the least-privilege backup user. Never written now.
   * @deprecated
   */
  readonly mysqlPasswordSecret?: string;
  /** Every file this resource owns on the node → `installed` (desired); `read` puts the live state here. */
  readonly files?: Readonly<Record<string, InstalledFileState>>;
  /** `ok` (desired): recent successful backups; `read` puts the drift reasons here. */
  readonly health?: string;
}

export interface BackupScheduleOutputs extends BackupScheduleInputs {
  readonly files: Readonly<Record<string, InstalledFileState>>;
  readonly health: string;
  /** When this schedule was installed (ISO 8601); "no backup yet" is not drift for `maxAgeHours` after. */
  readonly installedAt: string;
  /** The drift age in effect (input or the schedule's default). */
  readonly maxAgeHours: number;
  /** End time (ISO 8601) of the last successful backup; `null` when none has succeeded yet. */
  readonly lastSuccess: string | null;
  /** Id (`YYYYMMDDTHHMMSSZ`) of the last successful backup; `null` when none. */
  readonly lastSuccessId: string | null;
  /** The last run's result; `none` before the first run. */
  readonly lastResult: RunResult | "none";
  /** The last run's error (the failing step and its stderr); `null` unless it failed. */
  readonly lastError: string | null;
  /** `ok`, or why the option file's login failed. */
  readonly mysqlLogin: string;
  /** The backups are not what the schedule promises (see `driftReasons`). */
  readonly drifted: boolean;
  readonly driftReasons: readonly string[];
}

/**
 * The files the resource writes with their content. The MySQL option file is not among them: the node writes
 * it (see renderBackupLoginScript), and its password is known only there.
 */
function desiredFiles(inputs: BackupScheduleInputs): {
  files: readonly NodeFile[];
  remove: readonly string[];
  commands: readonly (readonly string[])[];
} {
  const plan = planBackupInstall(inputs.backup);
  return { files: plan.files, remove: plan.remove, commands: plan.commands };
}

/**
 * The option file: present, 0600, and for the least-privilege account (a file an earlier version wrote for
 * MariaDB root counts as changed, so the next `up` moves it). A login that fails is `mysqlLogin`'s to report.
 */
function optionFileState(snapshot: NodeSnapshot, path: string): InstalledFileState {
  const live = snapshot.file(path);
  if (live === null || live === undefined) {
    return "missing";
  }
  const login = snapshot.section(backupLoginSection(path).name);
  if (login.exitCode === 0 && login.stdout.trim() !== `${BACKUP_MYSQL_USER}@localhost`) {
    return "changed";
  }
  return live.mode === 0o600 ? "installed" : "wrong mode";
}

function desiredStates(backup: BackupInputs): Record<string, InstalledFileState> {
  const paths = [...planBackupInstall(backup).files.map((f) => f.path), backup.mysqlOptionsFile];
  return Object.fromEntries(paths.map((path) => [path, "installed" as const]));
}

/** The parts of the node's batched read this schedule needs. */
function readRequest(inputs: BackupScheduleInputs) {
  return backupReadRequest(
    [...desiredFiles(inputs).files.map((f) => f.path), inputs.backup.mysqlOptionsFile],
    inputs.backup.paths.statusFile,
    inputs.backup.mysqlOptionsFile,
    inputs.backup.paths.lockFile,
  );
}

/** `ok`, or the client's complaint about the option file's login. */
function loginResult(snapshot: NodeSnapshot, optionsFile: string): string {
  const login = snapshot.section(backupLoginSection(optionsFile).name);
  return login.exitCode === 0 ? "ok" : `failed: ${login.stdout.trim().split("\n").pop() || "unknown error"}`;
}

/** The status file, parsed; `undefined` when there is none, an error sentence when it is unreadable. */
function statusOf(snapshot: NodeSnapshot, statusFile: string): BackupStatus | undefined | string {
  const file = snapshot.file(statusFile);
  if (file === null || file === undefined) {
    return undefined;
  }
  const parsed = parseStatus(file.content.toString("utf8"));
  return parsed.ok ? parsed.status : `${statusFile}: ${parsed.error}`;
}

/**
 * Everything `read` reports: file states, the last run, the login, and the drift verdict. `fresh` reads the
 * node now (after an install); otherwise the node's shared batched read serves.
 */
async function observe(
  inputs: BackupScheduleInputs,
  installedAt: string,
  fresh: boolean,
): Promise<
  Omit<BackupScheduleOutputs, keyof BackupScheduleInputs | "installedAt"> & {
    files: Record<string, InstalledFileState>;
    health: string;
  }
> {
  const request = readRequest(inputs);
  const snapshot = fresh ? await readNow(inputs.target, request) : await nodeSnapshot(inputs.target, request);
  const files = {
    ...Object.fromEntries(
      desiredFiles(inputs).files.map((f) => [f.path, fileState(snapshot.file(f.path), f)]),
    ),
    [inputs.backup.mysqlOptionsFile]: optionFileState(snapshot, inputs.backup.mysqlOptionsFile),
  };
  const status = statusOf(snapshot, inputs.backup.paths.statusFile);
  const mysqlLogin = loginResult(snapshot, inputs.backup.mysqlOptionsFile);
  const maxAgeHours = effectiveMaxAgeHours(inputs.backup);
  const lock = snapshot.section(backupLockSection(inputs.backup.paths.lockFile).name);
  const drift = backupDrift(typeof status === "string" ? undefined : status, new Date(), maxAgeHours, {
    installedAt: new Date(installedAt),
    ...(lock.exitCode === 0 ? { runAlive: lock.stdout.trim() === "held" } : {}),
  });
  const reasons = [...drift.reasons];
  if (typeof status === "string") {
    reasons.push(`the status file is unreadable: ${status}`);
  }
  if (mysqlLogin !== "ok") {
    reasons.push(`the backup's MySQL login (${inputs.backup.mysqlOptionsFile}) ${mysqlLogin}`);
  }
  const fileReasons = Object.entries(files)
    .filter(([, state]) => state !== "installed")
    .map(([path, state]) => `${path} is ${state === "changed" ? "changed by hand" : state}`);
  const run = typeof status === "string" ? undefined : status;
  return {
    files,
    maxAgeHours,
    lastSuccess: drift.lastSuccess?.finishedAt ?? null,
    lastSuccessId: drift.lastSuccess?.id ?? null,
    lastResult: drift.lastResult,
    lastError: run?.result === "failed" ? run.error : null,
    mysqlLogin,
    health: reasons.length > 0 ? reasons.join("; ") : HEALTHY,
    drifted: reasons.length + fileReasons.length > 0,
    driftReasons: [...reasons, ...fileReasons],
  };
}

/**
 * Writes the script, the schedule, the known_hosts and the option file (each atomically, with its final
 * mode), removes the other scheduler's files, then proves the option file's login. A login that fails
 * fails the resource: a schedule that cannot dump would only fail every night.
 */
async function install(inputs: BackupScheduleInputs, previous?: BackupInputs): Promise<void> {
  const session = await sessionFor(inputs.target);
  const plan = desiredFiles(inputs);
  if (previous?.scheduler === "systemd" && inputs.backup.scheduler !== "systemd") {
    await session.exec(["systemctl", "disable", "--now", `${BACKUP_UNIT}.timer`], { okExitCodes: [0, 1, 5] });
  }
  const dirs = [
    ...new Set([
      ...plan.files.map((f) => posix.dirname(f.path)),
      posix.dirname(inputs.backup.paths.statusFile),
      inputs.backup.destination,
    ]),
  ];
  await session.exec(["mkdir", "-p", "--", ...dirs]);
  await session.exec(["chmod", "0700", "--", inputs.backup.destination]);
  // Only the files that differ: an update for the MySQL login alone leaves the script and the schedule as they are.
  const live = await readNow(inputs.target, { files: plan.files.map((f) => f.path) });
  for (const file of plan.files) {
    if (fileState(live.file(file.path), file) !== "installed") {
      await session.writeFileAtomic(file.path, file.content, { mode: file.mode });
    }
  }
  if (plan.remove.length > 0) {
    await session.exec(["rm", "-f", "--", ...plan.remove]);
  }
  for (const command of plan.commands) {
    await session.exec(command);
  }
  // The dump's own least-privilege login, made on the node (its password never leaves it).
  try {
    await session.script(renderBackupLoginScript(inputs.backup));
  } catch (err) {
    const detail = err instanceof RemoteCommandError ? err.stderr.trim() || err.message : String(err);
    throw new Error(
      `node ${inputs.target.name}: could not give the backup its MariaDB login ${BACKUP_MYSQL_USER}@localhost ` +
        `(${BACKUP_MYSQL_GRANTS}): ${detail}`,
    );
  }
  const login = loginResult(
    await readNow(inputs.target, { sections: [backupLoginSection(inputs.backup.mysqlOptionsFile)] }),
    inputs.backup.mysqlOptionsFile,
  );
  if (login !== "ok") {
    throw new Error(
      `node ${inputs.target.name}: the backup's MySQL login as ${BACKUP_MYSQL_USER} (${inputs.backup.mysqlOptionsFile}) ${login}`,
    );
  }
}

/** Deep equality of plain JSON-like values, independent of key order. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]))
    );
  }
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    const defined = (o: object) =>
      Object.entries(o)
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k)
        .sort();
    const ka = defined(a);
    const kb = defined(b);
    return (
      sameValue(ka, kb) &&
      ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

/** The same machine: its name and address. The SSH port and login are only the way in (an update). */
function sameNode(a: NodeTarget | undefined, b: NodeTarget | undefined): boolean {
  return a?.host === b?.host && a?.name === b?.name;
}

/** Runs the installed script now (the way `up` repairs backup drift); the error carries the run's stderr. */
async function runBackupNow(inputs: BackupScheduleInputs): Promise<void> {
  const session = await sessionFor(inputs.target);
  try {
    await session.exec([inputs.backup.paths.script], { timeoutMs: BACKUP_RUN_TIMEOUT_MS });
  } catch (err) {
    const detail = err instanceof RemoteCommandError ? err.stderr.trim() || err.message : String(err);
    throw new Error(
      `node ${inputs.target.name}: the backups had drifted and the backup run to repair them failed ` +
        `(status in ${inputs.backup.paths.statusFile}):\n${detail}`,
    );
  }
}

async function converge(
  inputs: BackupScheduleInputs,
  installedAt: string,
  previous?: BackupScheduleOutputs,
): Promise<BackupScheduleOutputs> {
  await install(inputs, previous?.backup);
  if (previous?.health !== undefined && previous.health !== HEALTHY) {
    await runBackupNow(inputs);
  }
  const observed = await observe(inputs, installedAt, true);
  return { ...inputs, ...observed, installedAt };
}

export const backupScheduleProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: BackupScheduleInputs, news: BackupScheduleInputs) {
    const checked = checkBackup(news.backup);
    const failures = [
      ...checkTarget(news.target, "target"),
      ...checked.failures.map((f) => ({ property: `backup.${f.property}`, reason: f.reason })),
    ];
    if (!checked.inputs || failures.length > 0) {
      return { inputs: news, failures };
    }
    return {
      inputs: { ...news, backup: checked.inputs, files: desiredStates(checked.inputs), health: HEALTHY },
      failures: [],
    };
  },

  async diff(_id: string, olds: BackupScheduleOutputs, news: BackupScheduleInputs) {
    const replaces = sameNode(olds.target, news.target) ? [] : ["target"];
    const changed =
      !sameValue(olds.backup, news.backup) ||
      (olds.mysqlPasswordSecret ?? "") !== (news.mysqlPasswordSecret ?? "") ||
      !sameValue(olds.files, news.files) ||
      (olds.health ?? HEALTHY) !== (news.health ?? HEALTHY) ||
      targetMoved(olds.target, news.target);
    return { changes: changed, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: BackupScheduleInputs) {
    const outs = await converge(inputs, new Date().toISOString());
    return { id: `${inputs.target.name}:backup`, outs };
  },

  async update(_id: string, olds: BackupScheduleOutputs, news: BackupScheduleInputs) {
    // A new schedule gets a new grace period; anything else keeps the original install time.
    const installedAt =
      olds.installedAt && olds.backup?.schedule === news.backup.schedule
        ? olds.installedAt
        : new Date().toISOString();
    return { outs: await converge(news, installedAt, olds) };
  },

  async read(id: string, props: BackupScheduleOutputs) {
    const observed = await observe(props, props.installedAt ?? new Date().toISOString(), false);
    // The live file states and backup health go into the inputs too: refresh shows them, and the next
    // preview shows `"missing" => "installed"`, `health: "<why>" => "ok"`.
    const inputs: BackupScheduleInputs = {
      target: props.target,
      backup: props.backup,
      ...(props.mysqlPasswordSecret !== undefined ? { mysqlPasswordSecret: props.mysqlPasswordSecret } : {}),
      files: observed.files,
      health: observed.health,
    };
    return { id, props: { ...props, ...observed }, inputs };
  },

  async delete(_id: string, props: BackupScheduleOutputs) {
    // The backups (the destination) and the status file stay: deleting a schedule never deletes data.
    const session = await sessionFor(props.target);
    const backup = props.backup;
    if (backup.scheduler === "systemd") {
      await session.exec(["systemctl", "disable", "--now", `${BACKUP_UNIT}.timer`], {
        okExitCodes: [0, 1, 5],
      });
    }
    const owned = [
      ...planBackupInstall(backup).files.map((f) => f.path),
      backup.paths.cronFile,
      posix.join(backup.paths.systemdDir, `${BACKUP_UNIT}.service`),
      posix.join(backup.paths.systemdDir, `${BACKUP_UNIT}.timer`),
      backup.paths.knownHostsFile,
      backup.mysqlOptionsFile,
    ];
    // The account goes with its option file; a node whose service login changed under us keeps it (the
    // script says so and succeeds: a destroy must not hang on a reinstalled node).
    await session.script(renderBackupLoginRemovalScript(backup));
    // rm -f: a file already gone is success.
    await session.exec(["rm", "-f", "--", ...new Set(owned)]);
    if (backup.scheduler === "systemd") {
      await session.exec(["systemctl", "daemon-reload"], { okExitCodes: [0, 1] });
    }
  },
};
