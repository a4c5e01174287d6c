import type * as pulumi from "@pulumi/pulumi";
import type { NodeTarget } from "../transport/target";
import { type ProbeResult, probeSipOptions, probeSsh, probeTcp } from "./probes";

/** One node of a wave and the ports its health is judged by. */
export interface GatedNode {
  readonly target: NodeTarget;
  readonly sipPort: number;
  /** Service ports that must accept TCP connections, by label (e.g. `admin interface`). */
  readonly tcpPorts: Record<string, number>;
}

export interface HealthGateInputs {
  readonly wave: number;
  readonly nodes: GatedNode[];
  /** Digest of the wave's converged outputs: the gate runs again whenever a node of the wave changed. */
  readonly convergence: string;
}

export interface HealthGateOutputs extends HealthGateInputs {
  readonly results: Record<string, ProbeResult[]>;
}

async function probeNode(node: GatedNode): Promise<ProbeResult[]> {
  const ssh = await probeSsh(node.target);
  if (!ssh.ok) {
    return [ssh];
  }
  return [
    ssh,
    await probeSipOptions(node.target.host, node.sipPort),
    ...(await Promise.all(
      Object.entries(node.tcpPorts).map(([label, port]) => probeTcp(node.target.host, port, label)),
    )),
  ];
}

/**
 * The health gate between rollout waves (handbook-independent, DESIGN.md): SSH answers, SIP OPTIONS
 * gets 200, the configured service ports answer. A failed probe fails the gate, and every later wave,
 * which depends on it, is left untouched.
 */
async function runGate(inputs: HealthGateInputs): Promise<HealthGateOutputs> {
  const entries = await Promise.all(
    inputs.nodes.map(async (node) => [node.target.name, await probeNode(node)] as const),
  );
  const failures = entries.flatMap(([name, results]) =>
    results.filter((r) => !r.ok).map((r) => `node ${name}: ${r.probe}: ${r.detail}`),
  );
  if (failures.length > 0) {
    throw new Error(
      `rollout stopped at wave ${inputs.wave}: ${failures.join("; ")}. Later waves were not touched; fix the node and run up again.`,
    );
  }
  return { ...inputs, results: Object.fromEntries(entries) };
}

export const healthGateProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: HealthGateOutputs, news: HealthGateInputs) {
    const nodes = (list: GatedNode[] | undefined) =>
      (list ?? [])
        .map(
          (n) =>
            `${n.target.name}@${n.target.host}:${n.sipPort}:${Object.values(n.tcpPorts).sort().join(",")}`,
        )
        .join(" ");
    return {
      changes: olds.convergence !== news.convergence || nodes(olds.nodes) !== nodes(news.nodes),
      replaces: [],
      deleteBeforeReplace: false,
    };
  },

  async create(inputs: HealthGateInputs) {
    return { id: `wave-${inputs.wave}`, outs: await runGate(inputs) };
  },

  async update(_id: string, _olds: HealthGateOutputs, news: HealthGateInputs) {
    return { outs: await runGate(news) };
  },

  async delete() {
    // A gate owns nothing on any node.
  },
};
