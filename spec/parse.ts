import type { z } from "zod";
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

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${configKey(issue.path)}: ${issue.message}`;
}

/**
 * Turns the raw stack config (key → already JSON-parsed value, without the
 * namespace prefix) into a typed cluster spec, or throws a SpecError that names
 * every bad key, its value's problem and what is allowed.
 */
export function parseClusterSpec(raw: Record<string, unknown>): ClusterSpec {
  const result = ClusterSpecSchema.safeParse(raw);
  if (!result.success) {
    throw new SpecError(result.error.issues.map(describeIssue));
  }
  const rollout = validateRollout({ nodes: result.data.nodes.map((n) => n.name), ...result.data.rollout });
  if (rollout.length > 0) {
    throw new SpecError(rollout);
  }
  return result.data;
}
