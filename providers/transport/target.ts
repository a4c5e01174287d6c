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
  /**
   * OpenSSH private key text, for a command that runs in the deployer's own process (the CLI). Never in a
   * resource's inputs: the program sets `stackKey` instead.
   */
  readonly privateKey?: string;
  /**
   * The key is the stack's secret `ngcp-fleet:sshPrivateKey`, which the engine hands to the provider process
   * with the provider's configuration: it is never copied into a resource's inputs or outputs.
   */
  readonly stackKey?: boolean;
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

export { fingerprint, parsePublicKeyLine } from "../../spec/hostKey";

export function describeTarget(target: NodeTarget): string {
  return `${target.user ?? "root"}@${target.host}:${target.port ?? 22}`;
}
