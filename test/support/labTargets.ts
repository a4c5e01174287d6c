import { forgetSnapshots } from "../../providers/transport/snapshot";
import { execFileSync } from "node:child_process";
import { labStatus } from "../../lab";
import type { NodeTarget } from "../../providers/transport/target";

/** The transport target of a lab node, as a stack built by `lab up` would describe it. */
export function labTarget(name: string): NodeTarget {
  const status = labStatus();
  const node = status.nodes.find((n) => n.name === name);
  if (!node) {
    throw new Error(
      `lab node ${name} is not up (nodes: ${status.nodes.map((n) => n.name).join(", ") || "none"})`,
    );
  }
  return {
    name,
    host: node.address,
    user: "root",
    hostKey: node.hostKey,
    privateKeyPath: status.deployerKey,
    connectTimeoutMs: 5000,
    commandTimeoutMs: 60_000,
  };
}

/** Stack config (keys without the `ngcp-fleet:` prefix) for the first `count` lab nodes. */
export function labStackConfig(count: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const status = labStatus();
  return {
    environment: "lab",
    ssh: { user: "root", privateKeyPath: status.deployerKey },
    nodes: status.nodes.slice(0, count).map((n) => ({ name: n.name, host: n.address, hostKey: n.hostKey })),
    adminSources: [`${status.deployer?.address ?? "198.18.0.1"}/32`],
    ...extra,
  };
}

/**
 * Runs a shell command on a lab node through the real OpenSSH client (independent of the code under
 * test), for GIVEN steps and THEN checks.
 */
export function nodeShell(name: string, command: string, input?: string): string {
  const status = labStatus();
  const node = status.nodes.find((n) => n.name === name);
  if (!node) {
    throw new Error(`lab node ${name} is not up`);
  }
  // A command from outside may change the node: the provider methods this test process calls next must read
  // it afresh, as the next `pulumi` command's provider process would (transport/snapshot.ts).
  try {
    return execFileSync(
      "ssh",
      [
        "-i",
        status.deployerKey,
        "-o",
        `UserKnownHostsFile=${status.knownHosts}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        `root@${node.address}`,
        command,
      ],
      { input, encoding: "utf8", timeout: 60_000 },
    );
  } finally {
    forgetSnapshots();
  }
}
