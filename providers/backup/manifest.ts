/**
 * `manifest.json`, written by the backup script into every finished backup (`<destination>/<id>/`), and
 * read back by `restore`, `restore-drill` and the audit. The script writes exactly this shape; the zod
 * schema below is the reader's side of that contract (a test runs the real script and parses its output).
 */
import { z } from "zod";

/** The manifest's format tag; bumped when the shape changes incompatibly. */
export const MANIFEST_FORMAT = "ngcp-fleet-backup/1";

/** A backup id: the UTC time the run started, `YYYYMMDDTHHMMSSZ` (sorts in time order). */
export const BACKUP_ID_PATTERN = /^[0-9]{8}T[0-9]{6}Z$/;

/** What an artifact holds. */
export type ArtifactKind = "databases" | "ngcp-config" | "mysql-config" | "cdrexport" | "custom";

/** One file of a backup. Archives store each source path without its leading "/" (`tar -C /`). */
export interface ManifestArtifact {
  /** File name inside the backup directory, e.g. `databases.sql.gz`, `ngcp-config.tar.gz`. */
  readonly name: string;
  readonly kind: ArtifactKind;
  /** Lower-case hex SHA-256 of the file. */
  readonly sha256: string;
  readonly bytes: number;
  /** The absolute paths on the node the archive was made from (empty for the database dump). */
  readonly paths: readonly string[];
  /**
   * For `ngcp-config`: which of the handbook's files (config.yml, constants.yml, network.yml) the backup
   * holds. @default none for other kinds
   */
  readonly files?: readonly string[];
}

/**
 * Row count and `CHECKSUM TABLE` of one base table, taken in a consistent snapshot just before the dump
 * and again just after it. `stable`: both agree, so the dump (whose snapshot lies between them) holds
 * exactly these rows. Otherwise the table changed while the dump ran and `rowsAfter` / `checksumAfter`
 * bound what the dump can hold.
 */
export interface TableStat {
  readonly schema: string;
  readonly table: string;
  readonly rows: number;
  /** `CHECKSUM TABLE`'s value as a decimal string (64-bit); `null` when the server reported NULL. */
  readonly checksum: string | null;
  readonly stable: boolean;
  /** Rows after the dump, when the table changed (`null`: the table was gone after the dump). */
  readonly rowsAfter?: number | null;
  readonly checksumAfter?: string | null;
}

export interface BackupManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly id: string;
  /** The node's host name (`hostname`). */
  readonly hostname: string;
  /** Contents of /etc/ngcp_version; empty when absent. */
  readonly ngcpVersion: string;
  readonly edition: "current" | "older";
  /** ISO 8601 UTC. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly compression: "gzip" | "none";
  /** The destination directory the backup was written to. */
  readonly destination: string;
  readonly artifacts: readonly ManifestArtifact[];
  /** Every base table outside the system schemas (mysql, information_schema, performance_schema, sys). */
  readonly tables: readonly TableStat[];
}

/** Built per call (zod schemas are class instances; see inputs.ts). */
export function manifestSchema() {
  const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a lower-case hex SHA-256");
  return z.object({
    format: z.literal(MANIFEST_FORMAT),
    id: z.string().regex(BACKUP_ID_PATTERN, "must be a backup id YYYYMMDDTHHMMSSZ"),
    hostname: z.string(),
    ngcpVersion: z.string(),
    edition: z.enum(["current", "older"]),
    startedAt: z.string(),
    finishedAt: z.string(),
    compression: z.enum(["gzip", "none"]),
    destination: z.string(),
    artifacts: z.array(
      z.object({
        name: z.string().regex(/^[a-z0-9.-]+$/, "must be a plain file name"),
        kind: z.enum(["databases", "ngcp-config", "mysql-config", "cdrexport", "custom"]),
        sha256,
        bytes: z.number().int().min(0),
        paths: z.array(z.string()),
        files: z.array(z.string()).optional(),
      }),
    ),
    tables: z.array(
      z.object({
        schema: z.string(),
        table: z.string(),
        rows: z.number().int().min(0),
        checksum: z.string().nullable(),
        stable: z.boolean(),
        rowsAfter: z.number().int().min(0).nullable().optional(),
        checksumAfter: z.string().nullable().optional(),
      }),
    ),
  });
}

/** Parses a manifest.json text; the error names the first bad field. */
export function parseManifest(
  text: string,
): { readonly ok: true; readonly manifest: BackupManifest } | { readonly ok: false; readonly error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `manifest.json is not JSON: ${(err as Error).message}` };
  }
  const result = manifestSchema().safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    return {
      ok: false,
      error: `manifest.json: ${issue.path.map(String).join(".") || "(root)"} ${issue.message}`,
    };
  }
  return { ok: true, manifest: result.data };
}

/** The artifact of a kind, if the backup has one. */
export function artifactOf(manifest: BackupManifest, kind: ArtifactKind): ManifestArtifact | undefined {
  return manifest.artifacts.find((a) => a.kind === kind);
}

/** An archive member name for an absolute source path (`tar -C / etc/ngcp-config`). */
export function memberOf(path: string): string {
  return path.replace(/^\/+/, "");
}
