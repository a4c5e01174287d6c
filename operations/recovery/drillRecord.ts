/**
 * The restore drill's record on the node (pure): `restore-drill` writes the outcome of its last run to
 * {@link DRILL_RECORD_PATH} so that whoever looks at the node later — the posture audit (`backup-drill`,
 * handbook 15.5.2), an operator with `cat` — knows whether the node's backups were last proven to restore,
 * and when. The record holds times, counts, the backup id and one line of evidence: no secret (the drill
 * logs in to nothing but its own scratch server, over a socket, without a password).
 */
import type { DrillResult } from "./drill";

/** Where `restore-drill` keeps the outcome of its last run on the node (0644 root, written atomically). */
export const DRILL_RECORD_PATH = "/var/lib/ngcp-fleet/restore-drill.json";

/** The record's format version; a reader refuses others. */
export const DRILL_RECORD_VERSION = 1;

/** The longest evidence line kept (a failing script's stderr can be long; the first line says why). */
const MAX_EVIDENCE = 400;

/** The outcome of one `restore-drill` run, as stored on the node. */
export interface DrillRecord {
  readonly version: typeof DRILL_RECORD_VERSION;
  /** The node's name in the stack. */
  readonly node: string;
  /** The drilled backup's id (`YYYYMMDDTHHMMSSZ`), or null when no backup could be selected. */
  readonly backupId: string | null;
  /** `pass`: every table restored and matched; `fail`: anything else (damaged backup, script failure, a table). */
  readonly result: "pass" | "fail";
  /** ISO 8601 UTC. */
  readonly startedAt: string;
  /** ISO 8601 UTC: the audit measures the record's age from here. */
  readonly finishedAt: string;
  readonly tables: { readonly passed: number; readonly failed: number; readonly unverified: number };
  /** One line: the summary, or why the drill failed. */
  readonly evidence: string;
}

/** What a drill run ended with, as the CLI knows it. */
export type DrillOutcome =
  | { readonly kind: "compared"; readonly result: DrillResult }
  | { readonly kind: "failed"; readonly reason: string };

/** The record of one drill run (pure; the caller passes the clock's readings). */
export function drillRecordOf(
  node: string,
  backupId: string | null,
  outcome: DrillOutcome,
  startedAt: Date,
  finishedAt: Date,
): DrillRecord {
  const base = {
    version: DRILL_RECORD_VERSION as typeof DRILL_RECORD_VERSION,
    node,
    backupId,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
  };
  if (outcome.kind === "failed") {
    return {
      ...base,
      result: "fail",
      tables: { passed: 0, failed: 0, unverified: 0 },
      evidence: oneLine(outcome.reason),
    };
  }
  const r = outcome.result;
  const failedTables = r.tables.filter((t) => t.result === "fail");
  const counts = `${r.passed} table(s) passed, ${r.failed} failed, ${r.unverified} unverified`;
  const first = failedTables
    .slice(0, 3)
    .map((t) => `${t.schema}.${t.table}: ${t.reason}`)
    .join("; ");
  return {
    ...base,
    result: r.ok ? "pass" : "fail",
    tables: { passed: r.passed, failed: r.failed, unverified: r.unverified },
    evidence: oneLine(r.ok ? counts : `${counts} (${first}${failedTables.length > 3 ? "; …" : ""})`),
  };
}

/** The file's text: pretty JSON and a final newline. */
export function renderDrillRecord(record: DrillRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isTime = (v: unknown): v is string =>
  typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v) && Number.isFinite(Date.parse(v));

/** Parses the file; names the first field that is wrong (the audit shows it as evidence). */
export function parseDrillRecord(
  text: string,
): { readonly ok: true; readonly record: DrillRecord } | { readonly ok: false; readonly error: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${DRILL_RECORD_PATH} is not JSON: ${(err as Error).message}` };
  }
  const bad = (field: string, want: string) => ({
    ok: false as const,
    error: `${DRILL_RECORD_PATH}: ${field} must be ${want}`,
  });
  if (!isObject(doc)) {
    return bad("the document", "an object");
  }
  if (doc.version !== DRILL_RECORD_VERSION) {
    return bad("version", `${DRILL_RECORD_VERSION}, got: ${JSON.stringify(doc.version)}`);
  }
  if (typeof doc.node !== "string" || doc.node === "") {
    return bad("node", "a node name");
  }
  if (doc.backupId !== null && (typeof doc.backupId !== "string" || !/^\d{8}T\d{6}Z$/.test(doc.backupId))) {
    return bad("backupId", "a backup id (YYYYMMDDTHHMMSSZ) or null");
  }
  if (doc.result !== "pass" && doc.result !== "fail") {
    return bad("result", `pass or fail, got: ${JSON.stringify(doc.result)}`);
  }
  if (!isTime(doc.startedAt)) {
    return bad("startedAt", "an ISO 8601 time");
  }
  if (!isTime(doc.finishedAt)) {
    return bad("finishedAt", "an ISO 8601 time");
  }
  const t = doc.tables;
  if (!isObject(t) || !isCount(t.passed) || !isCount(t.failed) || !isCount(t.unverified)) {
    return bad("tables", "{passed, failed, unverified} whole numbers");
  }
  if (typeof doc.evidence !== "string") {
    return bad("evidence", "a string");
  }
  if (doc.result === "pass" && t.failed > 0) {
    return bad("result", `fail when tables.failed is ${t.failed}, got: pass`);
  }
  return {
    ok: true,
    record: {
      version: DRILL_RECORD_VERSION,
      node: doc.node,
      backupId: doc.backupId,
      result: doc.result,
      startedAt: doc.startedAt,
      finishedAt: doc.finishedAt,
      tables: { passed: t.passed, failed: t.failed, unverified: t.unverified },
      evidence: oneLine(doc.evidence),
    },
  };
}

function oneLine(text: string): string {
  const line = text.trim().split("\n")[0]?.trim() ?? "";
  return line.length > MAX_EVIDENCE ? `${line.slice(0, MAX_EVIDENCE - 1)}…` : line;
}
