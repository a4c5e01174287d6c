/**
 * Per-table row counts and checksums (issue 7: "the per-table row counts and checksums at dump time"),
 * computed the same way by the backup script on the live server and by the restore drill on the scratch
 * server, so the two can be compared. One definition of the SQL and of the shell function lives here;
 * both scripts embed it.
 *
 * How: one `mariadb` session lists the base tables and writes, per table, `SELECT 'T', schema, table,
 * COUNT(*)` and `CHECKSUM TABLE`; a second session runs them all inside `START TRANSACTION WITH
 * CONSISTENT SNAPSHOT`, so every table is counted at the same instant (CHECKSUM TABLE reads the snapshot
 * too and does not commit the transaction; a test proves it against a real server).
 *
 * Output of the shell function: one line per table, `schema<TAB>table<TAB>rows<TAB>checksum`, with the
 * client's batch escapes in the names (`\\`, `\t`, `\n`, `\0`) and `NULL` for a missing checksum.
 */
import { quote } from "../transport/quote";

/** Schemas left out of the statistics: the server rewrites their tables itself (e.g. InnoDB statistics). */
export const STATS_EXCLUDED_SCHEMAS: readonly string[] = [
  "mysql",
  "information_schema",
  "performance_schema",
  "sys",
];

/** The SQL that writes the per-table statements (one output row per table, run with `-N -B -r`). */
export function tableStatsListSql(): string {
  const excluded = STATS_EXCLUDED_SCHEMAS.map((s) => `'${s}'`).join(", ");
  const ident = (column: string) => `REPLACE(${column}, '\`', '\`\`')`;
  return (
    "SELECT CONCAT('SELECT ''T'', ', QUOTE(TABLE_SCHEMA), ', ', QUOTE(TABLE_NAME), ', COUNT(*) FROM ', q, " +
    "'; CHECKSUM TABLE ', q, ';') FROM (SELECT TABLE_SCHEMA, TABLE_NAME, " +
    `CONCAT('\`', ${ident("TABLE_SCHEMA")}, '\`.\`', ${ident("TABLE_NAME")}, '\`') AS q ` +
    `FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN (${excluded})) AS t ` +
    "ORDER BY TABLE_SCHEMA, TABLE_NAME"
  );
}

/**
 * The bash function `table_stats CLIENT_ARGV...`: prints the per-table lines described above, reading
 * through the client command given as arguments (e.g. `mariadb --defaults-extra-file=/etc/…cnf`).
 * Fails (non-zero) when the client fails.
 */
export function tableStatsShellFunction(): string {
  return `# table_stats CLIENT...: schema<TAB>table<TAB>rows<TAB>checksum per base table, one consistent snapshot.
table_stats() {
  local statements
  statements=$("$@" -N -B -r -e ${quote(tableStatsListSql())})
  {
    printf '%s\\n' 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;' 'START TRANSACTION WITH CONSISTENT SNAPSHOT;'
    if [ -n "$statements" ]; then printf '%s\\n' "$statements"; fi
    printf '%s\\n' 'COMMIT;'
  } | "$@" -N -B | awk -F '\\t' '
    $1 == "T" && NF == 4 { schema = $2; table = $3; rows = $4; pending = 1; next }
    pending { print schema "\\t" table "\\t" rows "\\t" $NF; pending = 0 }'
}`;
}

/** One table's statistics as the shell function prints them, names unescaped. */
export interface TableStatRow {
  readonly schema: string;
  readonly table: string;
  readonly rows: number;
  readonly checksum: string | null;
}

/** Undoes the mariadb client's batch-mode escapes (`\\`, `\t`, `\n`, `\0`). */
export function unescapeBatch(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) =>
    c === "t" ? "\t" : c === "n" ? "\n" : c === "0" ? "\0" : c === "\\" ? "\\" : c,
  );
}

/** Parses the output of `table_stats` (lines that are not four tab-separated fields are ignored). */
export function parseTableStatsTsv(text: string): TableStatRow[] {
  const rows: TableStatRow[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split("\t");
    if (fields.length !== 4 || !/^\d+$/.test(fields[2])) {
      continue;
    }
    rows.push({
      schema: unescapeBatch(fields[0]),
      table: unescapeBatch(fields[1]),
      rows: Number(fields[2]),
      checksum: fields[3] === "NULL" ? null : fields[3],
    });
  }
  return rows;
}

/**
 * The awk program that joins the before- and after-dump statistics (files given as ARGV[1] = before,
 * ARGV[2] = after) into the manifest's `tables` JSON array elements, one per line, comma-separated.
 * Names are turned from batch escapes into JSON escapes; other control characters are dropped.
 */
export function statsToJsonAwk(): string {
  return `
function jstr(s,    out, i, c, n) {
  out = ""
  n = length(s)
  for (i = 1; i <= n; i++) {
    c = substr(s, i, 1)
    if (c == "\\\\") {
      i++; c = substr(s, i, 1)
      if (c == "0") out = out "\\\\u0000"
      else if (c == "t" || c == "n" || c == "\\\\") out = out "\\\\" c
      else out = out c
    } else if (c == "\\"") out = out "\\\\\\""
    else if (c >= " " || c > "\\177") out = out c
  }
  return "\\"" out "\\""
}
function jnum(s) { return s == "NULL" ? "null" : "\\"" s "\\"" }
FILENAME == ARGV[1] { order[++count] = $1 "\\t" $2; before[$1 "\\t" $2] = $3 "\\t" $4; next }
{ after[$1 "\\t" $2] = $3 "\\t" $4 }
END {
  for (i = 1; i <= count; i++) {
    key = order[i]; split(key, k, "\\t"); split(before[key], b, "\\t")
    line = "{\\"schema\\":" jstr(k[1]) ",\\"table\\":" jstr(k[2]) ",\\"rows\\":" b[1] ",\\"checksum\\":" jnum(b[2])
    if (key in after && after[key] == before[key]) line = line ",\\"stable\\":true}"
    else if (key in after) { split(after[key], a, "\\t"); line = line ",\\"stable\\":false,\\"rowsAfter\\":" a[1] ",\\"checksumAfter\\":" jnum(a[2]) "}" }
    else line = line ",\\"stable\\":false,\\"rowsAfter\\":null,\\"checksumAfter\\":null}"
    printf "%s%s\\n", (i > 1 ? "," : ""), line
  }
}`;
}
