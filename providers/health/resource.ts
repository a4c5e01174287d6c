import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";
import type { ProbeResult } from "./probes";
import { type GatedNode } from "./provider";

export interface HealthGateArgs {
  /** Wave number, 0 for the canary wave. */
  readonly wave: number;
  readonly nodes: pulumi.Input<pulumi.Input<GatedNode>[]>;
  /** Changes whenever a node of the wave converged to something new. */
  readonly convergence: pulumi.Input<string>;
}

/** Probes every node of a rollout wave after it converged; later waves depend on it. */
export class HealthGate extends pulumi.dynamic.Resource {
  declare readonly results: pulumi.Output<Record<string, ProbeResult[]>>;

  constructor(name: string, args: HealthGateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("healthGate"),
      name,
      { ...args, results: undefined },
      opts,
      "ngcp-fleet",
      "HealthGate",
    );
  }
}
