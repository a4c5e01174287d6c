/**
 * The node-side script of `ngcp-fleet restore` (handbook 15.5.2): the text of a bash script that carries
 * out a {@link RestorePlan} on the node. Run it as root with `bash -s` (the script on stdin; nothing of it
 * in the process list) — not `sh -s`: it needs bash's `pipefail` so a dump that fails half-way fails the
 * restore.
 *
 * Steps, each printing `ngcp-fleet-restore: [n/6] …` so the CLI can show progress:
 *  1. verify: the SHA-256 of every artifact used, against the values of the manifest the deployer read
 *     (embedded here), before anything is touched; and the MariaDB login;
 *  2. stage: the needed archive members unpacked into `<destination>/restore-<ts>.staging`;
 *  3. keep-aside: the node's current files copied to `<destination>/pre-restore-<ts>/<path>` and, by
 *     default, its current databases dumped there;
 *  4. restore-files: each file copied next to its target and renamed over it (a reader never sees half);
 *  5. restore-database: the dump piped into `mariadb`, logged in as the CE's main service user with the
 *     password of the node's sipwise.cnf as it was when the script started (step 1 writes it to a 0600
 *     option file in a private temporary directory), then `FLUSH PRIVILEGES` in the same session (the dump
 *     carries the users of the backed-up node). The backup's own login cannot do it: it may only read.
 *  6. apply: `ngcpcfg apply "<message>"`.
 * A failing step stops the script; the message names the step and where the previous files are.
 */
import { SIPWISE_DB_PASSWORD_SED } from "../../providers/backup/script";
import { quote } from "../../providers/transport/quote";
import type { RestorePlan } from "./restore";

export interface RestoreScriptOptions {
  /**
   * The node's /etc/mysql/sipwise.cnf: its `SIPWISE_DB_PASSWORD` logs in as `sipwise`, which the CE
   * installer creates with every privilege (handbook 15.3). Read before step 2 replaces the file; the
   * password only passes through shell variables and a 0600 option file, never a command line.
   */
  readonly sipwiseCnf: string;
  /** The MariaDB server's socket when it is not the client's default (a scratch server in tests). */
  readonly mysqlSocket?: string;
  /** The ngcpcfg command. @default "ngcpcfg" */
  readonly ngcpcfg?: string;
}

/** The text of the restore script for `plan` (refuses a plan with problems). */
export function renderRestoreScript(plan: RestorePlan, options: RestoreScriptOptions): string {
  if (plan.problems.length > 0) {
    throw new Error(`the restore plan of backup ${plan.backupId} cannot run: ${plan.problems.join("; ")}`);
  }
  const words = (values: readonly string[]) => values.map(quote).join(" ");
  const checksums = plan.checksums.map((c) => `${c.sha256}  ${c.name}`).join("\n");
  const header = `#!/bin/bash
# managed by ngcp-fleet: restore of backup ${plan.backupId} onto node ${plan.node} (handbook 15.5.2).
# Rendered by providers/recovery/restoreScript.ts; run as root with: bash -s < this-file
set -euo pipefail
umask 077
export LC_ALL=C
PATH=\${PATH:-/usr/bin:/bin}:/usr/local/sbin:/usr/sbin:/sbin

# ---- this restore ----
BACKUP_ID=${quote(plan.backupId)}
BACKUP_DIR=${quote(plan.backupDir)}
PRE=${quote(plan.preRestoreDir)}
STAGE=${quote(plan.stagingDir)}
DUMP=${quote(plan.database.artifact)}
COMPRESSION=${plan.database.compression}
SIPWISE_CNF=${quote(options.sipwiseCnf)}
MYSQL_SOCKET=${quote(options.mysqlSocket ?? "")}
MYSQL_OPTIONS=
NGCPCFG=${quote(options.ngcpcfg ?? "ngcpcfg")}
APPLY_MESSAGE=${quote(plan.applyMessage)}
KEEP_DATABASES=${plan.keepPreviousDatabases ? 1 : 0}
CHECKSUMS=${quote(checksums)}
ARCHIVES=(${words(plan.files.map((f) => f.artifact))})
MEMBERS=(${words(plan.files.map((f) => f.member))})
TARGETS=(${words(plan.files.map((f) => f.target))})
STEP_TOTAL=${plan.steps.length}

`;
  return header + RESTORE_SCRIPT_BODY;
}

const RESTORE_SCRIPT_BODY = `# ---- below: the same for every restore; the values above are this restore's plan ----
PROG=ngcp-fleet-restore
STEP=start
STEP_NO=0

log() { printf '%s: %s\\n' "$PROG" "$*"; }
step() {
  STEP=$1
  STEP_NO=$((STEP_NO + 1))
  log "[$STEP_NO/$STEP_TOTAL] $2"
}
fail() {
  printf '%s: %s\\n' "$PROG" "$*" >&2
  exit 1
}
decompress() { if [ "$COMPRESSION" = gzip ]; then gzip -dc; else cat; fi; }

on_exit() {
  local rc=$?
  set +e
  trap - EXIT
  if [ -n "$STAGE" ] && [ -d "$STAGE" ]; then rm -rf -- "$STAGE"; fi
  if [ -n "$MYSQL_OPTIONS" ]; then rm -rf -- "$(dirname -- "$MYSQL_OPTIONS")"; fi
  if [ "$rc" -ne 0 ]; then
    printf '%s: FAILED in step %s (exit %s); the steps after it did not run.\\n' "$PROG" "$STEP" "$rc" >&2
    if [ -d "$PRE" ]; then
      printf '%s: the node'"'"'s previous files are kept in %s (put one back with: cp -a %s/<path> <path>).\\n' \\
        "$PROG" "$PRE" "$PRE" >&2
    else
      printf '%s: nothing on the node was changed.\\n' "$PROG" >&2
    fi
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

MYSQL_BIN=$(command -v mariadb || command -v mysql || true)
DUMP_BIN=$(command -v mariadb-dump || command -v mysqldump || true)

step verify "verifying the SHA-256 of the backup's artifacts"
if [ ! -d "$BACKUP_DIR" ]; then fail "the backup directory $BACKUP_DIR does not exist"; fi
(cd -- "$BACKUP_DIR" && printf '%s\\n' "$CHECKSUMS" | sha256sum -c --strict --quiet -) ||
  fail "checksum mismatch in $BACKUP_DIR: the backup is damaged; nothing was changed"
if [ -z "$MYSQL_BIN" ]; then fail "no mariadb (or mysql) client on PATH"; fi
if [ ! -r "$SIPWISE_CNF" ]; then fail "$SIPWISE_CNF is missing: the restore logs in as the CE's main service user; nothing was changed"; fi
ADMIN_PASSWORD=$(sed -n "${SIPWISE_DB_PASSWORD_SED}" "$SIPWISE_CNF" | head -n 1)
if [ -z "$ADMIN_PASSWORD" ]; then fail "$SIPWISE_CNF has no SIPWISE_DB_PASSWORD line; nothing was changed"; fi
MYSQL_OPTIONS="$(mktemp -d)/admin.cnf"
printf '[client]\\nuser=sipwise\\npassword="%s"\\n' "$ADMIN_PASSWORD" >"$MYSQL_OPTIONS"
if [ -n "$MYSQL_SOCKET" ]; then printf 'socket=%s\\n' "$MYSQL_SOCKET" >>"$MYSQL_OPTIONS"; fi
ADMIN_PASSWORD=
"$MYSQL_BIN" "--defaults-extra-file=$MYSQL_OPTIONS" -N -B -e 'SELECT 1' >/dev/null ||
  fail "cannot log in to MariaDB as sipwise with the password of $SIPWISE_CNF; nothing was changed"

step stage "unpacking the files to restore into $STAGE"
mkdir -p -- "$STAGE"
for i in "\${!MEMBERS[@]}"; do
  tar -x -f "$BACKUP_DIR/\${ARCHIVES[$i]}" -C "$STAGE" -- "\${MEMBERS[$i]}"
  if [ ! -f "$STAGE/\${MEMBERS[$i]}" ]; then fail "\${ARCHIVES[$i]} holds no \${MEMBERS[$i]}"; fi
done
if [ "$COMPRESSION" = gzip ]; then gzip -t -- "$BACKUP_DIR/$DUMP"; fi

step keep-aside "keeping the node's current files in $PRE"
mkdir -p -- "$PRE"
for target in "\${TARGETS[@]}"; do
  if [ -e "$target" ]; then
    mkdir -p -- "$PRE$(dirname -- "$target")"
    cp -a -- "$target" "$PRE$target"
  fi
done
if [ "$KEEP_DATABASES" = 1 ]; then
  if [ -z "$DUMP_BIN" ]; then fail "no mariadb-dump (or mysqldump) on PATH to keep the current databases"; fi
  log "dumping the current databases to $PRE/databases.sql.gz"
  "$DUMP_BIN" "--defaults-extra-file=$MYSQL_OPTIONS" --single-transaction --quick --routines --events --triggers \\
    --all-databases --hex-blob --no-tablespaces --default-character-set=utf8mb4 | gzip -c >"$PRE/databases.sql.gz"
fi
KEPT_NOTE=
if [ "$KEEP_DATABASES" = 1 ]; then KEPT_NOTE=", and its databases (databases.sql.gz)"; fi
printf '%s\\n' "Kept by ngcp-fleet before restoring backup $BACKUP_ID: the node's files at their paths below this" \\
  "directory$KEPT_NOTE." >"$PRE/README"

step restore-files "restoring config.yml, constants.yml, network.yml and sipwise.cnf (handbook 15.5.2)"
for i in "\${!MEMBERS[@]}"; do
  target=\${TARGETS[$i]}
  mkdir -p -- "$(dirname -- "$target")"
  cp -p -- "$STAGE/\${MEMBERS[$i]}" "$target.ngcp-fleet-restore"
  mv -f -- "$target.ngcp-fleet-restore" "$target"
  log "restored $target"
done

step restore-database "restoring the database dump $DUMP (handbook 15.5.2)"
{
  decompress <"$BACKUP_DIR/$DUMP"
  printf '\\nFLUSH PRIVILEGES;\\n'
} | "$MYSQL_BIN" "--defaults-extra-file=$MYSQL_OPTIONS"

step apply "ngcpcfg apply (handbook 15.5.2)"
"$NGCPCFG" apply "$APPLY_MESSAGE"

rm -rf -- "$STAGE"
STAGE=
log "result ok: backup $BACKUP_ID restored; the previous files are kept in $PRE"
`;
