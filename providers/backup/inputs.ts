/**
 * The plain inputs of the BackupSchedule resource (handbook 15.5.1, issue 7): what the provider receives,
 * validates (`validate.ts`), renders onto the node (`script.ts`) and stores in the state. The user-facing
 * `BackupScheduleArgs` (`pulumi.Input<>`) map onto these.
 *
 * Handbook references: "15.5.1" is "Backup" of the current edition (seed 001): all databases,
 * `/etc/ngcp-config` (config.yml, constants.yml, network.yml; "the entire folder is a good idea"),
 * `/etc/mysql/sipwise.cnf`, optionally the exported CDRs and custom files. The older edition (seed 000)
 * lists config.yml, constants.yml, `/etc/mysql/debian.cnf` and sipwise.cnf.
 *
 * Everything here is plain data (no Map, Set or class instance): dynamic providers serialize local modules
 * by value, and such objects do not survive that (DESIGN.md, "Facts found so far").
 */
import { z } from "zod";

/** Which handbook edition the node follows (same names as `providers/firewall` and `providers/tls`). */
export type HandbookEdition = "current" | "older";

/** What runs the backup: a file in `/etc/cron.d`, or a systemd service + timer. */
export type Scheduler = "cron" | "systemd";

/** How artifacts are compressed on the node. */
export type Compression = "gzip" | "none";

/**
 * How many finished backups the node keeps. A backup is kept when ANY given rule keeps it (the semantics
 * of restic's `--keep-last` / `--keep-within`), so adding a rule never deletes more; the backup just made
 * is never deleted. Pruning runs only after a successful backup.
 */
export interface RetentionInputs {
  /** Keep the newest `count` backups (≥ 1). @default 7 when neither `count` nor `days` is given */
  readonly count?: number;
  /** Keep every backup younger than `days` days (≥ 1), by the UTC time in its id. @default none */
  readonly days?: number;
}

/**
 * A copy of every finished backup to another host over SSH, verified there with `sha256sum -c`. The
 * node's `ssh` runs with `StrictHostKeyChecking yes` against a known_hosts file holding only `hostKey`:
 * there is no trust on first use.
 */
export interface OffNodeCopyInputs {
  /** The backup host, as the node reaches it (DNS name or address). Required. */
  readonly host: string;
  /** SSH port of the backup host. @default 22 */
  readonly port: number;
  /** Login on the backup host. @default "root" */
  readonly user: string;
  /** Absolute directory on the backup host; each backup lands in `<path>/<id>/`. Required. */
  readonly path: string;
  /** The backup host's OpenSSH public host key (`ssh-keyscan -t ed25519 HOST`). Required: no TOFU. */
  readonly hostKey: string;
  /** The private key ON THE NODE that logs in to the backup host. @default "/root/.ssh/id_ed25519" */
  readonly privateKeyPath: string;
}

/**
 * Where things live on the node. The defaults are the handbook's paths and Debian's conventions; tests
 * point them at temporary directories. Every path is absolute.
 */
export interface BackupNodePaths {
  /** The NGCP configuration, kept whole (handbook 15.5.1). @default "/etc/ngcp-config" */
  readonly ngcpConfigDir: string;
  /** The NGCP database credentials file (handbook 15.5.1, both editions). @default "/etc/mysql/sipwise.cnf" */
  readonly sipwiseCnf: string;
  /** Debian's MySQL maintenance credentials (handbook 15.5.1, older edition only). @default "/etc/mysql/debian.cnf" */
  readonly debianCnf: string;
  /** The exported CDRs (handbook 15.5.1, optional). @default "/home/jail/home/cdrexport" */
  readonly cdrExportDir: string;
  /** The NGCP version recorded in each manifest. @default "/etc/ngcp_version" */
  readonly ngcpVersionFile: string;
  /** The installed backup script (mode 0755). @default "/usr/local/sbin/ngcp-fleet-backup" */
  readonly script: string;
  /** The schedule for `scheduler: "cron"`. @default "/etc/cron.d/ngcp-fleet-backup" */
  readonly cronFile: string;
  /** Where the units for `scheduler: "systemd"` go. @default "/etc/systemd/system" */
  readonly systemdDir: string;
  /**
   * The last run's status (JSON, written atomically at start, on success and on failure). Kept outside the
   * destination on purpose: a full backup disk must still be able to record its failure.
   * @default "/var/lib/ngcp-fleet/backup-status.json"
   */
  readonly statusFile: string;
  /** The lock (`flock`) that keeps runs from overlapping. @default "/run/lock/ngcp-fleet-backup.lock" */
  readonly lockFile: string;
  /** The pinned known_hosts file of the off-node copy. @default "/etc/ngcp-fleet/backup_known_hosts" */
  readonly knownHostsFile: string;
}

/** The plain inputs of one node's backup schedule. */
export interface BackupInputs {
  /**
   * When backups run: a 5-field cron expression in the node's local time (`minute hour day-of-month month
   * day-of-week`), or one of `@hourly @daily @midnight @weekly @monthly @yearly @annually`. Only what
   * Debian's cron understands: no seconds field and none of croner's `L`, `W`, `#`, `?` extensions.
   * @default "30 3 * * *" (daily at 03:30)
   */
  readonly schedule: string;
  /**
   * `cron`: a file in /etc/cron.d with the marker `# managed by ngcp-fleet` (every NGCP node runs cron).
   * `systemd`: `ngcp-fleet-backup.service` + `.timer` with an `OnCalendar=` translated from `schedule`
   * (`Persistent=true`: a run missed while the node was down happens at boot).
   * @default "cron"
   */
  readonly scheduler: Scheduler;
  /** The node's handbook edition: `older` adds /etc/mysql/debian.cnf to the backup. @default "current" */
  readonly edition: HandbookEdition;
  /**
   * Absolute directory on the node for the backups (`<destination>/<UTC id>/`). Not a system path, not
   * under /tmp, not inside anything the backup saves. A dedicated filesystem is best: a full disk fails the
   * run and keeps the older backups. @default "/var/backups/ngcp-fleet"
   */
  readonly destination: string;
  /** Save /etc/mysql/debian.cnf (handbook 15.5.1, older edition). @default true for edition "older", else false */
  readonly includeDebianCnf?: boolean;
  /** Save the exported CDRs in `paths.cdrExportDir` (handbook 15.5.1, "Optional"). @default false */
  readonly includeCdrExport: boolean;
  /**
   * More absolute files or directories to save (handbook 15.5.1, "Optional: Custom files": modified
   * templates, additional services). @default []
   */
  readonly customPaths: readonly string[];
  /** `gzip` or `none`. @default "gzip" */
  readonly compression: Compression;
  /** Which finished backups the node keeps. @default { count: 7 } */
  readonly retention: RetentionInputs;
  /** A verified copy of every backup on another host. @default none: backups stay on the node */
  readonly offNode?: OffNodeCopyInputs;
  /**
   * A last successful backup older than this many hours is drift in `pulumi refresh`.
   * @default the schedule's longest gap between two runs, rounded up, plus 2 hours (see `defaultMaxAgeHours`)
   */
  readonly maxAgeHours?: number;
  /**
   * The 0600 MySQL option file (`[client]` user and password) the dump and the table statistics log in
   * with; the password never appears on a command line. The script refuses a file readable by others.
   * @default "/etc/mysql/ngcp-fleet-backup.cnf"
   */
  readonly mysqlOptionsFile: string;
  /** Where things live on the node. @default the handbook's paths, see {@link BackupNodePaths} */
  readonly paths: BackupNodePaths;
}

/** A problem with the inputs, naming the input property (dotted path). */
export interface BackupFailure {
  readonly property: string;
  readonly reason: string;
}

export const DEFAULT_BACKUP_PATHS: BackupNodePaths = {
  ngcpConfigDir: "/etc/ngcp-config",
  sipwiseCnf: "/etc/mysql/sipwise.cnf",
  debianCnf: "/etc/mysql/debian.cnf",
  cdrExportDir: "/home/jail/home/cdrexport",
  ngcpVersionFile: "/etc/ngcp_version",
  script: "/usr/local/sbin/ngcp-fleet-backup",
  cronFile: "/etc/cron.d/ngcp-fleet-backup",
  systemdDir: "/etc/systemd/system",
  statusFile: "/var/lib/ngcp-fleet/backup-status.json",
  lockFile: "/run/lock/ngcp-fleet-backup.lock",
  knownHostsFile: "/etc/ngcp-fleet/backup_known_hosts",
};

export const BACKUP_INPUT_DEFAULTS = {
  schedule: "30 3 * * *",
  scheduler: "cron",
  edition: "current",
  destination: "/var/backups/ngcp-fleet",
  includeCdrExport: false,
  customPaths: [] as readonly string[],
  compression: "gzip",
  retentionCount: 7,
  mysqlOptionsFile: "/etc/mysql/ngcp-fleet-backup.cnf",
  offNodePort: 22,
  offNodeUser: "root",
  offNodePrivateKeyPath: "/root/.ssh/id_ed25519",
} as const;

/** Whether /etc/mysql/debian.cnf is saved: explicitly, or because the node follows the older edition. */
export function includesDebianCnf(inputs: Pick<BackupInputs, "edition" | "includeDebianCnf">): boolean {
  return inputs.includeDebianCnf ?? inputs.edition === "older";
}

/**
 * The zod schema of {@link BackupInputs}: types and defaults only; the rules of the domain (schedule,
 * paths, retention, host key) live in `validate.ts` so that every message names the key the same way.
 * Built per call, not held at module level: a schema is a class instance, and a dynamic provider's local
 * modules are serialized by value.
 */
export function backupInputsSchema() {
  const paths = z.strictObject({
    ngcpConfigDir: z.string().default(DEFAULT_BACKUP_PATHS.ngcpConfigDir),
    sipwiseCnf: z.string().default(DEFAULT_BACKUP_PATHS.sipwiseCnf),
    debianCnf: z.string().default(DEFAULT_BACKUP_PATHS.debianCnf),
    cdrExportDir: z.string().default(DEFAULT_BACKUP_PATHS.cdrExportDir),
    ngcpVersionFile: z.string().default(DEFAULT_BACKUP_PATHS.ngcpVersionFile),
    script: z.string().default(DEFAULT_BACKUP_PATHS.script),
    cronFile: z.string().default(DEFAULT_BACKUP_PATHS.cronFile),
    systemdDir: z.string().default(DEFAULT_BACKUP_PATHS.systemdDir),
    statusFile: z.string().default(DEFAULT_BACKUP_PATHS.statusFile),
    lockFile: z.string().default(DEFAULT_BACKUP_PATHS.lockFile),
    knownHostsFile: z.string().default(DEFAULT_BACKUP_PATHS.knownHostsFile),
  });
  const offNode = z.strictObject({
    host: z.string({ error: "is required: the backup host the node copies to" }),
    port: z.number().default(BACKUP_INPUT_DEFAULTS.offNodePort),
    user: z.string().default(BACKUP_INPUT_DEFAULTS.offNodeUser),
    path: z.string({ error: "is required: the directory on the backup host" }),
    hostKey: z.string({
      error:
        "is required: pin the backup host's key (`ssh-keyscan -t ed25519 HOST`); the node never trusts an unknown host",
    }),
    privateKeyPath: z.string().default(BACKUP_INPUT_DEFAULTS.offNodePrivateKeyPath),
  });
  return z.strictObject({
    schedule: z.string().default(BACKUP_INPUT_DEFAULTS.schedule),
    scheduler: z
      .enum(["cron", "systemd"], { error: `must be one of "cron", "systemd"` })
      .default(BACKUP_INPUT_DEFAULTS.scheduler),
    edition: z
      .enum(["current", "older"], { error: `must be one of "current", "older"` })
      .default(BACKUP_INPUT_DEFAULTS.edition),
    destination: z.string().default(BACKUP_INPUT_DEFAULTS.destination),
    includeDebianCnf: z.boolean().optional(),
    includeCdrExport: z.boolean().default(BACKUP_INPUT_DEFAULTS.includeCdrExport),
    customPaths: z.array(z.string()).default([]),
    compression: z
      .enum(["gzip", "none"], { error: `must be one of "gzip", "none"` })
      .default(BACKUP_INPUT_DEFAULTS.compression),
    retention: z
      .strictObject({ count: z.number().optional(), days: z.number().optional() })
      .default({ count: BACKUP_INPUT_DEFAULTS.retentionCount }),
    offNode: offNode.optional(),
    maxAgeHours: z.number().optional(),
    mysqlOptionsFile: z.string().default(BACKUP_INPUT_DEFAULTS.mysqlOptionsFile),
    // prefault, not default: zod 4's default() returns the value as is; prefault parses it (fills paths).
    paths: paths.prefault({}),
  });
}

// Compile-time proof that the schema's output is a BackupInputs.
type _SchemaOutputIsBackupInputs =
  z.output<ReturnType<typeof backupInputsSchema>> extends BackupInputs ? true : never;
const _schemaOutputIsBackupInputs: _SchemaOutputIsBackupInputs = true;
void _schemaOutputIsBackupInputs;

/**
 * Parses untrusted inputs (stack config, stored state) into {@link BackupInputs} with defaults applied.
 * Only types and shapes are checked here; call `validateBackup` (or `checkBackup`) for the domain rules.
 */
export function parseBackupInputs(
  raw: unknown,
):
  | { readonly ok: true; readonly inputs: BackupInputs }
  | { readonly ok: false; readonly failures: BackupFailure[] } {
  const result = backupInputsSchema().safeParse(raw ?? {});
  if (result.success) {
    return { ok: true, inputs: result.data };
  }
  return {
    ok: false,
    failures: result.error.issues.map((issue) => ({
      property: issue.path.map(String).join(".") || "(inputs)",
      reason: issue.message,
    })),
  };
}
