// The ngcp-fleet Pulumi program: stack config → validated cluster spec →
// one NgcpNode per node, converged by the dynamic providers over SSH.
import * as pulumi from "@pulumi/pulumi";
import { NgcpCluster } from "./components/cluster";
import { keepSourcePositionsOnly } from "./components/stackTraces";
import { loadClusterSpec } from "./spec/load";

keepSourcePositionsOnly();
const { spec, sshPrivateKey } = loadClusterSpec();
const cluster = new NgcpCluster(spec.environment, { spec, stack: pulumi.getStack(), sshPrivateKey });

/** Per node: what is managed and its key facts. */
export const nodes = cluster.summary();

/** The rollout waves, canary first. */
export const waves = cluster.waves;
