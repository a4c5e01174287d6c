/**
 * `backup` (handbook 15.5.1): a scheduled, consistent dump of every database, the whole /etc/ngcp-config,
 * /etc/mysql/sipwise.cnf, optionally exported CDRs and custom paths; retention; a verified copy off the node.
 */
import { z } from "zod";

export const backupSchema = z.strictObject({
  /** Cron expression or `@daily` etc., the node's local time. @default "30 3 * * *" */
  schedule: z.string().optional(),
  /** What runs it. @default "cron" */
  scheduler: z.enum(["cron", "systemd"], { error: `must be one of "cron", "systemd"` }).optional(),
  /** Handbook edition: `older` also saves /etc/mysql/debian.cnf. @default "current" */
  edition: z.enum(["current", "older"], { error: `must be one of "current", "older"` }).optional(),
  /** Backups on the node. @default "/var/backups/ngcp-fleet" */
  destination: z.string().optional(),
  /** Save debian.cnf. @default true for edition older */
  includeDebianCnf: z.boolean().optional(),
  /** Save the exported CDRs (/home/jail/home/cdrexport). @default false */
  includeCdrExport: z.boolean().optional(),
  /** More files (custom templates). @default [] */
  customPaths: z.array(z.string()).optional(),
  /** @default "gzip" */
  compression: z.enum(["gzip", "none"], { error: `must be one of "gzip", "none"` }).optional(),
  /** Backups kept: the last `count`, and/or those younger than `days`. @default { count: 7 } */
  retention: z.strictObject({ count: z.number().optional(), days: z.number().optional() }).optional(),
  /** A verified copy to another host, its host key pinned. @default none */
  offNode: z
    .strictObject({
      host: z.string({ error: "is required: the backup host the node copies to" }),
      /** @default 22 */
      port: z.number().optional(),
      /** @default "root" */
      user: z.string().optional(),
      path: z.string({ error: "is required: the directory on the backup host" }),
      hostKey: z.string({ error: "is required: pin the backup host's key (`ssh-keyscan -t ed25519 HOST`)" }),
      /** @default "/root/.ssh/id_ed25519" */
      privateKeyPath: z.string().optional(),
    })
    .optional(),
  /** An older last success is drift. @default the schedule's longest gap + 2 h */
  maxAgeHours: z.number().optional(),
  /** The dump's 0600 option file. @default "/etc/mysql/ngcp-fleet-backup.cnf" */
  mysqlOptionsFile: z.string().optional(),
  /** Where things live on the node. @default the handbook's paths */
  paths: z
    .strictObject({
      ngcpConfigDir: z.string().optional(),
      sipwiseCnf: z.string().optional(),
      debianCnf: z.string().optional(),
      cdrExportDir: z.string().optional(),
      ngcpVersionFile: z.string().optional(),
      script: z.string().optional(),
      cronFile: z.string().optional(),
      systemdDir: z.string().optional(),
      statusFile: z.string().optional(),
      lockFile: z.string().optional(),
      knownHostsFile: z.string().optional(),
    })
    .optional(),
});

export type BackupSpecSettings = z.output<typeof backupSchema>;
