import type { NodeTarget } from "../providers/transport/target";
import type { ClusterSpec, NodeSpec } from "./schema";

/** How to reach one node of a spec: the one place stack settings become a transport target. */
export function targetFor(spec: ClusterSpec, node: NodeSpec, sshPrivateKey?: string): NodeTarget {
  return {
    name: node.name,
    host: node.host,
    port: node.port ?? 22,
    user: node.user ?? spec.ssh.user,
    hostKey: node.hostKey,
    trustUnknownHostKey: spec.ssh.trustUnknownHostKeys,
    sudo: spec.ssh.sudo,
    connectTimeoutMs: spec.ssh.connectTimeoutMs,
    commandTimeoutMs: spec.ssh.commandTimeoutMs,
    ...(sshPrivateKey ? { privateKey: sshPrivateKey } : { privateKeyPath: spec.ssh.privateKeyPath }),
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
