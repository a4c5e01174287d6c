import * as fs from "node:fs";
import { sleep } from "./exec";
import type { ProcRef } from "./state";

/** Start time of a process (field 22 of /proc/<pid>/stat), or undefined when it is gone or a zombie. */
export function procStartTime(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after its last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") {
    return undefined;
  }
  return Number(fields[19]);
}

export function procRef(pid: number): ProcRef {
  const startTime = procStartTime(pid);
  if (startTime === undefined) {
    throw new Error(`process ${pid} exited right after it was started`);
  }
  return { pid, startTime };
}

/** Whether the recorded process still runs (same PID and same start time). */
export function isAlive(ref: ProcRef | undefined): boolean {
  return ref !== undefined && procStartTime(ref.pid) === ref.startTime;
}

/** Inode of a process's namespace (`net`, `mnt`), or undefined when the process is gone. */
export function nsInode(pid: number | "self", kind: "net" | "mnt"): number | undefined {
  try {
    const link = fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
    const m = /\[(\d+)\]/.exec(link);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Inode of a named network namespace (the nsfs file under /run/netns), undefined when it does not exist. */
export function namedNetnsInode(namespace: string): number | undefined {
  try {
    return fs.statSync(`/run/netns/${namespace}`).ino;
  } catch {
    return undefined;
  }
}

/** Every process (other than this one) whose network or mount namespace is one of the given inodes. */
export function pidsInNamespaces(netInodes: ReadonlySet<number>, mntInodes: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    const pid = Number(entry);
    if (pid === process.pid) {
      continue;
    }
    const net = nsInode(pid, "net");
    const mnt = nsInode(pid, "mnt");
    if ((net !== undefined && netInodes.has(net)) || (mnt !== undefined && mntInodes.has(mnt))) {
      out.push(pid);
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * Stops processes by PID: SIGTERM, then SIGKILL for those still running after `graceMs` (MariaDB needs a
 * moment to shut down cleanly). Resolves once all are gone.
 */
export async function stopPids(pids: readonly number[], graceMs = 8000): Promise<void> {
  const refs = pids
    .map((pid) => ({ pid, startTime: procStartTime(pid) }))
    .filter((r) => r.startTime !== undefined);
  for (const r of refs) {
    signal(r.pid, "SIGTERM");
  }
  const alive = (): typeof refs => refs.filter((r) => procStartTime(r.pid) === r.startTime);
  const deadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < deadline) {
    await sleep(50);
  }
  for (const r of alive()) {
    signal(r.pid, "SIGKILL");
  }
  const killDeadline = Date.now() + 5000;
  while (alive().length > 0 && Date.now() < killDeadline) {
    await sleep(20);
  }
  const left = alive();
  if (left.length > 0) {
    throw new Error(`processes still running after SIGKILL: ${left.map((r) => r.pid).join(", ")}`);
  }
}
