/**
 * The dead man's switch of the lockout-safe apply (README.md, "Apply protocol"): a small POSIX sh script the
 * provider starts detached on the node before it changes any rule. It sleeps, then restores the rulesets
 * saved before the apply, unless the provider confirmed first over a new SSH connection.
 *
 * Confirmation and rollback race for one decision, taken with `mkdir` (atomic on every POSIX file
 * system): whoever creates the decision directory first wins, the other one backs off. So a confirmation
 * that arrives as the timer fires either wins (nothing is restored) or learns that it lost (the node is
 * being restored) — never both.
 *
 * Every value that reaches the script goes through the project's one shell-quoting helper.
 */
import { quote } from "../transport/quote";

/** Where the switch keeps its files on the node. `/run` is a tmpfs: a reboot disarms everything. */
export const DEFAULT_ROLLBACK_DIR = "/run/ngcp-fleet/firewall";

/** The files of one armed switch. */
export interface RollbackPaths {
  /** The script itself, written by the provider over SFTP (0700). */
  readonly script: string;
  /** Created (as a directory) by whoever decides first: the confirmation or the rollback. */
  readonly decided: string;
  /** One word, written by the decider: `confirmed`, `rolled-back` or `rollback-failed`. */
  readonly result: string;
}

/** Options of {@link renderRollbackScript}. */
export interface RollbackOptions {
  /** The node's `iptables-save -t filter` output before the apply (see {@link rollbackSnapshot}). */
  readonly savedV4Path: string;
  /** The node's `ip6tables-save -t filter` output before the apply. */
  readonly savedV6Path: string;
  /** Seconds before the rollback fires; 5..3600. */
  readonly seconds: number;
  /** Names this apply's switch: 8..64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit. */
  readonly token: string;
  /** Directory for the switch's files. @default DEFAULT_ROLLBACK_DIR */
  readonly directory?: string;
}

function checkToken(token: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{7,63}$/.test(token)) {
    throw new RangeError(
      `rollback token must be 8..64 of A-Z a-z 0-9 . _ - starting with a letter or digit, got: ${JSON.stringify(token)}`,
    );
  }
}

function checkPath(name: string, path: string): void {
  if (!path.startsWith("/") || /[\0\n]/.test(path)) {
    throw new RangeError(`${name} must be an absolute path without newlines, got: ${JSON.stringify(path)}`);
  }
}

/** The files of the switch named by `token`. */
export function rollbackPaths(token: string, directory: string = DEFAULT_ROLLBACK_DIR): RollbackPaths {
  checkToken(token);
  checkPath("directory", directory);
  const base = `${directory.replace(/\/+$/, "")}/${token}`;
  return { script: `${base}.rollback.sh`, decided: `${base}.decided`, result: `${base}.result` };
}

/**
 * The rollback script. Run it detached from the SSH session, for example with
 * {@link rollbackLaunchArgv}: it must outlive the connection that the new ruleset may cut.
 *
 * The saved rulesets are restored with a plain (flushing) `iptables-restore`: that brings the filter table
 * back exactly as it was, whatever the apply did, which is what an emergency needs. Rules other tools added
 * during the seconds of the window are lost with it; the provider keeps the window short.
 */
export function renderRollbackScript(options: RollbackOptions): string {
  if (!Number.isInteger(options.seconds) || options.seconds < 5 || options.seconds > 3600) {
    throw new RangeError(`rollback seconds must be an integer 5..3600, got: ${options.seconds}`);
  }
  return rollbackScript(options, options.seconds);
}

/**
 * The same rollback without the wait, for an apply that failed half-way (IPv4 applied, IPv6 refused) while
 * the provider still has its connection: takes the decision, so the armed timer stands down, and restores
 * at once. Prints nothing; its result is in {@link RollbackPaths.result}, and it exits 0 also when the
 * decision was already taken.
 */
export function renderRollbackNow(options: Omit<RollbackOptions, "seconds">): string {
  return rollbackScript(options, null);
}

function rollbackScript(options: Omit<RollbackOptions, "seconds">, seconds: number | null): string {
  const { savedV4Path, savedV6Path, token } = options;
  const paths = rollbackPaths(token, options.directory);
  checkPath("savedV4Path", savedV4Path);
  checkPath("savedV6Path", savedV6Path);
  const directory = paths.decided.slice(0, paths.decided.lastIndexOf("/")) || "/";
  return [
    "#!/bin/sh",
    `# ngcp-fleet firewall rollback (token ${token}): restores the rulesets saved before the apply`,
    seconds === null ? "# now." : `# after ${seconds} seconds, unless the apply was confirmed first.`,
    "set -u",
    "umask 077",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "export PATH",
    `mkdir -p ${quote(directory)}`,
    ...(seconds === null ? [] : [`sleep ${seconds}`]),
    `mkdir ${quote(paths.decided)} 2>/dev/null || exit 0`,
    "attempt=1",
    "while :; do",
    `  if iptables-restore -w 5 < ${quote(savedV4Path)} && ip6tables-restore -w 5 < ${quote(savedV6Path)}; then`,
    "    status=rolled-back",
    "    break",
    "  fi",
    "  status=rollback-failed",
    '  [ "$attempt" -ge 3 ] && break',
    "  attempt=$((attempt + 1))",
    "  sleep 1",
    "done",
    `printf '%s\\n' "$status" > ${quote(paths.result)}`,
    `logger -t ngcp-fleet "firewall: $status (token ${token})" 2>/dev/null || :`,
    "",
  ].join("\n");
}

/**
 * The confirmation, run by the provider over a new SSH connection after the apply: wins the decision (or
 * finds that an earlier confirmation won it) and prints `confirmed` (exit 0), or prints what the rollback
 * decided — `rolled-back`, `rollback-failed`, or `rolling-back` while it is still restoring — and exits 3.
 */
export function renderConfirm(options: { readonly token: string; readonly directory?: string }): string {
  const paths = rollbackPaths(options.token, options.directory);
  return [
    "#!/bin/sh",
    `# ngcp-fleet firewall: confirm the apply of token ${options.token} and disarm its rollback.`,
    "set -u",
    "umask 077",
    `if mkdir ${quote(paths.decided)} 2>/dev/null; then`,
    `  printf '%s\\n' confirmed > ${quote(paths.result)}`,
    "  echo confirmed",
    "  exit 0",
    "fi",
    // A repeated confirmation (the reply to the first one was lost with its connection) still succeeds.
    `result=$(cat ${quote(paths.result)} 2>/dev/null || :)`,
    'if [ "$result" = confirmed ]; then echo confirmed; exit 0; fi',
    'echo "${result:-rolling-back}"',
    "exit 3",
    "",
  ].join("\n");
}

/** The argv that starts the armed script in its own session, so that it survives the SSH connection. */
export function rollbackLaunchArgv(paths: RollbackPaths): string[] {
  return ["setsid", "-f", "sh", paths.script];
}

/**
 * What to save before the apply, for the rollback to restore. A node whose filter table was never loaded
 * prints nothing; restoring nothing would leave our chains and a DROP policy in place, so an empty save
 * becomes an explicit empty filter table with the kernel's ACCEPT policies.
 */
export function rollbackSnapshot(liveSave: string): string {
  if (/^\*filter\s*$/m.test(liveSave)) {
    return liveSave.endsWith("\n") ? liveSave : `${liveSave}\n`;
  }
  return `${liveSave.trim().length > 0 ? `${liveSave.trimEnd()}\n` : ""}*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n`;
}
