import * as pulumi from "@pulumi/pulumi";
import { NgcpConfig } from "../providers/ngcpConfig/resource";
import type { OwnedSetting } from "../providers/ngcpConfig/provider";
import { findOwnershipConflicts, type KeyClaim } from "../providers/ngcpConfig/ownership";
import { NodeFacts } from "../providers/nodeFacts/resource";
import { PerformanceProfile } from "../providers/performance/resource";
import { PERFORMANCE_OPTIONS, type PerformanceInputs } from "../providers/performance/planner";
import type { NodeTarget } from "../providers/transport/target";
import { type ClusterSpec, type NodeSpec, mergeFeature } from "../spec/schema";

export interface NgcpNodeArgs {
  readonly spec: ClusterSpec;
  readonly node: NodeSpec;
  readonly stack: string;
  readonly sshPrivateKey?: pulumi.Output<string>;
}

/** What the stack outputs about one node. */
export interface NodeSummary {
  readonly hostname: pulumi.Output<string>;
  readonly os: pulumi.Output<string>;
  readonly ngcpVersion: pulumi.Output<string>;
  readonly ramMb: pulumi.Output<number>;
  readonly rootMountOptions: pulumi.Output<string[]>;
  readonly managed: string[];
  readonly performance?: pulumi.Output<Readonly<Record<string, string | number>>>;
  readonly lastApply: pulumi.Output<string>;
}

/** The connection a node's resources use; the key itself stays secret. */
export function nodeTarget(spec: ClusterSpec, node: NodeSpec, sshPrivateKey?: pulumi.Output<string>): pulumi.Output<NodeTarget> {
  return pulumi.output(sshPrivateKey).apply((privateKey) => ({
    name: node.name,
    host: node.host,
    port: node.port ?? 22,
    user: node.user ?? spec.ssh.user,
    hostKey: node.hostKey,
    trustUnknownHostKey: spec.ssh.trustUnknownHostKeys,
    sudo: spec.ssh.sudo,
    connectTimeoutMs: spec.ssh.connectTimeoutMs,
    commandTimeoutMs: spec.ssh.commandTimeoutMs,
    ...(privateKey ? { privateKey } : { privateKeyPath: spec.ssh.privateKeyPath }),
  }));
}

/** A feature's config.yml keys, declared before anything runs so that conflicts fail the preview. */
interface ConfigContribution {
  readonly claim: KeyClaim;
  readonly settings: pulumi.Output<Record<string, OwnedSetting>>;
  readonly dependsOn: pulumi.Resource;
}

/**
 * One sip:provider CE node: its facts, the handbook features its config asks for, and one NgcpConfig
 * that writes every feature's config.yml keys at once and runs `ngcpcfg apply` once.
 */
export class NgcpNode extends pulumi.ComponentResource {
  readonly summary: NodeSummary;
  readonly config: NgcpConfig;

  constructor(name: string, args: NgcpNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ngcp-fleet:index:NgcpNode", name, {}, opts);
    const target = nodeTarget(args.spec, args.node, args.sshPrivateKey);
    const facts = new NodeFacts(`${name}-facts`, { target }, { parent: this });
    const contributions: ConfigContribution[] = [];
    const managed = ["facts"];

    const performanceSpec = mergeFeature(args.spec.performance, args.node.performance);
    let performance: PerformanceProfile | undefined;
    if (performanceSpec) {
      const owner = `PerformanceProfile ${name}-performance`;
      performance = new PerformanceProfile(
        `${name}-performance`,
        {
          target,
          // Validated by the provider's check, which names each bad key.
          performance: performanceSpec as PerformanceInputs,
          facts: pulumi
            .all([facts.ramMb, facts.rootMountOptions])
            .apply(([ramMb, rootMountOptions]) => ({ ramMb, rootMountOptions })),
        },
        { parent: this },
      );
      const excluded = new Set((performanceSpec.excludeKeys as string[] | undefined) ?? []);
      contributions.push({
        claim: { resource: owner, node: name, keys: PERFORMANCE_OPTIONS.map((o) => o.key).filter((k) => !excluded.has(k)) },
        settings: performance.plan.apply((plan) =>
          Object.fromEntries(Object.entries(plan.values).map(([key, value]) => [key, { value, owner }])),
        ),
        dependsOn: performance,
      });
      managed.push("performance");
    }

    const conflicts = findOwnershipConflicts(contributions.map((c) => c.claim));
    if (conflicts.length > 0) {
      throw new pulumi.RunError(`node ${name}: ${conflicts.map((c) => c.message).join("; ")}`);
    }
    this.config = new NgcpConfig(
      `${name}-config`,
      {
        target,
        stack: args.stack,
        settings: pulumi.all(contributions.map((c) => c.settings)).apply((parts) => Object.assign({}, ...parts)),
        applyTriggers: {},
        watchKeys: [],
      },
      { parent: this, dependsOn: contributions.map((c) => c.dependsOn) },
    );
    managed.push("config");

    this.summary = {
      hostname: facts.hostname,
      os: facts.os,
      ngcpVersion: facts.ngcpVersion,
      ramMb: facts.ramMb,
      rootMountOptions: performance ? performance.rootMountOptions : facts.rootMountOptions,
      managed,
      performance: performance?.plan.apply((plan) => plan.values),
      lastApply: this.config.lastApplyMessage,
    };
    this.registerOutputs({ summary: this.summary });
  }
}
