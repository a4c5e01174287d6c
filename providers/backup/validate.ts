/**
 * The domain rules of {@link BackupInputs} (issue 7, "Bad input"): the pure part of the provider's `check`.
 * Every failure names the input property and says what is allowed; nothing here touches a node.
 */
import { posix } from "node:path";
import { parsePublicKeyLine } from "../transport/target";
import { type BackupFailure, type BackupInputs, type BackupNodePaths, parseBackupInputs } from "./inputs";
import { defaultMaxAgeHours, longestGapHours, scheduleProblem, toOnCalendar } from "./schedule";

/**
 * Directories that are never a backup destination, whole: the OS trees the installer rewrites, and
 * parents whose other content our pruning must not share a directory with.
 */
export const SYSTEM_DIRECTORIES: readonly string[] = [
  "/",
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/home",
  "/lib",
  "/lib32",
  "/lib64",
  "/media",
  "/mnt",
  "/opt",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/srv",
  "/sys",
  "/tmp",
  "/usr",
  "/var",
  "/var/backups",
  "/var/cache",
  "/var/lib",
  "/var/log",
  "/var/tmp",
];

/**
 * Trees nothing may be written into by a backup (the destination): pseudo-filesystems, OS trees,
 * configuration, the live MariaDB datadir, and temporary directories that do not survive a reboot.
 */
export const DESTINATION_FORBIDDEN_TREES: readonly string[] = [
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/lib",
  "/lib32",
  "/lib64",
  "/proc",
  "/run",
  "/sbin",
  "/sys",
  "/tmp",
  "/usr",
  "/var/lib/mysql",
  "/var/run",
  "/var/tmp",
];

/** Whole OS trees that make no sense as a custom path (the installer puts them back; the backup would be huge). */
export const CUSTOM_PATH_FORBIDDEN: readonly string[] = [
  "/",
  "/bin",
  "/boot",
  "/lib",
  "/lib32",
  "/lib64",
  "/sbin",
  "/usr",
  "/var",
  "/var/lib",
];

/**
 * Trees a custom path may not point into: pseudo-filesystems (no files to save) and the live MariaDB
 * datadir (copying live InnoDB files gives a corrupt copy; the consistent dump already saves it).
 */
export const CUSTOM_PATH_FORBIDDEN_TREES: readonly string[] = [
  "/dev",
  "/proc",
  "/run",
  "/sys",
  "/var/lib/mysql",
];

/** `child` is `parent` or lies below it (both normalized absolute paths). */
export function isWithin(child: string, parent: string): boolean {
  return parent === "/" || child === parent || child.startsWith(`${parent}/`);
}

/**
 * Why `path` is not a usable absolute path, or `undefined`: relative, not normalized (`..`, `//`, a
 * trailing `/`), or holding control characters (they would corrupt the manifest and the scripts).
 */
export function absolutePathProblem(path: string): string | undefined {
  if (typeof path !== "string" || path === "") {
    return "must be an absolute path, got an empty string";
  }
  if (!path.startsWith("/")) {
    return `must be an absolute path (starting with /), got a relative path: ${JSON.stringify(path)}`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) {
    return `must not contain control characters (newline, tab, …), got: ${JSON.stringify(path)}`;
  }
  const normalized = posix.normalize(path);
  const expected = normalized.length > 1 ? normalized.replace(/\/$/, "") : normalized;
  if (path !== expected) {
    return `must be a normalized absolute path, write ${JSON.stringify(expected)}, got: ${JSON.stringify(path)}`;
  }
  return undefined;
}

/** Why `path` cannot be a backup destination on the node (or the backup host), or `undefined`. */
export function destinationProblem(path: string): string | undefined {
  const basic = absolutePathProblem(path);
  if (basic) {
    return basic;
  }
  if (SYSTEM_DIRECTORIES.includes(path)) {
    return (
      `${path} is a system directory; use a directory of its own such as /var/backups/ngcp-fleet ` +
      "(pruning deletes old backups in the destination)"
    );
  }
  const tree = DESTINATION_FORBIDDEN_TREES.find((t) => isWithin(path, t));
  if (tree) {
    const why =
      tree === "/tmp" || tree === "/var/tmp" || tree === "/run" || tree === "/var/run"
        ? "does not survive a reboot"
        : tree === "/var/lib/mysql"
          ? "is the live MariaDB datadir"
          : "is a system path";
    return `${path} is inside ${tree}, which ${why}; use e.g. /var/backups/ngcp-fleet or a dedicated mount`;
  }
  return undefined;
}

/** Why `path` cannot be a custom backup path, or `undefined`. */
export function customPathProblem(path: string): string | undefined {
  const basic = absolutePathProblem(path);
  if (basic) {
    return basic;
  }
  if (CUSTOM_PATH_FORBIDDEN.includes(path)) {
    return `${path} is a whole system tree (reinstalled by the installer); list the files or directories you changed`;
  }
  const tree = CUSTOM_PATH_FORBIDDEN_TREES.find((t) => isWithin(path, t));
  if (tree === "/var/lib/mysql") {
    return `${path} is inside the live MariaDB datadir: copied files would be inconsistent; the databases are already saved by the consistent dump`;
  }
  if (tree) {
    return `${path} is inside ${tree}, a pseudo-filesystem with nothing to save`;
  }
  return undefined;
}

/** A user name on the backup host: what Debian's adduser accepts, and never an ssh option. */
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}$/i;
/** A host name or address: letters, digits, dots, colons (IPv6), hyphens; never starting with "-". */
const HOST_NAME = /^[A-Za-z0-9_.:[\]][A-Za-z0-9_.:[\]-]*$/;

/**
 * Every problem of `inputs` (already parsed, defaults applied): invalid schedule, retention below 1,
 * relative or system paths, an off-node target without a host key, and the rest. Empty when valid.
 */
export function validateBackup(inputs: BackupInputs): BackupFailure[] {
  const failures: BackupFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });

  // Schedule.
  const scheduleIssue = scheduleProblem(inputs.schedule);
  if (scheduleIssue) {
    fail("schedule", scheduleIssue);
  } else if (inputs.scheduler === "systemd") {
    const calendar = toOnCalendar(inputs.schedule);
    if (!calendar.ok) {
      fail("schedule", `cannot be a systemd timer: ${calendar.reason}`);
    }
  }

  // Retention.
  const { count, days } = inputs.retention;
  if (count === undefined && days === undefined) {
    fail(
      "retention",
      "must set count and/or days (e.g. { count: 7 }); without a rule nothing is ever pruned",
    );
  }
  for (const [key, value] of [
    ["count", count],
    ["days", days],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      fail(
        `retention.${key}`,
        `must be a whole number, at least 1 (${key === "count" ? "backups" : "days"}), got: ${String(value)}`,
      );
    }
  }

  // Drift age.
  if (inputs.maxAgeHours !== undefined) {
    if (!Number.isFinite(inputs.maxAgeHours) || inputs.maxAgeHours <= 0) {
      fail("maxAgeHours", `must be a positive number of hours, got: ${String(inputs.maxAgeHours)}`);
    } else if (!scheduleIssue) {
      const gap = longestGapHours(inputs.schedule);
      if (inputs.maxAgeHours < gap) {
        fail(
          "maxAgeHours",
          `${inputs.maxAgeHours} h is shorter than the schedule's longest gap between runs (${round(gap)} h): ` +
            `every refresh would report drift; use at least ${Math.ceil(gap)} (default ${defaultMaxAgeHours(inputs.schedule)})`,
        );
      }
    }
  }

  // Destination and what is saved.
  const destinationIssue = destinationProblem(inputs.destination);
  if (destinationIssue) {
    fail("destination", destinationIssue);
  }
  validatePaths(inputs.paths, fail);
  const sources: [string, string][] = [["paths.ngcpConfigDir", inputs.paths.ngcpConfigDir]];
  if (inputs.includeCdrExport) {
    sources.push(["paths.cdrExportDir", inputs.paths.cdrExportDir]);
  }
  const seen = new Map<string, number>();
  inputs.customPaths.forEach((path, index) => {
    const property = `customPaths[${index}]`;
    const issue = customPathProblem(path);
    if (issue) {
      fail(property, issue);
      return;
    }
    const first = seen.get(path);
    if (first !== undefined) {
      fail(property, `duplicates customPaths[${first}] (${path})`);
    }
    seen.set(path, index);
    sources.push([property, path]);
  });
  if (!destinationIssue) {
    for (const [property, source] of sources) {
      if (isWithin(inputs.destination, source)) {
        fail(
          "destination",
          `${inputs.destination} is inside ${source} (${property}): the backup would save itself`,
        );
      } else if (isWithin(source, inputs.destination)) {
        fail(
          property,
          `${source} is inside the destination ${inputs.destination}: it would save older backups`,
        );
      }
    }
  }

  // MySQL login.
  const optionsIssue = absolutePathProblem(inputs.mysqlOptionsFile);
  if (optionsIssue) {
    fail("mysqlOptionsFile", optionsIssue);
  }

  // Off-node copy.
  if (inputs.offNode) {
    const off = inputs.offNode;
    if (!off.host || !HOST_NAME.test(off.host)) {
      fail(
        "offNode.host",
        `must be a host name or address (letters, digits, ".", ":", "-"), got: ${JSON.stringify(off.host)}`,
      );
    }
    if (!Number.isInteger(off.port) || off.port < 1 || off.port > 65535) {
      fail("offNode.port", `must be a port 1..65535, got: ${String(off.port)}`);
    }
    if (!USER_NAME.test(off.user)) {
      fail(
        "offNode.user",
        `must be a user name (letters, digits, "_", ".", "-"), got: ${JSON.stringify(off.user)}`,
      );
    }
    const remoteIssue = destinationProblem(off.path);
    if (remoteIssue) {
      fail("offNode.path", remoteIssue);
    }
    if (!off.hostKey || off.hostKey.trim() === "") {
      fail(
        "offNode.hostKey",
        "is required: pin the backup host's key (`ssh-keyscan -t ed25519 HOST`); the node never trusts an unknown host",
      );
    } else {
      try {
        parsePublicKeyLine(off.hostKey);
      } catch (err) {
        fail(
          "offNode.hostKey",
          `${(err as Error).message}; use the output of \`ssh-keyscan -t ed25519 HOST\``,
        );
      }
    }
    const keyIssue = absolutePathProblem(off.privateKeyPath);
    if (keyIssue) {
      fail("offNode.privateKeyPath", `${keyIssue} (a path on the node)`);
    }
  }
  return failures;
}

function validatePaths(paths: BackupNodePaths, fail: (property: string, reason: string) => void): void {
  for (const key of Object.keys(paths) as (keyof BackupNodePaths)[]) {
    const issue = absolutePathProblem(paths[key]);
    if (issue) {
      fail(`paths.${key}`, issue);
    }
  }
  if (!absolutePathProblem(paths.script) && !/^\/[A-Za-z0-9._/-]+$/.test(paths.script)) {
    fail(
      "paths.script",
      `must use only letters, digits, ".", "_", "-" and "/" (it is a cron and systemd command), got: ${paths.script}`,
    );
  }
  const cronName = posix.basename(paths.cronFile);
  if (!/^[A-Za-z0-9_-]+$/.test(cronName)) {
    fail(
      "paths.cronFile",
      `file name "${cronName}" would be ignored by Debian's cron (only letters, digits, "_" and "-"; no "."), e.g. /etc/cron.d/ngcp-fleet-backup`,
    );
  }
}

/**
 * What the provider's `check` calls: parse (types, defaults) then validate (domain rules). Returns the
 * parsed inputs only when there is no failure.
 */
export function checkBackup(raw: unknown): { inputs?: BackupInputs; failures: BackupFailure[] } {
  const parsed = parseBackupInputs(raw);
  if (!parsed.ok) {
    return { failures: parsed.failures };
  }
  const failures = validateBackup(parsed.inputs);
  return failures.length === 0 ? { inputs: parsed.inputs, failures } : { failures };
}

/** The drift age in effect: the input, or the schedule's default. */
export function effectiveMaxAgeHours(inputs: Pick<BackupInputs, "maxAgeHours" | "schedule">): number {
  return inputs.maxAgeHours ?? defaultMaxAgeHours(inputs.schedule);
}

function round(hours: number): number {
  return Math.round(hours * 100) / 100;
}
