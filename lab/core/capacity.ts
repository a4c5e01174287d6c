import { MAX_NODES_BY_ADDRESS } from "./topology";

/**
 * Memory one node needs, measured on this lab (2026-12-06, 2 cores, 24 GB): MemAvailable fell by 64 MB a node
 * once 30 fresh nodes were up (MariaDB with its 16 MB pool, the services stand-in, sshd, cron), and by about
 * 100 MB a node once converged with every feature (services restarted by ngcpcfg, the buffer pool warm, a
 * backup's page cache). 120 MB keeps headroom for the commands tests run on a node; 100 nodes need 12 GB.
 */
export const MB_PER_NODE = 120;

export interface CapacityInput {
  /** Node count asked for. */
  readonly requested: number;
  /** Nodes already running (their memory is already gone from MemAvailable). */
  readonly running: number;
  /** MemAvailable of /proc/meminfo, in MB. */
  readonly memAvailableMb: number;
}

export type CapacityVerdict =
  { readonly ok: true; readonly max: number } | { readonly ok: false; readonly reason: string };

/**
 * How many nodes the machine can hold, and whether `requested` fits. Pure, so the verdict (and its wording)
 * is tested without a machine of any particular size.
 */
export function checkCapacity(input: CapacityInput): CapacityVerdict {
  const { requested, running, memAvailableMb } = input;
  if (!Number.isInteger(requested) || requested < 1) {
    return { ok: false, reason: `--nodes must be a whole number of at least 1, got: ${requested}` };
  }
  if (requested > MAX_NODES_BY_ADDRESS) {
    return {
      ok: false,
      reason:
        `--nodes ${requested} is more than the lab's address range holds: at most ${MAX_NODES_BY_ADDRESS} nodes ` +
        `(198.18.0.11 to 198.18.0.249; .250 is the outsider)`,
    };
  }
  const byMemory = running + Math.floor(Math.max(0, memAvailableMb) / MB_PER_NODE);
  const max = Math.min(MAX_NODES_BY_ADDRESS, byMemory);
  if (requested > max) {
    return {
      ok: false,
      reason:
        `--nodes ${requested} does not fit in this machine's memory: at most ${max} nodes ` +
        `(MemAvailable ${memAvailableMb} MB / ${MB_PER_NODE} MB per node` +
        (running > 0 ? `, plus the ${running} already running` : "") +
        `); free memory or ask for fewer nodes`,
    };
  }
  return { ok: true, max };
}

/** MemAvailable in MB from the text of /proc/meminfo. */
export function parseMemAvailableMb(meminfo: string): number {
  const m = /^MemAvailable:\s+(\d+)\s+kB$/m.exec(meminfo);
  if (!m) {
    throw new Error("MemAvailable not found in /proc/meminfo");
  }
  return Math.floor(Number(m[1]) / 1024);
}

/** MemTotal in MB from the text of /proc/meminfo (what a node reports as its RAM). */
export function parseMemTotalMb(meminfo: string): number {
  const m = /^MemTotal:\s+(\d+)\s+kB$/m.exec(meminfo);
  if (!m) {
    throw new Error("MemTotal not found in /proc/meminfo");
  }
  return Math.floor(Number(m[1]) / 1024);
}
