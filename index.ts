// The ngcp-fleet Pulumi program: stack config → validated cluster spec →
// one NgcpNode per node, converged by the dynamic providers over SSH.
import * as pulumi from "@pulumi/pulumi";
import { NgcpCluster } from "./components/cluster";
import { keepSourcePositionsOnly } from "./components/stackTraces";
import { validateStack } from "./components/validate";
import { readFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { readStackConfig, stackSecretProblems } from "./spec/load";

// The SDK captures a stack trace for every promise it tracks, each frame mapped through source maps: a
// second of CPU in a 30-node program. Three frames keep the origin; NGCP_FLEET_FULL_STACKS=1 keeps them all.
if (process.env.NGCP_FLEET_FULL_STACKS !== "1") {
  Error.stackTraceLimit = 3;
}
keepSourcePositionsOnly();
const { raw, stackKey } = readStackConfig();
// The one validation pass, before any resource is registered: every problem of every node at once, each
// naming its stack-config key; warnings for legal but dangerous values.
const validation = validateStack(raw, { readFile: (path) => readFileSync(resolvePath(path), "utf8") });
for (const warning of validation.warnings) {
  pulumi.log.warn(warning);
}
// A secret in clear in the stack file is an error even when every value is otherwise right.
const errors = [...stackSecretProblems(), ...validation.errors];
if (validation.spec === undefined || errors.length > 0) {
  throw new pulumi.RunError(`invalid stack config:\n${errors.map((e) => `  - ${e}`).join("\n")}`);
}
const spec = validation.spec;
const cluster = new NgcpCluster(spec.environment, { spec, stack: pulumi.getStack(), stackKey });

/** Per node: what is managed and its key facts. */
export const nodes = cluster.summary();

/** The rollout waves, canary first. */
export const waves = cluster.waves;
