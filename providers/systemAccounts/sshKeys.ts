/**
 * OpenSSH public keys and `authorized_keys` files (pure): parsing lines with their options, validating the
 * keys a stack names, and planning the new file content (handbook 15.3: wipe the preinstalled
 * `authorized_keys` of root and sipwise; cdrexport logs in by key).
 *
 * A key is identified by its blob (compared by SHA-256 fingerprint, as `ssh-keygen -lf` prints it), never by
 * its comment or its options: the same key with another comment is the same key.
 */
import { utils as sshUtils } from "ssh2";
import { fingerprint, parsePublicKeyLine } from "../transport/target";

/** Key types sshd accepts in authorized_keys today. `ssh-dss` is recognised only to be refused. */
const KEY_TYPE =
  /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

/** RSA keys below this size are refused (OpenSSH itself refuses below 1024; NIST retired 1024 in 2013). */
export const MIN_RSA_BITS = 2048;

export type AuthorizedKeysLine =
  | { readonly kind: "blank" | "comment"; readonly raw: string }
  | {
      readonly kind: "key";
      readonly raw: string;
      /** The options field (`from="…",no-pty`), verbatim, when present. */
      readonly options?: string;
      readonly type: string;
      /** The key blob as written (base64). */
      readonly base64: string;
      readonly comment?: string;
      /** `SHA256:…` of the blob: the key's identity. */
      readonly fingerprint: string;
    }
  | { readonly kind: "invalid"; readonly raw: string; readonly reason: string };

/** Splits at unquoted whitespace; double quotes (with `\"` escapes) group, as sshd's option parser does. */
function splitFields(line: string): string[] {
  const fields: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted && ch === "\\" && line[i + 1] === '"') {
      current += '\\"';
      i++;
      continue;
    }
    if (ch === '"') {
      quoted = !quoted;
      current += ch;
      continue;
    }
    if (!quoted && /\s/.test(ch)) {
      if (current !== "") {
        fields.push(current);
        current = "";
      }
      continue;
    }
    current += ch;
  }
  if (current !== "") {
    fields.push(current);
  }
  return fields;
}

/** Parses one line of an authorized_keys file (or a key a stack names, which may carry options too). */
export function parseAuthorizedKeyLine(raw: string): AuthorizedKeysLine {
  const line = raw.trim();
  if (line === "") {
    return { kind: "blank", raw };
  }
  if (line.startsWith("#")) {
    return { kind: "comment", raw };
  }
  const fields = splitFields(line);
  let index = 0;
  let options: string | undefined;
  if (!KEY_TYPE.test(fields[0])) {
    options = fields[0];
    index = 1;
  }
  const type = fields[index];
  const base64 = fields[index + 1];
  if (type === undefined || !KEY_TYPE.test(type)) {
    return {
      kind: "invalid",
      raw,
      reason:
        "not an OpenSSH public key line: expected `[options] <type> <base64> [comment]` with a type such as " +
        "ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa",
    };
  }
  if (base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    return { kind: "invalid", raw, reason: `the ${type} key has no base64 key data after its type` };
  }
  let blob: Buffer;
  try {
    blob = parsePublicKeyLine(`${type} ${base64}`).blob;
  } catch (err) {
    return { kind: "invalid", raw, reason: (err as Error).message };
  }
  const comment = fields.slice(index + 2).join(" ");
  return {
    kind: "key",
    raw,
    ...(options !== undefined ? { options } : {}),
    type,
    base64,
    ...(comment !== "" ? { comment } : {}),
    fingerprint: fingerprint(blob),
  };
}

/** Bit length of an SSH `mpint` (big-endian, possibly with a leading zero byte). */
function mpintBits(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) {
    i++;
  }
  if (i === bytes.length) {
    return 0;
  }
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]));
}

/** The modulus size of an `ssh-rsa` blob (string type, mpint e, mpint n), or undefined if malformed. */
export function rsaModulusBits(blob: Buffer): number | undefined {
  let offset = 0;
  const next = (): Buffer | undefined => {
    if (offset + 4 > blob.length) {
      return undefined;
    }
    const length = blob.readUInt32BE(offset);
    if (offset + 4 + length > blob.length) {
      return undefined;
    }
    const part = blob.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    return part;
  };
  const type = next();
  const e = next();
  const n = next();
  if (!type || type.toString() !== "ssh-rsa" || !e || !n) {
    return undefined;
  }
  return mpintBits(n);
}

/**
 * Why a public key a stack names is unacceptable, or undefined when it is fine: malformed, not a single key,
 * DSA (disabled by OpenSSH since 7.0), or RSA below {@link MIN_RSA_BITS} bits. Public keys are not secrets,
 * but the reason still quotes only the key type and fingerprint.
 */
export function publicKeyProblem(line: string): string | undefined {
  if (line.includes("\n") || line.includes("\r")) {
    return "must be a single line (one key per list entry)";
  }
  const parsed = parseAuthorizedKeyLine(line);
  if (parsed.kind === "invalid") {
    return parsed.reason;
  }
  if (parsed.kind !== "key") {
    return parsed.kind === "blank" ? "must not be empty" : "is a comment, not a public key";
  }
  // The blob's own structure (an ed25519 key of 32 bytes, an ECDSA point on its curve, RSA's e and n): ssh2's
  // parser checks it; `sk-` keys (FIDO) are outside what ssh2 parses and keep the checks above.
  if (!parsed.type.startsWith("sk-") && parsed.type !== "ssh-dss") {
    const structural = sshUtils.parseKey(`${parsed.type} ${parsed.base64}`);
    if (structural instanceof Error) {
      return `malformed ${parsed.type} key data: ${structural.message} (${parsed.fingerprint})`;
    }
  }
  if (parsed.type === "ssh-dss") {
    return `DSA keys (ssh-dss) are disabled in OpenSSH since 7.0; use ssh-ed25519 (${parsed.fingerprint})`;
  }
  if (parsed.type === "ssh-rsa") {
    const bits = rsaModulusBits(Buffer.from(parsed.base64, "base64"));
    if (bits === undefined) {
      return `malformed ssh-rsa key data (${parsed.fingerprint})`;
    }
    if (bits < MIN_RSA_BITS) {
      return `RSA key of ${bits} bits is too small, at least ${MIN_RSA_BITS} required (${parsed.fingerprint})`;
    }
  }
  return undefined;
}

/** Where sshd looks for a user's keys on Debian (`AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2`). */
export function authorizedKeysFiles(home: string): string[] {
  const base = home.replace(/\/+$/, "");
  return [`${base}/.ssh/authorized_keys`, `${base}/.ssh/authorized_keys2`];
}

export interface AuthorizedKeysPlanOptions {
  /**
   * - `wipe` (handbook 15.3, root and sipwise): keep only the lines of named keys, byte for byte (their
   *   options and comments included, e.g. the support key's `from="…"`); named keys missing from the file
   *   are appended as the stack wrote them. Other keys, comments and blank lines go.
   * - `exact` (cdrexport): the file is the named keys, as the stack wrote them, in order.
   * @default "wipe"
   */
  readonly mode?: "wipe" | "exact";
  /**
   * In `wipe` mode, append named keys the file lacks. Off for a secondary file (`authorized_keys2`), which
   * only ever loses keys. @default true
   */
  readonly addMissing?: boolean;
}

export interface KeyRef {
  readonly fingerprint: string;
  readonly type: string;
  readonly comment?: string;
}

export interface AuthorizedKeysPlan {
  /** The new file content ("" when no key remains). */
  readonly text: string;
  /** `text` differs from the live content. */
  readonly changed: boolean;
  readonly kept: readonly KeyRef[];
  readonly added: readonly KeyRef[];
  readonly removed: readonly KeyRef[];
  /** Lines of the live file that were not keys at all (comments, blanks, garbage) and were dropped. */
  readonly droppedOtherLines: number;
}

function refOf(line: Extract<AuthorizedKeysLine, { kind: "key" }>): KeyRef {
  return {
    fingerprint: line.fingerprint,
    type: line.type,
    ...(line.comment ? { comment: line.comment } : {}),
  };
}

/**
 * The new content of an authorized_keys file given what is on the node (`liveText`, undefined when the file
 * does not exist) and the keys the stack names. Throws on a named key that does not parse: `check`
 * validates them first ({@link publicKeyProblem}).
 */
export function planAuthorizedKeys(
  liveText: string | undefined,
  keepKeys: readonly string[],
  options: AuthorizedKeysPlanOptions = {},
): AuthorizedKeysPlan {
  const mode = options.mode ?? "wipe";
  const named: Extract<AuthorizedKeysLine, { kind: "key" }>[] = [];
  const namedFingerprints = new Set<string>();
  for (const [i, line] of keepKeys.entries()) {
    const parsed = parseAuthorizedKeyLine(line);
    if (parsed.kind !== "key") {
      throw new Error(
        `key ${i} is not a public key line: ${parsed.kind === "invalid" ? parsed.reason : parsed.kind}`,
      );
    }
    if (!namedFingerprints.has(parsed.fingerprint)) {
      namedFingerprints.add(parsed.fingerprint);
      named.push(parsed);
    }
  }

  const live = (liveText ?? "").split("\n").map(parseAuthorizedKeyLine);
  if (live.length > 0 && live[live.length - 1].kind === "blank" && (liveText ?? "").endsWith("\n")) {
    live.pop(); // the empty string after the final newline is not a line
  }
  const liveKeys = live.filter((l): l is Extract<AuthorizedKeysLine, { kind: "key" }> => l.kind === "key");
  const droppedOtherLines = live.filter((l) => l.kind !== "key").length;

  const out: string[] = [];
  const kept: KeyRef[] = [];
  const added: KeyRef[] = [];
  const removed: KeyRef[] = [];
  const placed = new Set<string>();

  if (mode === "wipe") {
    for (const line of liveKeys) {
      if (namedFingerprints.has(line.fingerprint) && !placed.has(line.fingerprint)) {
        placed.add(line.fingerprint);
        out.push(line.raw.replace(/\r$/, ""));
        kept.push(refOf(line));
      } else if (!namedFingerprints.has(line.fingerprint)) {
        removed.push(refOf(line));
      }
    }
    for (const key of options.addMissing === false ? [] : named) {
      if (!placed.has(key.fingerprint)) {
        placed.add(key.fingerprint);
        out.push(key.raw.trim());
        added.push(refOf(key));
      }
    }
  } else {
    const liveFingerprints = new Set(liveKeys.map((l) => l.fingerprint));
    for (const key of named) {
      out.push(key.raw.trim());
      (liveFingerprints.has(key.fingerprint) ? kept : added).push(refOf(key));
    }
    const seenRemoved = new Set<string>();
    for (const line of liveKeys) {
      if (!namedFingerprints.has(line.fingerprint) && !seenRemoved.has(line.fingerprint)) {
        seenRemoved.add(line.fingerprint);
        removed.push(refOf(line));
      }
    }
  }

  const text = out.length > 0 ? out.join("\n") + "\n" : "";
  return { text, changed: text !== (liveText ?? ""), kept, added, removed, droppedOtherLines };
}

/** One line of `getent passwd <user>`. */
export interface PasswdEntry {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

/** Parses `getent passwd` / `/etc/passwd` text; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 7 || f[0] === "" || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) {
      continue;
    }
    out.push({ user: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f.slice(6).join(":") });
  }
  return out;
}
