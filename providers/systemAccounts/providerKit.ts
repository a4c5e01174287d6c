/**
 * Small pieces the four credentials providers (MySQL, system accounts, support access, web credentials)
 * share: check failures that never make the engine print a secret, unknown-key detection, normalized
 * comparison, and error text with secrets redacted.
 *
 * Why failures are always nested under the settings key: for a failure whose `property` is a top-level
 * input name, the engine prints that input's value in its message (`property X value {…} has a problem`),
 * and it formats a secret value in clear there. Every credentials resource therefore takes its settings
 * under one key (`mysql`, `systemAccounts`, …) and reports `mysql.rootPassword`, never `rootPassword` or
 * `mysql` alone: a dotted path is not a top-level key, so the engine prints no value.
 *
 * Why outputs hold fingerprints, never a secret: the engine hands every output back to the program, and the
 * Node SDK's `--debug` log prints that response (RegisterResource "resp: …") in clear, secret or not. So a
 * provider's outputs hold no password and no fast hash of one: to tell "did this password input change?"
 * and "was this account's stored hash changed on the node?", they keep salted scrypt fingerprints
 * ({@link secretFingerprint}), which cost an attacker a slow key derivation per guess.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import type { CheckFailure } from "../common/checkTarget";
import { redact } from "../transport/redact";
import type { NodeTarget } from "../transport/target";

/** Failures of a settings object, re-rooted under `key` (`rootPassword` → `mysql.rootPassword`). */
export function underKey(key: string, failures: readonly CheckFailure[]): CheckFailure[] {
  return failures.map((f) => ({
    property: f.property ? `${key}.${f.property}` : `${key}.(settings)`,
    reason: f.reason,
  }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The settings object's shape: an object whose keys are all known. The reason names the unknown key and the
 * allowed ones, never a value (a misspelt `rootPasword` holds a password).
 */
export function settingsShapeFailures(
  key: string,
  settings: unknown,
  allowed: readonly string[],
): CheckFailure[] {
  if (!isRecord(settings)) {
    return [{ property: `${key}.(settings)`, reason: `ngcp-fleet:${key} must be an object` }];
  }
  return Object.keys(settings)
    .filter((k) => !allowed.includes(k))
    .sort()
    .map((k) => ({
      property: `${key}.${k}`,
      reason: `is not a setting of ngcp-fleet:${key}; the settings are: ${allowed.join(", ")}`,
    }));
}

/** Deep equality of normalized values, independent of key order (never JSON text). */
export function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

/** The target fields whose change means "another machine": worth converging again. */
export function targetMoved(olds: NodeTarget | undefined, news: NodeTarget): boolean {
  const place = (t: NodeTarget | undefined) => [t?.name, t?.host, t?.port ?? 22, t?.user ?? "root"].join(" ");
  return place(olds) !== place(news);
}

/** An error's message with every secret replaced by `[secret]`. */
export function redactedMessage(err: unknown, secrets: readonly (string | undefined)[]): string {
  return redact(err instanceof Error ? err.message : String(err), secrets);
}

/** A fresh per-resource salt for {@link secretFingerprint} (kept in the outputs; not a secret). */
export function newSalt(): string {
  return randomBytes(16).toString("base64");
}

/**
 * A salted scrypt fingerprint (N=2^14, r=8: ~16 MB and tens of milliseconds per guess) of a secret or of a
 * stored hash: equal inputs give equal fingerprints under the same salt; the value itself cannot be read back.
 */
export function secretFingerprint(value: string, salt: string): string {
  const digest = scryptSync(Buffer.from(value, "utf8"), Buffer.from(salt, "base64"), 32, {
    N: 16384,
    r: 8,
    p: 1,
  });
  return `scrypt:${digest.toString("base64")}`;
}

/**
 * A fingerprint of what the node already stores hashed (a shadow entry, MariaDB's `SHOW CREATE USER`):
 * HMAC-SHA256 under the node's own credentials key ({@link CREDENTIALS_KEY_FILE}, 0600 root, never in the
 * state). Fast enough for every refresh, and the state's copy is of no use without the node's key: a guess at
 * the password cannot be checked against it offline. (A MariaDB native hash is unsalted: a plain digest of
 * it in the state would be.)
 */
export function nodeFingerprint(value: string, key: Buffer): string {
  return `hmac:${createHmac("sha256", key).update(value, "utf8").digest("base64")}`;
}

/**
 * Whether `value` is what `recorded` fingerprinted: `hmac:` records under the node's key, `scrypt:` records
 * (written before node fingerprints) under the resource's salt. `undefined` when it cannot tell: an `hmac:`
 * record and no (or another) key on the node.
 */
export function matchesFingerprint(
  value: string,
  recorded: string,
  key: Buffer | undefined,
  salt: string | undefined,
): boolean | undefined {
  if (recorded.startsWith("hmac:")) {
    return key === undefined ? undefined : nodeFingerprint(value, key) === recorded;
  }
  return salt === undefined ? undefined : secretFingerprint(value, salt) === recorded;
}

/**
 * Seals a secret the provider must get back later (the web passwords: changing one needs the one before) with
 * AES-256-GCM under a key kept on the node ({@link CREDENTIALS_KEY_FILE}, 0600 root). The sealed text goes in
 * the outputs: neither it (in the state or a `--debug` log) nor the node's key alone reveals the password.
 */
export function seal(plaintext: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), data]
    .map((p) => (typeof p === "string" ? p : p.toString("base64")))
    .join(".");
}

/** The secret {@link seal} sealed under `key`; undefined when the key does not fit or the text is damaged. */
export function unseal(sealed: string, key: Buffer): string | undefined {
  const [version, iv, tag, data] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || data === undefined) {
    return undefined;
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}

/** Where a node keeps the key of {@link seal} (created by the first provider that needs it). */
import { CREDENTIALS_KEY_FILE } from "../common/nodeContract";

export { CREDENTIALS_KEY_FILE };

/** The sealing key in the text of {@link CREDENTIALS_KEY_FILE}, when it holds a valid one. */
export function keyOf(text: string | undefined): Buffer | undefined {
  const key = Buffer.from(text?.trim() ?? "", "base64");
  return key.length === 32 ? key : undefined;
}

/**
 * Creates the key on the node unless it exists, and prints the one that is there: 32 random bytes from the
 * node's /dev/urandom, base64, 0600 root in a 0700 directory. The hard link makes creation exclusive, so two
 * resources of one node that create it at the same moment end up with the same key (the loser reads the
 * winner's); the key travels only on stdout, never in argv.
 */
const ENSURE_KEY_SCRIPT = [
  "set -e",
  "f=$1; d=${f%/*}",
  "umask 077",
  'mkdir -p "$d"',
  'if [ ! -s "$f" ]; then',
  '  t=$(mktemp "$d/.credentials.key.XXXXXX")',
  '  head -c 32 /dev/urandom | base64 > "$t"',
  '  ln "$t" "$f" 2>/dev/null || :',
  '  rm -f "$t"',
  "fi",
  'cat "$f"',
].join("\n");

/** The node's sealing key; with `create`, created when missing (see {@link ENSURE_KEY_SCRIPT}). */
export async function nodeSealingKey(
  session: {
    readFile(path: string): Promise<Buffer | undefined>;
    exec(argv: readonly string[]): Promise<{ stdout: string }>;
  },
  create: boolean,
): Promise<Buffer | undefined> {
  const existing = keyOf((await session.readFile(CREDENTIALS_KEY_FILE))?.toString("utf8"));
  if (existing !== undefined || !create) {
    return existing;
  }
  const { stdout } = await session.exec([
    "sh",
    "-c",
    ENSURE_KEY_SCRIPT,
    "ngcp-fleet-key",
    CREDENTIALS_KEY_FILE,
  ]);
  const key = keyOf(stdout);
  if (key === undefined) {
    throw new Error(
      `${CREDENTIALS_KEY_FILE} on the node does not hold a 32-byte key (base64): move it aside`,
    );
  }
  return key;
}

/** The node's sealing key, created when missing: what create and update fingerprint node hashes with. */
export async function nodeKeyFor(session: Parameters<typeof nodeSealingKey>[0]): Promise<Buffer> {
  const key = await nodeSealingKey(session, true);
  if (key === undefined) {
    throw new Error(`cannot create the node's credentials key ${CREDENTIALS_KEY_FILE}`);
  }
  return key;
}
