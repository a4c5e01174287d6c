import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";
import type { NodeTarget } from "../transport/target";
import type { NodeFacts, PerformanceInputs, PerformancePlan } from "./planner";

export interface PerformanceProfileArgs {
  /** How to reach the node. */
  readonly target: pulumi.Input<NodeTarget>;
  /** Profile, sizing and explicit table-10 values (handbook 15.7). @default {} (nothing written) */
  readonly performance: pulumi.Input<PerformanceInputs>;
  /** The node's RAM and root mount options, from its NodeFacts. */
  readonly facts: pulumi.Input<NodeFacts>;
}

/** Handbook 15.7's tunables for one node: validated against its RAM, computed, and shown in preview. */
export class PerformanceProfile extends pulumi.dynamic.Resource {
  /** The config.yml values (dotted key → value) with their sources, formulas and warnings. */
  declare readonly plan: pulumi.Output<PerformancePlan>;
  declare readonly rootMountOptions: pulumi.Output<string[]>;

  constructor(name: string, args: PerformanceProfileArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("performanceProfile"),
      name,
      { ...args, plan: undefined, rootMountOptions: undefined },
      opts,
      "ngcp-fleet",
      "PerformanceProfile",
    );
  }
}
