import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";
import type { NodeTarget } from "../transport/target";

export interface NodeFactsArgs {
  /** How to reach the node (from the stack's `nodes[]` and `ssh`). */
  readonly target: pulumi.Input<NodeTarget>;
}

/** Facts read from a node at every `up` and `refresh`: hostname, OS, NGCP version, RAM, root mount options. */
export class NodeFacts extends pulumi.dynamic.Resource {
  declare readonly hostname: pulumi.Output<string>;
  declare readonly os: pulumi.Output<string>;
  declare readonly ngcpVersion: pulumi.Output<string>;
  declare readonly ramMb: pulumi.Output<number>;
  declare readonly rootMountOptions: pulumi.Output<string[]>;
  declare readonly kernel: pulumi.Output<string>;

  constructor(name: string, args: NodeFactsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("nodeFacts"),
      name,
      {
        ...args,
        hostname: undefined,
        os: undefined,
        ngcpVersion: undefined,
        ramMb: undefined,
        rootMountOptions: undefined,
        kernel: undefined,
      },
      opts,
      "ngcp-fleet",
      "NodeFacts",
    );
  }
}
