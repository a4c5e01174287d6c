import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { HealthGate } from "../providers/health/resource";
import type { ClusterSpec } from "../spec/schema";
import { planWaves } from "../spec/waves";
import { NgcpNode } from "./node";

export interface NgcpClusterArgs {
  readonly spec: ClusterSpec;
  /** The stack's name, for `ngcpcfg apply` messages. */
  readonly stack: string;
  /** The stack sets `ngcp-fleet:sshPrivateKey` (see NgcpNodeArgs.stackKey). */
  readonly stackKey?: boolean;
}

/** Makes every resource of a component (and its children) wait for `gate`. */
function waitFor(gate: pulumi.Resource): pulumi.ResourceTransformation {
  return (args) => ({ props: args.props, opts: pulumi.mergeOptions(args.opts, { dependsOn: [gate] }) });
}

/**
 * Every node of a stack, rolled out in waves: the canary wave first, then batches (HA pairs never in
 * one wave). Nodes of a wave converge in parallel; a wave's health gate probes its nodes, and every
 * later wave depends on it, so the first unhealthy wave stops the rollout.
 */
export class NgcpCluster extends pulumi.ComponentResource {
  readonly nodes: Record<string, NgcpNode> = {};
  readonly waves: string[][];

  constructor(name: string, args: NgcpClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ngcp-fleet:index:NgcpCluster", name, {}, opts);
    const byName = new Map(args.spec.nodes.map((node) => [node.name, node]));
    this.waves = planWaves({ nodes: args.spec.nodes.map((n) => n.name), ...args.spec.rollout });
    let previousGate: HealthGate | undefined;
    this.waves.forEach((wave, index) => {
      const members = wave.map((nodeName) => {
        const node = new NgcpNode(
          nodeName,
          {
            spec: args.spec,
            node: byName.get(nodeName)!,
            stack: args.stack,
            stackKey: args.stackKey,
          },
          { parent: this, transformations: previousGate ? [waitFor(previousGate)] : [] },
        );
        this.nodes[nodeName] = node;
        return node;
      });
      previousGate = new HealthGate(
        `${name}-wave-${index}`,
        {
          wave: index,
          nodes: members.map((node) => node.health),
          convergence: pulumi
            .all(members.map((node) => node.convergence))
            .apply((digests) => createHash("sha256").update(digests.join()).digest("hex")),
        },
        { parent: this, dependsOn: members.flatMap((node) => node.resources) },
      );
    });
    this.registerOutputs({});
  }

  summary(): Record<string, Record<string, pulumi.Input<unknown>>> {
    return Object.fromEntries(Object.entries(this.nodes).map(([name, node]) => [name, node.summary]));
  }
}
