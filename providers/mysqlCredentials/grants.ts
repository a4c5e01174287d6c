/**
 * Grants, normalized (pure): the targets a stack writes (`*.*`, `db.*`, `db.table`) and the lines
 * `SHOW GRANTS` prints, both turned into the same shape so the planner compares sets of privileges per
 * target — never raw text (MariaDB reorders privileges, folds a full set into ALL PRIVILEGES, and prints a
 * password hash on the USAGE line).
 */
import { canonicalPrivilege, spellPrivilege, type GrantLevel } from "./privileges";
import { quoteIdentifier, tokenize, type SqlToken } from "./sql";

/** A grant target. Database names of database-level targets are kept in GRANT form (`_` escaped). */
export interface GrantTarget {
  readonly level: GrantLevel;
  /** Undefined for `*.*`. For a database-level target, `_` is escaped as `\_` (a literal, not a wildcard). */
  readonly database?: string;
  /** Only for a table-level target. */
  readonly table?: string;
}

/** The SQL form of a target, also its identity: `*.*`, `` `kamailio`.* ``, `` `kamailio`.`location` ``. */
export function targetSql(target: GrantTarget): string {
  switch (target.level) {
    case "global":
      return "*.*";
    case "database":
      return `${quoteIdentifier(target.database ?? "")}.*`;
    case "table":
      return `${quoteIdentifier(target.database ?? "")}.${quoteIdentifier(target.table ?? "")}`;
  }
}

/** For messages: `*.*`, `kamailio.*`, `kamailio.location` (database names unescaped). */
export function displayTarget(target: GrantTarget): string {
  const db = (target.database ?? "").replace(/\\_/g, "_");
  switch (target.level) {
    case "global":
      return "*.*";
    case "database":
      return `${db}.*`;
    case "table":
      return `${db}.${target.table ?? ""}`;
  }
}

/** MariaDB identifiers are at most 64 characters. */
export const MAX_IDENTIFIER_LENGTH = 64;

function nameProblem(kind: string, name: string): string | undefined {
  if (name.length === 0) {
    return `the ${kind} name is empty`;
  }
  if (name.length > MAX_IDENTIFIER_LENGTH) {
    return `the ${kind} name is longer than ${MAX_IDENTIFIER_LENGTH} characters`;
  }
  if (/[/\\%]/.test(name) || /\p{Cc}/u.test(name)) {
    return `the ${kind} name ${JSON.stringify(name)} contains a character not allowed here (/, \\, %, control characters)`;
  }
  if (name.endsWith(" ")) {
    return `the ${kind} name ${JSON.stringify(name)} ends with a space`;
  }
  return undefined;
}

/** Splits `a.b` where either part may be backtick-quoted (`` `my.db`.* ``). */
function splitOn(on: string): string[] | undefined {
  const parts: string[] = [];
  let i = 0;
  const text = on.trim();
  while (i <= text.length) {
    if (text[i] === "`") {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) {
          return undefined;
        }
        if (text[i] === "`" && text[i + 1] === "`") {
          value += "`";
          i += 2;
          continue;
        }
        if (text[i] === "`") {
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      parts.push(value);
    } else {
      const dot = text.indexOf(".", i);
      const end = dot < 0 ? text.length : dot;
      parts.push(text.slice(i, end));
      i = end;
    }
    if (i >= text.length) {
      break;
    }
    if (text[i] !== ".") {
      return undefined;
    }
    i++;
  }
  return parts;
}

/**
 * Parses a stack's `on`: `*.*`, `db.*` or `db.table` (names may be backtick-quoted). Database-level names get
 * `_` escaped: in a GRANT, an unescaped `_` is a one-character wildcard (`ngcp_x.*` would also match
 * `ngcpAx`). `%` and `\` are refused (no patterns). Returns the target or the reason it is invalid.
 */
export function parseGrantTarget(on: string): { target: GrantTarget } | { problem: string } {
  const expected = 'expected "*.*", "db.*" or "db.table"';
  const parts = typeof on === "string" ? splitOn(on) : undefined;
  if (!parts || parts.length !== 2) {
    return { problem: `${expected}, got: ${JSON.stringify(on)}` };
  }
  const [db, table] = parts;
  if (db === "*" && table === "*") {
    return { target: { level: "global" } };
  }
  if (db === "*") {
    return { problem: `${expected}, got: ${JSON.stringify(on)} (a table needs its database)` };
  }
  const dbProblem = nameProblem("database", db);
  if (dbProblem) {
    return { problem: dbProblem };
  }
  if (table === "*") {
    return { target: { level: "database", database: db.replace(/_/g, "\\_") } };
  }
  const tableProblem = nameProblem("table", table);
  if (tableProblem) {
    return { problem: tableProblem };
  }
  return { target: { level: "table", database: db, table } };
}

/** One line of SHOW GRANTS, normalized. */
export type ParsedGrant =
  | {
      readonly kind: "privileges";
      readonly user: string;
      readonly host: string;
      readonly target: GrantTarget;
      /** Privileges as printed (upper case, single spaces), without USAGE, GRANT OPTION and column grants. */
      readonly privileges: readonly string[];
      /** Column-level grants, e.g. `SELECT (a, b)`: reported, never managed. */
      readonly columnPrivileges: readonly string[];
      readonly grantOption: boolean;
    }
  /** `GRANT EXECUTE ON PROCEDURE …`, `GRANT PROXY ON …`, `GRANT role TO …`: reported, never managed. */
  | { readonly kind: "other"; readonly user: string; readonly host: string; readonly what: string };

function isWord(tok: SqlToken | undefined, word: string): boolean {
  return tok !== undefined && tok.t === "word" && tok.v.toUpperCase() === word;
}

function isPunct(tok: SqlToken | undefined, p: string): boolean {
  return tok !== undefined && tok.t === "punct" && tok.v === p;
}

/** Reads `user@host` (any quoting) at tokens[i]; returns it and the next index. `PUBLIC` has no host. */
function readAccount(tokens: SqlToken[], i: number): { user: string; host: string; next: number } {
  const first = tokens[i];
  if (!first || first.t === "punct") {
    throw new Error("expected an account after TO");
  }
  if (isPunct(tokens[i + 1], "@")) {
    const hostTok = tokens[i + 2];
    if (!hostTok || hostTok.t === "punct") {
      throw new Error("expected a host after @");
    }
    return { user: first.v, host: hostTok.v, next: i + 3 };
  }
  return { user: first.v, host: "", next: i + 1 };
}

/** Parses one privilege-list entry's words (and an optional column list) starting at tokens[i]. */
function readPrivilege(tokens: SqlToken[], i: number): { name: string; columns?: string; next: number } {
  const words: string[] = [];
  while (tokens[i] && tokens[i].t === "word" && !isWord(tokens[i], "ON") && !isWord(tokens[i], "TO")) {
    words.push(tokens[i].v);
    i++;
  }
  let columns: string | undefined;
  if (isPunct(tokens[i], "(")) {
    const cols: string[] = [];
    i++;
    while (tokens[i] && !isPunct(tokens[i], ")")) {
      if (!isPunct(tokens[i], ",")) {
        cols.push(tokens[i].v);
      }
      i++;
    }
    i++; // ")"
    columns = cols.join(", ");
  }
  return { name: spellPrivilege(words.join(" ")), ...(columns !== undefined ? { columns } : {}), next: i };
}

/** Reads a target (`*.*`, `` `db`.* ``, `` `db`.`t` ``, or old-style unquoted) at tokens[i]. */
function readTarget(tokens: SqlToken[], i: number): { target: GrantTarget; next: number } {
  const part = (tok: SqlToken | undefined): string | undefined =>
    tok === undefined ? undefined : tok.t === "punct" ? (tok.v === "*" ? "*" : undefined) : tok.v;
  const db = part(tokens[i]);
  if (db === undefined || !isPunct(tokens[i + 1], ".")) {
    throw new Error("expected a grant target such as *.* or `db`.*");
  }
  const table = part(tokens[i + 2]);
  if (table === undefined) {
    throw new Error("expected a table name or * after the database");
  }
  const next = i + 3;
  if (db === "*" && table === "*") {
    return { target: { level: "global" }, next };
  }
  if (table === "*") {
    return { target: { level: "database", database: db }, next };
  }
  return { target: { level: "table", database: db, table }, next };
}

/**
 * Parses one `SHOW GRANTS` line (MariaDB's backtick form or MySQL 5.x's `'user'@'host'` form). Lines this
 * resource does not manage (routine, proxy, role grants) come back as `kind: "other"`; a line that is not a
 * GRANT at all throws. The password hash of a USAGE line is read past, never kept.
 */
export function parseShowGrantsLine(line: string): ParsedGrant {
  const tokens = tokenize(line.trim().replace(/;$/, ""));
  if (!isWord(tokens[0], "GRANT")) {
    throw new Error("not a GRANT line");
  }
  // Find ON and TO at the top level (outside column lists).
  let depth = 0;
  let onAt = -1;
  let toAt = -1;
  for (let i = 1; i < tokens.length; i++) {
    if (isPunct(tokens[i], "(")) {
      depth++;
    } else if (isPunct(tokens[i], ")")) {
      depth--;
    } else if (depth === 0 && onAt < 0 && toAt < 0 && isWord(tokens[i], "ON")) {
      onAt = i;
    } else if (depth === 0 && toAt < 0 && isWord(tokens[i], "TO")) {
      toAt = i;
      break;
    }
  }
  if (toAt < 0) {
    throw new Error("GRANT line without TO");
  }
  const account = readAccount(tokens, toAt + 1);
  const { user, host } = account;
  if (onAt < 0) {
    return { kind: "other", user, host, what: "role grant" };
  }
  const objectType = tokens[onAt + 1];
  if (
    isWord(objectType, "PROCEDURE") ||
    isWord(objectType, "FUNCTION") ||
    isWord(objectType, "PACKAGE") ||
    isWord(tokens[1], "PROXY")
  ) {
    return { kind: "other", user, host, what: isWord(tokens[1], "PROXY") ? "proxy grant" : "routine grant" };
  }
  const targetStart = isWord(objectType, "TABLE") ? onAt + 2 : onAt + 1;
  const { target } = readTarget(tokens, targetStart);

  const privileges: string[] = [];
  const columnPrivileges: string[] = [];
  let i = 1;
  while (i < onAt) {
    const p = readPrivilege(tokens, i);
    if (p.name !== "" && p.columns !== undefined) {
      columnPrivileges.push(`${p.name} (${p.columns})`);
    } else if (p.name !== "" && p.name !== "USAGE") {
      privileges.push(p.name);
    }
    i = p.next;
    if (isPunct(tokens[i], ",")) {
      i++;
    } else if (i < onAt && p.name === "") {
      i++; // skip anything unexpected rather than loop
    }
  }
  let grantOption = false;
  for (let j = account.next; j < tokens.length - 2; j++) {
    if (isWord(tokens[j], "WITH")) {
      for (let k = j + 1; k < tokens.length - 1; k++) {
        if (isWord(tokens[k], "GRANT") && isWord(tokens[k + 1], "OPTION")) {
          grantOption = true;
        }
      }
    }
  }
  return { kind: "privileges", user, host, target, privileges, columnPrivileges, grantOption };
}

/** Parses SHOW GRANTS output (one line per row, or the rows as an array); blank lines are skipped. */
export function parseShowGrants(output: string | readonly string[]): ParsedGrant[] {
  const lines = typeof output === "string" ? output.split("\n") : output;
  return lines.filter((l) => l.trim() !== "").map(parseShowGrantsLine);
}

/** A set of privileges on one target, ready to compare. */
export interface NormalizedGrant {
  readonly target: GrantTarget;
  /** Canonical names (aliases folded), sorted; `ALL PRIVILEGES` stays symbolic only on `*.*`. */
  readonly privileges: readonly string[];
  readonly grantOption: boolean;
  /** canonical → the spelling to use in a statement (as the stack or the server wrote it). */
  readonly spelling: Readonly<Record<string, string>>;
}

/** Merges privilege lists per target (SHOW GRANTS prints one line per target; a stack may repeat one). */
export function mergeByTarget(
  grants: readonly { target: GrantTarget; privileges: readonly string[]; grantOption: boolean }[],
  expandAll: (target: GrantTarget) => string[] | undefined,
): Map<string, NormalizedGrant> {
  const out = new Map<
    string,
    { target: GrantTarget; set: Set<string>; grantOption: boolean; spelling: Record<string, string> }
  >();
  for (const g of grants) {
    const key = targetSql(g.target);
    const entry = out.get(key) ?? {
      target: g.target,
      set: new Set<string>(),
      grantOption: false,
      spelling: {},
    };
    for (const raw of g.privileges) {
      const spelled = spellPrivilege(raw);
      const c = canonicalPrivilege(raw);
      if (c === "USAGE") {
        continue;
      }
      if (c === "GRANT OPTION") {
        entry.grantOption = true;
        continue;
      }
      const expanded = c === "ALL PRIVILEGES" ? expandAll(g.target) : undefined;
      if (expanded) {
        for (const p of expanded) {
          entry.set.add(p);
          entry.spelling[p] ??= p;
        }
      } else {
        entry.set.add(c);
        entry.spelling[c] ??= c === "ALL PRIVILEGES" ? "ALL PRIVILEGES" : spelled;
      }
    }
    entry.grantOption = entry.grantOption || g.grantOption;
    out.set(key, entry);
  }
  const result = new Map<string, NormalizedGrant>();
  for (const [key, e] of out) {
    result.set(key, {
      target: e.target,
      privileges: [...e.set].sort(),
      grantOption: e.grantOption,
      spelling: e.spelling,
    });
  }
  return result;
}
