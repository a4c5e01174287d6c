/**
 * NGCP's own MariaDB users (pure). Handbook 15.3: "Many NGCP services use MySQL backend. Users and passwords
 * for these services are created during the installation. These passwords are unique for each
 * installation, and the connections are restricted to localhost. You should not change these users and
 * passwords." This resource never changes them; a stack may not declare a user of the same name; the
 * provider only verifies they exist (and the tests that their hashes stay identical).
 *
 * Two sources, both read from the node, plus a documented fallback list:
 * - `/etc/ngcp-config/constants.yml`, `credentials → mysql → <key> → {u, p}` — the layout Sipwise's own
 *   `ngcp-sync-db-creds` reads (ngcpcfg, sbin/ngcp-sync-db-creds). Some releases (and the lab) write
 *   `{user, password}` instead; both are read. Older editions kept per-service keys elsewhere in the tree
 *   (`…dbuser`, `…dbrwuser`, `…database.user`); a tolerant walk of the whole document picks those up too.
 * - `/etc/mysql/sipwise.cnf`: the main service user. Current editions hold a shell assignment
 *   `SIPWISE_DB_PASSWORD='…'` (user `sipwise`); the option-file form `[client] user=… password=…` is what
 *   `/etc/mysql/sipwise_extra.cnf` (read by `--defaults-extra-file` in Sipwise's scripts) and some older
 *   releases hold. {@link parseSipwiseCnf} reads both.
 */
import { parse } from "yaml";

/**
 * Names reserved for NGCP services and MariaDB itself, whatever the node says: the users Sipwise's
 * packages create across releases (the live lists above are authoritative per node; this list keeps a stack
 * from claiming one of these names on a node where the service is not installed yet). Sources: handbook
 * 15.3 and 15.6 (service users, `ngcp-reset-db` re-creates them), `ngcp-sync-db-creds` (replicator), the
 * lab's seed, Debian's MariaDB packaging (debian-sys-maint, mariadb.sys).
 */
export const KNOWN_NGCP_SERVICE_USERS: readonly string[] = [
  "asterisk",
  "cleanuptools",
  "csc",
  "dbexporter",
  "exporter",
  "kamailio",
  "lnp",
  "mediator",
  "ngcp",
  "prosody",
  "provisioning",
  "rateomat",
  "replicator",
  "sems",
  "sipwise",
  "soap",
  "voisniff",
];

/** Accounts MariaDB/Debian own; a stack must not touch them either. */
export const MARIADB_SYSTEM_USERS: readonly string[] = [
  "debian-sys-maint",
  "mariadb.sys",
  "mysql.infoschema",
  "mysql.session",
  "mysql.sys",
  "PUBLIC",
];

/** What `parseSipwiseCnf` found. The password is returned for the caller that needs to log in as sipwise. */
export interface SipwiseCnf {
  /** `sipwise` for the shell form; the `[client] user` of the option-file form. */
  readonly user?: string;
  /** A secret. */
  readonly password?: string;
  readonly form: "shell" | "ini" | "unknown";
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
    const inner = v.slice(1, -1);
    return v[0] === '"' ? inner.replace(/\\(["\\])/g, "$1") : inner;
  }
  return v;
}

/**
 * Reads `/etc/mysql/sipwise.cnf` (or `sipwise_extra.cnf`) in either form:
 * `SIPWISE_DB_PASSWORD='…'` (optionally `export`ed, optionally with `SIPWISE_DB_USER=…`), or an option
 * file whose `[client]` (else `[mysql]`, else `[client-server]`) section holds `user` and `password`.
 */
export function parseSipwiseCnf(text: string): SipwiseCnf {
  const shellPassword = /^\s*(?:export\s+)?SIPWISE_DB_PASSWORD=(.*)$/m.exec(text);
  if (shellPassword) {
    const shellUser = /^\s*(?:export\s+)?SIPWISE_DB_USER=(.*)$/m.exec(text);
    return {
      user: shellUser ? unquote(shellUser[1]) : "sipwise",
      password: unquote(shellPassword[1]),
      form: "shell",
    };
  }
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) {
      continue;
    }
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1].trim().toLowerCase();
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (kv && current) {
      current.set(kv[1].toLowerCase().replace(/_/g, "-"), unquote(kv[2]));
    }
  }
  for (const name of ["client", "mysql", "client-server"]) {
    const s = sections.get(name);
    if (s && (s.has("user") || s.has("password"))) {
      return {
        ...(s.has("user") ? { user: s.get("user") } : {}),
        ...(s.has("password") ? { password: s.get("password") } : {}),
        form: "ini",
      };
    }
  }
  return { form: "unknown" };
}

/** A service user found in constants.yml, with where (never the password). */
export interface ServiceUserEntry {
  readonly user: string;
  /** Dotted path of the mapping that named it, e.g. `credentials.mysql.kamailio`. */
  readonly path: string;
  /** `credentials.mysql` (current editions) or `legacy` (found by the tolerant walk). */
  readonly source: "credentials.mysql" | "legacy";
}

const USER_KEY = /^(?:u|user|username|db_?user|db_?rw_?user|db_?ro_?user|rw_?user|ro_?user)$/i;
const PASSWORD_KEY = /^(?:p|pass|password|passwd|pw|db_?pass(?:word)?|db_?rw_?pw|db_?ro_?pw|rw_?pw|ro_?pw)$/i;
const USER_NAME = /^[A-Za-z0-9_.$-]{1,80}$/;

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Every MariaDB service user named in constants.yml text, sorted by user. Tolerant by design: a key the walk
 * does not understand is skipped, never an error; an unparseable document throws (the caller reports the
 * file). Only mappings that hold a user-ish key *and* a password-ish key count, so e.g. `ossbss.htpasswd`
 * style web users and unrelated `user:` settings are not taken for MariaDB accounts.
 */
export function serviceUserEntriesFromConstants(yamlText: string): ServiceUserEntry[] {
  const doc: unknown = parse(yamlText);
  const found = new Map<string, ServiceUserEntry>();
  const add = (user: unknown, path: string, source: ServiceUserEntry["source"]): void => {
    if (typeof user === "string" && USER_NAME.test(user) && !found.has(`${user}\0${path}`)) {
      found.set(`${user}\0${path}`, { user, path, source });
    }
  };
  if (!isMapping(doc)) {
    return [];
  }
  const mysql = isMapping(doc.credentials) ? doc.credentials.mysql : undefined;
  if (isMapping(mysql)) {
    for (const [key, value] of Object.entries(mysql)) {
      if (isMapping(value)) {
        add(value.u ?? value.user, `credentials.mysql.${key}`, "credentials.mysql");
      }
    }
  }
  const walk = (node: unknown, path: string[]): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, String(i)]));
      return;
    }
    if (!isMapping(node)) {
      return;
    }
    if (path[0] !== "credentials" || path[1] !== "mysql") {
      const keys = Object.keys(node);
      const hasPassword = keys.some((k) => PASSWORD_KEY.test(k));
      if (hasPassword) {
        for (const k of keys) {
          if (USER_KEY.test(k)) {
            add(node[k], path.join("."), "legacy");
          }
        }
      }
    }
    for (const [k, v] of Object.entries(node)) {
      walk(v, [...path, k]);
    }
  };
  walk(doc, []);
  return [...found.values()].sort((a, b) => a.user.localeCompare(b.user) || a.path.localeCompare(b.path));
}

/** The distinct service user names of constants.yml (see {@link serviceUserEntriesFromConstants}). */
export function serviceUsersFromConstants(yamlText: string): string[] {
  return [...new Set(serviceUserEntriesFromConstants(yamlText).map((e) => e.user))].sort();
}

/**
 * The names a stack may not use and the provider never changes on this node: the documented list, MariaDB's
 * own accounts, and whatever the node's constants.yml and sipwise.cnf name.
 */
export function protectedUserNames(
  live: { fromConstants?: readonly string[]; sipwiseCnf?: SipwiseCnf } = {},
): string[] {
  const names = new Set<string>([
    ...KNOWN_NGCP_SERVICE_USERS,
    ...MARIADB_SYSTEM_USERS,
    ...(live.fromConstants ?? []),
  ]);
  if (live.sipwiseCnf?.user) {
    names.add(live.sipwiseCnf.user);
  }
  return [...names].sort();
}

/** Service users named by the node but missing from MariaDB (a broken install, or `ngcp-reset-db` half-run). */
export function missingServiceUsers(
  expected: readonly string[],
  liveUsers: readonly { user: string }[],
): string[] {
  const present = new Set(liveUsers.map((u) => u.user));
  return [...new Set(expected)].filter((u) => !present.has(u)).sort();
}
