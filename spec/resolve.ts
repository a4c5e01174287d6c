/**
 * One node as the stack describes it, resolved once: the cluster's settings with the node's on top, each
 * feature parsed by its schema, the admin networks in one shape (per address family). The program, the audit,
 * backups and restores all take a node's settings from here; nothing downstream merges or re-parses them.
 */
import { parse as parseAddress } from "ipaddr.js";
import type { z } from "zod";
import {
  FEATURE_KEYS,
  FEATURE_SCHEMAS,
  unknownKeyHint,
  type FeatureKey,
  type FeatureSettings,
} from "./features";
import type { ClusterSpec, NodeSpec } from "./schema";
import { targetFor } from "./targets";
import type { SourceLists } from "../providers/firewall/inputs";
import type { NodeTarget } from "../providers/transport/target";

export interface ResolvedNode {
  readonly name: string;
  /** Index of the node in `nodes`: per-node keys are `nodes[index].…`. */
  readonly index: number;
  readonly node: NodeSpec;
  /** How to reach it (the private key comes from the stack's secret when given). */
  readonly target: NodeTarget;
  /** Handbook edition: the node's, else the cluster's, else detected from the node. */
  readonly edition?: "current" | "older";
  /**
   * The networks allowed to the admin ports (table 9): the node's `firewall.adminSources` when set, else the
   * cluster's `adminSources`, split by family. Every consumer (firewall, audit) reads this one value.
   */
  readonly adminSources: SourceLists;
  /** Whether `adminSources` came from `firewall.adminSources` (else from the cluster's list). */
  readonly adminSourcesFrom: "firewall.adminSources" | "adminSources";
  /** The stack key each entry of `adminSources` was written under (same shape and order), for messages. */
  readonly adminSourceKeys: SourceLists;
  /** The managed features' settings, typed; a feature absent here is unmanaged on this node. */
  readonly features: Partial<FeatureSettings>;
}

/** A structural problem of one node's merged settings, with the stack-config key that holds it. */
export interface SpecIssue {
  readonly feature: FeatureKey;
  readonly key: string;
  readonly message: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const under = merged[key];
    merged[key] = isPlainObject(under) && isPlainObject(value) ? deepMerge(under, value) : value;
  }
  return merged;
}

/**
 * A node's raw settings of a feature: the cluster-wide object with the node's keys on top, objects merged at
 * every depth, lists and scalars replaced. `undefined` when neither sets the feature.
 */
export function mergeFeature(
  cluster: Record<string, unknown> | undefined,
  node: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (cluster === undefined && node === undefined) {
    return undefined;
  }
  return deepMerge(cluster ?? {}, node ?? {});
}

/** The family a network's text names (an entry that parses as neither counts as IPv4, to be refused there). */
function familyOf(network: string): "ipv4" | "ipv6" {
  try {
    return parseAddress(network.split("/")[0]).kind() === "ipv6" ? "ipv6" : "ipv4";
  } catch {
    // Not an address: the firewall's validation names it under ipv4.
    return "ipv4";
  }
}

/** Splits a mixed list of networks by family. */
export function splitFamilies(networks: readonly string[]): SourceLists {
  return {
    ipv4: networks.filter((network) => familyOf(network) === "ipv4"),
    ipv6: networks.filter((network) => familyOf(network) === "ipv6"),
  };
}

/** The stack key of each entry of the cluster's mixed list once split: `ngcp-fleet:adminSources[3]`. */
function clusterSourceKeys(networks: readonly string[]): SourceLists {
  const keyed = networks.map((network, index) => ({
    family: familyOf(network),
    key: `ngcp-fleet:adminSources[${index}]`,
  }));
  return {
    ipv4: keyed.filter((entry) => entry.family === "ipv4").map((entry) => entry.key),
    ipv6: keyed.filter((entry) => entry.family === "ipv6").map((entry) => entry.key),
  };
}

/**
 * Where a feature's property comes from: the node's override when it sets that path (or replaces a part of
 * it), else the cluster-wide key. `path` is relative to the feature.
 */
export function featureKey(
  feature: FeatureKey,
  path: readonly PropertyKey[],
  index: number,
  nodeOverride: unknown,
): string {
  let at: unknown = nodeOverride;
  let fromNode = nodeOverride !== undefined && path.length === 0;
  for (const part of path) {
    if (!isPlainObject(at) && !Array.isArray(at)) {
      break;
    }
    const next: unknown = (at as Record<string, unknown>)[String(part)];
    if (next === undefined) {
      break;
    }
    at = next;
    fromNode = true;
    if (!isPlainObject(at)) {
      break;
    }
  }
  const rendered = path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("");
  return fromNode ? `ngcp-fleet:nodes[${index}].${feature}${rendered}` : `ngcp-fleet:${feature}${rendered}`;
}

/** `"14"`, `nothing`: how a message shows the value it refuses. */
function shown(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

/**
 * One zod issue in the project's error style: what is wrong, what is allowed, and what was given
 * (`must be a number, got: "14"`). The key is the caller's.
 */
export function describeZodIssue(issue: z.core.$ZodIssue): string {
  const input = "input" in issue ? issue.input : undefined;
  const got = `got: ${shown(input)}`;
  switch (issue.code) {
    case "invalid_type": {
      if (input === undefined) {
        return issue.message.startsWith("Invalid input")
          ? `is required, must be ${issue.expected}`
          : issue.message;
      }
      const expected = issue.expected === "int" ? "whole number" : issue.expected;
      const article = /^[aeiou]/.test(expected) ? "an" : "a";
      return issue.message.startsWith("Invalid input")
        ? `must be ${article} ${expected}, ${got}`
        : `${issue.message}, ${got}`;
    }
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, ${got}`;
    case "unrecognized_keys":
      return `${issue.keys.map((k) => JSON.stringify(k)).join(", ")} is not a setting here (a typo?)`;
    case "too_small":
    case "too_big": {
      if (!issue.message.startsWith("Too ")) {
        return input === undefined || issue.message.includes("got:")
          ? issue.message
          : `${issue.message}, ${got}`;
      }
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const limit = `${issue.code === "too_small" ? "at least" : "at most"} ${String(bound)}`;
      const what = issue.origin === "array" ? ` item(s)` : issue.origin === "string" ? ` character(s)` : "";
      return `must be ${limit}${what}, ${got}`;
    }
    default:
      return input === undefined || issue.message.includes("got:")
        ? issue.message
        : `${issue.message}, ${got}`;
  }
}

/**
 * The node's features, each merged and parsed by its schema, with every structural problem as a stack-config
 * key. Pure.
 */
export function resolveFeatures(
  spec: ClusterSpec,
  node: NodeSpec,
  index: number,
): { features: Partial<FeatureSettings>; issues: SpecIssue[] } {
  const features: Partial<Record<FeatureKey, unknown>> = {};
  const issues: SpecIssue[] = [];
  for (const feature of FEATURE_KEYS) {
    const merged = mergeFeature(
      spec[feature] as Record<string, unknown> | undefined,
      node[feature] as Record<string, unknown> | undefined,
    );
    if (merged === undefined) {
      continue;
    }
    const parsed = FEATURE_SCHEMAS[feature].safeParse(merged, { reportInput: true });
    if (parsed.success) {
      features[feature] = parsed.data;
      continue;
    }
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          issues.push({
            feature,
            key: featureKey(feature, [...issue.path, key], index, node[feature]),
            message:
              unknownKeyHint(feature, [...issue.path, key]) ??
              "is not a setting of this feature (a typo?); see its schema in spec/features",
          });
        }
        continue;
      }
      issues.push({
        feature,
        key: featureKey(feature, issue.path, index, node[feature]),
        message: describeZodIssue(issue),
      });
    }
  }
  // Each feature's value came from its own schema's parse just above.
  return { features: features as Partial<FeatureSettings>, issues };
}

/**
 * One node resolved (pure). Throws when its settings do not parse: `parseClusterSpec` reports those for every
 * node before anyone resolves a node.
 */
export function resolveNode(
  spec: ClusterSpec,
  node: NodeSpec,
  sshPrivateKey?: string | { readonly fromStack: true },
): ResolvedNode {
  const index = spec.nodes.indexOf(node);
  const { features, issues } = resolveFeatures(spec, node, index);
  if (issues.length > 0) {
    throw new Error(`node ${node.name}: ${issues.map((i) => `${i.key}: ${i.message}`).join("; ")}`);
  }
  const own = features.firewall?.adminSources;
  const edition = node.edition ?? spec.edition;
  return {
    name: node.name,
    index,
    node,
    target: targetFor(spec, node, sshPrivateKey),
    ...(edition === undefined ? {} : { edition }),
    adminSources:
      own !== undefined ? { ipv4: own.ipv4 ?? [], ipv6: own.ipv6 ?? [] } : splitFamilies(spec.adminSources),
    adminSourcesFrom: own !== undefined ? "firewall.adminSources" : "adminSources",
    adminSourceKeys:
      own !== undefined
        ? {
            ipv4: (own.ipv4 ?? []).map((_, i) =>
              featureKey("firewall", ["adminSources", "ipv4", i], index, node.firewall),
            ),
            ipv6: (own.ipv6 ?? []).map((_, i) =>
              featureKey("firewall", ["adminSources", "ipv6", i], index, node.firewall),
            ),
          }
        : clusterSourceKeys(spec.adminSources),
    features,
  };
}
