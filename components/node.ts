import * as pulumi from "@pulumi/pulumi";
import { findOwnershipConflicts } from "../providers/ngcpConfig/ownership";
import { NgcpConfig } from "../providers/ngcpConfig/resource";
import { SETTINGS, type ConfigSetting } from "../providers/ngcpConfig/edition";
import type { GatedNode } from "../providers/health/provider";
import { createHash } from "node:crypto";
import { NodeFacts } from "../providers/nodeFacts/resource";
import type { NodeTarget } from "../providers/transport/target";
import { type ClusterSpec, type NodeSpec, mergeFeature } from "../spec/schema";
import { targetFor } from "../spec/targets";
import type { FeatureParts, NodeContext } from "./feature";
import { FEATURES } from "./features";

export interface NgcpNodeArgs {
  readonly spec: ClusterSpec;
  readonly node: NodeSpec;
  readonly stack: string;
  readonly sshPrivateKey?: pulumi.Output<string>;
}

/** The connection a node's resources use; the key itself stays secret. */
export function nodeTarget(
  spec: ClusterSpec,
  node: NodeSpec,
  sshPrivateKey?: pulumi.Output<string>,
): pulumi.Output<NodeTarget> {
  return pulumi.output(sshPrivateKey).apply((privateKey) => targetFor(spec, node, privateKey));
}

/** The service ports the rollout's health gate probes, with the handbook defaults (tables 8 and 9). */
const HEALTH_PORTS: readonly { setting: ConfigSetting; label: string; fallback: number }[] = [
  { setting: "sipPort", label: "SIP", fallback: 5060 },
  { setting: "cscPort", label: "customer self-care interface", fallback: 443 },
  { setting: "adminPort", label: "administrator interface", fallback: 1443 },
  { setting: "provisioningPort", label: "provisioning interfaces", fallback: 2443 },
];

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
    const target = nodeTarget(args.spec, args.node, args.sshPrivateKey);
    const facts = new NodeFacts(`${name}-facts`, { target }, { parent: this });
    const parts: [string, FeatureParts][] = [];
    const context: NodeContext = {
      name,
      spec: args.spec,
      node: args.node,
      stack: args.stack,
      target,
      facts,
      parent: this,
      resourcesOf: (featureKey) => parts.find(([key]) => key === featureKey)?.[1].resources ?? [],
    };

    for (const feature of FEATURES) {
      const settings = mergeFeature(
        args.spec[feature.key as keyof ClusterSpec] as never,
        args.node[feature.key as keyof NodeSpec] as never,
      );
      if (settings !== undefined) {
        parts.push([feature.key, feature.build(context, settings)]);
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
