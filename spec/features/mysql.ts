/** `mysql` (handbook 15.3): MariaDB root's password and least-privilege users. Unmanaged when absent. */
import { z } from "zod";

const grant = z.strictObject({
  /** Privilege names, a list or one comma-separated string (`SELECT`, `LOCK TABLES`, …). */
  privileges: z.union([z.array(z.string()), z.string()]),
  /** `*.*`, `db.*` or `db.table`. */
  on: z.string(),
  /** WITH GRANT OPTION. @default false */
  withGrantOption: z.boolean().optional(),
});

const user = z.strictObject({
  /** User name, not an NGCP service user nor MariaDB's own. */
  name: z.string(),
  /** Host part of the account. @default "localhost" */
  host: z.string().optional(),
  /** A secret, checked for strength. */
  password: z.string({ error: "is required (a secret)" }),
  /** The user's complete set of grants. @default [] (USAGE only) */
  grants: z.array(grant).optional(),
});

export const mysqlSchema = z.strictObject({
  /** Root's password on every root account (a fresh CE has none). A secret. @default none: root unmanaged */
  rootPassword: z.string().optional(),
  /** Root's password now, when set by hand (adoption). A secret. @default none */
  currentRootPassword: z.string().optional(),
  /** Extra users (e.g. the backup user). @default [] */
  users: z.array(user).optional(),
  /** Write /etc/mysql/ngcp-fleet-root.cnf (0600). @default true when rootPassword is set */
  writeRootOptionFile: z.boolean().optional(),
});

export type MysqlSettings = z.output<typeof mysqlSchema>;
