/**
 * Which finished backups retention keeps (issue 7: "retention (count and/or days)"). The backup script
 * prunes with the same rules in bash; this pure twin lets the CLI and the preview say what a run would
 * delete, and a test holds the two to the same answer on real directories.
 */
import type { RetentionInputs } from "./inputs";
import { BACKUP_ID_PATTERN } from "./manifest";

/** The UTC time a backup id names. */
export function backupIdTime(id: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(id);
  if (!m) {
    throw new Error(`not a backup id (YYYYMMDDTHHMMSSZ): ${id}`);
  }
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** The backup id of a UTC time (`2026-11-23T12:27:37Z` → `20261123T122737Z`). */
export function backupIdOf(time: Date): string {
  return time
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

export interface RetentionPlan {
  /** Ids kept, oldest first. */
  readonly keep: readonly string[];
  /** Ids deleted, oldest first. */
  readonly prune: readonly string[];
}

/**
 * Splits backup ids into kept and pruned at `now`. A backup is kept when any rule keeps it: it is among
 * the newest `count`, or younger than `days` days (strictly). `current` (the backup just made) is always
 * kept. Names that are not backup ids are neither kept nor pruned: they are not ours.
 */
export function planRetention(
  ids: readonly string[],
  now: Date,
  retention: RetentionInputs,
  current?: string,
): RetentionPlan {
  const sorted = [...new Set(ids.filter((id) => BACKUP_ID_PATTERN.test(id)))].sort();
  const keep: string[] = [];
  const prune: string[] = [];
  sorted.forEach((id, index) => {
    const rank = sorted.length - index; // 1 = newest
    const byCount = retention.count !== undefined && rank <= retention.count;
    const byDays =
      retention.days !== undefined &&
      Math.floor(now.getTime() / 1000) - Math.floor(backupIdTime(id).getTime() / 1000) <
        retention.days * 86_400;
    (id === current || byCount || byDays ? keep : prune).push(id);
  });
  return { keep, prune };
}

/** The id `wanted` names among `available` (`latest` = the newest), or why there is none. */
export function selectBackup(
  available: readonly string[],
  wanted: string,
): { readonly ok: true; readonly id: string } | { readonly ok: false; readonly reason: string } {
  const ids = available.filter((id) => BACKUP_ID_PATTERN.test(id)).sort();
  if (wanted === "latest") {
    return ids.length > 0
      ? { ok: true, id: ids[ids.length - 1] }
      : { ok: false, reason: "the node has no finished backup (none with a manifest.json)" };
  }
  if (!BACKUP_ID_PATTERN.test(wanted)) {
    return {
      ok: false,
      reason: `--backup must be "latest" or a backup id like 20261123T033000Z, got: ${wanted}`,
    };
  }
  if (!ids.includes(wanted)) {
    const recent = ids.slice(-5).reverse().join(", ") || "none";
    return { ok: false, reason: `no finished backup ${wanted} on the node; the newest are: ${recent}` };
  }
  return { ok: true, id: wanted };
}
