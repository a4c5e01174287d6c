/**
 * The one validation pass over a parsed stack, before any resource is registered: every feature's domain
 * rules (CIDRs, cron schedules, certificates, password strength, grants, the lockout guard…) on every node's
 * resolved settings, each problem once under the stack-config key that holds it, and the warnings about values
 * that are legal but dangerous. The schemas (spec/) have checked the structure already. The program stops on
 * any error; `preview` shows the warnings.
 */
import { checkBackup } from "../providers/backup/validate";
import { decodeFirewallSettings, resolveFirewall } from "../providers/firewall/settings";
import type { MysqlCredentialsInputs } from "../providers/mysqlCredentials/inputs";
import { MYSQL_SETTINGS } from "../providers/mysqlCredentials/provider";
import { validateMysqlCredentials } from "../providers/mysqlCredentials/validate";
import { validatePerformance } from "../providers/performance/planner";
import { checkSupportAccess } from "../providers/supportAccess/provider";
import { checkSystemAccounts } from "../providers/systemAccounts/provider";
import { settingsShapeFailures, underKey } from "../providers/systemAccounts/providerKit";
import { parseTlsInputs } from "../providers/tls/inputs";
import { resolveTlsStackConfig } from "../providers/tls/stackConfig";
import { validateTls } from "../providers/tls/provider";
import { validateWebCredentials, type WebCredentialsInputs } from "../providers/webCredentials/planner";
import { WEB_SETTINGS } from "../providers/webCredentials/provider";
import type { FeatureKey } from "../spec/features";
import { parseStructure } from "../spec/parse";
import { featureKey, mergeFeature, resolveNode, type ResolvedNode } from "../spec/resolve";
import type { ClusterSpec } from "../spec/schema";

export interface ClusterValidation {
  /** `ngcp-fleet:<key>: <problem>`, each once. */
  readonly errors: string[];
  /** `ngcp-fleet:<key>: <why it is dangerous>`, each once. */
  readonly warnings: string[];
}

export interface ValidationOptions {
  /** Reads a file on the deployer (TLS `…File` keys). @default undefined: certificates are not checked */
  readonly readFile?: (path: string) => string;
  /** The time certificates are checked at. @default now */
  readonly now?: Date;
}

interface Failure {
  readonly property: string;
  readonly reason: string;
}

/** `adminSources.ipv4[0]` → ["adminSources", "ipv4", 0] (a leading `<feature>.` dropped). */
export function propertyPath(feature: FeatureKey, property: string): (string | number)[] {
  const rest =
    property === feature
      ? ""
      : property.startsWith(`${feature}.`)
        ? property.slice(feature.length + 1)
        : property;
  const path: (string | number)[] = [];
  for (const match of rest.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    path.push(match[2] !== undefined ? Number(match[2]) : match[1]);
  }
  return path.filter((part) => part !== "(settings)" && part !== "(inputs)");
}

/**
 * A feature's domain rules on one node's settings. `settings` is typed when the schema accepted it; after a
 * structural problem it is the raw merged value, which the rules read defensively (they were written for
 * untyped provider inputs), so the other keys of that feature are still reported.
 */
function featureFailures(
  spec: ClusterSpec,
  node: ResolvedNode,
  feature: FeatureKey,
  settings: unknown,
  options: ValidationOptions,
): Failure[] {
  switch (feature) {
    case "performance":
      return validatePerformance(settings);
    case "backup":
      return checkBackup(settings).failures;
    case "firewall": {
      // Typed already, but for the loose pass over a feature whose structure failed: the values that failed are
      // taken out (a bad list entry whole) until the rest decodes, and the rest gets the domain rules.
      const structural: Failure[] = [];
      let value = settings;
      for (let round = 0; round < 8; round++) {
        const decoded = decodeFirewallSettings(value);
        if (decoded.settings !== undefined) {
          // The stack's own firewall.adminSources when it has them (the node's resolved list lacks them here).
          const own = decoded.settings.adminSources;
          const adminSources = {
            ipv4: [...(own?.ipv4 ?? node.adminSources.ipv4)],
            ipv6: [...(own?.ipv6 ?? node.adminSources.ipv6)],
          };
          const domain = resolveFirewall({
            settings: { ...decoded.settings, adminSources },
            effective: null,
          });
          return [...structural, ...domain.failures];
        }
        structural.push(...decoded.failures);
        value = withoutPaths(value, decoded.paths ?? []);
      }
      return structural;
    }
    case "mysql": {
      const shape = settingsShapeFailures("mysql", settings, MYSQL_SETTINGS);
      return shape.length > 0 ? shape : validateMysqlCredentials(settings as MysqlCredentialsInputs);
    }
    case "systemAccounts":
      return checkSystemAccounts(node.target, settings);
    case "supportAccess":
      return checkSupportAccess(settings);
    case "webCredentials": {
      const shape = settingsShapeFailures("webCredentials", settings, WEB_SETTINGS);
      return shape.length > 0
        ? shape
        : underKey("webCredentials", validateWebCredentials(settings as WebCredentialsInputs));
    }
    case "tls": {
      if (options.readFile === undefined || typeof settings !== "object" || settings === null) {
        return [];
      }
      const resolved = resolveTlsStackConfig(settings as Record<string, unknown>, {
        environment: spec.environment,
        readFile: options.readFile,
      });
      if (!resolved.ok) {
        return resolved.errors.map((line) => {
          const match = /^(tls\.[^:( ]+)[^:]*: (.*)$/s.exec(line);
          return match ? { property: match[1], reason: match[2] } : { property: "tls", reason: line };
        });
      }
      const parsed = parseTlsInputs(resolved.inputs);
      if (!parsed.ok) {
        return parsed.failures.map((x) => ({ property: `tls.${x.property}`, reason: x.reason }));
      }
      return validateTls(resolved.inputs, options.now ?? new Date()).failures;
    }
  }
}

/**
 * The stack key a failure's property names. The firewall's admin networks are the node's resolved list
 * (its own `firewall.adminSources`, else the cluster's `adminSources` split by family): an entry points back
 * at the key it was written under.
 */
function keyOf(node: ResolvedNode, feature: FeatureKey, property: string): string {
  const admin = /^firewall\.adminSources(?:\.(ipv4|ipv6)(?:\[(\d+)\](.*))?)?$/.exec(property);
  if (feature === "firewall" && admin !== null) {
    const [, family, entry, rest] = admin;
    if (family !== undefined && entry !== undefined) {
      const key = node.adminSourceKeys[family as "ipv4" | "ipv6"][Number(entry)];
      if (key !== undefined) {
        return `${key}${rest ?? ""}`;
      }
    }
    if (node.adminSourcesFrom === "adminSources") {
      return "ngcp-fleet:adminSources";
    }
  }
  return featureKey(feature, propertyPath(feature, property), node.index, node.node[feature]);
}

/** Values that are legal but dangerous or self-defeating, with why (pure). */
export function clusterWarnings(spec: ClusterSpec, nodes: readonly ResolvedNode[]): string[] {
  const warnings = new Set<string>();
  const production = spec.environment === "production";
  if (production && spec.ssh.trustUnknownHostKeys) {
    warnings.add(
      "ngcp-fleet:ssh.trustUnknownHostKeys: true on a production stack: any host key is accepted, so whoever answers " +
        "at a node's address gets root's commands and the stack's passwords; pin nodes[].hostKey instead",
    );
  }
  for (const node of nodes) {
    const key = (feature: FeatureKey, ...path: (string | number)[]) =>
      featureKey(feature, path, node.index, node.node[feature]);
    const retention = node.features.backup?.retention;
    if (retention?.count === 1 && retention.days === undefined) {
      warnings.add(
        `${key("backup", "retention", "count")}: 1 keeps a single backup: a run that fails or saves a broken dump ` +
          "leaves nothing older to restore; keep at least 2",
      );
    }
    if (node.features.firewall?.allowLockout === true) {
      warnings.add(
        `${key("firewall", "allowLockout")}: true accepts a ruleset that closes SSH to the deployer; only the ` +
          "rollback switch then gets the node back",
      );
    }
    if (node.features.firewall?.probe === false) {
      warnings.add(
        `${key("firewall", "probe")}: false confirms an apply without proving from the deployer that the ports ` +
          "still answer (only a new SSH login is tried)",
      );
    }
    if (production && node.features.firewall?.policy === "ACCEPT") {
      warnings.add(
        `${key("firewall", "policy")}: ACCEPT on a production stack lets every port not listed through (handbook 15.2)`,
      );
    }
    if (production && node.features.tls?.allowSelfSigned === true) {
      warnings.add(
        `${key("tls", "allowSelfSigned")}: true on a production stack: browsers warn on the self-care interface ` +
          "(handbook 15.4: have it signed by a certification authority)",
      );
    }
  }
  return [...warnings];
}

/** The pass (pure but for `readFile`): every error and warning of every node, each once. */
export function validateCluster(spec: ClusterSpec, options: ValidationOptions = {}): ClusterValidation {
  const errors = new Set<string>();
  const nodes = spec.nodes.map((node) => resolveNode(spec, node));
  for (const node of nodes) {
    for (const feature of Object.keys(node.features) as FeatureKey[]) {
      for (const failure of featureFailures(spec, node, feature, node.features[feature], options)) {
        errors.add(`${keyOf(node, feature, failure.property)}: ${failure.reason}`);
      }
    }
  }
  return { errors: [...errors], warnings: clusterWarnings(spec, nodes) };
}

/**
 * `value` without what sits at `paths`: a path through a list drops that list entry whole (a rule missing its
 * bad field is no rule), any other path drops its last key. Pure: `value` is copied, not changed.
 */
export function withoutPaths(value: unknown, paths: readonly (readonly PropertyKey[])[]): unknown {
  const copy: unknown = structuredClone(value);
  const dropped: Array<{ list: unknown[]; index: number }> = [];
  for (const path of paths) {
    let at: unknown = copy;
    for (let i = 0; i < path.length; i++) {
      const part = path[i];
      if (Array.isArray(at) && typeof part === "number") {
        dropped.push({ list: at, index: part });
        break;
      }
      if (!isRecord(at)) {
        break;
      }
      if (i === path.length - 1) {
        delete at[String(part)];
      } else {
        at = at[String(part)];
      }
    }
  }
  // Highest index first, so the earlier indexes of the same list stay right; an entry named twice goes once.
  const done = new Map<unknown[], Set<number>>();
  for (const { list, index } of dropped.sort((a, b) => b.index - a.index)) {
    const indexes = done.get(list) ?? new Set<number>();
    if (!indexes.has(index)) {
      list.splice(index, 1);
    }
    done.set(list, indexes.add(index));
  }
  return copy;
}

/** A whole stack's validation: the typed spec when nothing is wrong, and every problem at once. */
export interface StackValidation extends ClusterValidation {
  readonly spec?: ClusterSpec;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The raw config without the given features (cluster-wide and per node): what is left to validate. */
function withoutFeatures(raw: Record<string, unknown>, drop: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(
    Object.entries(raw).filter(([key]) => !drop.has(key)),
  );
  if (Array.isArray(raw.nodes)) {
    out.nodes = raw.nodes.map((node) =>
      isRecord(node) ? Object.fromEntries(Object.entries(node).filter(([key]) => !drop.has(key))) : node,
    );
  }
  return out;
}

/**
 * The one validation pass over the raw stack config (key → parsed value, namespace stripped): the structure
 * (schemas), then each feature's domain rules on every node. A feature whose structure is wrong is left out of
 * the domain pass, so a stack with a bad value under every feature gets one report naming every key. The
 * typed spec comes back only when there is no error.
 */
export function validateStack(
  raw: Record<string, unknown>,
  options: ValidationOptions = {},
): StackValidation {
  const first = parseStructure(raw);
  const errors = [...first.problems];
  let spec = first.spec;
  if (first.problems.length > 0) {
    // Validate what is left once the features with a structural problem are taken out; a problem outside the
    // features (nodes, ssh, rollout) stops here.
    const rest = parseStructure(withoutFeatures(raw, first.failedFeatures));
    if (rest.spec === undefined || rest.problems.length > 0) {
      return { errors, warnings: [] };
    }
    spec = rest.spec;
  }
  if (spec === undefined) {
    return { errors, warnings: [] };
  }
  const domain = validateCluster(spec, options);
  errors.push(...domain.errors.filter((e) => !errors.includes(e)));
  errors.push(...looseFailures(spec, raw, first.failedFeatures, options).filter((e) => !sameKey(errors, e)));
  return errors.length > 0
    ? { errors, warnings: domain.warnings }
    : { spec, errors, warnings: domain.warnings };
}

/** Whether `line`'s key (up to the first ": ") already has a problem in `lines`. */
function sameKey(lines: readonly string[], line: string): boolean {
  const key = line.slice(0, line.indexOf(": "));
  return lines.some((l) => l.startsWith(`${key}: `));
}

/**
 * The domain rules of the features whose structure failed, on their raw merged values: the other keys of
 * those features are reported in the same pass. A rule that cannot read a malformed value is skipped (the
 * structural problem is reported already).
 */
function looseFailures(
  spec: ClusterSpec,
  raw: Record<string, unknown>,
  features: ReadonlySet<FeatureKey>,
  options: ValidationOptions,
): string[] {
  const out = new Set<string>();
  const rawNodes: unknown[] = Array.isArray(raw.nodes) ? raw.nodes : [];
  for (const feature of features) {
    spec.nodes.forEach((nodeSpec, index) => {
      const rawNode = rawNodes[index];
      const override = isRecord(rawNode) && isRecord(rawNode[feature]) ? rawNode[feature] : undefined;
      const cluster = raw[feature];
      const merged = mergeFeature(isRecord(cluster) ? cluster : undefined, override);
      if (merged === undefined) {
        return;
      }
      const node = resolveNode(spec, nodeSpec);
      try {
        for (const failure of featureFailures(spec, node, feature, merged, options)) {
          const key = featureKey(feature, propertyPath(feature, failure.property), index, override);
          out.add(`${key}: ${failure.reason}`);
        }
      } catch {
        // The structural problem of this feature is reported; this rule cannot read the value.
      }
    });
  }
  return [...out];
}
