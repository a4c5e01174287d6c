import type * as pulumi from "@pulumi/pulumi";
import type { KeyClaim } from "../providers/ngcpConfig/ownership";
import type { OwnedSetting } from "../providers/ngcpConfig/provider";
import type { NgcpConfig } from "../providers/ngcpConfig/resource";
import type { NodeFacts } from "../providers/nodeFacts/resource";
import type { NodeTarget } from "../providers/transport/target";
import type { FeatureKey, FeatureSettings } from "../spec/features";
import type { ResolvedNode } from "../spec/resolve";
import type { ClusterSpec } from "../spec/schema";

/** What every feature of a node can use. */
export interface NodeContext {
  /** Node name: prefix of every resource name of the node. */
  readonly name: string;
  readonly spec: ClusterSpec;
  /** The node's resolved settings (spec/resolve.ts): every feature typed, the admin networks in one shape. */
  readonly resolved: ResolvedNode;
  readonly stack: string;
  readonly target: NodeTarget;
  readonly facts: NodeFacts;
  /** Parent for the feature's resources (the NgcpNode component). */
  readonly parent: pulumi.Resource;
  /** The resources of a feature built earlier (FEATURES order) on this node; none when it is off. */
  readonly resourcesOf: (featureKey: string) => readonly pulumi.Resource[];
}

/** A feature's part of the node's single config.yml write and `ngcpcfg apply`. */
export interface ConfigContribution {
  /** The keys it owns, declared before anything runs, so conflicts fail the preview. */
  readonly claim: KeyClaim;
  readonly settings: pulumi.Output<Record<string, OwnedSetting>>;
  /** Values whose change needs an apply even when config.yml does not change (certificate fingerprints). */
  readonly applyTriggers?: pulumi.Output<Record<string, string>>;
}

export interface FeatureParts {
  /** Resources the node's NgcpConfig waits for. */
  readonly resources: pulumi.Resource[];
  readonly config?: ConfigContribution;
  /** Config keys whose live values the feature needs after the apply (ports for the firewall). */
  readonly watchKeys?: readonly string[];
  /** Resources created after the apply: they see the effective config (firewall rules, handshake checks). */
  readonly afterApply?: (config: NgcpConfig) => pulumi.Resource[];
  /** Stack outputs for this node under the feature's name. */
  readonly summary?: Record<string, pulumi.Input<unknown>>;
}

/**
 * One handbook feature of a node, switched on by its stack-config key (cluster-wide, with per-node
 * overrides). Features are listed in components/features.ts.
 */
export interface Feature<K extends FeatureKey = FeatureKey> {
  /** The stack-config key (`ngcp-fleet:<key>` and `nodes[].<key>`). */
  readonly key: K;
  /** Handbook section, for messages and docs. */
  readonly handbook: string;
  build(context: NodeContext, settings: FeatureSettings[K]): FeatureParts;
}

/** Any one feature, its settings type tied to its key. */
export type AnyFeature = { [K in FeatureKey]: Feature<K> }[FeatureKey];
