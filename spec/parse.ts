import type { z } from "zod";
import { FEATURE_KEYS, unknownKeyHint, type FeatureKey } from "./features";
import { describeZodIssue, resolveFeatures } from "./resolve";
import { validateRollout } from "./waves";
import { CONFIG_NAMESPACE, ClusterSpecSchema, type ClusterSpec } from "./schema";

/** A stack config that does not describe a valid cluster; its message lists every problem by key. */
export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "SpecError";
  }
}

/** Renders a zod issue path as the stack-config key an operator types: `ngcp-fleet:nodes[1].hostKey`. */
export function configKey(path: readonly PropertyKey[]): string {
  let key = "";
  for (const part of path) {
    key += typeof part === "number" ? `[${part}]` : `${key ? "." : ""}${String(part)}`;
  }
  return `${CONFIG_NAMESPACE}:${key || "(root)"}`;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === "unrecognized_keys") {
    const feature = featureOf(issue.path);
    const within = issue.path.slice(issue.path[0] === "nodes" ? 3 : 1);
    return issue.keys.map(
      (key) =>
        `${configKey([...issue.path, key])}: ${
          (feature === undefined ? undefined : unknownKeyHint(feature, [...within, key])) ??
          "is not a setting here (a typo?); see the README's reference"
        }`,
    );
  }
  return [`${configKey(issue.path)}: ${describeZodIssue(issue)}`];
}

/** PEM text (inline certificates, chains and keys) is the one kind of value that spans lines. */
const MULTILINE_KEYS: ReadonlySet<string> = new Set(["certificate", "chain", "privateKey"]);

const CONTROL_NAMES: Readonly<Record<number, string>> = {
  0x00: "NUL",
  0x09: "tab",
  0x0a: "line feed",
  0x0d: "carriage return",
  0x1b: "escape",
  0x7f: "delete",
};

/** The first control character of `text` that its key does not allow, with where it is. */
function firstControl(text: string, multiline: boolean): string | undefined {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    const control = code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0);
    if (control && !(multiline && (code === 0x0a || code === 0x0d))) {
      const name = CONTROL_NAMES[code];
      return `U+${code.toString(16).toUpperCase().padStart(4, "0")}${name ? ` (${name})` : ""} at character ${i + 1}`;
    }
  }
  return undefined;
}

/**
 * Every string of the stack that holds a control character (pure). Each value ends up in a file on a node
 * (config.yml, the cron file, an option file, authorized_keys) where a line break splits a line in two: a
 * newline in `backup.schedule` makes Debian's cron ignore the whole file, so backups stop without a word.
 * The value is not shown: it may be a secret.
 */
export function controlCharacterProblems(
  raw: unknown,
  path: readonly PropertyKey[] = [],
): { path: readonly PropertyKey[]; problem: string }[] {
  if (typeof raw === "string") {
    const leaf = path[path.length - 1];
    const multiline = typeof leaf === "string" && MULTILINE_KEYS.has(leaf) && raw.startsWith("-----BEGIN ");
    const found = firstControl(raw, multiline);
    return found === undefined
      ? []
      : [
          {
            path,
            problem:
              `${configKey(path)}: must not contain control characters (the value is written into a file on the ` +
              `node, where one breaks the line), got: ${found}`,
          },
        ];
  }
  if (Array.isArray(raw)) {
    return raw.flatMap((item, index) => controlCharacterProblems(item, [...path, index]));
  }
  if (typeof raw === "object" && raw !== null) {
    return Object.entries(raw).flatMap(([key, value]) => controlCharacterProblems(value, [...path, key]));
  }
  return [];
}

/** What the schemas say of a raw stack config: the typed spec, or every structural problem by key. */
export interface StructureResult {
  /** The spec, when the schemas accept the stack (per-node merged problems may remain in `problems`). */
  readonly spec?: ClusterSpec;
  readonly problems: string[];
  /** Features with a structural problem anywhere (cluster-wide, a node's override, or merged). */
  readonly failedFeatures: ReadonlySet<FeatureKey>;
}

function featureOf(path: readonly PropertyKey[]): FeatureKey | undefined {
  const at = path[0] === "nodes" ? path[2] : path[0];
  return typeof at === "string" && (FEATURE_KEYS as readonly string[]).includes(at)
    ? (at as FeatureKey)
    : undefined;
}

/** The structural pass (pure): the cluster schema, the rollout, then every node's merged feature settings. */
export function parseStructure(raw: Record<string, unknown>): StructureResult {
  const failedFeatures = new Set<FeatureKey>();
  const found = controlCharacterProblems(raw);
  const controls = found.map((entry) => entry.problem);
  for (const { path } of found) {
    const feature = featureOf(path);
    if (feature !== undefined) {
      failedFeatures.add(feature);
    }
  }
  const result = ClusterSpecSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const feature = featureOf(issue.path);
      if (feature !== undefined) {
        failedFeatures.add(feature);
      }
    }
    return { problems: [...controls, ...result.error.issues.flatMap(describeIssue)], failedFeatures };
  }
  const problems = [
    ...controls,
    ...validateRollout({ nodes: result.data.nodes.map((n) => n.name), ...result.data.rollout }),
  ];
  // Every node's merged feature settings, each problem once under the key that holds it (a cluster-wide
  // value is reported once, not once per node).
  const seen = new Set<string>();
  result.data.nodes.forEach((node, index) => {
    for (const issue of resolveFeatures(result.data, node, index).issues) {
      failedFeatures.add(issue.feature);
      const line = `${issue.key}: ${issue.message}`;
      if (!seen.has(line)) {
        seen.add(line);
        problems.push(line);
      }
    }
  });
  return { spec: result.data, problems, failedFeatures };
}

/**
 * Turns the raw stack config (key → already JSON-parsed value, without the namespace prefix) into a typed
 * cluster spec, or throws a SpecError that names every bad key, its value's problem and what is allowed. The
 * features' domain rules are the program's pass on top (components/validate.ts).
 */
export function parseClusterSpec(raw: Record<string, unknown>): ClusterSpec {
  const { spec, problems } = parseStructure(raw);
  if (spec === undefined || problems.length > 0) {
    throw new SpecError(problems);
  }
  return spec;
}
