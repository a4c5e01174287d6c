/**
 * Planning the recovery of a node from one of its backups (handbook 15.5.2, issue 7 item 3): pure
 * functions the `ngcp-fleet restore` command calls between reading the node and running
 * `renderRestoreScript`'s text on it.
 *
 * The handbook's four steps are: install the sip:provider CE (chapter 2; not ours); restore config.yml,
 * constants.yml, network.yml and sipwise.cnf "from the backup, overwriting your local files"; restore the
 * database dump; `ngcpcfg apply`. Around them this plan adds what makes the procedure safe to run:
 * checksums verified before anything is touched, the archives unpacked to a staging directory first, and
 * the node's previous files (and, by default, its previous databases) kept aside in
 * `<destination>/pre-restore-<timestamp>/`.
 *
 * Only the handbook's files are restored from /etc/ngcp-config, not the whole directory: ngcpcfg keeps
 * that directory in git, and overwriting its repository with an old one would lose the node's history.
 */
import { posix } from "node:path";
import {
  artifactOf,
  type BackupManifest,
  type ManifestArtifact,
  memberOf,
} from "../../providers/backup/manifest";

/** The handbook's files of /etc/ngcp-config restored over the node's (15.5.2, both editions where present). */
export const HANDBOOK_CONFIG_FILES: readonly string[] = ["config.yml", "constants.yml", "network.yml"];

/** Where the restored files go on the node. */
export interface RestoreTargets {
  /** @default "/etc/ngcp-config" */
  readonly ngcpConfigDir: string;
  /** @default "/etc/mysql/sipwise.cnf" */
  readonly sipwiseCnf: string;
  /** @default "/etc/mysql/debian.cnf" */
  readonly debianCnf: string;
}

export const DEFAULT_RESTORE_TARGETS: RestoreTargets = {
  ngcpConfigDir: "/etc/ngcp-config",
  sipwiseCnf: "/etc/mysql/sipwise.cnf",
  debianCnf: "/etc/mysql/debian.cnf",
};

export interface RestoreOptions {
  /** The node's name, for messages and the default `ngcpcfg apply` message. */
  readonly node: string;
  /** The backup destination on the node (the parent of `<id>/`). */
  readonly destination: string;
  /** The UTC time of this restore as a backup-style id (`YYYYMMDDTHHMMSSZ`): names the kept-aside directory. */
  readonly timestamp: string;
  /** Where the restored files go. @default {@link DEFAULT_RESTORE_TARGETS} */
  readonly targets?: Partial<RestoreTargets>;
  /** Restore /etc/mysql/debian.cnf (older edition). @default true when the backup holds one */
  readonly restoreDebianCnf?: boolean;
  /** Dump the node's current databases into the kept-aside directory before replacing them. @default true */
  readonly keepPreviousDatabases?: boolean;
  /** The `ngcpcfg apply` message. @default "ngcp-fleet: restore of backup <id> on <node>" */
  readonly applyMessage?: string;
}

/** One file the restore writes over (or creates on) the node. */
export interface RestoreFile {
  /** Absolute path on the node. */
  readonly target: string;
  /** The artifact (archive file name) holding it. */
  readonly artifact: string;
  /** The archive member (the source path without its leading "/"). */
  readonly member: string;
  /** Whether the node has the file now (then it is overwritten, and kept aside first). */
  readonly exists: boolean;
  /** Where the current file is kept, when it exists. */
  readonly keptAs?: string;
}

export type RestoreStepId =
  "verify" | "stage" | "keep-aside" | "restore-files" | "restore-database" | "apply";

export interface RestoreStep {
  readonly id: RestoreStepId;
  readonly title: string;
  /** The handbook step it carries out, when it is one of them. */
  readonly handbook?: string;
  readonly details: readonly string[];
}

export interface RestorePlan {
  readonly node: string;
  readonly backupId: string;
  /** `<destination>/<id>`. */
  readonly backupDir: string;
  /** `<destination>/pre-restore-<timestamp>`: the node's previous files (and databases). */
  readonly preRestoreDir: string;
  /** `<destination>/restore-<timestamp>.staging`: the archives unpacked, removed at the end. */
  readonly stagingDir: string;
  readonly files: readonly RestoreFile[];
  /** The dump artifact (file name) and its compression. */
  readonly database: {
    readonly artifact: string;
    readonly compression: "gzip" | "none";
    readonly tables: number;
  };
  readonly keepPreviousDatabases: boolean;
  readonly applyMessage: string;
  /** The artifacts the verify step checks, with their expected SHA-256. */
  readonly checksums: readonly { readonly name: string; readonly sha256: string }[];
  readonly steps: readonly RestoreStep[];
  /** Reasons the restore cannot run; when not empty, nothing may be executed. */
  readonly problems: readonly string[];
}

function targetsOf(options: Pick<RestoreOptions, "targets">): RestoreTargets {
  return { ...DEFAULT_RESTORE_TARGETS, ...options.targets };
}

/** The node paths a restore of `manifest` would write: stat them on the node, pass those that exist to `planRestore`. */
export function restoreTargetPaths(
  manifest: BackupManifest,
  options: Omit<RestoreOptions, "timestamp">,
): string[] {
  return filesOf(manifest, options, []).files.map((f) => f.target);
}

function filesOf(
  manifest: BackupManifest,
  options: Pick<RestoreOptions, "targets" | "restoreDebianCnf">,
  problems: string[],
): { files: Omit<RestoreFile, "exists" | "keptAs">[] } {
  const targets = targetsOf(options);
  const files: Omit<RestoreFile, "exists" | "keptAs">[] = [];
  const config = artifactOf(manifest, "ngcp-config");
  if (!config || config.paths.length !== 1) {
    problems.push("the backup has no /etc/ngcp-config archive (ngcp-config artifact)");
  } else {
    const present = config.files ?? [];
    if (!present.includes("config.yml")) {
      problems.push(`the backup's ${config.name} holds no config.yml`);
    }
    for (const file of HANDBOOK_CONFIG_FILES.filter((f) => present.includes(f))) {
      files.push({
        target: posix.join(targets.ngcpConfigDir, file),
        artifact: config.name,
        member: `${memberOf(config.paths[0])}/${file}`,
      });
    }
  }
  const mysql = artifactOf(manifest, "mysql-config");
  const inMysql = (base: string): string | undefined => mysql?.paths.find((p) => posix.basename(p) === base);
  const sipwise = inMysql("sipwise.cnf");
  if (!mysql || sipwise === undefined) {
    problems.push("the backup holds no sipwise.cnf (mysql-config artifact)");
  } else {
    files.push({ target: targets.sipwiseCnf, artifact: mysql.name, member: memberOf(sipwise) });
  }
  const debian = inMysql("debian.cnf");
  const wantDebian = options.restoreDebianCnf ?? debian !== undefined;
  if (wantDebian && mysql) {
    if (debian === undefined) {
      problems.push("restoreDebianCnf is set but the backup holds no debian.cnf");
    } else {
      files.push({ target: targets.debianCnf, artifact: mysql.name, member: memberOf(debian) });
    }
  }
  return { files };
}

/**
 * The ordered steps that restore `manifest`'s backup on the node, given the node's files that exist now
 * (`liveFiles`, absolute paths; see `restoreTargetPaths`). Pure: the caller verifies the plan's
 * `problems` is empty, shows `renderDryRun`, asks for the typed confirmation, then runs the script.
 */
export function planRestore(
  manifest: BackupManifest,
  liveFiles: readonly string[],
  options: RestoreOptions,
): RestorePlan {
  const problems: string[] = [];
  const backupDir = posix.join(options.destination, manifest.id);
  const preRestoreDir = posix.join(options.destination, `pre-restore-${options.timestamp}`);
  const stagingDir = posix.join(options.destination, `restore-${options.timestamp}.staging`);
  const live = new Set(liveFiles);
  const files: RestoreFile[] = filesOf(manifest, options, problems).files.map((f) =>
    live.has(f.target)
      ? { ...f, exists: true, keptAs: posix.join(preRestoreDir, f.target) }
      : { ...f, exists: false },
  );
  const dump: ManifestArtifact | undefined = artifactOf(manifest, "databases");
  if (!dump) {
    problems.push("the backup has no database dump (databases artifact)");
  }
  const needed = new Set([...files.map((f) => f.artifact), ...(dump ? [dump.name] : [])]);
  const checksums = manifest.artifacts
    .filter((a) => needed.has(a.name))
    .map((a) => ({ name: a.name, sha256: a.sha256 }));
  const keepPreviousDatabases = options.keepPreviousDatabases ?? true;
  const applyMessage =
    options.applyMessage ?? `ngcp-fleet: restore of backup ${manifest.id} on ${options.node}`;
  const overwritten = files.filter((f) => f.exists);
  const steps: RestoreStep[] = [
    {
      id: "verify",
      title: `verify the SHA-256 of ${checksums.length} artifact(s) against the manifest`,
      details: checksums.map((c) => `${c.name} ${c.sha256}`),
    },
    {
      id: "stage",
      title: `unpack the files to restore into ${stagingDir}`,
      details: files.map((f) => `${f.artifact}: ${f.member}`),
    },
    {
      id: "keep-aside",
      title: `keep the node's current files${keepPreviousDatabases ? " and databases" : ""} in ${preRestoreDir}`,
      details: [
        ...overwritten.map((f) => `${f.target} → ${f.keptAs}`),
        ...(keepPreviousDatabases
          ? [`current databases → ${posix.join(preRestoreDir, "databases.sql.gz")}`]
          : []),
      ],
    },
    {
      id: "restore-files",
      title: "restore config.yml, constants.yml, network.yml and sipwise.cnf over the local files",
      handbook: "15.5.2 step 2",
      details: files.map((f) => `${f.target} ${f.exists ? "(overwritten)" : "(created)"}`),
    },
    {
      id: "restore-database",
      title: `restore the database dump ${dump?.name ?? "(missing)"} (every database, users included)`,
      handbook: "15.5.2 step 3",
      details: [`${manifest.tables.length} table(s) recorded in the manifest`],
    },
    {
      id: "apply",
      title: `ngcpcfg apply "${applyMessage}"`,
      handbook: "15.5.2 step 4",
      details: [],
    },
  ];
  return {
    node: options.node,
    backupId: manifest.id,
    backupDir,
    preRestoreDir,
    stagingDir,
    files,
    database: {
      artifact: dump?.name ?? "",
      compression: manifest.compression,
      tables: manifest.tables.length,
    },
    keepPreviousDatabases,
    applyMessage,
    checksums,
    steps,
    problems,
  };
}

/** What `restore --dry-run` prints: every step, and every file that would be overwritten or created. */
export function renderDryRun(plan: RestorePlan, manifest?: BackupManifest): string {
  const lines: string[] = [];
  const about = manifest
    ? ` (taken ${manifest.startedAt} on ${manifest.hostname}${manifest.ngcpVersion ? `, NGCP ${manifest.ngcpVersion}` : ""})`
    : "";
  lines.push(`Restore of backup ${plan.backupId}${about} onto node ${plan.node} — dry run, nothing changed.`);
  if (plan.problems.length > 0) {
    lines.push("", "Cannot restore:");
    lines.push(...plan.problems.map((p) => `  - ${p}`));
  }
  lines.push("", "Steps:");
  plan.steps.forEach((step, index) => {
    lines.push(`  ${index + 1}. ${step.title}${step.handbook ? `  [handbook ${step.handbook}]` : ""}`);
  });
  const overwritten = plan.files.filter((f) => f.exists);
  const created = plan.files.filter((f) => !f.exists);
  lines.push("", "Would overwrite (the current file is kept aside first):");
  lines.push(
    ...(overwritten.length
      ? overwritten.map((f) => `  ${f.target}  → kept as ${f.keptAs}`)
      : ["  (nothing)"]),
  );
  if (created.length > 0) {
    lines.push("", "Would create (absent on the node now):");
    lines.push(...created.map((f) => `  ${f.target}`));
  }
  lines.push(
    "",
    `Would replace EVERY database of the node's MariaDB with ${plan.database.artifact} ` +
      `(${plan.database.tables} table(s) in the manifest)` +
      (plan.keepPreviousDatabases
        ? `; the current databases are dumped to ${plan.preRestoreDir} first.`
        : "."),
    `Would run: ngcpcfg apply "${plan.applyMessage}"`,
  );
  return `${lines.join("\n")}\n`;
}

/** The warning printed before the typed confirmation of a restore. */
export function restoreWarning(plan: RestorePlan): string {
  return (
    `Restoring backup ${plan.backupId} onto node ${plan.node} overwrites ${plan.files.filter((f) => f.exists).length} ` +
    "configuration file(s) and replaces every database, then runs ngcpcfg apply (services restart).\n" +
    `The current files${plan.keepPreviousDatabases ? " and databases" : ""} are kept in ${plan.preRestoreDir}.\n` +
    `Type the node name (${plan.node}) to continue: `
  );
}

/** The result of checking a backup's artifacts against its manifest. */
export interface ManifestVerification {
  readonly ok: boolean;
  readonly artifacts: readonly {
    readonly name: string;
    readonly expected: string;
    readonly actual?: string;
    readonly result: "ok" | "mismatch" | "missing";
  }[];
}

/**
 * Compares the SHA-256 of every artifact the manifest lists with `sha256s` (file name → hex, as computed
 * on the node, e.g. by `parseSha256sums` of `sha256sum` output). A missing or different artifact fails.
 */
export function verifyManifest(
  manifest: BackupManifest,
  sha256s: Readonly<Record<string, string>>,
): ManifestVerification {
  const artifacts = manifest.artifacts.map((a) => {
    const actual = Object.prototype.hasOwnProperty.call(sha256s, a.name)
      ? sha256s[a.name].toLowerCase()
      : undefined;
    const result: "ok" | "mismatch" | "missing" =
      actual === undefined ? "missing" : actual === a.sha256 ? "ok" : "mismatch";
    return actual === undefined
      ? { name: a.name, expected: a.sha256, result }
      : { name: a.name, expected: a.sha256, actual, result };
  });
  return { ok: artifacts.every((a) => a.result === "ok"), artifacts };
}

/** Parses `sha256sum` output (`<hex>  <name>` or `<hex> *<name>`) into file name → hex. */
export function parseSha256sums(text: string): Record<string, string> {
  const sums: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trimEnd());
    if (m) {
      sums[posix.basename(m[2])] = m[1].toLowerCase();
    }
  }
  return sums;
}
