import type { NodeTarget } from "../providers/transport/target";
import type { ClusterSpec, NodeSpec } from "./schema";

/**
 * How to reach one node of a spec: the one place stack settings become a transport target. Fields at their
 * default are left out: the target is stored with every resource of the node (twice), so each byte counts
 * two dozen times per node.
 */
export function targetFor(
  spec: ClusterSpec,
  node: NodeSpec,
  sshPrivateKey?: string | { readonly fromStack: true },
): NodeTarget {
  const port = node.port ?? 22;
  const user = node.user ?? spec.ssh.user;
  return {
    name: node.name,
    host: node.host,
    ...(port === 22 ? {} : { port }),
    ...(user === "root" ? {} : { user }),
    ...(node.hostKey === undefined ? {} : { hostKey: node.hostKey }),
    ...(spec.ssh.trustUnknownHostKeys ? { trustUnknownHostKey: true } : {}),
    ...(spec.ssh.sudo ? { sudo: true } : {}),
    ...(spec.ssh.connectTimeoutMs === 10_000 ? {} : { connectTimeoutMs: spec.ssh.connectTimeoutMs }),
    ...(spec.ssh.commandTimeoutMs === 120_000 ? {} : { commandTimeoutMs: spec.ssh.commandTimeoutMs }),
    ...(typeof sshPrivateKey === "string" && sshPrivateKey !== ""
      ? { privateKey: sshPrivateKey }
      : typeof sshPrivateKey === "object"
        ? { stackKey: true }
        : { privateKeyPath: spec.ssh.privateKeyPath }),
  };
}

/** Parses a config value the way `pulumi config set` / `--path` store it (JSON for objects and lists). */
export function configValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
