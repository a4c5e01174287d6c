/**
 * The reads `restore`, `restore-drill` (and later the audit) make on a node, through the transport: which
 * backups exist, their manifests, which target files exist, and whether a backup's files still match
 * its checksums. Nothing here writes.
 */
import { posix } from "node:path";
import { type BackupManifest, BACKUP_ID_PATTERN, parseManifest } from "../../providers/backup/manifest";
import { selectBackup } from "../../providers/backup/retention";
import type { NodeSession } from "../../providers/transport/session";
import { type ManifestVerification, parseSha256sums, verifyManifest } from "./restore";

/** Ids of the finished backups in `destination` (directories named like an id holding a manifest.json), oldest first. */
export async function listBackupIds(session: NodeSession, destination: string): Promise<string[]> {
  const result = await session.exec(
    ["find", destination, "-mindepth", "2", "-maxdepth", "2", "-type", "f", "-name", "manifest.json"],
    { okExitCodes: [0, 1] },
  );
  return result.stdout
    .split("\n")
    .map((line) => posix.basename(posix.dirname(line)))
    .filter((id) => BACKUP_ID_PATTERN.test(id))
    .sort();
}

/** The backup `wanted` (`latest` or an id) names on the node, with its manifest; throws saying why not. */
export async function findBackup(
  session: NodeSession,
  destination: string,
  wanted: string,
): Promise<{ id: string; dir: string; manifest: BackupManifest }> {
  const ids = await listBackupIds(session, destination);
  const selected = selectBackup(ids, wanted);
  if (!selected.ok) {
    throw new Error(`node ${session.target.name}: ${selected.reason} (in ${destination})`);
  }
  const dir = posix.join(destination, selected.id);
  const text = await session.readFile(posix.join(dir, "manifest.json"));
  if (text === undefined) {
    throw new Error(`node ${session.target.name}: ${dir}/manifest.json disappeared`);
  }
  const parsed = parseManifest(text.toString("utf8"));
  if (!parsed.ok) {
    throw new Error(`node ${session.target.name}: ${dir}: ${parsed.error}`);
  }
  if (parsed.manifest.id !== selected.id) {
    throw new Error(`node ${session.target.name}: ${dir}/manifest.json names backup ${parsed.manifest.id}`);
  }
  return { id: selected.id, dir, manifest: parsed.manifest };
}

/** Which of `paths` exist on the node (files or directories). */
export async function existingPaths(session: NodeSession, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) {
    return [];
  }
  const result = await session.exec([
    "sh",
    "-c",
    'for p in "$@"; do if [ -e "$p" ]; then printf "%s\\n" "$p"; fi; done',
    "ngcp-fleet-exists",
    ...paths,
  ]);
  const found = new Set(result.stdout.split("\n").filter(Boolean));
  return paths.filter((p) => found.has(p));
}

/** The backup's integrity, computed on the node: every artifact against the manifest, and the manifest against SHA256SUMS. */
export interface BackupIntegrity extends ManifestVerification {
  /** `manifest.json` matches its line in `SHA256SUMS` (a manifest edited after the backup does not). */
  readonly manifestMatchesSums: boolean;
}

/** Hashes every artifact of `manifest` (and the manifest) on the node; nothing is changed. */
export async function checkBackupIntegrity(
  session: NodeSession,
  dir: string,
  manifest: BackupManifest,
): Promise<BackupIntegrity> {
  const names = [...manifest.artifacts.map((a) => a.name), "manifest.json"];
  const result = await session.exec([
    "sh",
    "-c",
    'cd -- "$1" && shift && for f in "$@"; do if [ -f "$f" ]; then sha256sum -- "$f"; fi; done',
    "ngcp-fleet-sums",
    dir,
    ...names,
  ]);
  const actual = parseSha256sums(result.stdout);
  const sumsText = await session.readFile(posix.join(dir, "SHA256SUMS"));
  const recorded = parseSha256sums(sumsText?.toString("utf8") ?? "");
  return {
    ...verifyManifest(manifest, actual),
    manifestMatchesSums:
      recorded["manifest.json"] !== undefined && recorded["manifest.json"] === actual["manifest.json"],
  };
}
