/**
 * `ngcp-fleet backup list`: a node's backups as an operator chooses one to restore (id, time, age, size,
 * result, whether a restore drill passed on it). Pure: the node's read is one script (catalogScript), its
 * output is parsed and rendered here.
 */
import Table from "cli-table3";
import { type BackupManifest, parseManifest } from "../../providers/backup/manifest";
import { parseStatus, type BackupStatus } from "../../providers/backup/status";
import { quote } from "../../providers/transport/quote";
import { DRILL_RECORD_PATH, type DrillRecord, parseDrillRecord } from "./drillRecord";

/** One row of the list. */
export interface BackupListing {
  readonly node: string;
  /** The backup id (`YYYYMMDDTHHMMSSZ`), or the failed run's. */
  readonly id: string;
  /** ISO 8601 UTC: when the run started. */
  readonly startedAt: string;
  readonly ageSeconds: number;
  /** The artifacts' bytes (0 for a failed run). */
  readonly bytes: number;
  /** `ok`: a finished backup with its manifest; `failed`/`running`: the last run, which left no backup. */
  readonly result: "ok" | "failed" | "running";
  /** Why the run failed; null otherwise. */
  readonly error: string | null;
  /** The node's last restore drill, when it drilled this backup; null when none did. */
  readonly drill: "pass" | "fail" | null;
  /** Where the backup is. */
  readonly dir: string;
}

/** The node-side script (`sh -s`, read-only) printing every manifest, the status file and the drill record. */
export function catalogScript(destination: string, statusFile: string): string {
  return `DEST=${quote(destination)}
for f in "$DEST"/*/manifest.json; do
  [ -f "$f" ] || continue
  printf '@@manifest\\n'; cat -- "$f"; printf '\\n'
done
if [ -f ${quote(statusFile)} ]; then printf '@@status\\n'; cat -- ${quote(statusFile)}; printf '\\n'; fi
if [ -f ${quote(DRILL_RECORD_PATH)} ]; then printf '@@drill\\n'; cat -- ${quote(DRILL_RECORD_PATH)}; printf '\\n'; fi
`;
}

export interface CatalogRead {
  readonly manifests: readonly BackupManifest[];
  readonly status?: BackupStatus;
  readonly drill?: DrillRecord;
  /** Documents that did not parse (named in the output instead of hidden). */
  readonly problems: readonly string[];
}

/** Parses {@link catalogScript}'s output. */
export function parseCatalogOutput(text: string): CatalogRead {
  const manifests: BackupManifest[] = [];
  const problems: string[] = [];
  let status: BackupStatus | undefined;
  let drill: DrillRecord | undefined;
  const parts = text.split(/^@@(manifest|status|drill)\n/m).slice(1);
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const [kind, body] = [parts[i], parts[i + 1]];
    if (kind === "manifest") {
      const parsed = parseManifest(body);
      if (parsed.ok) {
        manifests.push(parsed.manifest);
      } else {
        problems.push(parsed.error);
      }
    } else if (kind === "status") {
      const parsed = parseStatus(body);
      if (parsed.ok) {
        status = parsed.status;
      } else {
        problems.push(`status file: ${parsed.error}`);
      }
    } else {
      const parsed = parseDrillRecord(body);
      if (parsed.ok) {
        drill = parsed.record;
      } else {
        problems.push(parsed.error);
      }
    }
  }
  return { manifests, status, drill, problems };
}

/** The rows of one node, oldest first; the last run is added when it left no backup (failed or running). */
export function catalogOf(node: string, read: CatalogRead, now: Date): BackupListing[] {
  const age = (iso: string) => Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  const drillOf = (id: string) =>
    read.drill !== undefined && read.drill.backupId === id ? read.drill.result : null;
  const rows: BackupListing[] = read.manifests.map((m) => ({
    node,
    id: m.id,
    startedAt: m.startedAt,
    ageSeconds: age(m.startedAt),
    bytes: m.artifacts.reduce((sum, a) => sum + a.bytes, 0),
    result: "ok",
    error: null,
    drill: drillOf(m.id),
    dir: `${m.destination}/${m.id}`,
  }));
  const last = read.status;
  if (last !== undefined && last.result !== "ok" && !rows.some((r) => r.id === last.id)) {
    rows.push({
      node,
      id: last.id,
      startedAt: last.startedAt,
      ageSeconds: age(last.startedAt),
      bytes: 0,
      result: last.result,
      error: last.error,
      drill: null,
      dir: `${last.destination}/${last.id}`,
    });
  }
  return rows.sort((a, b) => a.id.localeCompare(b.id) || a.node.localeCompare(b.node));
}

/** `3d 4h`, `2h 5m`, `40s`: the age an operator reads at a glance. */
export function humanAge(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) {
    return `${d}d ${h}h`;
  }
  if (h > 0) {
    return `${h}h ${m}m`;
  }
  return m > 0 ? `${m}m` : `${seconds}s`;
}

/** `1.4 MiB`. */
export function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The table `backup list` prints. */
export function renderBackupList(rows: readonly BackupListing[]): string {
  const table = new Table({
    head: ["node", "backup id", "started (UTC)", "age", "size", "result", "drill"],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    table.push([
      r.node,
      r.id,
      r.startedAt.replace(/\.\d+Z$/, "Z"),
      humanAge(r.ageSeconds),
      r.result === "ok" ? humanBytes(r.bytes) : "-",
      r.result === "ok" ? "ok" : `${r.result}${r.error ? `: ${r.error}` : ""}`,
      r.drill ?? "-",
    ]);
  }
  return `${table.toString()}\n`;
}
