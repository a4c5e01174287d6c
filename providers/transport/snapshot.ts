/**
 * One batched read of a node, shared by every resource of that node within one provider process.
 *
 * A refresh or preview asks each resource to read its node; without sharing, a node with every feature
 * on answered nine commands. Here the first resource that reads a node runs one `sh -s` script that
 * gathers everything any feature reads (the baseline, providers/common/nodeReads.ts): named sections
 * (a read-only sh snippet's stdout and exit status) and files (content and mode). Every later resource of
 * that node gets the same snapshot. Something a resource needs beyond the baseline (a backup path set in
 * the stack) costs one more batched command, shared the same way.
 *
 * A snapshot is only good until ngcp-fleet changes the node: every write through the transport (a command
 * not marked read-only, an atomic file write) moves the node's generation on, and the next reader takes a
 * fresh snapshot. Paths that write (create, update, delete) read what they change right before changing it
 * and do not use snapshots; `check`, `diff` and `read` do.
 *
 * Framing: each record's payload travels base64-encoded, so no output of a snippet or file can forge a
 * record marker.
 */
import { quote } from "./quote";
import { nodeGeneration, sessionFor } from "./session";
import type { NodeTarget } from "./target";

/** A named read-only sh snippet; its stdout and exit status are kept. */
export interface SnapshotSection {
  readonly name: string;
  /** Run in a subshell with `set -- …args`: may use `exit`, must not write. */
  readonly script: string;
  readonly args?: readonly string[];
}

/**
 * Files to read: each path's content and mode, or its absence. `sh` words are allowed for paths that only
 * the node knows (`"$(getent passwd sipwise | cut -d: -f6)/.ssh/authorized_keys"`): `dynamicFiles` are
 * expanded by the node's shell, and the record carries the expanded path.
 */
export interface SnapshotRequest {
  readonly sections?: readonly SnapshotSection[];
  readonly files?: readonly string[];
  /** Shell expressions expanding to paths (words split on newlines); every regular file named is read. */
  readonly dynamicFiles?: readonly { readonly name: string; readonly expression: string }[];
  /** Directories whose regular files (not recursively) are all read. */
  readonly directories?: readonly string[];
}

export interface SectionOutput {
  readonly stdout: string;
  readonly exitCode: number;
}

export interface FileRecord {
  readonly content: Buffer;
  /** Permission bits, e.g. 0o600. */
  readonly mode: number;
}

/** What one node held when it was read. */
export interface NodeSnapshot {
  readonly node: string;
  readonly takenAt: Date;
  /** A section's output; throws when the section was not part of any batch. */
  section(name: string): SectionOutput;
  hasSection(name: string): boolean;
  /** `null`: the file does not exist; `undefined`: it was not read. */
  file(path: string): FileRecord | null | undefined;
  /** The paths read from a directory (absent when the directory was not read). */
  directory(path: string): readonly string[] | undefined;
  /** The paths a dynamic file expression expanded to. */
  dynamicFiles(name: string): readonly string[] | undefined;
}

const RECORD = "@@ngcp-fleet-snapshot";

function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** The batch script for a request (pure). Prints one record line per section, file and listing. */
export function renderSnapshotScript(request: SnapshotRequest): string {
  const lines = [
    "umask 077",
    "tmp=$(mktemp) || exit 90",
    "trap 'rm -f \"$tmp\"' EXIT",
    // path → one file record (mode and base64 content, or absent)
    "file_record() {",
    '  if [ -f "$1" ] && [ -r "$1" ]; then',
    `    printf '${RECORD} file %s present %s ' "$(printf %s "$1" | base64 -w0)" "$(stat -c %a -- "$1")"`,
    '    base64 -w0 < "$1"; printf "\\n"',
    "  else",
    `    printf '${RECORD} file %s absent\\n' "$(printf %s "$1" | base64 -w0)"`,
    "  fi",
    "}",
  ];
  for (const section of request.sections ?? []) {
    const args = (section.args ?? []).map(quote).join(" ");
    lines.push(
      `( ${args.length > 0 ? `set -- ${args}; ` : ""}${"\n"}${section.script}${"\n"}) > "$tmp" 2>/dev/null < /dev/null`,
      "rc=$?",
      `printf '${RECORD} section %s %s ' ${quote(b64(section.name))} "$rc"`,
      'base64 -w0 < "$tmp"; printf "\\n"',
    );
  }
  for (const path of request.files ?? []) {
    lines.push(`file_record ${quote(path)}`);
  }
  for (const dynamic of request.dynamicFiles ?? []) {
    lines.push(
      `list=$(${dynamic.expression}) 2>/dev/null || list=""`,
      `printf '${RECORD} listing %s %s\\n' ${quote(b64(`dynamic:${dynamic.name}`))} "$(printf %s "$list" | base64 -w0)"`,
      'printf "%s\\n" "$list" | while IFS= read -r f; do [ -n "$f" ] && file_record "$f"; done',
    );
  }
  for (const dir of request.directories ?? []) {
    lines.push(
      `list=$(for f in ${quote(dir)}/*; do [ -f "$f" ] && printf "%s\\n" "$f"; done)`,
      `printf '${RECORD} listing %s %s\\n' ${quote(b64(`dir:${dir}`))} "$(printf %s "$list" | base64 -w0)"`,
      'printf "%s\\n" "$list" | while IFS= read -r f; do [ -n "$f" ] && file_record "$f"; done',
    );
  }
  lines.push(`printf '${RECORD} end\\n'`, "");
  return lines.join("\n");
}

interface Parsed {
  sections: Map<string, SectionOutput>;
  files: Map<string, FileRecord | null>;
  listings: Map<string, string[]>;
}

/** Parses the batch script's output (pure). Throws when the output ended before the script did. */
export function parseSnapshotOutput(node: string, stdout: string): Parsed {
  const parsed: Parsed = { sections: new Map(), files: new Map(), listings: new Map() };
  let ended = false;
  const decode = (text: string) => Buffer.from(text, "base64");
  for (const line of stdout.split("\n")) {
    if (!line.startsWith(`${RECORD} `)) {
      continue;
    }
    const [kind, ...rest] = line.slice(RECORD.length + 1).split(" ");
    if (kind === "end") {
      ended = true;
    } else if (kind === "section") {
      const [name, rc, payload = ""] = rest;
      parsed.sections.set(decode(name).toString("utf8"), {
        stdout: decode(payload).toString("utf8"),
        exitCode: Number(rc),
      });
    } else if (kind === "file") {
      const [path, state, mode, payload = ""] = rest;
      parsed.files.set(
        decode(path).toString("utf8"),
        state === "present" ? { content: decode(payload), mode: parseInt(mode, 8) } : null,
      );
    } else if (kind === "listing") {
      const [name, payload = ""] = rest;
      const text = decode(payload).toString("utf8");
      parsed.listings.set(
        decode(name).toString("utf8"),
        text.split("\n").filter((p) => p.length > 0),
      );
    }
  }
  if (!ended) {
    throw new Error(`node ${node}: the batched read ended early (no end record)`);
  }
  return parsed;
}

/** What a snapshot holds, merged from one or more batches of the same generation. */
class Snapshot implements NodeSnapshot {
  readonly sections = new Map<string, SectionOutput>();
  readonly files = new Map<string, FileRecord | null>();
  readonly listings = new Map<string, string[]>();

  constructor(
    readonly node: string,
    readonly takenAt: Date,
    readonly generation: number,
  ) {}

  merge(parsed: Parsed): void {
    parsed.sections.forEach((value, key) => this.sections.set(key, value));
    parsed.files.forEach((value, key) => this.files.set(key, value));
    parsed.listings.forEach((value, key) => this.listings.set(key, value));
  }

  section(name: string): SectionOutput {
    const output = this.sections.get(name);
    if (output === undefined) {
      throw new Error(`node ${this.node}: the batched read has no section "${name}"`);
    }
    return output;
  }

  hasSection(name: string): boolean {
    return this.sections.has(name);
  }

  file(path: string): FileRecord | null | undefined {
    return this.files.get(path);
  }

  directory(path: string): readonly string[] | undefined {
    return this.listings.get(`dir:${path}`);
  }

  dynamicFiles(name: string): readonly string[] | undefined {
    return this.listings.get(`dynamic:${name}`);
  }

  /** The part of `request` this snapshot does not hold yet. */
  missing(request: SnapshotRequest): SnapshotRequest | null {
    const sections = (request.sections ?? []).filter((s) => !this.sections.has(s.name));
    const files = (request.files ?? []).filter((p) => !this.files.has(p));
    const dynamicFiles = (request.dynamicFiles ?? []).filter((d) => !this.listings.has(`dynamic:${d.name}`));
    const directories = (request.directories ?? []).filter((d) => !this.listings.has(`dir:${d}`));
    if (sections.length + files.length + dynamicFiles.length + directories.length === 0) {
      return null;
    }
    return { sections, files, dynamicFiles, directories };
  }
}

/**
 * How long a snapshot serves: long enough for every resource of a node in one command (they read within
 * seconds of each other), short enough that a long-lived process (a CLI command, a test) sees the node again.
 */
export const SNAPSHOT_MAX_AGE_MS = 60_000;

interface NodeEntry {
  snapshot: Snapshot;
  /** The batch in flight, if any: later readers wait for it before deciding what is missing. */
  pending: Promise<void> | undefined;
}

declare global {
  // Shared by whichever copy of this module asks, like the SSH pool (session.ts).
  var __ngcpFleetSnapshots: Map<string, NodeEntry> | undefined;
  var __ngcpFleetSnapshotBatches: Record<string, number> | undefined;
}

/** Snapshots per node (the pool's key), shared by every resource of the provider process. */
function cache(): Map<string, NodeEntry> {
  globalThis.__ngcpFleetSnapshots ??= new Map();
  return globalThis.__ngcpFleetSnapshots;
}

/** How many batched read commands ran per node in this process (for tests and benchmarks). */
export function snapshotBatches(): Record<string, number> {
  globalThis.__ngcpFleetSnapshotBatches ??= {};
  return globalThis.__ngcpFleetSnapshotBatches;
}

function nodeKey(target: NodeTarget): string {
  return `${target.user ?? "root"}@${target.host}:${target.port ?? 22}`;
}

function merged(a: SnapshotRequest, b: SnapshotRequest | undefined): SnapshotRequest {
  if (b === undefined) {
    return a;
  }
  const byName = new Map([...(a.sections ?? []), ...(b.sections ?? [])].map((s) => [s.name, s]));
  const dynamic = new Map([...(a.dynamicFiles ?? []), ...(b.dynamicFiles ?? [])].map((d) => [d.name, d]));
  return {
    sections: [...byName.values()],
    files: [...new Set([...(a.files ?? []), ...(b.files ?? [])])],
    dynamicFiles: [...dynamic.values()],
    directories: [...new Set([...(a.directories ?? []), ...(b.directories ?? [])])],
  };
}

/**
 * The node's snapshot holding at least `baseline` and `extra`: from the cache when nothing was written
 * since it was taken, else from one batched command (the baseline and the extra together on a first read).
 */
export async function readSnapshot(
  target: NodeTarget,
  baseline: SnapshotRequest,
  extra?: SnapshotRequest,
): Promise<NodeSnapshot> {
  const key = nodeKey(target);
  const entries = cache();
  for (;;) {
    let entry = entries.get(key);
    const generation = nodeGeneration(target);
    if (
      entry !== undefined &&
      entry.pending === undefined &&
      (entry.snapshot.generation !== generation ||
        Date.now() - entry.snapshot.takenAt.getTime() > SNAPSHOT_MAX_AGE_MS)
    ) {
      entry = undefined;
    }
    if (entry?.pending !== undefined) {
      await entry.pending.catch(() => undefined);
      continue;
    }
    const wanted = entry === undefined ? merged(baseline, extra) : merged({}, extra);
    const missing = entry === undefined ? wanted : entry.snapshot.missing(wanted);
    if (entry !== undefined && missing === null) {
      return entry.snapshot;
    }
    const snapshot = entry?.snapshot ?? new Snapshot(target.name, new Date(), generation);
    const fresh: NodeEntry = entry ?? { snapshot, pending: undefined };
    const batch = (async () => {
      const session = await sessionFor(target);
      const { stdout } = await session.script(renderSnapshotScript(missing ?? wanted), {
        timeoutMs: 120_000,
        readOnly: true,
      });
      snapshot.merge(parseSnapshotOutput(target.name, stdout));
      const counts = snapshotBatches();
      counts[target.name] = (counts[target.name] ?? 0) + 1;
    })();
    fresh.pending = batch;
    entries.set(key, fresh);
    try {
      await batch;
    } catch (err) {
      if (entries.get(key) === fresh) {
        entries.delete(key);
      }
      throw err;
    } finally {
      fresh.pending = undefined;
    }
    return snapshot;
  }
}

/** Forgets every snapshot (tests; and the CLI between commands). */
export function forgetSnapshots(): void {
  cache().clear();
}

/**
 * Reads `request` now, in one command, without the cache: for paths about to change the node (and for the
 * state right after a change), which must not trust an earlier snapshot.
 */
export async function readNow(target: NodeTarget, request: SnapshotRequest): Promise<NodeSnapshot> {
  const session = await sessionFor(target);
  const { stdout } = await session.script(renderSnapshotScript(request), {
    timeoutMs: 120_000,
    readOnly: true,
  });
  const snapshot = new Snapshot(target.name, new Date(), nodeGeneration(target));
  snapshot.merge(parseSnapshotOutput(target.name, stdout));
  return snapshot;
}
