/**
 * System account passwords (pure): the `chpasswd` input, `/etc/shadow` parsing, the crypt(3) setting of a
 * hash, and the small verifier the provider runs on the node (handbook 15.3: `passwd root`,
 * `passwd cdrexport`).
 *
 * Why a verifier on the node: Node's crypto has no crypt(3), and the node's hashes are yescrypt (Debian 11+)
 * or SHA-512-crypt (older). Re-implementing either on the deployer would be hand-written crypto. Perl is on
 * every Debian node and its `crypt()` is libcrypt's, so the node answers "does this password produce this
 * hash?" itself — with the password on stdin, never in argv.
 *
 * Drift: the state records the hash that was on the node right after the last set (a hash, never the
 * password). `refresh` compares the live hash with it; a different hash means someone ran `passwd`.
 */

export interface ChpasswdEntry {
  readonly user: string;
  /** A secret: goes to `chpasswd`'s stdin only. */
  readonly password: string;
}

/** `chpasswd` reads cleartext `user:password` lines from stdin and hashes with the node's default method. */
export const CHPASSWD_ARGV: readonly string[] = ["chpasswd"];

const LOGIN_NAME = /^[a-z_][a-z0-9_.-]*\$?$/;

/**
 * The stdin text for `chpasswd` (no `-e`: cleartext in, the node's own method — yescrypt or SHA-512 per
 * /etc/login.defs and PAM — out). chpasswd splits each line at the first colon, so a password may contain
 * colons but no newline. Throws (without quoting the password) on input `check` would have refused.
 */
export function renderChpasswdInput(entries: readonly ChpasswdEntry[]): string {
  if (entries.length === 0) {
    throw new Error("renderChpasswdInput needs at least one account");
  }
  return entries
    .map(({ user, password }) => {
      if (!LOGIN_NAME.test(user) || user.length > 32) {
        throw new Error(`not a valid login name for chpasswd: ${JSON.stringify(user)}`);
      }
      if (password.length === 0 || /[\r\n\0]/.test(password)) {
        throw new Error(
          `the password for ${user} is empty or contains a newline or NUL; chpasswd cannot take it`,
        );
      }
      return `${user}:${password}\n`;
    })
    .join("");
}

/** What the password field of a shadow line means. */
export type ShadowState =
  /** a crypt(3) hash: password login possible */
  | "hash"
  /** `!…`: locked by `passwd -l` / `usermod -L` (the hash after `!` is kept for unlocking) */
  | "locked"
  /** `*` (or another non-hash): no password can ever match */
  | "disabled"
  /** empty field: login WITHOUT a password — the worst state */
  | "empty";

export interface ShadowEntry {
  readonly user: string;
  /** The second field, verbatim (a hash; sensitive: keep it out of messages, store it only as drift evidence). */
  readonly hash: string;
  readonly state: ShadowState;
  /** Password login impossible: `locked` or `disabled`. */
  readonly locked: boolean;
  /** Days since 1970-01-01 of the last change (third field), when set. */
  readonly lastChangeDays?: number;
}

function stateOf(field: string): ShadowState {
  if (field === "") {
    return "empty";
  }
  if (field.startsWith("!")) {
    return "locked";
  }
  return field.startsWith("$") || /^[./0-9A-Za-z]{13}$/.test(field) ? "hash" : "disabled";
}

/** Parses `/etc/shadow` (or `getent shadow`) text; malformed lines are skipped. */
export function parseShadow(text: string): ShadowEntry[] {
  const out: ShadowEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.replace(/\r$/, "").split(":");
    if (f.length < 2 || f[0] === "" || f[0].startsWith("#")) {
      continue;
    }
    const state = stateOf(f[1]);
    const lastChange = f[2] !== undefined && /^\d+$/.test(f[2]) ? Number(f[2]) : undefined;
    out.push({
      user: f[0],
      hash: f[1],
      state,
      locked: state === "locked" || state === "disabled",
      ...(lastChange !== undefined ? { lastChangeDays: lastChange } : {}),
    });
  }
  return out;
}

/**
 * The crypt(3) setting ("salt") of a hash: everything `crypt()` needs to hash another password the same way.
 * - `$id$[params$]salt$digest` (MD5 `$1$`, SHA-256 `$5$`, SHA-512 `$6$` with optional `rounds=N$`, yescrypt
 *   `$y$`, gost-yescrypt `$gy$`, scrypt `$7$`): up to the last `$`;
 * - bcrypt `$2a$|$2b$|$2y$NN$`: the cost and the 22 salt characters;
 * - traditional DES (13 characters): the first two.
 * A lock prefix `!` is skipped. Undefined for `*`, `!`, an empty field or anything unrecognised.
 */
export function extractSalt(hash: string): string | undefined {
  const h = hash.replace(/^!+/, "");
  const bcrypt = /^(\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{22})[./A-Za-z0-9]{31}$/.exec(h);
  if (bcrypt) {
    return bcrypt[1];
  }
  if (/^\$[0-9a-z]+\$/.test(h)) {
    const last = h.lastIndexOf("$");
    // at least "$id$salt$digest": the setting must end after a non-empty salt
    return last > h.indexOf("$", 1) ? h.slice(0, last) : undefined;
  }
  if (/^[./0-9A-Za-z]{13}$/.test(h)) {
    return h.slice(0, 2);
  }
  return undefined;
}

/**
 * The verifier, a constant Perl program (the only thing in argv: `perl -e <script>`). It reads three lines
 * on stdin — the crypt setting, the expected hash, the password — and prints `match`, `mismatch`, or
 * `unsupported` (exit 3) when libcrypt cannot hash with that setting. Nothing it prints depends on the
 * password beyond that one word.
 */
export function renderVerifyScript(): string {
  return [
    "use strict; use warnings;",
    "binmode STDIN; binmode STDOUT;",
    "my $in = do { local $/; <STDIN> };",
    "my ($setting, $expected, $password) = split /\\n/, (defined $in ? $in : ''), 3;",
    'if (!defined $password) { print "error: expected setting, hash and password on stdin\\n"; exit 2; }',
    "$password =~ s/\\n\\z//;",
    "my $got = crypt($password, $setting);",
    "if (!defined $got || $got eq '' || $got =~ /^\\*/) { print \"unsupported\\n\"; exit 3; }",
    'print $got eq $expected ? "match\\n" : "mismatch\\n";',
  ].join("\n");
}

/** argv of the verifier; stdin from {@link renderVerifyStdin}. Exit codes 0 and 3 are answers, not failures. */
export function verifyCommand(): { argv: string[]; okExitCodes: number[] } {
  return { argv: ["perl", "-e", renderVerifyScript()], okExitCodes: [0, 3] };
}

/** The verifier's stdin for a password against a shadow hash. Throws when the hash has no usable setting. */
export function renderVerifyStdin(hash: string, password: string): string {
  const setting = extractSalt(hash);
  if (setting === undefined) {
    throw new Error("the shadow entry holds no crypt(3) hash to verify against (locked, disabled or empty)");
  }
  if (/[\r\n]/.test(password)) {
    throw new Error("a password with a newline cannot be verified (nor set through chpasswd)");
  }
  return `${setting}\n${hash.replace(/^!+/, "")}\n${password}\n`;
}

export type VerifyAnswer = "match" | "mismatch" | "unsupported";

/** Reads the verifier's answer; throws on anything else (the provider then reports the command's output). */
export function parseVerifyOutput(stdout: string): VerifyAnswer {
  const word = stdout.trim();
  if (word === "match" || word === "mismatch" || word === "unsupported") {
    return word;
  }
  throw new Error(`unexpected answer from the password verifier: ${JSON.stringify(word.slice(0, 80))}`);
}

/** The password a stack wants for an account, as the planner sees it. */
export type DesiredAccountPassword =
  /** A password to set; `changed`: the input differs from the one applied last (Pulumi's olds vs news). */
  | { readonly kind: "password"; readonly changed: boolean }
  /** No password login (cdrexport by key only): the entry must be locked or disabled. */
  | { readonly kind: "locked" };

export interface AccountPasswordSituation {
  readonly user: string;
  readonly desired: DesiredAccountPassword;
  /** The account's shadow entry now; undefined when the account does not exist. */
  readonly live: ShadowEntry | undefined;
  /** The hash recorded in the state right after the last set. @default none (first apply, or adoption) */
  readonly recordedHash?: string;
  /** The verifier's answer for the desired password against `live.hash`, once asked. */
  readonly verification?: VerifyAnswer;
}

export type AccountPasswordAction =
  | { readonly action: "none"; readonly user: string; readonly reason: string }
  /** Run the verifier, then plan again with its answer. */
  | { readonly action: "verify"; readonly user: string; readonly reason: string }
  /** `chpasswd` with {@link renderChpasswdInput}, then record the new hash. */
  | { readonly action: "set"; readonly user: string; readonly reason: string }
  /** `passwd -l <user>` ({@link lockCommand}). */
  | { readonly action: "lock"; readonly user: string; readonly reason: string }
  | { readonly action: "missing"; readonly user: string; readonly reason: string };

/** `passwd -l`: prefixes the hash with `!`, so password login fails while keys keep working. */
export function lockCommand(user: string): string[] {
  if (!LOGIN_NAME.test(user)) {
    throw new Error(`not a valid login name: ${JSON.stringify(user)}`);
  }
  return ["passwd", "-l", user];
}

/**
 * What to do about one account's password. Two rounds when the answer is not known from the state alone:
 * the first may say `verify`; the provider runs the verifier and calls again with `verification`.
 * The same password never produces `set` twice: after a set the recorded hash equals the live one.
 */
export function planAccountPassword(s: AccountPasswordSituation): AccountPasswordAction {
  const { user, live, desired } = s;
  if (!live) {
    return { action: "missing", user, reason: `account ${user} does not exist on the node` };
  }
  if (desired.kind === "locked") {
    return live.locked
      ? { action: "none", user, reason: `password login of ${user} is already disabled` }
      : { action: "lock", user, reason: `password login of ${user} must be disabled (key login only)` };
  }
  if (desired.changed) {
    return { action: "set", user, reason: `the password input of ${user} changed` };
  }
  if (live.state !== "hash") {
    return { action: "set", user, reason: `${user} has no usable password hash (${live.state})` };
  }
  if (s.recordedHash !== undefined && s.recordedHash === live.hash) {
    return {
      action: "none",
      user,
      reason: `the password hash of ${user} is the one recorded at the last set`,
    };
  }
  const why =
    s.recordedHash === undefined
      ? `no hash recorded yet for ${user}`
      : `the password hash of ${user} changed on the node since the last set`;
  switch (s.verification) {
    case undefined:
      return { action: "verify", user, reason: `${why}: checking the desired password on the node` };
    case "match":
      return { action: "none", user, reason: `${why}, but it still matches the desired password` };
    case "mismatch":
      return { action: "set", user, reason: `${why} and does not match the desired password` };
    case "unsupported":
      return { action: "set", user, reason: `${why} and its hash method cannot be verified on the node` };
  }
}

/** For `read`/`refresh`: why the live entry is drift against the recorded hash, or undefined when it is not. */
export function shadowDrift(
  user: string,
  recordedHash: string | undefined,
  live: ShadowEntry | undefined,
): string | undefined {
  if (recordedHash === undefined) {
    return undefined;
  }
  if (!live) {
    return `account ${user} no longer exists on the node`;
  }
  if (live.hash !== recordedHash) {
    return live.state === "hash"
      ? `the password of ${user} was changed on the node (its hash differs from the one set by the stack)`
      : `the password of ${user} was ${live.state === "empty" ? "removed" : live.state} on the node`;
  }
  return undefined;
}
