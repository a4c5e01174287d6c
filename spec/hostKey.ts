/** OpenSSH host keys as the stack pins them (`nodes[].hostKey`) and as the transport checks them. */
import { createHash } from "node:crypto";

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
