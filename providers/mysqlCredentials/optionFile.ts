/**
 * Root's MySQL option file on the node (pure rendering).
 *
 * Decision: `/etc/mysql/ngcp-fleet-root.cnf`, mode 0600, owner root, written atomically over SFTP, used by
 * later tools as `mysql --defaults-extra-file=/etc/mysql/ngcp-fleet-root.cnf …` (`--defaults-extra-file`
 * must be the first option). Not `/root/.my.cnf`: that file changes what *every* root `mysql` call does,
 * Sipwise's own scripts included (`ngcp-sync-db-creds --root` expects a passwordless root prompt, others read
 * `sipwise_extra.cnf` on purpose), and an operator's own `.my.cnf` would be overwritten. A file of our own,
 * named after us, changes nothing for anyone who does not ask for it, and the backup resource's dump and
 * the restore drill pass it explicitly.
 *
 * The password is written double-quoted with MariaDB's option-file escapes (`\\`, `\"`; `\n`, `\t` and `\s`
 * would otherwise be interpreted), so `#`, `;`, spaces and quotes survive; a password with a control
 * character is refused earlier by the strength check.
 */

export interface ClientCredentials {
  /** @default "root" */
  readonly user?: string;
  /** A secret. */
  readonly password: string;
  /** `host` line. @default "localhost" (the socket: a root option file never needs the network) */
  readonly host?: string;
}

/** Quotes an option-file value as MariaDB's option parser reads it back. */
export function quoteOptionValue(value: string): string {
  if (/[\0\r\n]/.test(value)) {
    throw new Error("an option-file value cannot contain a newline or NUL");
  }
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The option file's text: a `[client]` section (read by mysql, mysqldump, mysqladmin, mariadb-*). */
export function renderClientOptionFile(credentials: ClientCredentials): string {
  return [
    "# Managed by ngcp-fleet (MySQL credentials, handbook 15.3). Mode 0600, owner root.",
    "# Use: mysql --defaults-extra-file=/etc/mysql/ngcp-fleet-root.cnf …  Manual edits are overwritten.",
    "[client]",
    `user = ${quoteOptionValue(credentials.user ?? "root")}`,
    `password = ${quoteOptionValue(credentials.password)}`,
    `host = ${quoteOptionValue(credentials.host ?? "localhost")}`,
    "",
  ].join("\n");
}

/**
 * Reads the `[client]` user and password back from an option file this resource wrote (or one an operator
 * edited in the same syntax): double-quoted values with `\\` and `\"` escapes, single-quoted or bare values.
 * The provider reads root's password from the node this way, so the state never has to hold it. Undefined
 * fields when absent.
 */
export function parseClientOptionFile(text: string): { user?: string; password?: string } {
  let section = "";
  const found: { user?: string; password?: string } = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1].trim().toLowerCase();
      continue;
    }
    const kv = /^(user|password)\s*=\s*(.*)$/.exec(line);
    if (!kv || section !== "client") {
      continue;
    }
    const value = kv[2].trim();
    let parsed: string;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      parsed = value.slice(1, -1).replace(/\\(["\\])/g, "$1");
    } else if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
      parsed = value.slice(1, -1);
    } else {
      parsed = value.replace(/\s+#.*$/, "");
    }
    found[kv[1] as "user" | "password"] = parsed;
  }
  return found;
}
