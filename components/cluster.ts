import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../spec/schema";
import { NgcpNode } from "./node";

export interface NgcpClusterArgs {
  readonly spec: ClusterSpec;
  /** The stack's name, for `ngcpcfg apply` messages. */
  readonly stack: string;
  readonly sshPrivateKey?: pulumi.Output<string>;
}

/** Every node of a stack. Nodes converge in parallel; rollout waves come with issue 8. */
export class NgcpCluster extends pulumi.ComponentResource {
  readonly nodes: Record<string, NgcpNode>;

  constructor(name: string, args: NgcpClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ngcp-fleet:index:NgcpCluster", name, {}, opts);
    this.nodes = Object.fromEntries(
      args.spec.nodes.map((node) => [
        node.name,
        new NgcpNode(
          node.name,
          { spec: args.spec, node, stack: args.stack, sshPrivateKey: args.sshPrivateKey },
          { parent: this },
        ),
      ]),
    );
    this.registerOutputs({});
  }

  summary(): Record<string, Record<string, pulumi.Input<unknown>>> {
    return Object.fromEntries(Object.entries(this.nodes).map(([name, node]) => [name, node.summary]));
  }
}
