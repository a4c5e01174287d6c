/**
 * Splitting PEM text into its blocks and reading them with node:crypto. node:crypto parses one
 * certificate or key per call and has no "split a bundle" function, so this file only finds the
 * `-----BEGIN X-----` … `-----END X-----` frames; the decoding is node:crypto's.
 *
 * Nothing here puts input text into an error message: a block may be a private key.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";

export interface PemBlock {
  /** The label between `BEGIN ` and the dashes: `CERTIFICATE`, `PRIVATE KEY`, `EC PARAMETERS`, … */
  readonly label: string;
  /** The block from its BEGIN line to its END line, LF line ends, no surrounding whitespace. */
  readonly text: string;
}

export interface PemScan {
  readonly blocks: readonly PemBlock[];
  /** BEGIN lines without a matching END line (a truncated paste). */
  readonly unterminated: number;
}

/** Finds the PEM blocks in `input`; text between blocks (comments, `Bag Attributes`) is ignored. */
export function scanPem(input: string): PemScan {
  const text = input
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((line) => line.trim())
    .join("\n");
  const blockRe = /-----BEGIN ([A-Z0-9 ]+)-----\n[\s\S]*?\n-----END \1-----/g;
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(blockRe)) {
    const lines = match[0].split("\n").filter((line) => line.length > 0);
    blocks.push({ label: match[1], text: lines.join("\n") });
  }
  const begins = (text.match(/-----BEGIN [A-Z0-9 ]+-----/g) ?? []).length;
  return { blocks, unterminated: Math.max(0, begins - blocks.length) };
}

export function isPrivateKeyLabel(label: string): boolean {
  return label === "PRIVATE KEY" || label.endsWith(" PRIVATE KEY");
}

export function isEncryptedKeyBlock(block: PemBlock): boolean {
  return block.label === "ENCRYPTED PRIVATE KEY" || /^Proc-Type:\s*4,ENCRYPTED/m.test(block.text);
}

/** How a wrongly placed block is named in a message ("a private key", "a certificate request"). */
export function describeLabel(label: string): string {
  if (isPrivateKeyLabel(label)) {
    return "a private key";
  }
  switch (label) {
    case "CERTIFICATE":
      return "a certificate";
    case "CERTIFICATE REQUEST":
    case "NEW CERTIFICATE REQUEST":
      return "a certificate signing request";
    case "PUBLIC KEY":
    case "RSA PUBLIC KEY":
      return "a public key";
    case "X509 CRL":
      return "a certificate revocation list";
    default:
      return `a "${label}" block`;
  }
}

/** The error code of a node:crypto failure (never its message text, never the input). */
export function cryptoErrorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "unknown error";
}

/** Parses one CERTIFICATE block; the error names only node:crypto's error code. */
export function parseCertificate(block: PemBlock): X509Certificate {
  try {
    return new X509Certificate(block.text);
  } catch (err) {
    throw new Error(`not a valid X.509 certificate (${cryptoErrorCode(err)})`);
  }
}

/** Parses one private key block; the error names only node:crypto's error code. */
export function parsePrivateKey(block: PemBlock): KeyObject {
  try {
    return createPrivateKey({ key: block.text, format: "pem" });
  } catch (err) {
    throw new Error(`not a valid private key (${cryptoErrorCode(err)})`);
  }
}

/** SHA-256 (lower-case hex) of a public key's SubjectPublicKeyInfo: identifies a key pair, reveals nothing. */
export function publicKeySha256(key: KeyObject): string {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  const spki = publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("hex");
}

/** SHA-256 (lower-case hex) of a text, e.g. a certificate file's whole content. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The leaf followed by its chain, as installed: each block on its own lines, one trailing newline. */
export function joinPem(blocks: readonly PemBlock[]): string {
  return `${blocks.map((block) => block.text).join("\n")}\n`;
}
