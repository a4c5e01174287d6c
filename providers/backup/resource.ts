import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";
import type { NodeTarget } from "../transport/target";
import type { BackupNodePaths, OffNodeCopyInputs, RetentionInputs } from "./inputs";
import { HEALTHY, type InstalledFileState } from "./provider";
import type { RunResult } from "./status";

/**
 * The stack's `backup` settings (`ngcp-fleet:backup`, per node `nodes[].backup`), as the user writes them.
 * Every key is optional; `check` fills in the defaults and refuses bad values naming `backup.<key>`.
 * See {@link BackupInputs} (providers/backup/inputs.ts) for each key's full documentation.
 */
export interface BackupSettings {
  /** 5-field cron expression or `@daily` etc., the node's local time (15.5.1). @default "30 3 * * *" */
  readonly schedule?: string;
  /** `cron` (a file in /etc/cron.d) or `systemd` (service + timer). @default "cron" */
  readonly scheduler?: "cron" | "systemd";
  /** Handbook edition: `older` also saves /etc/mysql/debian.cnf. @default "current" */
  readonly edition?: "current" | "older";
  /** Absolute directory on the node for the backups; not a system path. @default "/var/backups/ngcp-fleet" */
  readonly destination?: string;
  /** Save /etc/mysql/debian.cnf (15.5.1, older edition). @default true for edition "older" */
  readonly includeDebianCnf?: boolean;
  /** Save the exported CDRs in /home/jail/home/cdrexport (15.5.1, optional). @default false */
  readonly includeCdrExport?: boolean;
  /** More absolute paths to save (15.5.1, "Optional: Custom files"). @default [] */
  readonly customPaths?: readonly string[];
  /** `gzip` or `none`. @default "gzip" */
  readonly compression?: "gzip" | "none";
  /** Which finished backups the node keeps (count and/or days, each ≥ 1). @default { count: 7 } */
  readonly retention?: RetentionInputs;
  /** A verified copy of every backup on another host over SSH, host key pinned. @default none */
  readonly offNode?: Partial<OffNodeCopyInputs> & Pick<OffNodeCopyInputs, "host" | "path" | "hostKey">;
  /** A last success older than this is drift. @default the schedule's longest gap + 2 h */
  readonly maxAgeHours?: number;
  /** The 0600 MySQL option file of the dump. @default "/etc/mysql/ngcp-fleet-backup.cnf" */
  readonly mysqlOptionsFile?: string;
  /** Where things live on the node. @default the handbook's paths */
  readonly paths?: Partial<BackupNodePaths>;
}

export interface BackupScheduleArgs {
  /** How to reach the node. */
  readonly target: pulumi.Input<NodeTarget>;
  /** What, when and where to back up (handbook 15.5.1). @default every default of {@link BackupSettings} */
  readonly backup: pulumi.Input<BackupSettings>;
}

/**
 * One node's backup schedule (handbook 15.5.1): the backup script, its cron file (or systemd timer) and
 * its MySQL option file, installed; the last run's time and result read back on every refresh.
 */
export class BackupSchedule extends pulumi.dynamic.Resource {
  /** End time (ISO 8601) of the last successful backup; `null` when none yet. */
  declare readonly lastSuccess: pulumi.Output<string | null>;
  /** Id of the last successful backup (`YYYYMMDDTHHMMSSZ`, the directory name); `null` when none yet. */
  declare readonly lastSuccessId: pulumi.Output<string | null>;
  /** The last run's result: `ok`, `failed`, `running`, or `none` before the first run. */
  declare readonly lastResult: pulumi.Output<RunResult | "none">;
  /** The failing step and its stderr, when the last run failed. */
  declare readonly lastError: pulumi.Output<string | null>;
  /** `ok`, or why the node's backups are not what the schedule promises (too old, failed, login broken). */
  declare readonly health: pulumi.Output<string>;
  /** The backups are not what the schedule promises (too old, failed, login broken, files edited). */
  declare readonly drifted: pulumi.Output<boolean>;
  declare readonly driftReasons: pulumi.Output<string[]>;
  /** Each file this resource owns on the node and its state at the last read. */
  declare readonly files: pulumi.Output<Record<string, InstalledFileState>>;
  /** The drift age in effect, in hours. */
  declare readonly maxAgeHours: pulumi.Output<number>;
  declare readonly installedAt: pulumi.Output<string>;
  /** `ok`, or why the option file's MySQL login failed. */
  declare readonly mysqlLogin: pulumi.Output<string>;

  constructor(name: string, args: BackupScheduleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("backupSchedule"),
      name,
      {
        ...args,
        files: undefined,
        // The desired health; `read` reports the live one, so refresh and preview show the difference.
        health: HEALTHY,
        lastSuccess: undefined,
        lastSuccessId: undefined,
        lastResult: undefined,
        lastError: undefined,
        drifted: undefined,
        driftReasons: undefined,
        maxAgeHours: undefined,
        installedAt: undefined,
        mysqlLogin: undefined,
      },
      // A state written by an earlier version holds root's password here until the next `up` moves the node
      // to the backup account: it stays secret meanwhile.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["mysqlPasswordSecret"] }),
      "ngcp-fleet",
      "BackupSchedule",
    );
  }
}
