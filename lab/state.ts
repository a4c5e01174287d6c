import * as fs from "node:fs";
import type { Edition } from "./core/editions";

/** A process the lab started, identified by PID and start time (so a reused PID is never mistaken for it). */
export interface ProcRef {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat, in clock ticks since boot. */
  readonly startTime: number;
}

export type DaemonName = "mariadb" | "sshd" | "cron" | "services";
export const DAEMONS: readonly DaemonName[] = ["mariadb", "sshd", "cron", "services"];

export interface NodeState {
  readonly name: string;
  readonly index: number;
  readonly namespace: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly vethHost: string;
  /** Host path of the node's disk. */
  readonly dir: string;
  /** `ssh-ed25519 AAAA…`, pinned in the stack and in known_hosts. */
  readonly hostKey: string;
  /** Inodes of the node's network and mount namespaces: every process inside them belongs to the node. */
  readonly netnsInode: number;
  readonly mntnsInode: number;
  readonly holder: ProcRef;
  /**
   * Daemons as started by `lab up`. `ngcpcfg apply` may restart the services stand-in under a new PID; its
   * current PID is in the node's /run/ngcp-lab/services.pid.
   */
  readonly daemons: Readonly<Record<DaemonName, ProcRef>>;
}

export interface LabState {
  readonly version: 1;
  readonly edition: Edition;
  readonly labDir: string;
  readonly updatedAt: string;
  /** /run/netns was not a mount point before the lab's first `ip netns add`; `lab down` undoes that mount. */
  readonly runNetnsMountedByLab: boolean;
  readonly nodes: readonly NodeState[];
}

export function readState(file: string): LabState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as Partial<LabState>;
  if (parsed.version !== 1 || !Array.isArray(parsed.nodes)) {
    throw new Error(
      `${file} is not a state file of this lab version; run \`ngcp-fleet lab down\` to clean up`,
    );
  }
  return parsed as LabState;
}

/** Writes the state atomically (temp file + rename), so a crash never leaves half a file. */
export function writeState(file: string, state: LabState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}
