/**
 * The three fixed POSIX sh scripts the provider runs on a node, and their stdin and output formats. One
 * script per SSH round trip:
 *
 * | script    | connection | does                                                                                  |
 * | --------- | ---------- | ------------------------------------------------------------------------------------- |
 * | `read`    | pooled     | deployer address, `iptables-save` + `ip6tables-save`, the pre-management record, boot files |
 * | `apply`   | pooled     | writes snapshots, restore inputs and the switch's scripts; dry run; arms; applies; saves |
 * | `confirm` | **new**    | confirms (disarms the switch), then writes or restores the boot files, cleans up       |
 *
 * No value is ever put into a script's text: the scripts are constants, paths and words travel as
 * positional parameters (quoted by the transport's one quoting helper), file contents travel on stdin as
 * one base64 line each (so a file can never end a here-document early, and `read` in sh never reads past
 * its line). Pure: building argv and stdin, parsing output.
 */
import { DEFAULT_ROLLBACK_DIR, rollbackPaths, type RollbackPaths } from "./rollback";
import type { Family, Policy } from "./inputs";
import { PERSISTENCE_FILES } from "./lines";

/** Where the apply keeps its snapshots and restore inputs (survives a reboot, unlike the switch in /run). */
export const STATE_DIR = "/var/lib/ngcp-fleet/firewall";

/** The node as it was before ngcp-fleet first changed its firewall: INPUT policies and boot files. */
export const BEFORE_DIR = `${STATE_DIR}/before`;

const PATH_LINE = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH";

/** Reads everything a plan, a refresh or a removal needs, in one round trip. */
export const READ_SCRIPT = [
  "set -u",
  PATH_LINE,
  'printf "@@ssh %s\\n" "${SSH_CONNECTION:-}"',
  "echo @@v4",
  "iptables-save || exit 10",
  "echo @@v6",
  "ip6tables-save || exit 11",
  "echo @@before",
  `cat "$1/policy" 2>/dev/null || :`,
  "for f in rules.v4 rules.v6; do",
  '  if [ -r "/etc/iptables/$f" ]; then echo "@@file $f"; base64 -w0 "/etc/iptables/$f"; echo; else echo "@@nofile $f"; fi',
  "done",
  "echo @@end",
  "",
].join("\n");

/** argv of the read script (its only parameter is {@link BEFORE_DIR}). */
export function readArgv(): string[] {
  return ["sh", "-c", READ_SCRIPT, "ngcp-fleet-firewall-read", BEFORE_DIR];
}

/** Prints the deployer's address as the node sees it (the first field of `$SSH_CONNECTION`). */
export const DEPLOYER_SCRIPT = 'printf "%s\\n" "${SSH_CONNECTION%% *}"\n';

/**
 * Writes the uploaded files, dry-runs both inputs, records the node's pre-management state once, arms the
 * switch, applies IPv4 then IPv6, and prints the full `iptables-save` / `ip6tables-save` afterwards.
 * Exit codes: 10–12 upload/record, 20/21 dry run refused (nothing changed), 30 switch not armed (nothing
 * changed), 40 IPv4 refused (nothing changed, switch disarmed), 41 IPv6 refused (both restored at once),
 * 50/51 saving after the apply failed (the switch is armed: the node restores itself).
 */
export const APPLY_SCRIPT = [
  "set -u",
  "umask 077",
  PATH_LINE,
  "pre4=$1 pre6=$2 in4=$3 in6=$4 rollback=$5 now=$6 confirm=$7 decided=$8 result=$9 before=${10} record=${11}",
  // Nothing was applied: the files of this apply are of no use to anyone.
  'discard() { rm -f "$pre4" "$pre6" "$in4" "$in6" "$rollback" "$now" "$confirm"; }',
  'for file in "$pre4" "$pre6" "$in4" "$in6" "$rollback" "$now" "$confirm"; do',
  '  mkdir -p "${file%/*}" || exit 10',
  '  IFS= read -r line || { echo "ngcp-fleet: the upload of $file was cut short; nothing was changed" >&2; exit 11; }',
  '  printf "%s" "$line" | base64 -d > "$file" || { echo "ngcp-fleet: cannot write $file; nothing was changed" >&2; exit 11; }',
  "done",
  'if ! out=$(iptables-restore -w 5 --test --noflush < "$in4" 2>&1); then',
  '  printf "iptables-restore --test refused the IPv4 ruleset; nothing was changed:\\n%s\\n" "$out" >&2; discard; exit 20',
  "fi",
  'if ! out=$(ip6tables-restore -w 5 --test --noflush < "$in6" 2>&1); then',
  '  printf "ip6tables-restore --test refused the IPv6 ruleset; nothing was changed:\\n%s\\n" "$out" >&2; discard; exit 21',
  "fi",
  'if [ "$record" != - ] && [ ! -e "$before/policy" ]; then',
  '  mkdir -p "$before" || exit 12',
  "  for f in rules.v4 rules.v6; do",
  '    if [ -e "/etc/iptables/$f" ]; then cp -p "/etc/iptables/$f" "$before/$f" || exit 12; else : > "$before/$f.absent" || exit 12; fi',
  "  done",
  '  printf "%s\\n" "$record" > "$before/policy.new" && mv -f "$before/policy.new" "$before/policy" || exit 12',
  "fi",
  'setsid -f sh "$rollback" < /dev/null > /dev/null 2>&1 || { echo "ngcp-fleet: cannot start the rollback switch (setsid -f); nothing was changed" >&2; discard; exit 30; }',
  "echo @@armed",
  'if ! out=$(iptables-restore -w 5 --noflush < "$in4" 2>&1); then',
  '  mkdir "$decided" 2>/dev/null && printf "%s\\n" apply-refused > "$result"',
  '  printf "iptables-restore refused the IPv4 ruleset; nothing was changed and the rollback switch stood down:\\n%s\\n" "$out" >&2; exit 40',
  "fi",
  'if ! out=$(ip6tables-restore -w 5 --noflush < "$in6" 2>&1); then',
  '  sh "$now"',
  '  printf "ip6tables-restore refused the IPv6 ruleset after IPv4 was applied; the node restored both at once (%s):\\n%s\\n" "$(cat "$result" 2>/dev/null)" "$out" >&2; exit 41',
  "fi",
  "echo @@applied",
  "echo @@v4",
  "iptables-save || exit 50",
  "echo @@v6",
  "ip6tables-save || exit 51",
  "echo @@end",
  "",
].join("\n");

/** The files of one apply on the node. */
export interface ApplyPaths {
  readonly preV4: string;
  readonly preV6: string;
  readonly restoreV4: string;
  readonly restoreV6: string;
  /** The switch (rollbackPaths(token).script), its decision directory and result file. */
  readonly rollback: RollbackPaths;
  /** The immediate rollback (renderRollbackNow), for a half-applied or refuted apply. */
  readonly now: string;
  /** The confirmation (renderConfirm), run over a new connection. */
  readonly confirm: string;
}

/** Paths of the apply named by `token` (validated by rollbackPaths). */
export function applyPaths(token: string): ApplyPaths {
  const rollback = rollbackPaths(token);
  const base = `${STATE_DIR}/${token}`;
  return {
    preV4: `${base}.pre.v4`,
    preV6: `${base}.pre.v6`,
    restoreV4: `${base}.restore.v4`,
    restoreV6: `${base}.restore.v6`,
    rollback,
    now: `${DEFAULT_ROLLBACK_DIR}/${token}.now.sh`,
    confirm: `${DEFAULT_ROLLBACK_DIR}/${token}.confirm.sh`,
  };
}

/** The contents the apply script writes, in its order. */
export interface ApplyFiles {
  readonly preV4: string;
  readonly preV6: string;
  readonly restoreV4: string;
  readonly restoreV6: string;
  readonly rollback: string;
  readonly now: string;
  readonly confirm: string;
}

/** One base64 line per file, in the order the script reads them. */
export function bundle(contents: readonly string[]): string {
  return contents.map((content) => `${Buffer.from(content, "utf8").toString("base64")}\n`).join("");
}

/**
 * argv and stdin of the apply script. `record`: the INPUT policies to keep as "before ngcp-fleet" when the
 * node has no such record yet (first apply); null for a removal, which must not record anything.
 */
export function applyCommand(
  paths: ApplyPaths,
  files: ApplyFiles,
  record: { readonly ipv4: string; readonly ipv6: string } | null,
): { argv: string[]; stdin: string } {
  return {
    argv: [
      "sh",
      "-c",
      APPLY_SCRIPT,
      "ngcp-fleet-firewall-apply",
      paths.preV4,
      paths.preV6,
      paths.restoreV4,
      paths.restoreV6,
      paths.rollback.script,
      paths.now,
      paths.confirm,
      paths.rollback.decided,
      paths.rollback.result,
      BEFORE_DIR,
      record === null ? "-" : `${record.ipv4} ${record.ipv6}`,
    ],
    stdin: bundle([
      files.preV4,
      files.preV6,
      files.restoreV4,
      files.restoreV6,
      files.rollback,
      files.now,
      files.confirm,
    ]),
  };
}

/**
 * Confirms the apply (unless `-`), then handles the boot files: `write` takes two base64 lines (rules.v4,
 * rules.v6) on stdin and replaces each file atomically (temporary file in /etc/iptables, fsync, rename);
 * `restore` puts back the files found before the first apply (or removes ours when there were none) and
 * forgets the pre-management record; `none` leaves them. Exit 3 with `@@lost <result>`: the switch decided
 * first (the node is restoring or restored its previous ruleset).
 */
export const CONFIRM_SCRIPT = [
  "set -u",
  PATH_LINE,
  "confirm=$1 mode=$2 before=$3 pre4=$4 pre6=$5 state=$6",
  "shift 6",
  'if [ "$confirm" != - ]; then',
  '  answer=$(umask 077; sh "$confirm")',
  "  status=$?",
  '  if [ "$status" -ne 0 ]; then echo "@@lost ${answer:-unknown}"; exit 3; fi',
  "  echo @@confirmed",
  "fi",
  "umask 022",
  'case "$mode" in',
  "  write)",
  "    mkdir -p /etc/iptables || exit 50",
  "    for f in rules.v4 rules.v6; do",
  '      IFS= read -r line || { echo "ngcp-fleet: the upload of /etc/iptables/$f was cut short" >&2; exit 51; }',
  '      tmp="/etc/iptables/.$f.ngcp-fleet.$$"',
  '      if printf "%s" "$line" | base64 -d > "$tmp" && chmod 0640 "$tmp" && sync "$tmp" && mv -f "$tmp" "/etc/iptables/$f"; then :; else',
  '        rm -f "$tmp"; echo "ngcp-fleet: cannot write /etc/iptables/$f" >&2; exit 52',
  "      fi",
  "    done",
  "    echo @@persisted ;;",
  "  restore)",
  "    for f in rules.v4 rules.v6; do",
  '      if [ -e "$before/$f" ]; then mv -f "$before/$f" "/etc/iptables/$f" || exit 53',
  '      elif [ -e "$before/$f.absent" ]; then rm -f "/etc/iptables/$f" "$before/$f.absent" || exit 53; fi',
  "    done",
  '    rm -f "$before/policy"; rmdir "$before" 2>/dev/null',
  "    echo @@restored ;;",
  "esac",
  '[ "$pre4" = - ] || mv -f "$pre4" "$state/last-pre.v4"',
  '[ "$pre6" = - ] || mv -f "$pre6" "$state/last-pre.v6"',
  // The switch's decision directory and result stay (in /run): removing them would let a sleeping switch
  // take the decision later and roll a confirmed apply back.
  'rm -f "$@"',
  // Restore inputs of earlier applies that the switch rolled back are of no further use; their snapshots
  // (`<token>.pre.v4|v6`, the ruleset before that apply) stay for the operator.
  'rm -f "$state"/*.restore.v4 "$state"/*.restore.v6',
  "echo @@end",
  "",
].join("\n");

/** What the confirm script does with the boot files. */
export type BootFileMode =
  | { readonly mode: "write"; readonly files: Readonly<Record<Family, string>> }
  | { readonly mode: "restore" }
  | { readonly mode: "none" };

/** argv and stdin of the confirm script; `paths` null: no apply to confirm (boot files only). */
export function confirmCommand(
  paths: ApplyPaths | null,
  boot: BootFileMode,
): { argv: string[]; stdin: string } {
  return {
    argv: [
      "sh",
      "-c",
      CONFIRM_SCRIPT,
      "ngcp-fleet-firewall-confirm",
      paths === null ? "-" : paths.confirm,
      boot.mode,
      BEFORE_DIR,
      paths === null ? "-" : paths.preV4,
      paths === null ? "-" : paths.preV6,
      STATE_DIR,
      ...(paths === null ? [] : [paths.restoreV4, paths.restoreV6, paths.now, paths.confirm]),
    ],
    stdin: boot.mode === "write" ? bundle([boot.files.ipv4, boot.files.ipv6]) : "",
  };
}

/** Output split at its `@@name [value]` marker lines. */
export interface Sections {
  /** Marker name → the rest of the marker line (`@@ssh 198.18.0.1 …` → `198.18.0.1 …`). */
  readonly markers: Readonly<Record<string, string>>;
  /** Marker name → the lines after it, up to the next marker. */
  readonly bodies: Readonly<Record<string, string>>;
}

/** Splits a script's output at its marker lines. A repeated marker keeps its first body (e.g. `@@file`, see below). */
export function parseSections(stdout: string): Sections {
  const markers: Record<string, string> = {};
  const bodies: Record<string, string> = {};
  let current: string | null = null;
  let lines: string[] = [];
  const flush = (): void => {
    if (current !== null && !(current in bodies)) {
      bodies[current] = lines.length > 0 ? `${lines.join("\n")}\n` : "";
    }
  };
  for (const line of stdout.split("\n")) {
    const marker = /^@@(\S+)(?: (.*))?$/.exec(line);
    if (marker !== null) {
      flush();
      // `@@file rules.v4` and `@@nofile rules.v4` are keyed by their file.
      const name =
        marker[1] === "file" || marker[1] === "nofile" ? `${marker[1]}:${marker[2] ?? ""}` : marker[1];
      markers[name] = marker[2] ?? "";
      current = name;
      lines = [];
    } else if (current !== null) {
      lines.push(line);
    }
  }
  flush();
  return { markers, bodies };
}

/** What the read script found on a node. */
export interface NodeRead {
  /** The deployer's address as the node sees it, or null (no `$SSH_CONNECTION`, e.g. under sudo). */
  readonly deployerAddress: string | null;
  /** Full `iptables-save` / `ip6tables-save` output. */
  readonly saves: Readonly<Record<Family, string>>;
  /** INPUT policies recorded before ngcp-fleet first changed the node, or null (never managed). */
  readonly before: Readonly<Record<Family, Policy>> | null;
  /** The boot files' contents, null when absent. */
  readonly bootFiles: Readonly<Record<Family, string | null>>;
}

function isPolicy(word: string | undefined): word is Policy {
  return word === "ACCEPT" || word === "DROP";
}

/** Parses the read script's output; throws naming the node when it is not complete. */
export function parseRead(node: string, stdout: string): NodeRead {
  const { markers, bodies } = parseSections(stdout);
  if (!("end" in markers) || !("v4" in bodies) || !("v6" in bodies)) {
    throw new Error(`node ${node}: the firewall read ended early (no complete iptables-save output)`);
  }
  const deployer = (markers.ssh ?? "").trim().split(/\s+/)[0] ?? "";
  const policies = (bodies.before ?? "").trim().split(/\s+/);
  const file = (name: string): string | null =>
    `file:${name}` in bodies ? Buffer.from(bodies[`file:${name}`].trim(), "base64").toString("utf8") : null;
  return {
    deployerAddress: deployer.length > 0 ? deployer : null,
    saves: { ipv4: bodies.v4, ipv6: bodies.v6 },
    before: isPolicy(policies[0]) && isPolicy(policies[1]) ? { ipv4: policies[0], ipv6: policies[1] } : null,
    bootFiles: {
      ipv4: file(PERSISTENCE_FILES.ipv4.slice(PERSISTENCE_FILES.ipv4.lastIndexOf("/") + 1)),
      ipv6: file(PERSISTENCE_FILES.ipv6.slice(PERSISTENCE_FILES.ipv6.lastIndexOf("/") + 1)),
    },
  };
}

/** The filter table's part of a full save (`*filter` … `COMMIT`), or "" when the table is not loaded. */
export function filterTable(save: string): string {
  const lines = save.split("\n");
  const start = lines.findIndex((line) => line.trim() === "*filter");
  if (start < 0) {
    return "";
  }
  const end = lines.findIndex((line, index) => index > start && line.trim() === "COMMIT");
  return `${lines.slice(start, end < 0 ? undefined : end + 1).join("\n")}\n`;
}
