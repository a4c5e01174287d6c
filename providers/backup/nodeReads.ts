/**
 * What a backup schedule reads of its node in a refresh, as parts of the node's batched read
 * (transport/snapshot.ts): its files (content and mode), the status file, and one login with the dump's
 * MySQL option file.
 */
import { lockProbeScript } from "./status";
import { createHash } from "node:crypto";
import type { FileRecord, SnapshotRequest, SnapshotSection } from "../transport/snapshot";

/**
 * Logs in with an option file exactly as the backup script will: exit status 0 and the account it logged in
 * as (`ngcp_fleet_backup@localhost`) when it works, else the client's last line.
 */
export const BACKUP_LOGIN_SCRIPT =
  'c=$(command -v mariadb || command -v mysql) || { echo "no mariadb client on the node" >&2; exit 127; }\n' +
  'out=$("$c" "--defaults-extra-file=$1" -N -B -e "SELECT CURRENT_USER()" 2>&1) && { printf "%s\\n" "$out"; exit 0; }\n' +
  'printf "%s\\n" "$out" | tail -n 1\nexit 1\n';

/** The login check of the option file at `path`. */
export function backupLoginSection(path: string): SnapshotSection {
  return { name: `backupLogin:${path}`, script: BACKUP_LOGIN_SCRIPT, args: [path] };
}

/** Whether a backup run holds `lockFile` now (`held` / `free`): a `running` status without it was killed. */
export function backupLockSection(lockFile: string): SnapshotSection {
  return { name: `backupLock:${lockFile}`, script: lockProbeScript(lockFile), args: [] };
}

/** The snapshot parts one schedule needs: its files, its status file, its login, its lock. */
export function backupReadRequest(
  paths: readonly string[],
  statusFile: string,
  optionsFile: string,
  lockFile?: string,
): SnapshotRequest {
  return {
    files: [...new Set([...paths, statusFile])],
    sections: [
      backupLoginSection(optionsFile),
      ...(lockFile === undefined ? [] : [backupLockSection(lockFile)]),
    ],
  };
}

export type InstalledFileState = "installed" | "missing" | "changed" | "wrong mode";

/** A live file against its rendering: content (SHA-256) first, then mode. */
export function fileState(
  live: FileRecord | null | undefined,
  wanted: { content: string; mode: number },
): InstalledFileState {
  if (live === null || live === undefined) {
    return "missing";
  }
  const sha = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
  if (sha(live.content) !== sha(Buffer.from(wanted.content, "utf8"))) {
    return "changed";
  }
  return live.mode !== wanted.mode ? "wrong mode" : "installed";
}
