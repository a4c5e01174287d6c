/**
 * MariaDB's privilege names and the levels they may be granted at (pure), from MariaDB's GRANT reference
 * (10.x–11.x). Used to refuse an unknown privilege or a global one on a database in `check` — MariaDB would
 * only say "Incorrect usage of DB GRANT and GLOBAL PRIVILEGES" at apply time, after other statements ran.
 */
import { versionAtLeast, type ServerVersion } from "./sql";

export type GrantLevel = "global" | "database" | "table";

/** Privileges that exist only at the global level (`ON *.*`). */
export const GLOBAL_ONLY_PRIVILEGES: readonly string[] = [
  "BINLOG ADMIN",
  "BINLOG MONITOR",
  "BINLOG REPLAY",
  "CONNECTION ADMIN",
  "CREATE TABLESPACE",
  "CREATE USER",
  "FEDERATED ADMIN",
  "FILE",
  "PROCESS",
  "READ_ONLY ADMIN",
  "RELOAD",
  "REPLICA MONITOR",
  "REPLICATION CLIENT",
  "REPLICATION MASTER ADMIN",
  "REPLICATION REPLICA",
  "REPLICATION SLAVE",
  "REPLICATION SLAVE ADMIN",
  "SET USER",
  "SHOW DATABASES",
  "SHUTDOWN",
  "SLAVE MONITOR",
  "SUPER",
];

/** Privileges of a database (`ON db.*`) that a single table cannot have. */
export const DATABASE_ONLY_PRIVILEGES: readonly string[] = [
  "ALTER ROUTINE",
  "CREATE ROUTINE",
  "CREATE TEMPORARY TABLES",
  "EVENT",
  "EXECUTE",
  "LOCK TABLES",
  "SHOW CREATE ROUTINE",
];

/** Privileges of a table (`ON db.table`); also valid on a database and globally. */
export const TABLE_PRIVILEGES: readonly string[] = [
  "ALTER",
  "CREATE",
  "CREATE VIEW",
  "DELETE",
  "DELETE HISTORY",
  "DROP",
  "INDEX",
  "INSERT",
  "REFERENCES",
  "SELECT",
  "SHOW VIEW",
  "TRIGGER",
  "UPDATE",
];

/** Not privileges of their own: `ALL [PRIVILEGES]` (everything of the level), `USAGE` (nothing), `GRANT OPTION`. */
export const SPECIAL_PRIVILEGES: readonly string[] = ["ALL PRIVILEGES", "USAGE", "GRANT OPTION"];

/** Every privilege name MariaDB knows, canonical spelling. */
export const MARIADB_PRIVILEGES: readonly string[] = [
  ...GLOBAL_ONLY_PRIVILEGES,
  ...DATABASE_ONLY_PRIVILEGES,
  ...TABLE_PRIVILEGES,
  ...SPECIAL_PRIVILEGES,
].sort();

/**
 * Other spellings of the same privilege: `ALL` is `ALL PRIVILEGES`; MariaDB 10.5 renamed REPLICATION CLIENT
 * to BINLOG MONITOR (SHOW GRANTS prints the new name) and added REPLICA/REPLICATION REPLICA as synonyms.
 * Comparison uses the right-hand name; statements keep the spelling the stack (or the server) used.
 */
const ALIASES: Readonly<Record<string, string>> = {
  ALL: "ALL PRIVILEGES",
  "REPLICATION CLIENT": "BINLOG MONITOR",
  "REPLICA MONITOR": "SLAVE MONITOR",
  "REPLICATION REPLICA": "REPLICATION SLAVE",
};

/** Upper case, single spaces: `"lock  tables"` → `"LOCK TABLES"`. */
export function spellPrivilege(name: string): string {
  return name.trim().replace(/\s+/g, " ").toUpperCase();
}

/** The name used for comparison (aliases folded). */
export function canonicalPrivilege(name: string): string {
  const spelled = spellPrivilege(name);
  return ALIASES[spelled] ?? spelled;
}

export function isKnownPrivilege(name: string): boolean {
  const c = canonicalPrivilege(name);
  return (
    MARIADB_PRIVILEGES.includes(c) || Object.prototype.hasOwnProperty.call(ALIASES, spellPrivilege(name))
  );
}

/** The lowest level a privilege can be granted at does not include `level`: reason, or undefined when fine. */
export function levelProblem(name: string, level: GrantLevel): string | undefined {
  const spelled = spellPrivilege(name);
  const c = canonicalPrivilege(name);
  const isGlobalOnly = GLOBAL_ONLY_PRIVILEGES.includes(spelled) || GLOBAL_ONLY_PRIVILEGES.includes(c);
  if (level !== "global" && isGlobalOnly) {
    return `${spelled} is a global privilege: grant it ON *.*`;
  }
  if (level === "table" && DATABASE_ONLY_PRIVILEGES.includes(c)) {
    return `${spelled} cannot be granted on a single table: grant it ON db.*`;
  }
  return undefined;
}

/**
 * What `ALL PRIVILEGES` means on a database or a table for this server: MariaDB prints ALL PRIVILEGES as
 * soon as an account holds each of these, so both spellings must compare equal. (Globally the set grows
 * with every release, so `ALL PRIVILEGES ON *.*` stays symbolic.)
 */
export function allPrivilegesAt(level: "database" | "table", version: ServerVersion): string[] {
  const deleteHistory = version.flavor === "mariadb" && versionAtLeast(version, 10, 3, 4);
  const showCreateRoutine = version.flavor === "mariadb" && versionAtLeast(version, 11, 3, 0);
  const table = TABLE_PRIVILEGES.filter((p) => p !== "DELETE HISTORY" || deleteHistory);
  if (level === "table") {
    return table;
  }
  return [
    ...table,
    ...DATABASE_ONLY_PRIVILEGES.filter((p) => p !== "SHOW CREATE ROUTINE" || showCreateRoutine),
  ].sort();
}
