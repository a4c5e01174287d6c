/**
 * Plain inputs of the MySQL credentials resource (handbook 15.3), as the provider receives and stores them.
 * The user-facing `pulumi.Input<>` Args live in the resource file. Passwords arrive in clear (the provider
 * receives secrets decrypted); nothing in this directory copies one into a message, a description or SQL
 * text — statements carry only password hashes, as placeholder values.
 */

/** One grant of an extra user. */
export interface MysqlGrantInput {
  /**
   * MariaDB privilege names (`SELECT`, `LOCK TABLES`, `ALL PRIVILEGES`, …), as a list or one comma-separated
   * string; case and spacing are free. `GRANT OPTION` may be listed here or given as `withGrantOption`.
   */
  readonly privileges: readonly string[] | string;
  /** `*.*`, `db.*` or `db.table`; names may be backtick-quoted. No wildcards. */
  readonly on: string;
  /** Adds WITH GRANT OPTION. @default false */
  readonly withGrantOption?: boolean;
}

/** An extra, least-privilege MariaDB user (for example the backup user of the backup resource). */
export interface MysqlUserInput {
  /** User name: 1–80 characters of `A-Z a-z 0-9 _ . -`, not an NGCP service user nor MariaDB's own. */
  readonly name: string;
  /**
   * Host part of the account (`localhost`, an address, a hostname, a `%`/`_` pattern, or `addr/netmask`).
   * @default "localhost" (handbook 15.3: NGCP restricts its MySQL connections to localhost)
   */
  readonly host?: string;
  /** A secret, checked for strength. */
  readonly password: string;
  /**
   * The user's complete set of grants: anything else the user holds on a database or table level is
   * revoked. Routine, proxy, role and column grants are neither added nor revoked.
   * @default [] (USAGE only: can log in, sees nothing)
   */
  readonly grants?: readonly MysqlGrantInput[];
}

export interface MysqlCredentialsInputs {
  /**
   * MariaDB root's password, set on every `root` account the server has (`localhost`, `127.0.0.1`, `::1`, the
   * hostname), so no path to root stays passwordless. A fresh CE has none (handbook 15.3: "A password should
   * be set using the mysqladmin password command"). A secret. @default none: root is not managed (the
   * audit reports a passwordless root)
   */
  readonly rootPassword?: string;
  /**
   * The password MariaDB root has now, when it is neither `rootPassword`, nor the one this stack applied last,
   * nor empty (adopting a node whose root password was set by hand). Only used to log in; not compared, so
   * removing it later changes nothing. A secret. @default none
   */
  readonly currentRootPassword?: string;
  /** Extra users. @default [] */
  readonly users?: readonly MysqlUserInput[];
  /**
   * Write root's credentials to {@link ROOT_OPTION_FILE} (0600 root) for later tools on the node (backups,
   * restore, the audit): `mysql --defaults-extra-file=/etc/mysql/ngcp-fleet-root.cnf`.
   * @default true when rootPassword is set
   */
  readonly writeRootOptionFile?: boolean;
}

/** Where root's option file goes (see optionFile.ts for why not /root/.my.cnf). */
export const ROOT_OPTION_FILE = "/etc/mysql/ngcp-fleet-root.cnf";
export const ROOT_OPTION_FILE_MODE = 0o600;

/** MariaDB's default host for a new account in NGCP: local connections only. */
export const DEFAULT_HOST = "localhost";

/** The plain list of privilege names of one grant input. */
export function privilegeList(privileges: readonly string[] | string): string[] {
  const list = typeof privileges === "string" ? privileges.split(",") : [...privileges];
  return list.map((p) => p.trim()).filter((p) => p !== "");
}
