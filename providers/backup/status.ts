/**
 * The status file the backup script writes (atomically) when a run starts, succeeds or fails, and what
 * `read` makes of it: outputs (last success, last result) and drift (issue 7: "a backup older than a
 * configured age into drift").
 *
 * The script never parses JSON: it keeps the last successful run's summary in a second file and inlines
 * it into every status as `lastSuccess`, so a failed run still tells when the last good backup was made.
 */
import { quote } from "../transport/quote";
import { z } from "zod";

export const STATUS_FORMAT = "ngcp-fleet-backup-status/1";

export type RunResult = "running" | "ok" | "failed";

/** One run, as the script records it. */
export interface BackupRunSummary {
  /** The backup id (`YYYYMMDDTHHMMSSZ`); the run's directory is `<destination>/<id>` once it succeeded. */
  readonly id: string;
  readonly result: RunResult;
  /** ISO 8601 UTC. */
  readonly startedAt: string;
  /** ISO 8601 UTC; `null` while running. */
  readonly finishedAt: string | null;
  /** What failed, with the last lines of the failing command's stderr; `null` unless failed. */
  readonly error: string | null;
  /** The step the run was in (last step on success, the failing step on failure). */
  readonly step: string;
  /** Total bytes of the artifacts (0 until they exist). */
  readonly bytes: number;
  /** Bytes per artifact file name. */
  readonly artifacts: Readonly<Record<string, number>>;
  /** The off-node copy: `skipped` when none is configured or the run did not get that far. */
  readonly offNode: "ok" | "failed" | "skipped";
  /** Backup ids deleted by retention in this run. */
  readonly pruned: readonly string[];
  readonly destination: string;
  readonly hostname: string;
}

export interface BackupStatus extends BackupRunSummary {
  readonly format: typeof STATUS_FORMAT;
  /** The last run that succeeded (this one, when it did); `null` when none has yet. */
  readonly lastSuccess: BackupRunSummary | null;
}

function summarySchema() {
  return z.object({
    id: z.string(),
    result: z.enum(["running", "ok", "failed"]),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
    step: z.string(),
    bytes: z.number().int().min(0),
    artifacts: z.record(z.string(), z.number().int().min(0)),
    offNode: z.enum(["ok", "failed", "skipped"]),
    pruned: z.array(z.string()),
    destination: z.string(),
    hostname: z.string(),
  });
}

/** Parses the status file's text; the error names the first bad field. */
export function parseStatus(
  text: string,
): { readonly ok: true; readonly status: BackupStatus } | { readonly ok: false; readonly error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `backup status is not JSON: ${(err as Error).message}` };
  }
  const schema = summarySchema().extend({
    format: z.literal(STATUS_FORMAT),
    lastSuccess: summarySchema().nullable(),
  });
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    return {
      ok: false,
      error: `backup status: ${issue.path.map(String).join(".") || "(root)"} ${issue.message}`,
    };
  }
  return { ok: true, status: result.data };
}

/** What `read` reports, and whether `refresh` shows drift. */
export interface BackupDrift {
  readonly drifted: boolean;
  /** One sentence per problem, each saying what was found and what was expected. */
  readonly reasons: readonly string[];
  /** The last successful backup: its id, end time and age in hours at `now`. */
  readonly lastSuccess?: { readonly id: string; readonly finishedAt: string; readonly ageHours: number };
  /** The last run's result (`none` when there is no status file). */
  readonly lastResult: RunResult | "none";
}

export interface DriftOptions {
  /**
   * When the schedule was installed: until `maxAgeHours` have passed since then, "no backup yet" is not
   * drift (a daily schedule installed an hour ago has not had its chance). @default none: no grace
   */
  readonly installedAt?: Date;
  /**
   * Whether a process holds the schedule's lock file now (the script holds it for its whole run), when the
   * caller read it: a status `running` with nobody holding the lock is a run that was killed. @default unknown
   */
  readonly runAlive?: boolean;
}

/**
 * The node-side probe of {@link DriftOptions.runAlive} (sh): prints `held` when a process holds `lockFile`,
 * else `free`. `flock -n` on a file nobody locks succeeds at once; a missing file is nobody's.
 */
export function lockProbeScript(lockFile: string): string {
  const q = quote(lockFile);
  return `if [ -e ${q} ] && ! flock -n ${q} true 2>/dev/null; then echo held; else echo free; fi`;
}

/**
 * Whether the node's backups have drifted from what the schedule promises, at `now`: no successful backup
 * (after the install grace), the last success older than `maxAgeHours`, the last run failed, or a run
 * stuck in "running" for longer than `maxAgeHours` (killed, or hanging).
 */
export function backupDrift(
  status: BackupStatus | undefined,
  now: Date,
  maxAgeHours: number,
  options: DriftOptions = {},
): BackupDrift {
  const reasons: string[] = [];
  const hoursSince = (iso: string) => Math.max(0, (now.getTime() - Date.parse(iso)) / 3_600_000);
  const inGrace =
    options.installedAt !== undefined &&
    (now.getTime() - options.installedAt.getTime()) / 3_600_000 < maxAgeHours;
  const success = status?.lastSuccess ?? undefined;
  let lastSuccess: BackupDrift["lastSuccess"];
  if (success && success.finishedAt) {
    const ageHours = round(hoursSince(success.finishedAt));
    lastSuccess = { id: success.id, finishedAt: success.finishedAt, ageHours };
    if (ageHours > maxAgeHours) {
      reasons.push(
        `the last successful backup (${success.id}, finished ${success.finishedAt}) is ${ageHours} h old, ` +
          `more than maxAgeHours (${maxAgeHours} h): the schedule is not producing backups`,
      );
    }
  } else if (!inGrace) {
    reasons.push(
      status === undefined
        ? "no backup has run on this node (no status file)"
        : "no backup on this node has succeeded yet",
    );
  }
  if (status?.result === "failed") {
    reasons.push(
      `the last run (${status.id}, started ${status.startedAt}) failed: ${status.error ?? "no error recorded"}`,
    );
  }
  if (status?.result === "running" && options.runAlive === false) {
    reasons.push(
      `the run ${status.id} (started ${status.startedAt}, step ${status.step}) is not running any more and did not ` +
        "finish: it was killed or crashed, and left no backup",
    );
  } else if (status?.result === "running" && hoursSince(status.startedAt) > maxAgeHours) {
    reasons.push(
      `a run (${status.id}) started ${status.startedAt} and has not finished after ${round(hoursSince(status.startedAt))} h ` +
        "(killed or hanging)",
    );
  }
  return { drifted: reasons.length > 0, reasons, lastSuccess, lastResult: status?.result ?? "none" };
}

function round(hours: number): number {
  return Math.round(hours * 10) / 10;
}
