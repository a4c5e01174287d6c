/**
 * Comparing a desired password with what MariaDB stores (pure, node:crypto) — the way Sipwise's
 * `ngcp-sync-db-creds` does it (it selects `authentication_string = PASSWORD(?)` for users whose plugin is
 * `mysql_native_password`, and only updates the accounts that do not match). That is what makes a second
 * `up` report no change: an unchanged password produces no statement at all.
 *
 * We compute the hash on the deployer instead of asking the server for `PASSWORD(?)`, so the cleartext never
 * travels to MariaDB: statements carry the hash (`IDENTIFIED BY PASSWORD ?`), which is what SHOW GRANTS and
 * mysql.user show anyway. A hash is not a login (the native handshake needs SHA1(password), not the stored
 * SHA1(SHA1(password))), but it allows offline guessing: it is still treated as a secret.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { tokenize, type SqlToken } from "./sql";

/**
 * MariaDB's `PASSWORD(x)` for `mysql_native_password`: `'*'` + upper-case hex of SHA1(SHA1(x)), with the
 * password's UTF-8 bytes (mysql2 connects with utf8mb4). The empty password hashes to the empty string.
 */
export function nativePasswordHash(password: string): string {
  if (password === "") {
    return "";
  }
  const stage1 = createHash("sha1").update(Buffer.from(password, "utf8")).digest();
  return "*" + createHash("sha1").update(stage1).digest("hex").toUpperCase();
}

/**
 * Plugins whose stored string is a native hash: `''` is the pre-5.7/10.4 way of saying native. (An array, not
 * a Set: dynamic-provider code is serialized by value, and a module-level Set comes back as a plain object.)
 */
const NATIVE_PLUGINS: readonly string[] = ["", "mysql_native_password"];

/**
 * Whether `password` is what an account with this plugin and stored string accepts. Only native hashes can
 * be compared; any other plugin (`unix_socket`, `ed25519`, `gssapi`, `mysql_old_password`) answers false, so
 * the planner sets a native password once and compares from then on.
 */
export function passwordMatches(
  password: string,
  storedAuthString: string | null | undefined,
  plugin: string | null | undefined,
): boolean {
  if (!NATIVE_PLUGINS.includes(plugin ?? "")) {
    return false;
  }
  const stored = (storedAuthString ?? "").toUpperCase();
  const expected = nativePasswordHash(password);
  if (stored.length !== expected.length) {
    return false;
  }
  return timingSafeEqual(Buffer.from(stored), Buffer.from(expected));
}

/** One way an account may authenticate (MariaDB ≥ 10.4 allows several, joined by OR). */
export interface AuthMethod {
  readonly plugin: string;
  /** The `USING`/`AS`/`BY PASSWORD` string: a hash for native; empty when none. */
  readonly authString: string;
}

/** True when any of the methods accepts `password` (only native ones can be checked). */
export function passwordMatchesAny(password: string, methods: readonly AuthMethod[]): boolean {
  return methods.some((m) => passwordMatches(password, m.authString, m.plugin));
}

export interface CreateUserInfo {
  readonly user: string;
  readonly host: string;
  readonly auth: readonly AuthMethod[];
}

function accountPart(tokens: SqlToken[], i: number): [string, number] {
  const tok = tokens[i];
  if (!tok || tok.t === "punct") {
    throw new Error("expected an account name");
  }
  return [tok.v, i + 1];
}

/**
 * Parses `SHOW CREATE USER` output:
 * `CREATE USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket`,
 * `CREATE USER `b`@`%` IDENTIFIED BY PASSWORD '*2470…'`, or no IDENTIFIED clause at all (native, no
 * password). Trailing clauses (`REQUIRE`, `WITH MAX_…`, `PASSWORD EXPIRE`, `ACCOUNT LOCK`) are ignored.
 */
export function parseShowCreateUser(text: string): CreateUserInfo {
  const tokens = tokenize(text.trim().replace(/;$/, ""));
  const upper = (i: number): string => {
    const tok = tokens[i];
    return tok && tok.t === "word" ? tok.v.toUpperCase() : "";
  };
  if (upper(0) !== "CREATE" || upper(1) !== "USER") {
    throw new Error("not a CREATE USER statement");
  }
  let i = 2;
  if (upper(i) === "IF") {
    i += 3; // IF NOT EXISTS
  }
  const [user, afterUser] = accountPart(tokens, i);
  i = afterUser;
  let host = "%";
  if (tokens[i]?.t === "punct" && tokens[i].v === "@") {
    [host, i] = accountPart(tokens, i + 1);
  }
  if (upper(i) !== "IDENTIFIED") {
    return { user, host, auth: [{ plugin: "mysql_native_password", authString: "" }] };
  }
  i++;
  if (upper(i) === "BY") {
    // IDENTIFIED BY PASSWORD 'hash' (SHOW CREATE USER never prints a cleartext IDENTIFIED BY 'x')
    const tok = upper(i + 1) === "PASSWORD" ? tokens[i + 2] : tokens[i + 1];
    return {
      user,
      host,
      auth: [{ plugin: "mysql_native_password", authString: tok?.t === "string" ? tok.v : "" }],
    };
  }
  if (upper(i) !== "VIA" && upper(i) !== "WITH") {
    throw new Error("unrecognised IDENTIFIED clause in SHOW CREATE USER output");
  }
  i++;
  const auth: AuthMethod[] = [];
  for (;;) {
    const pluginTok = tokens[i];
    if (!pluginTok || pluginTok.t === "punct") {
      throw new Error("expected an authentication plugin name");
    }
    i++;
    let authString = "";
    if ((upper(i) === "USING" || upper(i) === "AS" || upper(i) === "BY") && tokens[i + 1]?.t === "string") {
      authString = tokens[i + 1].v;
      i += 2;
    } else if (upper(i) === "USING" && upper(i + 1) === "PASSWORD" && tokens[i + 2]?.t === "punct") {
      // USING PASSWORD('x') is input syntax only; the server never prints it. Treat as unknown.
      i += 2;
    }
    auth.push({ plugin: pluginTok.v.toLowerCase(), authString });
    if (upper(i) === "OR") {
      i++;
      continue;
    }
    break;
  }
  return { user, host, auth };
}
