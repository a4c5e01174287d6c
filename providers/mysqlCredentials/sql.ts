/**
 * SQL text for the MySQL credentials resource (pure): identifier quoting, statements with `?` placeholders,
 * the server version, and a small lexer for what the server prints (`SHOW GRANTS`, `SHOW CREATE USER`).
 *
 * Statements are `{ sql, values }` for mysql2's `connection.query(sql, values)`. Identifiers (user, host,
 * database, table) are quoted here with backticks; `values` holds only secrets — password *hashes*, never a
 * cleartext password (see nativePassword.ts). So redacting a statement is redacting its values.
 */

/** A statement for `db.query(sql, values)`: `values` are secrets (password hashes), nothing else. */
export interface SqlStatement {
  readonly sql: string;
  readonly values: readonly string[];
}

/**
 * Quotes a MySQL/MariaDB identifier (or an account-name part) with backticks, doubling any backtick inside.
 * NUL cannot be quoted and is refused.
 */
export function quoteIdentifier(name: string): string {
  if (name.includes("\0")) {
    throw new Error("an identifier cannot contain NUL");
  }
  return "`" + name.replace(/`/g, "``") + "`";
}

/** `` `user`@`host` ``: an account name as MariaDB prints it in SHOW GRANTS. */
export function quoteAccount(user: string, host: string): string {
  return `${quoteIdentifier(user)}@${quoteIdentifier(host)}`;
}

/** `user@host` for messages (account names are not secrets). */
export function displayAccount(user: string, host: string): string {
  return `${user}@${host}`;
}

/** The server as `SELECT VERSION()` reports it. */
export interface ServerVersion {
  readonly flavor: "mariadb" | "mysql";
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/**
 * Parses `SELECT VERSION()` (`10.11.6-MariaDB-0+deb12u1`, `10.3.39-MariaDB-0+deb10u2`, `5.5.60-MariaDB`,
 * `5.7.42-log`; the handshake's `5.5.5-` prefix is skipped).
 */
export function parseServerVersion(text: string): ServerVersion {
  const cleaned = text.trim().replace(/^5\.5\.5-(?=\d+\.\d+\.\d+-MariaDB)/i, "");
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(cleaned);
  if (!m) {
    throw new Error(`not a MySQL/MariaDB version string: ${JSON.stringify(text.slice(0, 60))}`);
  }
  return {
    flavor: /mariadb/i.test(cleaned) ? "mariadb" : "mysql",
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
  };
}

/** `version` is at least major.minor.patch (same flavor assumed by the caller). */
export function versionAtLeast(version: ServerVersion, major: number, minor: number, patch = 0): boolean {
  if (version.major !== major) {
    return version.major > major;
  }
  if (version.minor !== minor) {
    return version.minor > minor;
  }
  return version.patch >= patch;
}

/** What a current sip:provider CE runs (Debian's MariaDB); assumed when the version was not read. */
export const DEFAULT_SERVER_VERSION: ServerVersion = { flavor: "mariadb", major: 10, minor: 11, patch: 0 };

/** One token of MariaDB's own output. */
export type SqlToken =
  | { readonly t: "ident"; readonly v: string }
  | { readonly t: "string"; readonly v: string }
  | { readonly t: "word"; readonly v: string }
  | { readonly t: "punct"; readonly v: string };

/**
 * Tokenizes one statement as the server prints it: backtick identifiers (`` ` `` doubled inside), single- or
 * double-quoted strings (quote doubled or backslash-escaped), words (letters, digits, `_`, `$`, and the `%`
 * and `.`-free parts of unquoted host patterns), and punctuation.
 */
export function tokenize(text: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "`" || ch === "'" || ch === '"') {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) {
          throw new Error("unterminated quoted name or string in server output");
        }
        const c = text[i];
        if (c === ch && text[i + 1] === ch) {
          value += ch;
          i += 2;
          continue;
        }
        if (c === ch) {
          i++;
          break;
        }
        if (ch !== "`" && c === "\\" && i + 1 < text.length) {
          const next = text[i + 1];
          value += next === "n" ? "\n" : next === "t" ? "\t" : next === "0" ? "\0" : next;
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      tokens.push(ch === "`" ? { t: "ident", v: value } : { t: "string", v: value });
      continue;
    }
    const word = /^[A-Za-z0-9_$%:-]+/.exec(text.slice(i));
    if (word) {
      tokens.push({ t: "word", v: word[0] });
      i += word[0].length;
      continue;
    }
    tokens.push({ t: "punct", v: ch });
    i++;
  }
  return tokens;
}

/** `SHOW GRANTS FOR` one account. */
export function showGrantsStatement(user: string, host: string): SqlStatement {
  return { sql: `SHOW GRANTS FOR ${quoteAccount(user, host)}`, values: [] };
}

/** `SHOW CREATE USER` (MariaDB ≥ 10.2): the authoritative list of an account's authentication methods. */
export function showCreateUserStatement(user: string, host: string): SqlStatement {
  return { sql: `SHOW CREATE USER ${quoteAccount(user, host)}`, values: [] };
}

/**
 * Every account with its plugin and stored hash. `Password` is the pre-10.4 column (kept as a view column
 * in 10.4+); the reader takes `authentication_string` and falls back to it. Roles (MariaDB lists them in
 * mysql.user with an empty host) and anonymous accounts (empty user) are left out: neither can be managed
 * here, and SHOW CREATE USER fails on a role.
 */
export const LIST_ACCOUNTS_SQL: SqlStatement = {
  sql:
    "SELECT User AS user, Host AS host, plugin, authentication_string AS authString, Password AS legacyHash " +
    "FROM mysql.user WHERE User <> '' AND Host <> ''",
  values: [],
};

export const SERVER_VERSION_SQL: SqlStatement = { sql: "SELECT VERSION() AS version", values: [] };
