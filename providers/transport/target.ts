import { createHash } from "node:crypto";

/**
 * How to reach one node. Plain data: it travels through Pulumi state as a
 * resource input, so it holds no functions, classes or open handles.
 */
export interface NodeTarget {
  /** Node name used in every message (the stack's `nodes[].name`). */
  readonly name: string;
  readonly host: string;
  /** @default 22 */
  readonly port?: number;
  /** @default "root" */
  readonly user?: string;
  /** OpenSSH private key text. Never logged; held in secret config. */
  readonly privateKey?: string;
  /** Private key file on the deployer, read at connect time (keeps the key out of state). */
  readonly privateKeyPath?: string;
  /** Pinned host public key, OpenSSH format (`ssh-ed25519 AAAA…`). */
  readonly hostKey?: string;
  /** Accept whatever host key the node presents (trust on first use). @default false */
  readonly trustUnknownHostKey?: boolean;
  /** Run commands through `sudo -n` (for a non-root user). @default false */
  readonly sudo?: boolean;
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
  /** @default 120000 */
  readonly commandTimeoutMs?: number;
}

/** Parses an OpenSSH public key line into its type and raw blob. */
export function parsePublicKeyLine(line: string): { type: string; blob: Buffer } {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2 || !/^(ssh-|ecdsa-|sk-)/.test(parts[0])) {
    throw new Error(
      `not an OpenSSH public key line (expected "ssh-ed25519 AAAA…"), got: ${line.slice(0, 40)}`,
    );
  }
  const blob = Buffer.from(parts[1], "base64");
  // The blob starts with its own type string; a mismatch means a pasted fragment.
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (typeLength <= 0 || blob.subarray(4, 4 + typeLength).toString() !== parts[0]) {
    throw new Error(`public key blob does not match its type ${parts[0]}`);
  }
  return { type: parts[0], blob };
}

/** The fingerprint OpenSSH prints (`ssh-keygen -lf`): SHA256 of the blob, base64 without padding. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

export function describeTarget(target: NodeTarget): string {
  return `${target.user ?? "root"}@${target.host}:${target.port ?? 22}`;
}
