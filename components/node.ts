import * as pulumi from "@pulumi/pulumi";
import { NodeFacts } from "../providers/nodeFacts/resource";
import type { NodeTarget } from "../providers/transport/target";
import type { ClusterSpec, NodeSpec } from "../spec/schema";

export interface NgcpNodeArgs {
  readonly spec: ClusterSpec;
  readonly node: NodeSpec;
  readonly sshPrivateKey?: pulumi.Output<string>;
}

/** What the stack outputs about one node. */
export interface NodeSummary {
  readonly hostname: pulumi.Output<string>;
  readonly os: pulumi.Output<string>;
  readonly ngcpVersion: pulumi.Output<string>;
  readonly ramMb: pulumi.Output<number>;
  readonly rootMountOptions: pulumi.Output<string[]>;
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

/** One sip:provider CE node: its facts, then (as issues land) its handbook resources and one ngcpcfg apply. */
export class NgcpNode extends pulumi.ComponentResource {
  readonly summary: NodeSummary;

  constructor(name: string, args: NgcpNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ngcp-fleet:index:NgcpNode", name, {}, opts);
    const target = nodeTarget(args.spec, args.node, args.sshPrivateKey);
    const facts = new NodeFacts(`${name}-facts`, { target }, { parent: this });
    this.summary = {
      hostname: facts.hostname,
      os: facts.os,
      ngcpVersion: facts.ngcpVersion,
      ramMb: facts.ramMb,
      rootMountOptions: facts.rootMountOptions,
    };
    this.registerOutputs({ summary: this.summary });
  }
}
