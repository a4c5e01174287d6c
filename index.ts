// The ngcp-fleet Pulumi program: stack config → validated cluster spec →
// one NgcpNode per node, converged by the dynamic providers over SSH.
import * as pulumi from "@pulumi/pulumi";
import { NgcpCluster } from "./components/cluster";
import { keepSourcePositionsOnly } from "./components/stackTraces";
import { loadClusterSpec } from "./spec/load";

// The SDK captures a stack trace for every promise it tracks, each frame mapped through source maps: a
// second of CPU in a 30-node program. Three frames keep the origin; NGCP_FLEET_FULL_STACKS=1 keeps them all.
if (process.env.NGCP_FLEET_FULL_STACKS !== "1") {
  Error.stackTraceLimit = 3;
}
keepSourcePositionsOnly();
const { spec, sshPrivateKey } = loadClusterSpec();
const cluster = new NgcpCluster(spec.environment, { spec, stack: pulumi.getStack(), sshPrivateKey });

/** Per node: what is managed and its key facts. */
export const nodes = cluster.summary();

/** The rollout waves, canary first. */
export const waves = cluster.waves;
