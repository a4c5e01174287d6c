/**
 * The restore drill (issue 7 item 4): "a backup nobody has restored is a hope". The drill restores a
 * backup's dump into a scratch MariaDB — its own datadir and socket in a private (0700) temporary
 * directory, `--skip-networking`, the event scheduler off: never the live server — measures every table
 * the same way the backup did (tableStats.ts), and compares with the manifest, table by table.
 *
 * `renderDrillScript` gives the bash script (run it with `bash -s` on the node, or on the deployer next
 * to a copied backup); `parseDrillOutput` reads its measurements; `compareTableStats` judges them.
 */
import { quote } from "../../providers/transport/quote";
import type { TableStat } from "../../providers/backup/manifest";
import {
  parseTableStatsTsv,
  tableStatsShellFunction,
  type TableStatRow,
} from "../../providers/backup/tableStats";

export type TableVerdict = "pass" | "fail" | "unverified";

export interface TableComparison {
  readonly schema: string;
  readonly table: string;
  /** `unverified`: nothing to compare (changed while dumped and gone after, or not in the manifest). */
  readonly result: TableVerdict;
  /** What was compared and, on failure, what differs. */
  readonly reason: string;
  readonly expected?: { readonly rows: number; readonly checksum: string | null };
  readonly actual?: { readonly rows: number; readonly checksum: string | null };
}

export interface DrillResult {
  /** No table failed (the CLI exits non-zero otherwise). */
  readonly ok: boolean;
  readonly passed: number;
  readonly failed: number;
  readonly unverified: number;
  readonly tables: readonly TableComparison[];
}

const keyOf = (t: { schema: string; table: string }) => `${t.schema}\u0000${t.table}`;

/**
 * Judges each table of the manifest against the restored server's numbers:
 * - a `stable` table (unchanged while the dump ran) passes when rows and checksum are both equal;
 * - a table that changed during the dump passes when its restored row count lies between the counts
 *   before and after the dump (its checksum cannot be known, so it is not compared);
 * - a manifest table missing after the restore fails; a restored table absent from the manifest (created
 *   during the dump) is `unverified`.
 */
export function compareTableStats(
  manifestStats: readonly TableStat[],
  restoredStats: readonly TableStatRow[],
): DrillResult {
  const restored = new Map(restoredStats.map((r) => [keyOf(r), r]));
  const tables: TableComparison[] = [];
  for (const expected of manifestStats) {
    const actual = restored.get(keyOf(expected));
    restored.delete(keyOf(expected));
    const base = {
      schema: expected.schema,
      table: expected.table,
      expected: { rows: expected.rows, checksum: expected.checksum },
    };
    if (!actual) {
      tables.push({ ...base, result: "fail", reason: "missing after the restore" });
      continue;
    }
    const got = { rows: actual.rows, checksum: actual.checksum };
    if (expected.stable) {
      const problems: string[] = [];
      if (actual.rows !== expected.rows) {
        problems.push(`rows ${actual.rows} ≠ ${expected.rows}`);
      }
      if (actual.checksum !== expected.checksum) {
        problems.push(`checksum ${actual.checksum ?? "NULL"} ≠ ${expected.checksum ?? "NULL"}`);
      }
      tables.push(
        problems.length === 0
          ? { ...base, actual: got, result: "pass", reason: `rows ${actual.rows} and checksum equal` }
          : { ...base, actual: got, result: "fail", reason: problems.join(", ") },
      );
      continue;
    }
    if (expected.rowsAfter === null || expected.rowsAfter === undefined) {
      tables.push({
        ...base,
        actual: got,
        result: "unverified",
        reason: "the table was dropped while the dump ran; nothing to compare",
      });
      continue;
    }
    const low = Math.min(expected.rows, expected.rowsAfter);
    const high = Math.max(expected.rows, expected.rowsAfter);
    tables.push(
      actual.rows >= low && actual.rows <= high
        ? {
            ...base,
            actual: got,
            result: "pass",
            reason: `changed during the dump: rows ${actual.rows} within [${low}, ${high}]; checksum not comparable`,
          }
        : {
            ...base,
            actual: got,
            result: "fail",
            reason: `changed during the dump, but rows ${actual.rows} outside [${low}, ${high}]`,
          },
    );
  }
  for (const extra of restored.values()) {
    tables.push({
      schema: extra.schema,
      table: extra.table,
      actual: { rows: extra.rows, checksum: extra.checksum },
      result: "unverified",
      reason: "not in the manifest (created while the dump ran); nothing to compare",
    });
  }
  return drillResultOf(tables);
}

/** The verdict of a drill from its tables: ok unless a table failed, with the count of each result. */
export function drillResultOf(tables: TableComparison[]): DrillResult {
  const count = (v: TableVerdict) => tables.filter((t) => t.result === v).length;
  return {
    ok: count("fail") === 0,
    passed: count("pass"),
    failed: count("fail"),
    unverified: count("unverified"),
    tables,
  };
}

/** One line per table plus a summary line, for the CLI (which may put the rows into a table). */
export function renderDrillReport(result: DrillResult, backupId: string): string {
  const lines = result.tables.map(
    (t) => `${t.result.toUpperCase().padEnd(10)} ${t.schema}.${t.table}: ${t.reason}`,
  );
  lines.push(
    `restore drill of ${backupId}: ${result.ok ? "PASS" : "FAIL"} — ${result.passed} passed, ${result.failed} failed, ` +
      `${result.unverified} unverified`,
  );
  return `${lines.join("\n")}\n`;
}

export interface DrillScriptOptions {
  /** The dump file to restore (absolute path where the script runs). */
  readonly dumpFile: string;
  /** Its SHA-256 from the manifest: checked before anything else. */
  readonly dumpSha256: string;
  readonly compression: "gzip" | "none";
  /**
   * The scratch directory: must not exist; created 0700, removed at the end. Put it on a filesystem with
   * room for the restored databases. E.g. `/var/tmp/ngcp-fleet-drill-<id>`.
   */
  readonly workDir: string;
  /** The scratch server's InnoDB buffer pool. @default "128M" */
  readonly bufferPool?: string;
}

export const DRILL_BEGIN = "--- ngcp-fleet table stats begin ---";
export const DRILL_END = "--- ngcp-fleet table stats end ---";

/** The text of the drill script (bash; run as root or as any user allowed to read the dump). */
export function renderDrillScript(options: DrillScriptOptions): string {
  if (!/^[0-9a-f]{64}$/.test(options.dumpSha256)) {
    throw new Error(`dumpSha256 must be a lower-case hex SHA-256, got: ${options.dumpSha256}`);
  }
  if (!options.workDir.startsWith("/") || options.workDir === "/") {
    throw new Error(`workDir must be an absolute directory of its own, got: ${options.workDir}`);
  }
  const bufferPool = options.bufferPool ?? "128M";
  if (!/^\d+[KMG]?$/.test(bufferPool)) {
    throw new Error(`bufferPool must be a size like 128M, got: ${bufferPool}`);
  }
  const header = `#!/bin/bash
# managed by ngcp-fleet: restore drill (issue 7) — restores a dump into a scratch MariaDB, never the live one.
# Rendered by providers/recovery/drill.ts; run with: bash -s < this-file
set -euo pipefail
umask 077
export LC_ALL=C
PATH=\${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin

DUMP_FILE=${quote(options.dumpFile)}
DUMP_SHA256=${options.dumpSha256}
COMPRESSION=${options.compression}
WORK=${quote(options.workDir)}
BUFFER_POOL=${bufferPool}

${tableStatsShellFunction()}

`;
  return header + DRILL_SCRIPT_BODY;
}

/** The restored server's per-table numbers from the drill script's output (between its markers). */
export function parseDrillOutput(stdout: string): TableStatRow[] {
  const begin = stdout.indexOf(DRILL_BEGIN);
  const end = stdout.indexOf(DRILL_END);
  if (begin < 0 || end < begin) {
    throw new Error("the drill's output has no table statistics (did the script finish?)");
  }
  return parseTableStatsTsv(stdout.slice(begin + DRILL_BEGIN.length, end));
}

const DRILL_SCRIPT_BODY = `# ---- below: the same for every drill ----
PROG=ngcp-fleet-drill
STEP=start
STEP_NO=0
PID=

log() { printf '%s: %s\\n' "$PROG" "$*"; }
step() {
  STEP=$1
  STEP_NO=$((STEP_NO + 1))
  log "[$STEP_NO/5] $2"
}
fail() {
  printf '%s: %s\\n' "$PROG" "$*" >&2
  exit 1
}
decompress() { if [ "$COMPRESSION" = gzip ]; then gzip -dc; else cat; fi; }

stop_scratch() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID"
    for _ in $(seq 1 300); do
      if ! kill -0 "$PID" 2>/dev/null; then break; fi
      sleep 0.1
    done
    if kill -0 "$PID" 2>/dev/null; then kill -9 "$PID"; fi
    wait "$PID" 2>/dev/null || true
  fi
  PID=
}

on_exit() {
  local rc=$?
  set +e
  trap - EXIT
  stop_scratch
  if [ "$rc" -ne 0 ]; then
    printf '%s: FAILED in step %s (exit %s)\\n' "$PROG" "$STEP" "$rc" >&2
    if [ -s "$WORK/error.log" ]; then tail -n 20 -- "$WORK/error.log" >&2; fi
  fi
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then rm -rf -- "$WORK"; fi
  exit "$rc"
}

step verify "verifying the SHA-256 of $DUMP_FILE"
if [ -e "$WORK" ]; then fail "the scratch directory $WORK already exists; refusing to reuse it"; fi
trap on_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
printf '%s  %s\\n' "$DUMP_SHA256" "$DUMP_FILE" | sha256sum -c --strict --quiet - ||
  fail "$DUMP_FILE does not match the manifest's SHA-256: the backup is damaged"

step init "initialising a scratch MariaDB in $WORK (private socket, no network)"
MARIADBD=$(command -v mariadbd || command -v mysqld || true)
for candidate in /usr/sbin/mariadbd /usr/sbin/mysqld; do
  if [ -z "$MARIADBD" ] && [ -x "$candidate" ]; then MARIADBD=$candidate; fi
done
INSTALL_DB=$(command -v mariadb-install-db || command -v mysql_install_db || true)
CLIENT_BIN=$(command -v mariadb || command -v mysql || true)
if [ -z "$MARIADBD" ] || [ -z "$INSTALL_DB" ] || [ -z "$CLIENT_BIN" ]; then
  fail "the drill needs mariadbd, mariadb-install-db and the mariadb client"
fi
mkdir -m 0700 -p -- "$WORK"
RUN_AS=$(id -un)
# Native AIO off: the scratch server must not take the kernel's AIO contexts (fs.aio-max-nr), which the live
# server needs to restart, and it is not about speed.
"$INSTALL_DB" --no-defaults --datadir="$WORK/data" --user="$RUN_AS" --skip-test-db \\
  --auth-root-authentication-method=normal --innodb-log-file-size=32M --innodb-use-native-aio=0 \\
  >"$WORK/install.log" 2>&1 ||
  { grep -E '\\[(ERROR|Warning)\\]' -- "$WORK/install.log" | head -n 20 >&2
    grep -v -E '^(Please|the MariaDB|at https|$)' -- "$WORK/install.log" | tail -n 15 >&2
    fail "mariadb-install-db failed"; }
# Root without a password on a socket only root can reach (the directory is 0700). The dump's mysql schema
# replaces the users on disk but not in memory (no FLUSH PRIVILEGES), so root keeps working afterwards.
# Events are restored but never run.
"$MARIADBD" --no-defaults --datadir="$WORK/data" --socket="$WORK/mysqld.sock" --skip-networking \\
  --event-scheduler=OFF --pid-file="$WORK/mysqld.pid" --log-error="$WORK/error.log" \\
  --innodb-buffer-pool-size="$BUFFER_POOL" --innodb-log-file-size=32M --innodb-use-native-aio=0 --user="$RUN_AS" &
PID=$!
CLIENT=("$CLIENT_BIN" --no-defaults "--socket=$WORK/mysqld.sock" -uroot)
for _ in $(seq 1 600); do
  if "\${CLIENT[@]}" -N -B -e 'SELECT 1' >/dev/null 2>&1; then break; fi
  if ! kill -0 "$PID" 2>/dev/null; then fail "the scratch mariadbd exited while starting"; fi
  sleep 0.1
done
"\${CLIENT[@]}" -N -B -e 'SELECT 1' >/dev/null || fail "the scratch mariadbd did not start within 60 s"

step restore "restoring $DUMP_FILE into the scratch MariaDB"
decompress <"$DUMP_FILE" | "\${CLIENT[@]}"

step stats "counting rows and checksumming every restored table"
STATS=$(table_stats "\${CLIENT[@]}")
printf '%s\\n' '--- ngcp-fleet table stats begin ---'
if [ -n "$STATS" ]; then printf '%s\\n' "$STATS"; fi
printf '%s\\n' '--- ngcp-fleet table stats end ---'

step stop "stopping the scratch MariaDB and removing $WORK"
stop_scratch
log "result ok: restored and measured; compare with the manifest"
`;
