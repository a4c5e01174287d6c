/**
 * What the BackupSchedule resource installs on a node (handbook 15.5.1, issue 7): the backup script, its
 * schedule (a cron file, or a systemd service + timer), the pinned known_hosts of the off-node copy, and
 * the MySQL option file's text. Pure rendering: the provider writes these with `writeFileAtomic`.
 *
 * The script is bash (every NGCP node has it) for `set -o pipefail`: a dump that fails half-way must fail
 * the run even though gzip, at the end of the pipe, succeeded. Every input value reaches it as a shell
 * word made by the transport's `quote()`, assigned once at the top; the body below is the same on every
 * node and never interpolates a value into code.
 *
 * What one run does, in order (each step prints `ngcp-fleet-backup: [n/N] …`):
 *  1. `flock -n` on the lock file (a second run exits 75 without touching anything);
 *  2. checks the sources and that the MySQL option file is 0600 and ours; removes stale `*.partial`;
 *     writes the status `running`; creates `<destination>/<id>.partial`;
 *  3. per-table row counts and `CHECKSUM TABLE` in one consistent snapshot (see tableStats.ts);
 *  4. `mariadb-dump --defaults-extra-file=… --single-transaction --routines --events --triggers
 *     --all-databases` (compressed), checked for its `-- Dump completed` trailer;
 *  5. the same statistics again: a table whose numbers did not move is `stable` in the manifest;
 *  6. tar archives: /etc/ngcp-config whole; sipwise.cnf (+ debian.cnf); CDRs; custom paths;
 *  7. `manifest.json` (SHA-256 and size of every artifact, table stats, host name, NGCP version) and
 *     `SHA256SUMS`; fsync;
 *  8. renames `<id>.partial` to `<id>` (only now is it a backup);
 *  9. optionally copies it off the node (ssh, pinned known_hosts, `StrictHostKeyChecking yes`) into
 *     `<path>/<id>.partial`, runs `sha256sum -c` there, then renames it to `<path>/<id>`;
 * 10. prunes by retention (only after all of the above succeeded);
 * 11. writes the status `ok`.
 * Any failure (a full disk included) removes the partial directory, leaves older backups alone, writes
 * the status `failed` with the step and the last lines of stderr, replays stderr and exits non-zero.
 */
import { posix } from "node:path";
import { quote } from "../transport/quote";
import { type BackupInputs, includesDebianCnf, type OffNodeCopyInputs } from "./inputs";
import { normalizeSchedule, toOnCalendar } from "./schedule";
import { statsToJsonAwk, tableStatsShellFunction } from "./tableStats";

/** The marker that opens every file ngcp-fleet manages for backups; `read` uses it to recognise them. */
export const BACKUP_MARKER = "# managed by ngcp-fleet";

/** The systemd unit name (`.service` and `.timer`) for `scheduler: "systemd"`. */
export const BACKUP_UNIT = "ngcp-fleet-backup";

/** Exit status of a run that found another run holding the lock (EX_TEMPFAIL). */
export const EXIT_LOCKED = 75;

/** The file next to the status file that keeps the last successful run's summary. */
export function lastSuccessFile(statusFile: string): string {
  return `${statusFile.replace(/\.json$/, "")}.last-success.json`;
}

const words = (values: readonly string[]) => values.map(quote).join(" ");
const jsonList = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(",");

/** The files of the MySQL credentials archive: sipwise.cnf, plus debian.cnf for the older edition. */
export function mysqlConfigFiles(inputs: BackupInputs): string[] {
  return includesDebianCnf(inputs)
    ? [inputs.paths.sipwiseCnf, inputs.paths.debianCnf]
    : [inputs.paths.sipwiseCnf];
}

/** How many `[n/N]` steps a run of these inputs prints. */
export function backupStepCount(inputs: BackupInputs): number {
  return (
    8 + (inputs.includeCdrExport ? 1 : 0) + (inputs.customPaths.length > 0 ? 1 : 0) + (inputs.offNode ? 1 : 0)
  );
}

/** The text of the backup script (install it at `paths.script`, mode 0755, owner root). */
export function renderBackupScript(inputs: BackupInputs): string {
  const p = inputs.paths;
  const gzip = inputs.compression === "gzip";
  const mysqlFiles = mysqlConfigFiles(inputs);
  const off: OffNodeCopyInputs | undefined = inputs.offNode;
  const header = `#!/bin/bash
${BACKUP_MARKER}: backup of this NGCP node (handbook 15.5.1).
# Rendered by ngcp-fleet (providers/backup/script.ts); \`pulumi up\` overwrites local changes.
# Run it by hand as root: ${p.script}
set -euo pipefail
umask 077
export LC_ALL=C
PATH=\${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin

# ---- this node's inputs ----
DEST=${quote(inputs.destination)}
STATUS_FILE=${quote(p.statusFile)}
LAST_SUCCESS_FILE=${quote(lastSuccessFile(p.statusFile))}
LOCK_FILE=${quote(p.lockFile)}
MYSQL_OPTIONS=${quote(inputs.mysqlOptionsFile)}
COMPRESSION=${inputs.compression}
EXT=${gzip ? ".gz" : "''"}
TAR_EXT=${gzip ? ".tar.gz" : ".tar"}
EDITION=${inputs.edition}
VERSION_FILE=${quote(p.ngcpVersionFile)}
NGCP_CONFIG_DIR=${quote(p.ngcpConfigDir)}
NGCP_CONFIG_JSON=${quote(jsonList([p.ngcpConfigDir]))}
MYSQL_FILES=(${words(mysqlFiles)})
MYSQL_FILES_JSON=${quote(jsonList(mysqlFiles))}
CDR_DIR=${inputs.includeCdrExport ? quote(p.cdrExportDir) : "''"}
CDR_JSON=${inputs.includeCdrExport ? quote(jsonList([p.cdrExportDir])) : "''"}
CUSTOM_PATHS=(${words(inputs.customPaths)})
CUSTOM_JSON=${quote(jsonList(inputs.customPaths))}
RETAIN_COUNT=${inputs.retention.count ?? 0}
RETAIN_DAYS=${inputs.retention.days ?? 0}
OFF_HOST=${off ? quote(off.host) : "''"}
OFF_PORT=${off ? off.port : "''"}
OFF_USER=${off ? quote(off.user) : "''"}
OFF_KEY=${off ? quote(off.privateKeyPath) : "''"}
OFF_PATH=${off ? quote(off.path) : "''"}
# The remote path as the backup host's shell must read it (quoted once more).
OFF_PATH_Q=${off ? quote(quote(off.path)) : "''"}
KNOWN_HOSTS=${quote(p.knownHostsFile)}
STEP_TOTAL=${backupStepCount(inputs)}
STATS_AWK=${quote(statsToJsonAwk())}

${tableStatsShellFunction()}

`;
  return header + BACKUP_SCRIPT_BODY;
}

/**
 * The cron file for `scheduler: "cron"` (install at `paths.cronFile`, mode 0644): the marker, the
 * schedule as 5 fields (nicknames expanded, so every cron reads it the same), run as root.
 */
export function renderCronFile(inputs: BackupInputs): string {
  // In a crontab, "%" in the command means newline; validate.ts keeps it out of paths.script anyway.
  const command = inputs.paths.script.replace(/%/g, "\\%");
  return [
    `${BACKUP_MARKER}: backup schedule of this NGCP node (handbook 15.5.1).`,
    "# `pulumi up` overwrites this file; change the schedule in the stack config.",
    `# schedule: ${inputs.schedule.trim()} (the node's local time)`,
    "SHELL=/bin/sh",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    `${normalizeSchedule(inputs.schedule)} root ${command}`,
    "",
  ].join("\n");
}

/** One file the provider writes on the node. */
export interface NodeFile {
  readonly path: string;
  readonly mode: number;
  readonly content: string;
}

/**
 * The service and timer for `scheduler: "systemd"` (in `paths.systemdDir`); then `systemctl
 * daemon-reload` and `systemctl enable --now ngcp-fleet-backup.timer`. Throws when the schedule has no
 * OnCalendar form (validate.ts reports that on `schedule` first).
 */
export function renderSystemdUnits(inputs: BackupInputs): {
  readonly service: NodeFile;
  readonly timer: NodeFile;
} {
  const calendar = toOnCalendar(inputs.schedule);
  if (!calendar.ok) {
    throw new Error(`schedule ${inputs.schedule}: ${calendar.reason}`);
  }
  const dir = inputs.paths.systemdDir;
  const service = [
    `${BACKUP_MARKER}: backup of this NGCP node (handbook 15.5.1); \`pulumi up\` overwrites this file.`,
    "[Unit]",
    "Description=ngcp-fleet backup of this NGCP node",
    "After=mariadb.service mysql.service",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${inputs.paths.script}`,
    "Nice=10",
    "IOSchedulingClass=best-effort",
    "IOSchedulingPriority=7",
    // Exit 75: another run holds the lock; not a failure of this unit.
    `SuccessExitStatus=${EXIT_LOCKED}`,
    "",
  ].join("\n");
  const timer = [
    `${BACKUP_MARKER}: backup schedule of this NGCP node (handbook 15.5.1); \`pulumi up\` overwrites this file.`,
    `# schedule: ${inputs.schedule.trim()} (cron form)`,
    "[Unit]",
    "Description=ngcp-fleet backup schedule",
    "",
    "[Timer]",
    `OnCalendar=${calendar.value}`,
    // A run missed while the node was down happens at the next boot.
    "Persistent=true",
    "AccuracySec=1min",
    `Unit=${BACKUP_UNIT}.service`,
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
  return {
    service: { path: posix.join(dir, `${BACKUP_UNIT}.service`), mode: 0o644, content: service },
    timer: { path: posix.join(dir, `${BACKUP_UNIT}.timer`), mode: 0o644, content: timer },
  };
}

/**
 * The pinned known_hosts file of the off-node copy: the one host key, under the name ssh looks up
 * (`host`, or `[host]:port` when the port is not 22).
 */
export function renderKnownHosts(offNode: OffNodeCopyInputs): string {
  const name = offNode.port === 22 ? offNode.host : `[${offNode.host}]:${offNode.port}`;
  const [type, blob] = offNode.hostKey.trim().split(/\s+/);
  return `${name} ${type} ${blob}\n`;
}

/** A value for a MySQL option file: double-quoted, with the escapes the option-file reader undoes. */
function optionValue(value: string): string {
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
  return `"${escaped}"`;
}

/**
 * The text of a `[client]` option file (write it with mode 0600, owner root, at `mysqlOptionsFile`).
 * The password travels to the node only inside this file (over SFTP), never on a command line. A secret:
 * never log or diff the returned text.
 */
export function renderMysqlOptionsFile(login: {
  readonly user: string;
  readonly password: string;
  /** @default none: the client's default (the local socket) */
  readonly socket?: string;
  /** @default none */
  readonly host?: string;
}): string {
  const lines = [`${BACKUP_MARKER}: MySQL login of the backup script. Mode 0600.`, "[client]"];
  lines.push(`user=${optionValue(login.user)}`);
  lines.push(`password=${optionValue(login.password)}`);
  if (login.socket !== undefined) {
    lines.push(`socket=${optionValue(login.socket)}`);
  }
  if (login.host !== undefined) {
    lines.push(`host=${optionValue(login.host)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Everything the provider writes for these inputs, and the files of the other scheduler it removes. */
export interface BackupInstallPlan {
  readonly files: readonly NodeFile[];
  /** Files to delete if present (the other scheduler's, the known_hosts of a removed off-node copy). */
  readonly remove: readonly string[];
  /** Commands to run after writing (argv, for `session.exec`), e.g. enabling the systemd timer. */
  readonly commands: readonly (readonly string[])[];
}

/** The files and commands that install these inputs on a node (the MySQL option file is not among them). */
export function planBackupInstall(inputs: BackupInputs): BackupInstallPlan {
  const files: NodeFile[] = [{ path: inputs.paths.script, mode: 0o755, content: renderBackupScript(inputs) }];
  const remove: string[] = [];
  const commands: string[][] = [];
  const unitPaths = [
    posix.join(inputs.paths.systemdDir, `${BACKUP_UNIT}.service`),
    posix.join(inputs.paths.systemdDir, `${BACKUP_UNIT}.timer`),
  ];
  if (inputs.scheduler === "systemd") {
    const units = renderSystemdUnits(inputs);
    files.push(units.service, units.timer);
    remove.push(inputs.paths.cronFile);
    commands.push(["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", `${BACKUP_UNIT}.timer`]);
  } else {
    files.push({ path: inputs.paths.cronFile, mode: 0o644, content: renderCronFile(inputs) });
    remove.push(...unitPaths);
  }
  if (inputs.offNode) {
    files.push({ path: inputs.paths.knownHostsFile, mode: 0o644, content: renderKnownHosts(inputs.offNode) });
  } else {
    remove.push(inputs.paths.knownHostsFile);
  }
  return { files, remove, commands };
}

/**
 * The static part of the script. Values come only from the variables assigned above it; the
 * `table_stats` function and `$STATS_AWK` come from tableStats.ts.
 */
const BACKUP_SCRIPT_BODY = `# ---- below: the same on every node; the values above are this node's inputs ----
PROG=ngcp-fleet-backup
STEP=start
STEP_NO=0
LOCKED=0
DONE=0
PART=
ID=
STARTED=
BYTES=0
ARTIFACT_NAMES=()
ARTIFACTS_JSON=
ARTIFACT_SIZES=
OFFNODE_RESULT=skipped
PRUNED_JSON=
HOST_NAME=$(hostname 2>/dev/null || uname -n)

# Progress goes to stdout; stderr is collected so a failure can be recorded with its cause, and is
# replayed on the original stderr when the script exits (cron mails it; the CLI shows it).
exec 3>&2
TMPD=$(mktemp -d "\${TMPDIR:-/tmp}/ngcp-fleet-backup.XXXXXX")
ERRLOG=$TMPD/stderr
exec 2>>"$ERRLOG"

log() {
  printf '%s: %s\\n' "$PROG" "$*"
  if command -v logger >/dev/null 2>&1; then logger -t "$PROG" -- "$*" 2>/dev/null || true; fi
}

step() {
  STEP=$1
  STEP_NO=$((STEP_NO + 1))
  log "[$STEP_NO/$STEP_TOTAL] $2"
}

fail() {
  printf '%s: %s\\n' "$PROG" "$*" >&2
  exit 1
}

now_iso() { date -u +%Y-%m-%dT%H:%M:%SZ; }

json_str() {
  local s=$1
  s=\${s//\\\\/\\\\\\\\}
  s=\${s//\\"/\\\\\\"}
  s=\${s//$'\\n'/\\\\n}
  s=\${s//$'\\r'/\\\\r}
  s=\${s//$'\\t'/\\\\t}
  s=\${s//[$'\\001'-$'\\037']/}
  printf '"%s"' "$s"
}

compress() { if [ "$COMPRESSION" = gzip ]; then gzip -c; else cat; fi; }
decompress() { if [ "$COMPRESSION" = gzip ]; then gzip -dc; else cat; fi; }

write_atomic() {
  local tmp="$1.tmp.$$"
  printf '%s\\n' "$2" >"$tmp"
  chmod 0644 -- "$tmp"
  mv -f -- "$tmp" "$1"
}

summary_json() {
  local result=$1 error=$2 finished=null err=null
  if [ "$result" != running ]; then finished=$(json_str "$(now_iso)"); fi
  if [ -n "$error" ]; then err=$(json_str "$error"); fi
  printf '{"id":%s,"result":"%s","startedAt":%s,"finishedAt":%s,"error":%s,"step":%s,"bytes":%s,"artifacts":{%s},"offNode":"%s","pruned":[%s],"destination":%s,"hostname":%s}' \\
    "$(json_str "$ID")" "$result" "$(json_str "$STARTED")" "$finished" "$err" "$(json_str "$STEP")" \\
    "$BYTES" "$ARTIFACT_SIZES" "$OFFNODE_RESULT" "$PRUNED_JSON" "$(json_str "$DEST")" "$(json_str "$HOST_NAME")"
}

# write_status running|ok|failed [error]: the status file, atomically, with the last success inlined.
write_status() {
  local summary inner last=null
  summary=$(summary_json "$1" "\${2-}")
  mkdir -p -- "$(dirname -- "$STATUS_FILE")"
  if [ "$1" = ok ]; then write_atomic "$LAST_SUCCESS_FILE" "$summary"; fi
  if [ -s "$LAST_SUCCESS_FILE" ]; then last=$(cat -- "$LAST_SUCCESS_FILE"); fi
  inner=\${summary#\\{}
  inner=\${inner%\\}}
  write_atomic "$STATUS_FILE" "{\\"format\\":\\"ngcp-fleet-backup-status/1\\",$inner,\\"lastSuccess\\":$last}"
}

on_exit() {
  local rc=$? detail message
  set +e
  trap - EXIT
  if [ "$rc" -ne 0 ] && [ "$LOCKED" = 1 ] && [ "$DONE" != 1 ]; then
    # A failed run leaves no partial backup behind and never touches the older ones.
    if [ -n "$PART" ] && [ -d "$PART" ]; then rm -rf -- "$PART"; fi
    detail=$(tail -n 5 -- "$ERRLOG" 2>/dev/null | tr '\\n' ' ' | sed 's/  */ /g; s/^ //; s/ $//')
    message="step $STEP failed (exit $rc)"
    if [ -n "$detail" ]; then message="$message: $detail"; fi
    write_status failed "$message"
    printf '%s: FAILED: %s\\n' "$PROG" "$message" >>"$ERRLOG"
    if command -v logger >/dev/null 2>&1; then logger -p user.err -t "$PROG" -- "FAILED: $message" 2>/dev/null; fi
  fi
  if [ -s "$ERRLOG" ]; then cat -- "$ERRLOG" >&3; fi
  rm -rf -- "$TMPD"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

add_artifact() {
  local name=$1 kind=$2 paths=$3 files=\${4-} sum size extra=
  sum=$(sha256sum -- "$PART/$name" | cut -d ' ' -f 1)
  size=$(stat -c %s -- "$PART/$name")
  if [ -n "$files" ]; then extra=",\\"files\\":[$files]"; fi
  ARTIFACT_NAMES+=("$name")
  ARTIFACTS_JSON="\${ARTIFACTS_JSON:+$ARTIFACTS_JSON,}{\\"name\\":\\"$name\\",\\"kind\\":\\"$kind\\",\\"sha256\\":\\"$sum\\",\\"bytes\\":$size,\\"paths\\":[$paths]$extra}"
  ARTIFACT_SIZES="\${ARTIFACT_SIZES:+$ARTIFACT_SIZES,}\\"$name\\":$size"
  BYTES=$((BYTES + size))
}

# tar_paths ARCHIVE TOLERATE_CHANGES PATH...: archive absolute paths relative to / (restore maps them back).
tar_paths() {
  local archive=$1 tolerate=$2 members=() p rc=0
  shift 2
  for p in "$@"; do members+=("\${p#/}"); done
  if [ "$COMPRESSION" = gzip ]; then
    tar -c -z --warning=no-file-changed -f "$PART/$archive" -C / -- "\${members[@]}" || rc=$?
  else
    tar -c --warning=no-file-changed -f "$PART/$archive" -C / -- "\${members[@]}" || rc=$?
  fi
  # GNU tar exits 1 when a file changed while it was read (a CDR being written): the archive is sound.
  if [ "$rc" -ne 0 ] && { [ "$tolerate" != 1 ] || [ "$rc" -ne 1 ]; }; then
    fail "tar of \${*} into $archive failed (exit $rc)"
  fi
}

# ---- one run at a time ----
mkdir -p -- "$(dirname -- "$LOCK_FILE")"
exec 9>>"$LOCK_FILE"
if ! flock -n 9; then
  printf '%s: another backup run holds %s; not starting\\n' "$PROG" "$LOCK_FILE" >&2
  exit 75
fi
LOCKED=1

step prepare "checking the sources and the MySQL option file"
mkdir -p -- "$DEST"
# We hold the lock: a .partial left here is from a run that was killed.
for stale in "$DEST"/*.partial; do
  if [ -e "$stale" ]; then rm -rf -- "$stale"; fi
done
ID=$(date -u +%Y%m%dT%H%M%SZ)
while [ -e "$DEST/$ID" ] || [ -e "$DEST/$ID.partial" ]; do
  sleep 1
  ID=$(date -u +%Y%m%dT%H%M%SZ)
done
STARTED="\${ID:0:4}-\${ID:4:2}-\${ID:6:2}T\${ID:9:2}:\${ID:11:2}:\${ID:13:2}Z"
write_status running

MYSQL_BIN=$(command -v mariadb || command -v mysql || true)
DUMP_BIN=$(command -v mariadb-dump || command -v mysqldump || true)
if [ -z "$MYSQL_BIN" ]; then fail "no mariadb (or mysql) client on PATH"; fi
if [ -z "$DUMP_BIN" ]; then fail "no mariadb-dump (or mysqldump) on PATH"; fi
if [ ! -f "$MYSQL_OPTIONS" ]; then fail "the MySQL option file $MYSQL_OPTIONS is missing (it holds the backup login)"; fi
mode=$(stat -c %a -- "$MYSQL_OPTIONS")
owner=$(stat -c %u -- "$MYSQL_OPTIONS")
case $mode in
  600 | 400) ;;
  *) fail "the MySQL option file $MYSQL_OPTIONS has mode $mode; it must be 0600 (it holds a password)" ;;
esac
if [ "$owner" != "$(id -u)" ]; then fail "the MySQL option file $MYSQL_OPTIONS is owned by uid $owner, not $(id -u)"; fi
if [ ! -f "$NGCP_CONFIG_DIR/config.yml" ]; then fail "$NGCP_CONFIG_DIR/config.yml is missing: not an NGCP node?"; fi
for f in "\${MYSQL_FILES[@]}"; do
  if [ ! -f "$f" ]; then fail "$f is missing"; fi
done
if [ -n "$CDR_DIR" ] && [ ! -d "$CDR_DIR" ]; then fail "the CDR export directory $CDR_DIR is missing"; fi
for p in "\${CUSTOM_PATHS[@]}"; do
  if [ ! -e "$p" ]; then fail "the custom path $p does not exist"; fi
done
NGCP_VERSION=$(head -n 1 -- "$VERSION_FILE" 2>/dev/null || true)
PART=$DEST/$ID.partial
mkdir -- "$PART"
MYSQL=("$MYSQL_BIN" "--defaults-extra-file=$MYSQL_OPTIONS")

step stats-before "counting rows and checksumming every table (before the dump)"
table_stats "\${MYSQL[@]}" >"$TMPD/stats-before.tsv"

step dump "dumping all databases (one transaction; routines, events, triggers)"
DUMP_FILE=databases.sql$EXT
"$DUMP_BIN" "--defaults-extra-file=$MYSQL_OPTIONS" --single-transaction --quick --routines --events --triggers \\
  --all-databases --hex-blob --no-tablespaces --default-character-set=utf8mb4 | compress >"$PART/$DUMP_FILE"
if ! decompress <"$PART/$DUMP_FILE" | tail -n 1 | grep -q '^-- Dump completed'; then
  fail "the dump has no '-- Dump completed' trailer: it is truncated"
fi
add_artifact "$DUMP_FILE" databases ""

step stats-after "counting rows and checksumming every table (after the dump)"
table_stats "\${MYSQL[@]}" >"$TMPD/stats-after.tsv"

step config "archiving $NGCP_CONFIG_DIR and the MySQL credentials files"
tar_paths "ngcp-config$TAR_EXT" 0 "$NGCP_CONFIG_DIR"
files=
for f in config.yml constants.yml network.yml; do
  if [ -f "$NGCP_CONFIG_DIR/$f" ]; then files="\${files:+$files,}\\"$f\\""; fi
done
add_artifact "ngcp-config$TAR_EXT" ngcp-config "$NGCP_CONFIG_JSON" "$files"
tar_paths "mysql-config$TAR_EXT" 0 "\${MYSQL_FILES[@]}"
add_artifact "mysql-config$TAR_EXT" mysql-config "$MYSQL_FILES_JSON"

if [ -n "$CDR_DIR" ]; then
  step cdrexport "archiving the exported CDRs in $CDR_DIR"
  tar_paths "cdrexport$TAR_EXT" 1 "$CDR_DIR"
  add_artifact "cdrexport$TAR_EXT" cdrexport "$CDR_JSON"
fi

if [ "\${#CUSTOM_PATHS[@]}" -gt 0 ]; then
  step custom "archiving \${#CUSTOM_PATHS[@]} custom path(s)"
  tar_paths "custom$TAR_EXT" 1 "\${CUSTOM_PATHS[@]}"
  add_artifact "custom$TAR_EXT" custom "$CUSTOM_JSON"
fi

step manifest "writing manifest.json and SHA256SUMS"
TABLES_JSON=$(awk -F '\\t' "$STATS_AWK" "$TMPD/stats-before.tsv" "$TMPD/stats-after.tsv")
{
  printf '{\\n'
  printf '  "format": "ngcp-fleet-backup/1",\\n'
  printf '  "id": %s,\\n' "$(json_str "$ID")"
  printf '  "hostname": %s,\\n' "$(json_str "$HOST_NAME")"
  printf '  "ngcpVersion": %s,\\n' "$(json_str "$NGCP_VERSION")"
  printf '  "edition": %s,\\n' "$(json_str "$EDITION")"
  printf '  "startedAt": %s,\\n' "$(json_str "$STARTED")"
  printf '  "finishedAt": %s,\\n' "$(json_str "$(now_iso)")"
  printf '  "compression": %s,\\n' "$(json_str "$COMPRESSION")"
  printf '  "destination": %s,\\n' "$(json_str "$DEST")"
  printf '  "artifacts": [%s],\\n' "$ARTIFACTS_JSON"
  printf '  "tables": [\\n%s\\n  ]\\n' "$TABLES_JSON"
  printf '}\\n'
} >"$PART/manifest.json"
(cd -- "$PART" && sha256sum -- "\${ARTIFACT_NAMES[@]}" manifest.json >SHA256SUMS)
sync -- "$PART"/* "$PART"

step finalize "finishing backup $ID"
mv -- "$PART" "$DEST/$ID"
PART=

if [ -n "$OFF_HOST" ]; then
  step offnode "copying $ID to $OFF_USER@$OFF_HOST:$OFF_PATH and verifying it there"
  OFFNODE_RESULT=failed
  if [ ! -r "$OFF_KEY" ]; then fail "the off-node private key $OFF_KEY is missing on this node"; fi
  if [ ! -s "$KNOWN_HOSTS" ]; then fail "the pinned known_hosts file $KNOWN_HOSTS is missing"; fi
  SSH=(ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$KNOWN_HOSTS"
    -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o ConnectTimeout=30 -o ServerAliveInterval=15
    -o ServerAliveCountMax=4 -i "$OFF_KEY" -p "$OFF_PORT" -l "$OFF_USER" -- "$OFF_HOST")
  REMOTE_PART="$OFF_PATH_Q/$ID.partial"
  tar -C "$DEST/$ID" -cf - . | "\${SSH[@]}" "umask 077 && mkdir -p -- $REMOTE_PART && tar -xf - -C $REMOTE_PART"
  "\${SSH[@]}" "cd -- $REMOTE_PART && sha256sum -c --quiet SHA256SUMS && mv -- $REMOTE_PART $OFF_PATH_Q/$ID"
  OFFNODE_RESULT=ok
fi

step prune "applying retention (newest \${RETAIN_COUNT} kept, and all younger than \${RETAIN_DAYS} days; 0 = rule off)"
NOW_EPOCH=$(date -u +%s)
IDS=()
for dir in "$DEST"/*/; do
  name=\${dir%/}
  name=\${name##*/}
  if [[ $name =~ ^[0-9]{8}T[0-9]{6}Z$ ]] && [ -f "$DEST/$name/manifest.json" ]; then IDS+=("$name"); fi
done
TOTAL=\${#IDS[@]}
for i in "\${!IDS[@]}"; do
  old=\${IDS[$i]}
  if [ "$old" = "$ID" ]; then continue; fi
  keep=0
  if [ "$RETAIN_COUNT" -gt 0 ] && [ $((TOTAL - i)) -le "$RETAIN_COUNT" ]; then keep=1; fi
  if [ "$RETAIN_DAYS" -gt 0 ]; then
    t=$(date -u -d "\${old:0:4}-\${old:4:2}-\${old:6:2} \${old:9:2}:\${old:11:2}:\${old:13:2}" +%s)
    if [ $((NOW_EPOCH - t)) -lt $((RETAIN_DAYS * 86400)) ]; then keep=1; fi
  fi
  if [ "$keep" = 0 ]; then
    rm -rf -- "\${DEST:?}/$old"
    PRUNED_JSON="\${PRUNED_JSON:+$PRUNED_JSON,}\\"$old\\""
    log "pruned $old"
  fi
done

write_status ok
DONE=1
log "result ok: backup $ID, $BYTES bytes, in $DEST/$ID"
`;

/** One progress line of the backup, restore or drill script: `ngcp-fleet-backup: [3/8] dumping …`. */
export interface ScriptProgress {
  readonly script: "backup" | "restore" | "drill";
  readonly step: number;
  readonly of: number;
  readonly title: string;
}

/** Reads a progress line the node-side scripts print (for the CLI's progress display); `undefined` otherwise. */
export function parseProgressLine(line: string): ScriptProgress | undefined {
  const m = /^ngcp-fleet-(backup|restore|drill): \[(\d+)\/(\d+)\] (.*)$/.exec(line.trimEnd());
  if (!m) {
    return undefined;
  }
  return { script: m[1] as ScriptProgress["script"], step: Number(m[2]), of: Number(m[3]), title: m[4] };
}

/** The MariaDB account the dump logs in as: least privilege, created on the node by the backup feature. */
export const BACKUP_MYSQL_USER = "ngcp_fleet_backup";

/**
 * What a consistent `mariadb-dump --single-transaction --routines --events --triggers --all-databases` and the
 * script's per-table statistics (`SELECT COUNT(*)`, `CHECKSUM TABLE`) need, and nothing more: no write, no
 * RELOAD, no SUPER, no GRANT OPTION.
 */
export const BACKUP_MYSQL_GRANTS = "SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT";

/**
 * The start of the scripts that manage the backup's account: a login as the CE's main service user (`sipwise`,
 * every privilege, handbook 15.3) from /etc/mysql/sipwise.cnf, in a 0600 option file of a private temporary
 * directory; `admin` runs SQL from stdin through it. `failed` is what the script does when that login fails.
 */
/**
 * A sed program printing the password of sipwise.cnf's `SIPWISE_DB_PASSWORD=…` line (quoted or not, with or
 * without `export`), for a double-quoted shell word. Shared with the restore script.
 */
export const SIPWISE_DB_PASSWORD_SED = String.raw`s/^[[:space:]]*\(export[[:space:]]\{1,\}\)\{0,1\}SIPWISE_DB_PASSWORD=['\"]\{0,1\}\([^'\"]*\)['\"]\{0,1\}[[:space:]]*$/\2/p`;

/** Options of the scripts that manage the backup's account. */
export interface LoginScriptOptions {
  /** The MariaDB server's socket when it is not the client's default (a scratch server in tests). */
  readonly mysqlSocket?: string;
}

/** The option file's `socket=` line (printf text), or nothing. */
function socketOptionLine(options: LoginScriptOptions): string {
  return options.mysqlSocket === undefined ? "" : `socket=${options.mysqlSocket}\\n`;
}

function adminLoginPreamble(inputs: BackupInputs, socketLine: string, failed: string): string {
  return `set -eu
umask 077
OPTIONS=${quote(inputs.mysqlOptionsFile)}
SIPWISE_CNF=${quote(inputs.paths.sipwiseCnf)}
ACCOUNT="'${BACKUP_MYSQL_USER}'@'localhost'"
MYSQL_BIN=$(command -v mariadb || command -v mysql) || { echo "no mariadb (or mysql) client on the node" >&2; exit 127; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -r "$SIPWISE_CNF" ] || { echo "$SIPWISE_CNF is missing: the backup user is managed with the CE's main service login" >&2; ${failed}; }
admin_password=$(sed -n "${SIPWISE_DB_PASSWORD_SED}" "$SIPWISE_CNF" | head -n 1)
[ -n "$admin_password" ] || { echo "$SIPWISE_CNF has no SIPWISE_DB_PASSWORD line" >&2; ${failed}; }
printf '[client]\\nuser=sipwise\\npassword="%s"\\n${socketLine}' "$admin_password" >"$work/admin.cnf"
admin() { "$MYSQL_BIN" "--defaults-extra-file=$work/admin.cnf" -N -B; }
echo "SELECT 1;" | admin >/dev/null 2>"$work/err" || { ${failed}; }
`;
}

/**
 * The node-side script (POSIX sh, fed on stdin: `sh -s`) that gives the dump its own login. It runs as root
 * on the node and logs in to MariaDB as the main service user of /etc/mysql/sipwise.cnf, which the CE
 * installer creates with every privilege (handbook 15.3), so neither root's password nor any other secret
 * of the stack is needed, and the backup user's password is born on the node and never leaves it:
 *  - keeps the option file's password when its login already works, else draws a new one (/dev/urandom);
 *  - `CREATE USER IF NOT EXISTS … @localhost`, `ALTER USER … IDENTIFIED BY` (when new), then exactly the
 *    grants of {@link BACKUP_MYSQL_GRANTS} (everything else revoked);
 *  - writes the option file 0600 atomically (a temporary file beside it, renamed).
 * The password only passes through shell variables and builtins (`printf`), never a process's arguments.
 * Prints `created`, `rotated` or `kept`.
 */
export function renderBackupLoginScript(inputs: BackupInputs, options: LoginScriptOptions = {}): string {
  const socketLine = socketOptionLine(options);
  return `${adminLoginPreamble(inputs, socketLine, 'echo "cannot log in as sipwise with $SIPWISE_CNF: $(tail -n 1 "$work/err")" >&2; exit 1')}outcome=kept
password=
if [ -f "$OPTIONS" ] && "$MYSQL_BIN" "--defaults-extra-file=$OPTIONS" -N -B -e "SELECT CURRENT_USER()" 2>/dev/null | grep -qx "${BACKUP_MYSQL_USER}@localhost"; then
  :
else
  password=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
  [ "\${#password}" -ge 24 ] || { echo "could not draw a password from /dev/urandom" >&2; exit 1; }
  if printf 'SELECT 1 FROM mysql.user WHERE User = %s AND Host = %s;\\n' "'${BACKUP_MYSQL_USER}'" "'localhost'" | admin | grep -q 1; then outcome=rotated; else outcome=created; fi
fi
{
  printf 'CREATE USER IF NOT EXISTS %s;\\n' "$ACCOUNT"
  if [ -n "$password" ]; then printf "ALTER USER %s IDENTIFIED BY '%s';\\n" "$ACCOUNT" "$password"; fi
  printf 'REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s;\\n' "$ACCOUNT"
  printf 'GRANT ${BACKUP_MYSQL_GRANTS} ON *.* TO %s;\\n' "$ACCOUNT"
} | admin
if [ -n "$password" ]; then
  temp="$OPTIONS.ngcp-fleet-$$"
  printf '%s\\n[client]\\nuser=%s\\npassword=%s\\n${socketLine}' "${BACKUP_MARKER}: MySQL login of the backup script (least privilege; password made on this node). Mode 0600." "${BACKUP_MYSQL_USER}" "$password" >"$temp"
  chmod 0600 "$temp"
  chown 0:0 "$temp"
  sync "$temp" 2>/dev/null || true
  mv -f "$temp" "$OPTIONS"
fi
echo "$outcome"
`;
}

/**
 * The node-side script `destroy` runs: drops the backup's MariaDB account (the option file is removed beside
 * it). A node whose main service login no longer works (reinstalled, reset) keeps whatever account it has;
 * the script then prints why and still succeeds, so a destroy never hangs on a node that changed under it.
 */
export function renderBackupLoginRemovalScript(
  inputs: BackupInputs,
  options: LoginScriptOptions = {},
): string {
  const socketLine = socketOptionLine(options);
  return `${adminLoginPreamble(inputs, socketLine, 'echo "kept: cannot log in as sipwise with $SIPWISE_CNF"; exit 0')}printf 'DROP USER IF EXISTS %s;\\n' "$ACCOUNT" | admin
echo dropped
`;
}
