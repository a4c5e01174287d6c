/**
 * CPU and peak memory of a command's whole process tree, per role (the Go engine, the Node.js language
 * host, the program, the dynamic-provider process), sampled from /proc while it runs. The engine starts
 * its plugins as children, so every process of a `pulumi` run is a descendant of the `pulumi` process.
 *
 * A sample every 100 ms keeps the last figures of each process; a process's final ~100 ms may be missed, so
 * the total is also taken from the kernel's own account of the tree (`/usr/bin/time`, see fleet.ts).
 */
import { readdirSync, readFileSync } from "node:fs";

export type Role = "engine" | "language host" | "program" | "provider" | "other";

export interface RoleFigures {
  /** User + system CPU seconds of every process of this role. */
  cpuSeconds: number;
  /** The largest peak resident set (VmHWM) of one process of this role, MiB. */
  peakRssMb: number;
  processes: number;
}

const TICKS_PER_SECOND = 100;

/** Which part of a Pulumi run a process is, from its command line (NUL-separated argv). */
export function roleOf(cmdline: string): Role {
  const argv = cmdline.split("\0").filter((arg) => arg.length > 0);
  const program = (argv[0] ?? "").split("/").pop() ?? "";
  if (program === "pulumi") {
    return "engine";
  }
  if (program === "pulumi-language-nodejs") {
    return "language host";
  }
  if (program === "node" || program.startsWith("node")) {
    if (argv.some((arg) => /dynamic-provider(\/index\.js)?$/.test(arg))) {
      return "provider";
    }
    if (argv.some((arg) => /@pulumi\/pulumi\/cmd\/run(\/index\.js)?$/.test(arg))) {
      return "program";
    }
  }
  return "other";
}

interface Seen {
  role: Role;
  cpuTicks: number;
  peakKb: number;
}

function readProcess(pid: string): { cpuTicks: number; peakKb: number; cmdline: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: fields start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuTicks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? "0");
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return { cpuTicks, peakKb, cmdline };
  } catch {
    return null; // ended between listing and reading
  }
}

/** The children of a process, from every one of its threads' `children` list (threads come and go). */
function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8")
        .split(" ")
        .filter((word) => word.trim().length > 0)
        .map(Number);
    } catch {
      return [];
    }
  });
}

/** Samples the tree under `rootPid` until `stop()`; returns the figures per role. */
export function sampleTree(rootPid: number, intervalMs = 100): { stop: () => Record<Role, RoleFigures> } {
  const seen = new Map<number, Seen>();
  const sample = () => {
    const queue = [rootPid];
    for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
      const info = readProcess(String(pid));
      if (info === null) {
        continue;
      }
      const previous = seen.get(pid);
      seen.set(pid, {
        // The role as of now: a process may exec another program after the first sample (time → pulumi). An
        // exited process not yet reaped has an empty command line: it keeps the role it had.
        role: roleOf(info.cmdline) === "other" ? (previous?.role ?? "other") : roleOf(info.cmdline),
        cpuTicks: Math.max(previous?.cpuTicks ?? 0, info.cpuTicks),
        peakKb: Math.max(previous?.peakKb ?? 0, info.peakKb),
      });
      queue.push(...childrenOf(pid));
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      const out = {} as Record<Role, RoleFigures>;
      for (const role of ["engine", "language host", "program", "provider", "other"] as const) {
        out[role] = { cpuSeconds: 0, peakRssMb: 0, processes: 0 };
      }
      for (const process of seen.values()) {
        const figures = out[process.role];
        figures.cpuSeconds += process.cpuTicks / TICKS_PER_SECOND;
        figures.peakRssMb = Math.max(figures.peakRssMb, Math.round(process.peakKb / 1024));
        figures.processes += 1;
      }
      for (const figures of Object.values(out)) {
        figures.cpuSeconds = Number(figures.cpuSeconds.toFixed(2));
      }
      return out;
    },
  };
}
