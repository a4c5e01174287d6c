/**
 * The MySQL credentials planner (pure): desired accounts + what the server has → the statements to run.
 *
 * - An account whose stored hash already matches its password gets no statement (`passwordMatches`, as
 *   Sipwise's `ngcp-sync-db-creds` compares), so a second `up` plans nothing.
 * - Grants are compared as sets per target after normalization (aliases folded, `ALL PRIVILEGES` on a
 *   database or table expanded), never as text.
 * - Service users and MariaDB's own accounts are never touched: a desired account with such a name throws
 *   (`check` refuses it first), and they are never dropped.
 * - Statements carry identifiers quoted in the SQL text and password hashes as `?` values — never a
 *   cleartext password. Descriptions name accounts, targets and privileges only.
 */
import {
  displayTarget,
  mergeByTarget,
  parseGrantTarget,
  parseShowGrants,
  targetSql,
  type GrantTarget,
  type ParsedGrant,
} from "./grants";
import { DEFAULT_HOST, privilegeList, type MysqlCredentialsInputs, type MysqlGrantInput } from "./inputs";
import { nativePasswordHash, passwordMatchesAny, type AuthMethod } from "./nativePassword";
import { allPrivilegesAt, canonicalPrivilege } from "./privileges";
import { KNOWN_NGCP_SERVICE_USERS, MARIADB_SYSTEM_USERS } from "./serviceUsers";
import {
  DEFAULT_SERVER_VERSION,
  displayAccount,
  quoteAccount,
  versionAtLeast,
  type ServerVersion,
  type SqlStatement,
} from "./sql";

/** An account as the stack wants it. */
export interface DesiredMysqlUser {
  readonly name: string;
  /** @default "localhost" */
  readonly host?: string;
  /** A secret. */
  readonly password: string;
  /** The complete grant set; undefined: grants are not managed (root). */
  readonly grants?: readonly MysqlGrantInput[];
}

/** An account as read from the server. */
export interface LiveMysqlUser {
  readonly user: string;
  readonly host: string;
  /** mysql.user `plugin` (`''` on old servers means native). */
  readonly plugin: string;
  /** mysql.user `authentication_string` (or the legacy `Password` column). */
  readonly authString: string;
  /** SHOW GRANTS rows, verbatim. */
  readonly grants: readonly string[];
  /**
   * The account's methods from SHOW CREATE USER (MariaDB ≥ 10.4 may have several, e.g.
   * `mysql_native_password … OR unix_socket`, which mysql.user does not show). Preferred when present.
   */
  readonly auth?: readonly AuthMethod[];
}

export type MysqlActionKind = "createUser" | "alterPassword" | "revoke" | "grant" | "dropUser";

export interface MysqlAction {
  readonly kind: MysqlActionKind;
  /** `user@host`. */
  readonly account: string;
  /** For preview: no password, no hash. */
  readonly description: string;
  readonly statement: SqlStatement;
}

export interface MysqlPlan {
  /** In execution order: per account create/password, then revokes, then grants; drops last. */
  readonly actions: readonly MysqlAction[];
  /** Accounts that need nothing, `user@host`. */
  readonly unchanged: readonly string[];
  readonly warnings: readonly string[];
}

export interface PlanOptions {
  /** From `SELECT VERSION()`. @default MariaDB 10.11 */
  readonly serverVersion?: ServerVersion;
  /**
   * Accounts this resource created at the last apply (its previous outputs). Those no longer desired are
   * dropped; any other account on the server is left alone. @default none
   */
  readonly previouslyManaged?: readonly { user: string; host: string }[];
  /** Names that must never be created, changed or dropped, beyond the documented lists. @default none */
  readonly protectedUsers?: readonly string[];
}

const key = (user: string, host: string): string => `${user}\0${host.toLowerCase()}`;

function authOf(live: LiveMysqlUser): readonly AuthMethod[] {
  return live.auth && live.auth.length > 0
    ? live.auth
    : [{ plugin: live.plugin ?? "", authString: live.authString ?? "" }];
}

/**
 * The statement that sets an existing account's password to `hash`, per server:
 * - MariaDB ≥ 10.4: `ALTER USER … IDENTIFIED VIA mysql_native_password USING ?`, keeping `OR unix_socket`
 *   when the account had it (Debian's root keeps socket login for maintenance scripts);
 * - MariaDB 10.2–10.3: `ALTER USER … IDENTIFIED BY PASSWORD ?` (one method only on these servers);
 * - MySQL ≥ 5.7.6: `ALTER USER … IDENTIFIED WITH mysql_native_password AS ?`;
 * - older (MariaDB ≤ 10.1, MySQL 5.5 of the oldest editions): `SET PASSWORD FOR … = ?` (a hash literal).
 */
export function setPasswordStatement(
  user: string,
  host: string,
  hash: string,
  version: ServerVersion,
  liveAuth: readonly AuthMethod[] = [],
): SqlStatement {
  const account = quoteAccount(user, host);
  if (version.flavor === "mariadb" && versionAtLeast(version, 10, 4)) {
    const keepSocket = liveAuth.some((m) => m.plugin === "unix_socket");
    return {
      sql: `ALTER USER ${account} IDENTIFIED VIA mysql_native_password USING ?${keepSocket ? " OR unix_socket" : ""}`,
      values: [hash],
    };
  }
  if (version.flavor === "mariadb" && versionAtLeast(version, 10, 2)) {
    return { sql: `ALTER USER ${account} IDENTIFIED BY PASSWORD ?`, values: [hash] };
  }
  if (version.flavor === "mysql" && versionAtLeast(version, 5, 7, 6)) {
    return { sql: `ALTER USER ${account} IDENTIFIED WITH mysql_native_password AS ?`, values: [hash] };
  }
  return { sql: `SET PASSWORD FOR ${account} = ?`, values: [hash] };
}

/** `CREATE USER … IDENTIFIED BY PASSWORD ?` (MySQL ≥ 5.7.6: `IDENTIFIED WITH mysql_native_password AS ?`). */
export function createUserStatement(
  user: string,
  host: string,
  hash: string,
  version: ServerVersion,
): SqlStatement {
  const account = quoteAccount(user, host);
  if (version.flavor === "mysql" && versionAtLeast(version, 5, 7, 6)) {
    return { sql: `CREATE USER ${account} IDENTIFIED WITH mysql_native_password AS ?`, values: [hash] };
  }
  return { sql: `CREATE USER ${account} IDENTIFIED BY PASSWORD ?`, values: [hash] };
}

export function grantStatement(
  user: string,
  host: string,
  privileges: readonly string[],
  target: GrantTarget,
  withGrantOption: boolean,
): SqlStatement {
  const list = privileges.length > 0 ? privileges.join(", ") : "USAGE";
  return {
    sql: `GRANT ${list} ON ${targetSql(target)} TO ${quoteAccount(user, host)}${withGrantOption ? " WITH GRANT OPTION" : ""}`,
    values: [],
  };
}

export function revokeStatement(
  user: string,
  host: string,
  privileges: readonly string[],
  target: GrantTarget,
): SqlStatement {
  return {
    sql: `REVOKE ${privileges.join(", ")} ON ${targetSql(target)} FROM ${quoteAccount(user, host)}`,
    values: [],
  };
}

export function dropUserStatement(user: string, host: string): SqlStatement {
  return { sql: `DROP USER ${quoteAccount(user, host)}`, values: [] };
}

/** Desired grants of one user, as normalized grants per target (invalid entries throw: `check` refuses them). */
function desiredGrantMap(grants: readonly MysqlGrantInput[], version: ServerVersion) {
  const parsed = grants.map((g) => {
    const t = parseGrantTarget(g.on);
    if ("problem" in t) {
      throw new Error(`invalid grant target: ${t.problem}`);
    }
    return {
      target: t.target,
      privileges: privilegeList(g.privileges),
      grantOption: g.withGrantOption ?? false,
    };
  });
  return mergeByTarget(parsed, (t) => (t.level === "global" ? undefined : allPrivilegesAt(t.level, version)));
}

function liveGrantMap(lines: readonly string[], version: ServerVersion) {
  const parsed = parseShowGrants(lines).filter(
    (g): g is Extract<ParsedGrant, { kind: "privileges" }> => g.kind === "privileges",
  );
  return mergeByTarget(parsed, (t) => (t.level === "global" ? undefined : allPrivilegesAt(t.level, version)));
}

function planGrants(
  user: string,
  host: string,
  desired: readonly MysqlGrantInput[],
  liveLines: readonly string[],
  version: ServerVersion,
): MysqlAction[] {
  const account = displayAccount(user, host);
  const want = desiredGrantMap(desired, version);
  const have = liveGrantMap(liveLines, version);
  const revokes: MysqlAction[] = [];
  const grants: MysqlAction[] = [];
  const targets = [...new Set([...have.keys(), ...want.keys()])].sort();
  for (const t of targets) {
    const w = want.get(t);
    const h = have.get(t);
    const target = w?.target ?? h?.target;
    if (!target) {
      continue;
    }
    const wantSet = new Set(w?.privileges ?? []);
    const haveSet = new Set(h?.privileges ?? []);
    const shown = displayTarget(target);

    // ALL PRIVILEGES ON *.* is symbolic (its meaning grows with each release): going from it to a subset
    // means revoking it whole, then granting the subset.
    let toRevoke = [...haveSet].filter((p) => !wantSet.has(p));
    let toGrant = [...wantSet].filter((p) => !haveSet.has(p));
    if (haveSet.has("ALL PRIVILEGES") && !wantSet.has("ALL PRIVILEGES")) {
      toRevoke = ["ALL PRIVILEGES"];
      toGrant = [...wantSet];
    } else if (wantSet.has("ALL PRIVILEGES")) {
      toRevoke = []; // granting ALL covers whatever subset is there
    }
    const revokeGrantOption = (h?.grantOption ?? false) && !(w?.grantOption ?? false);
    const addGrantOption = (w?.grantOption ?? false) && !(h?.grantOption ?? false);

    if (toRevoke.length > 0) {
      const spelled = toRevoke.map((p) => h?.spelling[p] ?? p);
      revokes.push({
        kind: "revoke",
        account,
        description: `revoke ${spelled.join(", ")} on ${shown} from ${account}`,
        statement: revokeStatement(user, host, spelled, target),
      });
    }
    if (revokeGrantOption) {
      revokes.push({
        kind: "revoke",
        account,
        description: `revoke GRANT OPTION on ${shown} from ${account}`,
        statement: revokeStatement(user, host, ["GRANT OPTION"], target),
      });
    }
    if (toGrant.length > 0 || addGrantOption) {
      const full = target.level === "global" ? [] : allPrivilegesAt(target.level, version);
      const everything =
        full.length > 0 && full.every((p) => wantSet.has(p)) && toGrant.length === full.length;
      const spelled = everything ? ["ALL PRIVILEGES"] : toGrant.map((p) => w?.spelling[p] ?? p);
      const withOption = w?.grantOption ?? false;
      grants.push({
        kind: "grant",
        account,
        description:
          `grant ${spelled.length > 0 ? spelled.join(", ") : "GRANT OPTION"} on ${shown} to ${account}` +
          (withOption && spelled.length > 0 ? " with grant option" : ""),
        statement: grantStatement(user, host, spelled, target, withOption),
      });
    }
  }
  return [...revokes, ...grants];
}

/**
 * Plans the statements that bring `live` to `desired`. Desired accounts missing on the server are created;
 * existing ones get a password statement only when their stored hash does not match, and grant/revoke
 * statements only for differences of the normalized grant sets.
 */
export function planMysqlUsers(
  desired: readonly DesiredMysqlUser[],
  live: readonly LiveMysqlUser[],
  options: PlanOptions = {},
): MysqlPlan {
  const version = options.serverVersion ?? DEFAULT_SERVER_VERSION;
  const protectedNames = new Set([
    ...KNOWN_NGCP_SERVICE_USERS,
    ...MARIADB_SYSTEM_USERS,
    ...(options.protectedUsers ?? []),
  ]);
  const liveByKey = new Map(live.map((l) => [key(l.user, l.host), l]));
  const actions: MysqlAction[] = [];
  const unchanged: string[] = [];
  const warnings: string[] = [];
  const desiredKeys = new Set<string>();

  for (const d of desired) {
    const host = d.host ?? DEFAULT_HOST;
    const account = displayAccount(d.name, host);
    if (protectedNames.has(d.name)) {
      throw new Error(
        `${account} is an NGCP service user or MariaDB's own account: this resource never changes it`,
      );
    }
    desiredKeys.add(key(d.name, host));
    const current = liveByKey.get(key(d.name, host));
    const before = actions.length;
    if (!current) {
      actions.push({
        kind: "createUser",
        account,
        description: `create user ${account}`,
        statement: createUserStatement(d.name, host, nativePasswordHash(d.password), version),
      });
      if (d.grants !== undefined) {
        actions.push(...planGrants(d.name, host, d.grants, [], version));
      }
    } else {
      // Use the server's spelling of the host for statements on an existing account.
      const liveHost = current.host;
      const methods = authOf(current);
      if (!passwordMatchesAny(d.password, methods)) {
        const nonNative = methods.filter(
          (m) => m.plugin !== "" && m.plugin !== "mysql_native_password" && m.plugin !== "unix_socket",
        );
        if (nonNative.length > 0) {
          warnings.push(
            `${account} authenticates via ${nonNative.map((m) => m.plugin).join(", ")}; it is switched to mysql_native_password`,
          );
        }
        actions.push({
          kind: "alterPassword",
          account,
          description: `set the password of ${account}`,
          statement: setPasswordStatement(d.name, liveHost, nativePasswordHash(d.password), version, methods),
        });
      }
      if (d.grants !== undefined) {
        actions.push(...planGrants(d.name, liveHost, d.grants, current.grants, version));
      }
    }
    if (actions.length === before) {
      unchanged.push(account);
    }
  }

  for (const prev of options.previouslyManaged ?? []) {
    const k = key(prev.user, prev.host);
    if (desiredKeys.has(k) || protectedNames.has(prev.user) || prev.user === "root") {
      continue;
    }
    const current = liveByKey.get(k);
    if (current) {
      const account = displayAccount(current.user, current.host);
      actions.push({
        kind: "dropUser",
        account,
        description: `drop user ${account} (no longer in the stack)`,
        statement: dropUserStatement(current.user, current.host),
      });
    }
  }
  return { actions, unchanged, warnings };
}

/**
 * The accounts to converge for the inputs: every extra user, and — when `rootPassword` is set — every
 * account named `root` the server has (`localhost`, `127.0.0.1`, `::1`, the hostname), grants unmanaged.
 */
export function desiredMysqlUsers(
  inputs: MysqlCredentialsInputs,
  live: readonly LiveMysqlUser[],
): { users: DesiredMysqlUser[]; warnings: string[] } {
  const users: DesiredMysqlUser[] = [];
  const warnings: string[] = [];
  if (inputs.rootPassword !== undefined) {
    const roots = live.filter((l) => l.user === "root");
    if (roots.length === 0) {
      warnings.push("the server has no root account: rootPassword is not applied");
    }
    for (const r of roots) {
      users.push({ name: "root", host: r.host, password: inputs.rootPassword });
    }
  }
  for (const u of inputs.users ?? []) {
    users.push({ name: u.name, host: u.host ?? DEFAULT_HOST, password: u.password, grants: u.grants ?? [] });
  }
  return { users, warnings };
}

/** The secrets in a plan's statements (password hashes), for the transport's redaction. */
export function planSecrets(plan: MysqlPlan): string[] {
  return plan.actions.flatMap((a) => a.statement.values);
}

/** For the "service users untouched" proof: each service account's stored auth, sorted (hashes: keep private). */
export function serviceUserSnapshot(
  live: readonly LiveMysqlUser[],
  serviceUsers: readonly string[],
): { account: string; plugin: string; authString: string }[] {
  const names = new Set(serviceUsers);
  return live
    .filter((l) => names.has(l.user))
    .map((l) => ({ account: displayAccount(l.user, l.host), plugin: l.plugin, authString: l.authString }))
    .sort((a, b) => a.account.localeCompare(b.account));
}

/** Exposed for tests and the audit: normalized, comparable privilege names of one list. */
export function normalizePrivileges(list: readonly string[]): string[] {
  return [...new Set(list.map(canonicalPrivilege))].sort();
}
