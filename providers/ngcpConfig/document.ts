/**
 * config.yml as a document: read keys, patch keys, diff keys, without touching a byte we do not own.
 *
 * NGCP keeps its whole configuration in hand-edited, commented YAML (`/etc/ngcp-config/config.yml`,
 * `constants.yml`, `network.yml`) that `ngcpcfg` commits to git. An operator's comments, key order and
 * quoting are part of that file; a resource that sets `kamailio.lb.shm_mem` must change that one value
 * and nothing else, or every `up` would show up as a noisy git diff on the node.
 *
 * How: `yaml`'s document model gives every node its source range. A patch replaces only the source text
 * of the changed scalar (or inserts new lines for a missing key) and leaves every other byte as it was.
 * Re-serializing the whole document (`String(doc)`) would be simpler but normalizes spacing, comments
 * and indentation. Every patch is re-parsed and checked: the requested keys hold the requested values
 * and no other key changed, or the patch throws.
 *
 * Pure: text in, text out. Reading and writing the file is the caller's job.
 */
import { FleetError } from "../common/fleetError";
import {
  type Document,
  LineCounter,
  Scalar,
  YAMLMap,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  stringify,
  visit,
} from "yaml";

/** A key path, one segment per map level: `["kamailio", "lb", "shm_mem"]`. */
export type KeyPath = readonly string[];

/**
 * A key path as callers write it: segments, or dotted (`"kamailio.lb.shm_mem"`). A key that itself
 * contains a dot can only be named as segments.
 */
export type KeyPathLike = KeyPath | string;

/**
 * A value we write. Booleans follow NGCP's convention and are written as `yes` / `no` (the handbook
 * prints `kamailio→lb→tls→enable: yes`); numbers stay numbers; strings are written plain when YAML
 * reads them back as the same string, quoted otherwise.
 */
export type ConfigValue = string | number | boolean;

/** A value read from a document's leaf. `yes`/`no` read back as strings (YAML 1.2 core schema). */
export type ScalarValue = string | number | boolean | null;

/** Any value under a key: a scalar, a list or a map. */
export type ConfigData = ScalarValue | readonly ConfigData[] | { readonly [key: string]: ConfigData };

/** One requested change: set `path` to `value`, creating the key (and missing parent maps) if needed. */
export interface ConfigChange {
  readonly path: KeyPathLike;
  readonly value: ConfigValue;
}

/** One key whose value differs between two documents. `undefined` means the key is absent on that side. */
export interface KeyChange {
  /** Dotted key, for display and for matching ownership claims. */
  readonly key: string;
  readonly path: KeyPath;
  readonly before: ScalarValue | undefined;
  readonly after: ScalarValue | undefined;
}

export interface PatchResult {
  /** The patched text; identical to the input when nothing changed. */
  readonly text: string;
  /** Every leaf whose value differs between input and output, in the output's key order. */
  readonly changed: readonly KeyChange[];
}

/** A parsed config document. */
export type ConfigDocument = Document.Parsed;

/** Raised for text that is not a usable config document, or a change that cannot be applied. */
export class ConfigError extends FleetError {
  constructor(message: string) {
    super(message, "ConfigError");
  }
}

/** Joins a key path for display and for ownership claims: `kamailio.lb.port`. */
export function dotted(path: KeyPathLike): string {
  return typeof path === "string" ? path : path.join(".");
}

/** Splits a dotted key into segments; segment arrays are returned as they are. */
export function toKeyPath(path: KeyPathLike): string[] {
  const segments = typeof path === "string" ? path.split(".") : [...path];
  if (segments.length === 0 || segments.some((segment) => segment.length === 0)) {
    throw new ConfigError(`invalid config key path "${dotted(path)}": segments must be non-empty`);
  }
  return segments;
}

/** True when `prefix` names `path` itself or one of its parent maps (segment-wise, not by characters). */
export function isPathPrefix(prefix: KeyPathLike, path: KeyPathLike): boolean {
  const p = toKeyPath(prefix);
  const q = toKeyPath(path);
  return p.length <= q.length && p.every((segment, i) => segment === q[i]);
}

/** The value as config.yml spells it: booleans become `yes` / `no`. Rejects NaN and infinities. */
export function toNgcpValue(value: ConfigValue): string | number {
  if (typeof value === "boolean") {
    return value ? "yes" : "no";
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new ConfigError(`config values must be finite numbers, got: ${value}`);
  }
  // -0 would be written as "-0" and read back as 0.
  return Object.is(value, -0) ? 0 : value;
}

/**
 * Parses config text. Throws a ConfigError naming line and column for invalid YAML, duplicate keys, more
 * than one document, or a top level that is not a map.
 */
export function parseConfig(text: string): ConfigDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `line ${line}, column ${col}: ${error.message.split("\n")[0]}`;
    });
    throw new ConfigError(`config is not valid YAML: ${details.join("; ")}`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new ConfigError("config must be a map of keys at the top level");
  }
  return doc;
}

/**
 * The value under a key: a scalar as its JavaScript value, a map or list as plain data, `undefined`
 * when the key (or a parent) is missing. Aliases are resolved.
 */
export function getKey(doc: ConfigDocument, path: KeyPathLike): ConfigData | undefined {
  const node: unknown = doc.getIn(toKeyPath(path), true);
  if (node === undefined) {
    return undefined;
  }
  if (isScalar(node) || isMap(node) || isSeq(node) || isAlias(node)) {
    return node.toJS(doc) as ConfigData;
  }
  return null;
}

/** True when the key exists (even with an empty value). */
export function hasKey(doc: ConfigDocument, path: KeyPathLike): boolean {
  return doc.hasIn(toKeyPath(path));
}

/**
 * Every leaf of the document with its path, in document order. Lists are walked with their indices as
 * segments (`foo.0`); aliases and merge keys are resolved to the values they stand for.
 */
export function leaves(doc: ConfigDocument): { readonly path: KeyPath; readonly value: ScalarValue }[] {
  const out: { path: KeyPath; value: ScalarValue }[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (value instanceof Map) {
      for (const [key, child] of value) {
        walk(child, [...path, String(key)]);
      }
    } else if (Array.isArray(value)) {
      value.forEach((child, index) => walk(child, [...path, String(index)]));
    } else if (path.length > 0) {
      out.push({ path, value: asScalarValue(value) });
    }
  };
  walk(doc.toJS({ mapAsMap: true }), []);
  return out;
}

/**
 * The leaves whose values differ between two documents (or texts), for preview and drift. Keys are in
 * `after`'s order, followed by keys only `before` has. Values compare by type and value: `"443"` and
 * `443` differ.
 */
export function diffKeys(before: ConfigDocument | string, after: ConfigDocument | string): KeyChange[] {
  const beforeLeaves = leaves(typeof before === "string" ? parseConfig(before) : before);
  const afterLeaves = leaves(typeof after === "string" ? parseConfig(after) : after);
  const beforeByKey: Record<string, ScalarValue> = Object.create(null);
  for (const leaf of beforeLeaves) {
    beforeByKey[dotted(leaf.path)] = leaf.value;
  }
  const seen: Record<string, true> = Object.create(null);
  const changes: KeyChange[] = [];
  for (const leaf of afterLeaves) {
    const key = dotted(leaf.path);
    seen[key] = true;
    const old = key in beforeByKey ? beforeByKey[key] : undefined;
    if (old === undefined || !Object.is(old, leaf.value)) {
      changes.push({ key, path: leaf.path, before: old, after: leaf.value });
    }
  }
  for (const leaf of beforeLeaves) {
    const key = dotted(leaf.path);
    if (!seen[key]) {
      changes.push({ key, path: leaf.path, before: leaf.value, after: undefined });
    }
  }
  return changes;
}

/**
 * The requested changes whose keys do not already hold the requested value: what a preview shows
 * before anything is written. Booleans compare as `yes` / `no`.
 */
export function pendingChanges(doc: ConfigDocument, changes: readonly ConfigChange[]): KeyChange[] {
  const pending: KeyChange[] = [];
  for (const change of normalizeChanges(changes)) {
    const current = getKey(doc, change.path);
    if (!Object.is(current, change.value)) {
      const before = current === undefined || isScalarValue(current) ? current : null;
      pending.push({ key: dotted(change.path), path: change.path, before, after: change.value });
    }
  }
  return pending;
}

/**
 * Sets the given keys and leaves every other byte of `text` as it was: comments, blank lines, key order,
 * quoting, anchors. An existing value keeps its quoting style and its trailing comment. A missing key is
 * appended as the last key of its deepest existing parent map (missing parent maps are created on the
 * way), indented like its siblings; an empty parent (`key:`) gets the new key as its first child.
 *
 * Throws a ConfigError (and changes nothing) when a path runs through a list, alias or scalar, when a key
 * would have to be added to a flow map (`{a: 1}`), when an anchored value that aliases refer to would
 * change (that would change other keys too), or when two changes set the same key differently.
 */
export function patchConfig(text: string, changes: readonly ConfigChange[]): PatchResult {
  const original = parseConfig(text);
  const requested = normalizeChanges(changes);
  let patched = text;
  for (const change of requested) {
    patched = setOne(patched, change.path, change.value);
  }
  if (patched === text) {
    return { text, changed: [] };
  }
  const result = parseConfig(patched);
  for (const change of requested) {
    if (!Object.is(getKey(result, change.path), change.value)) {
      throw new ConfigError(
        `cannot set "${dotted(change.path)}" to ${JSON.stringify(change.value)}: it would read back as ${JSON.stringify(getKey(result, change.path))}`,
      );
    }
  }
  const changed = diffKeys(original, result);
  // Guard against a bug here corrupting a node's config: only requested keys may change, plus an empty
  // parent (`key:`, a null leaf) that became the map holding a new key.
  const explained = (change: KeyChange) =>
    requested.some(
      (r) =>
        (isPathPrefix(change.path, r.path) && isPathPrefix(r.path, change.path)) ||
        (isPathPrefix(change.path, r.path) && change.before === null && change.after === undefined),
    );
  const unexplained = changed.filter((change) => !explained(change));
  if (unexplained.length > 0) {
    throw new ConfigError(
      `internal error: patch would also change ${unexplained.map((c) => c.key).join(", ")}`,
    );
  }
  return { text: patched, changed };
}

// ---------------------------------------------------------------------------------------------------

interface NormalizedChange {
  readonly path: KeyPath;
  readonly value: string | number;
}

function normalizeChanges(changes: readonly ConfigChange[]): NormalizedChange[] {
  const out: NormalizedChange[] = [];
  for (const change of changes) {
    const path = toKeyPath(change.path);
    const value = toNgcpValue(change.value);
    for (const other of out) {
      if (isPathPrefix(other.path, path) || isPathPrefix(path, other.path)) {
        if (other.path.length === path.length && Object.is(other.value, value)) {
          continue;
        }
        throw new ConfigError(
          `conflicting changes: "${dotted(other.path)}" = ${JSON.stringify(other.value)} and "${dotted(path)}" = ${JSON.stringify(value)}`,
        );
      }
    }
    out.push({ path, value });
  }
  return out;
}

function isScalarValue(value: unknown): value is ScalarValue {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function asScalarValue(value: unknown): ScalarValue {
  return isScalarValue(value) ? value : String(value);
}

/** Sets one key in `text`, returning the new text (the same text when the key already has the value). */
function setOne(text: string, path: KeyPath, value: string | number): string {
  const doc = parseConfig(text);
  if (Object.is(getKey(doc, path), value)) {
    return text;
  }
  const newline = text.includes("\r\n") ? "\r\n" : "\n";
  const step = indentStep(text, doc);
  let parent: YAMLMap | null = doc.contents as YAMLMap | null;
  let inFlow = false;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const at = dotted(path.slice(0, i + 1));
    const pair = parent?.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
    if (parent === null || pair === undefined) {
      return insertKeys(text, parent, step, path.slice(i), value, newline, at);
    }
    const node = pair.value;
    const keyColumn = column(text, (pair.key as Scalar).range?.[0] ?? 0);
    if (i === path.length - 1) {
      return replaceValue(text, doc, node, value, inFlow || (parent.flow ?? false), at);
    }
    if (isMap(node)) {
      refuseSharedAnchor(doc, node.anchor, at, path);
      parent = node;
      inFlow = inFlow || (node.flow ?? false);
      continue;
    }
    if (isScalar(node) && node.value === null && !inFlow) {
      // `key:` with nothing under it: the new keys become its children, on the lines after it.
      const insertAt = lineEnd(text, node.range?.[1] ?? 0);
      const lines = renderNewKeys(path.slice(i + 1), value, keyColumn + step, step, newline);
      const needsNewline = insertAt === text.length && !text.endsWith("\n");
      return text.slice(0, insertAt) + (needsNewline ? newline : "") + lines + text.slice(insertAt);
    }
    throw new ConfigError(`cannot set "${dotted(path)}": "${at}" is ${describe(node)}, not a map`);
  }
  throw new ConfigError(`cannot set "${dotted(path)}": empty path`);
}

function replaceValue(
  text: string,
  doc: ConfigDocument,
  node: unknown,
  value: string | number,
  inFlow: boolean,
  at: string,
): string {
  if (isAlias(node)) {
    // An alias stands for another key's value; setting this key replaces the alias by the literal value.
    const [start, end] = node.range ?? [0, 0];
    return text.slice(0, start) + renderScalar(value, Scalar.PLAIN, inFlow) + text.slice(end);
  }
  if (!isScalar(node) && node !== null) {
    throw new ConfigError(`cannot set "${at}": it is ${describe(node)}, not a single value`);
  }
  if (node === null || node.range === undefined || node.range === null) {
    throw new ConfigError(`cannot set "${at}": the key has no value node to replace`);
  }
  refuseSharedAnchor(doc, node.anchor, at, toKeyPath(at));
  const [start, end] = node.range;
  // A block scalar's range (`|`, `>`) runs to the start of the next line and over blank lines after it:
  // keep those line breaks, or the next key would move onto this line.
  const trailingBreaks = /[\r\n][\s]*$/.exec(text.slice(start, end))?.[0] ?? "";
  let rendered = renderScalar(value, node.type, inFlow) + trailingBreaks;
  if (start === end) {
    // An empty value (`key:`): keep a space after the colon and before a comment on that line.
    if (text[start - 1] !== " ") {
      rendered = " " + rendered;
    }
    if (text[start] === "#") {
      rendered += " ";
    }
  }
  return text.slice(0, start) + rendered + text.slice(end);
}

/**
 * Inserts the missing `rest` of a path after the last key of `parent` (null: an empty document), at the
 * column of the parent's keys.
 */
function insertKeys(
  text: string,
  parent: YAMLMap | null,
  step: number,
  rest: KeyPath,
  value: string | number,
  newline: string,
  at: string,
): string {
  if (parent !== null && parent.flow) {
    throw new ConfigError(
      `cannot add "${at}": its parent is a flow map ({...}); rewrite it as a block map first`,
    );
  }
  let offset = text.length;
  let indent = 0;
  if (parent !== null && parent.items.length > 0) {
    const last = parent.items[parent.items.length - 1];
    const lastNode = (last.value ?? last.key) as { range?: [number, number, number] } | null;
    offset = lineEnd(text, lastNode?.range?.[1] ?? text.length);
    indent = column(text, (parent.items[0].key as Scalar).range?.[0] ?? 0);
  }
  const lines = renderNewKeys(rest, value, indent, step, newline);
  const needsNewline = offset > 0 && text[offset - 1] !== "\n";
  return text.slice(0, offset) + (needsNewline ? newline : "") + lines + text.slice(offset);
}

function renderNewKeys(
  rest: KeyPath,
  value: string | number,
  indent: number,
  step: number,
  newline: string,
): string {
  return rest
    .map((segment, i) => {
      const pad = " ".repeat(indent + i * step);
      const key = renderScalar(segment, Scalar.PLAIN, false);
      return i === rest.length - 1
        ? `${pad}${key}: ${renderScalar(value, Scalar.PLAIN, false)}`
        : `${pad}${key}:`;
    })
    .map((line) => line + newline)
    .join("");
}

/**
 * One scalar as YAML source on a single line. Strings keep the style of the value they replace; a style
 * that cannot hold the string (a plain `yes: no` would read back as a map) falls back to what `yaml`
 * chooses. Inside flow collections strings are always double-quoted, because `,` `[` `]` `{` `}` end a
 * plain scalar there.
 */
function renderScalar(value: string | number, style: Scalar.Type | undefined, inFlow: boolean): string {
  const node = new Scalar(value);
  if (typeof value === "string") {
    if (inFlow || value.includes("\n") || value.includes("\r")) {
      node.type = Scalar.QUOTE_DOUBLE;
    } else if (style === Scalar.QUOTE_DOUBLE || style === Scalar.QUOTE_SINGLE) {
      node.type = style;
    }
  }
  const rendered = stringify(node, { lineWidth: 0, minContentWidth: 0 }).replace(/\n$/, "");
  if (rendered.includes("\n")) {
    // `yaml` picked a block scalar (e.g. for "---0", which plain would read as a document marker at the
    // start of a line); a value spliced into one line must be a quoted scalar.
    node.type = Scalar.QUOTE_DOUBLE;
    return stringify(node, { lineWidth: 0, minContentWidth: 0 }).replace(/\n$/, "");
  }
  return rendered;
}

/** Indentation step of the document's nested maps (the first one found), 2 when there is none. */
function indentStep(text: string, doc: ConfigDocument): number {
  let step = 0;
  visit(doc, {
    Pair(_, pair, path) {
      const parentMap = path[path.length - 1];
      if (isMap(pair.value) && !pair.value.flow && pair.value.items.length > 0 && isMap(parentMap)) {
        const parentColumn = column(text, (pair.key as Scalar).range?.[0] ?? 0);
        const childColumn = column(text, (pair.value.items[0].key as Scalar).range?.[0] ?? 0);
        if (childColumn > parentColumn) {
          step = childColumn - parentColumn;
          return visit.BREAK;
        }
      }
      return undefined;
    },
  });
  return step > 0 ? step : 2;
}

/** Changing a value under an anchor that aliases refer to would change those aliased keys too. */
function refuseSharedAnchor(
  doc: ConfigDocument,
  anchor: string | undefined,
  at: string,
  path: KeyPath,
): void {
  if (anchor !== undefined && anchorIsUsed(doc, anchor)) {
    throw new ConfigError(
      `cannot set "${dotted(path)}": "${at}" carries the anchor &${anchor} that aliases (*${anchor}) refer to, ` +
        "so the change would reach those keys too; replace the aliases by values first",
    );
  }
}

function anchorIsUsed(doc: ConfigDocument, anchor: string): boolean {
  let used = false;
  visit(doc, {
    Alias(_, alias) {
      if (alias.source === anchor) {
        used = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return used;
}

function describe(node: unknown): string {
  if (isMap(node)) {
    return "a map";
  }
  if (isSeq(node)) {
    return "a list";
  }
  if (isAlias(node)) {
    return `an alias (*${node.source})`;
  }
  return "a value";
}

/** Column of an offset: characters since the start of its line. */
function column(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

/**
 * The start of the line after the one holding `offset`. A node range that already ends with its
 * newline (block scalars, nested maps) is a line start itself.
 */
function lineEnd(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === "\n") {
    return offset;
  }
  const newlineAt = text.indexOf("\n", offset);
  return newlineAt === -1 ? text.length : newlineAt + 1;
}
