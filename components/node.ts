import * as pulumi from "@pulumi/pulumi";
import { findOwnershipConflicts } from "../providers/ngcpConfig/ownership";
import { NgcpConfig } from "../providers/ngcpConfig/resource";
import { HEALTH_PORTS, SETTINGS, type ConfigSetting } from "../providers/common/nodeContract";
import type { GatedNode } from "../providers/health/provider";
import { createHash } from "node:crypto";
import { NodeFacts } from "../providers/nodeFacts/resource";
import type { FeatureKey } from "../spec/features";
import { resolveNode, type ResolvedNode } from "../spec/resolve";
import type { ClusterSpec, NodeSpec } from "../spec/schema";
import type { Feature, FeatureParts, NodeContext } from "./feature";
import { FEATURES } from "./features";

export interface NgcpNodeArgs {
  readonly spec: ClusterSpec;
  readonly node: NodeSpec;
  readonly stack: string;
  /** The stack sets `ngcp-fleet:sshPrivateKey`: the providers take the key from their configuration. */
  readonly stackKey?: boolean;
}

/** Every edition's config key for a setting: the node's own config decides which one holds a value. */
function candidateKeys(setting: ConfigSetting): string[] {
  return Object.values(SETTINGS[setting].keys).flatMap((keys) => [...(keys ?? [])]);
}

function effectivePort(effective: Record<string, unknown>, setting: ConfigSetting, fallback: number): number {
  const value = candidateKeys(setting)
    .map((key) => effective[key])
    .find((v) => typeof v === "number");
  return typeof value === "number" ? value : fallback;
}

/** A feature's parts on a node, when the node manages it (its settings typed by its key). */
function buildFeature<K extends FeatureKey>(
  feature: Feature<K>,
  context: NodeContext,
  resolved: ResolvedNode,
): FeatureParts | undefined {
  const settings = resolved.features[feature.key];
  return settings === undefined ? undefined : feature.build(context, settings);
}

/**
 * One sip:provider CE node: its facts, the handbook features its config asks for, then one NgcpConfig
 * that writes every feature's config.yml keys at once and runs `ngcpcfg apply` once, then what must see
 * the applied config (firewall rules on the effective ports, handshake checks).
 */
export class NgcpNode extends pulumi.ComponentResource {
  readonly summary: Record<string, pulumi.Input<unknown>>;
  readonly config: NgcpConfig;
  /** Every resource of the node, for the rollout's health gate to wait on. */
  readonly resources: pulumi.Resource[];
  /** What the rollout's health gate probes on this node. */
  readonly health: pulumi.Output<GatedNode>;
  /** Changes whenever anything of the node converged to something new. */
  readonly convergence: pulumi.Output<string>;

  constructor(name: string, args: NgcpNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ngcp-fleet:index:NgcpNode", name, {}, opts);
    const resolved = resolveNode(args.spec, args.node, args.stackKey ? { fromStack: true } : undefined);
    const target = resolved.target;
    const facts = new NodeFacts(`${name}-facts`, { target }, { parent: this });
    const parts: [string, FeatureParts][] = [];
    const context: NodeContext = {
      name,
      spec: args.spec,
      resolved,
      stack: args.stack,
      target,
      facts,
      parent: this,
      resourcesOf: (featureKey) => parts.find(([key]) => key === featureKey)?.[1].resources ?? [],
    };

    for (const feature of FEATURES) {
      const part = buildFeature(feature, context, resolved);
      if (part !== undefined) {
        parts.push([feature.key, part]);
      }
    }

    const contributions = parts.flatMap(([, part]) => (part.config ? [part.config] : []));
    const conflicts = findOwnershipConflicts(contributions.map((c) => c.claim));
    if (conflicts.length > 0) {
      throw new pulumi.RunError(conflicts.map((c) => c.message).join("\n"));
    }
    this.config = new NgcpConfig(
      `${name}-config`,
      {
        target,
        stack: args.stack,
        settings: pulumi.all(contributions.map((c) => c.settings)).apply((all) => Object.assign({}, ...all)),
        applyTriggers: pulumi
          .all(contributions.map((c) => c.applyTriggers ?? pulumi.output({})))
          .apply((all) => Object.assign({}, ...all)),
        watchKeys: [
          ...new Set([
            ...HEALTH_PORTS.flatMap((port) => candidateKeys(port.setting)),
            ...parts.flatMap(([, part]) => part.watchKeys ?? []),
          ]),
        ].sort(),
      },
      { parent: this, dependsOn: parts.flatMap(([, part]) => part.resources) },
    );
    const after = parts.flatMap(([, part]) => part.afterApply?.(this.config) ?? []);
    this.resources = [facts, ...parts.flatMap(([, part]) => part.resources), this.config, ...after];

    this.summary = {
      hostname: facts.hostname,
      os: facts.os,
      ngcpVersion: facts.ngcpVersion,
      ramMb: facts.ramMb,
      rootMountOptions: facts.rootMountOptions,
      managed: parts.map(([key]) => key),
      lastApply: this.config.lastApplyMessage,
      ...Object.fromEntries(
        parts.filter(([, part]) => part.summary).map(([key, part]) => [key, part.summary]),
      ),
    };
    this.health = pulumi.all([target, this.config.effective]).apply(([nodeTarget, effective]) => ({
      target: nodeTarget,
      sipPort: effectivePort(effective, "sipPort", 5060),
      tcpPorts: Object.fromEntries(
        HEALTH_PORTS.filter((p) => p.setting !== "sipPort").map((p) => [
          p.label,
          effectivePort(effective, p.setting, p.fallback),
        ]),
      ),
    }));
    this.convergence = pulumi
      .all([pulumi.output(this.summary), this.config.live, this.config.effective])
      .apply((state) => createHash("sha256").update(JSON.stringify(state)).digest("hex"));
    // The summary is the stack's `nodes` output; storing it here again would double it in the state.
    this.registerOutputs({});
  }
}
