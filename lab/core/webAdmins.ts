import { scryptSync, timingSafeEqual } from "node:crypto";

/**
 * The web admin accounts of a lab node (pure): what ngcp-panel keeps in its `admins` table, as far as the
 * two REST calls of the lab's admin interface need it (lab/core/adminApi.ts). They live in one JSON file on
 * the node ({@link WEB_ADMINS_FILE}, 0600 root), re-read on every request, so a test or an operator resets
 * or changes a password by rewriting it ({@link setWebAdminPassword}, {@link renderWebAdmins}).
 *
 * Passwords are stored as salted scrypt hashes (the panel stores salted bcrypt; what matters here is that
 * neither the file nor a backup of it holds a password). The caller supplies the salts, so this stays pure.
 */

/** Inside a node: the web admins (0600 root). */
export const WEB_ADMINS_FILE = "/var/lib/ngcp-lab/admins.json";
/**
 * Inside a node: the password the installer generated for `ngcpsoap` (0600 root, one line). Not in
 * constants.yml: a `{user, password}` mapping there is taken for a MariaDB service user by Sipwise's tools
 * (and by providers/mysqlCredentials), and the handbook's section 12 (where a release records it) is not
 * in our seeds.
 */
export const NGCPSOAP_PASSWORD_FILE = "/var/lib/ngcp-lab/ngcpsoap.password";

/** The factory password of `administrator` (handbook 15.3). */
export const FACTORY_ADMINISTRATOR_PASSWORD = "administrator";

export interface WebAdmin {
  /** The id of `/api/admins/<id>`. */
  readonly id: number;
  readonly login: string;
  /** `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt, base64>$<hash, base64>` ({@link hashWebPassword}). */
  readonly passwordHash: string;
}

/** scrypt cost: N = 2^14, r = 8, p = 1 (16 MiB, tens of milliseconds a check: fine for a test panel). */
const LN = 14;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
/** The salt every hash needs, in bytes. */
export const WEB_SALT_BYTES = 16;
const HASH =
  /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** A salted scrypt hash of `password` (deterministic for a given salt). */
export function hashWebPassword(password: string, salt: Uint8Array): string {
  if (salt.length < WEB_SALT_BYTES) {
    throw new Error(`a password salt needs at least ${WEB_SALT_BYTES} bytes, got: ${salt.length}`);
  }
  const key = scryptSync(password, salt, KEY_LENGTH, { N: 2 ** LN, r: R, p: P });
  return `$scrypt$ln=${LN},r=${R},p=${P}$${Buffer.from(salt).toString("base64")}$${key.toString("base64")}`;
}

/** Whether `password` matches a hash of {@link hashWebPassword}; a malformed hash matches nothing. */
export function verifyWebPassword(password: string, stored: string): boolean {
  const m = HASH.exec(stored);
  if (!m) {
    return false;
  }
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounded so that a hand-edited file cannot make one login take minutes or gigabytes.
  if (ln < 1 || ln > 16 || r < 1 || r > 8 || p < 1 || p > 2) {
    return false;
  }
  const expected = Buffer.from(m[5], "base64");
  if (expected.length < 16) {
    return false;
  }
  const key = scryptSync(password, Buffer.from(m[4], "base64"), expected.length, {
    N: 2 ** ln,
    r,
    p,
    maxmem: 129 * 2 ** ln * r * p + 1024 * 1024,
  });
  return timingSafeEqual(key, expected);
}

/** The accounts of a freshly installed node: the factory `administrator` and the installation's `ngcpsoap`. */
export function seedWebAdmins(
  ngcpsoapPassword: string,
  salts: { readonly administrator: Uint8Array; readonly ngcpsoap: Uint8Array },
): WebAdmin[] {
  return [
    {
      id: 1,
      login: "administrator",
      passwordHash: hashWebPassword(FACTORY_ADMINISTRATOR_PASSWORD, salts.administrator),
    },
    { id: 2, login: "ngcpsoap", passwordHash: hashWebPassword(ngcpsoapPassword, salts.ngcpsoap) },
  ];
}

/** The accounts with `login`'s password replaced; throws when there is no such account. */
export function setWebAdminPassword(
  admins: readonly WebAdmin[],
  login: string,
  password: string,
  salt: Uint8Array,
): WebAdmin[] {
  if (!admins.some((a) => a.login === login)) {
    throw new Error(`no web admin named ${login} (admins: ${admins.map((a) => a.login).join(", ")})`);
  }
  return admins.map((a) => (a.login === login ? { ...a, passwordHash: hashWebPassword(password, salt) } : a));
}

/** The file's text: `{"admins": [{id, login, passwordHash}, …]}`. */
export function renderWebAdmins(admins: readonly WebAdmin[]): string {
  return (
    JSON.stringify(
      { admins: admins.map((a) => ({ id: a.id, login: a.login, passwordHash: a.passwordHash })) },
      null,
      2,
    ) + "\n"
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Reads the file's text; throws naming the first bad entry (the daemon then answers 500 and logs it). */
export function parseWebAdmins(text: string): WebAdmin[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${WEB_ADMINS_FILE} is not JSON: ${(err as Error).message}`);
  }
  if (!isRecord(doc) || !Array.isArray(doc.admins)) {
    throw new Error(`${WEB_ADMINS_FILE} must hold {"admins": [...]}`);
  }
  const ids = new Set<number>();
  const logins = new Set<string>();
  return doc.admins.map((entry: unknown, i: number): WebAdmin => {
    const where = `${WEB_ADMINS_FILE}: admins[${i}]`;
    if (!isRecord(entry)) {
      throw new Error(`${where} must be an object`);
    }
    const { id, login, passwordHash } = entry;
    if (typeof id !== "number" || !Number.isInteger(id) || id <= 0) {
      throw new Error(`${where}.id must be a positive integer, got: ${JSON.stringify(id)}`);
    }
    if (typeof login !== "string" || login === "" || login.includes(":")) {
      throw new Error(`${where}.login must be a non-empty string without ':', got: ${JSON.stringify(login)}`);
    }
    if (typeof passwordHash !== "string" || !HASH.test(passwordHash)) {
      throw new Error(`${where}.passwordHash must be a $scrypt$ hash (never a clear password)`);
    }
    if (ids.has(id) || logins.has(login)) {
      throw new Error(`${where} repeats id ${id} or login ${login}`);
    }
    ids.add(id);
    logins.add(login);
    return { id, login, passwordHash };
  });
}
