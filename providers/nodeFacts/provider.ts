import type * as pulumi from "@pulumi/pulumi";
import type { NodeTarget } from "../transport/target";
import { checkTarget } from "../common/checkTarget";
import { nodeSnapshot, SECTIONS } from "../common/nodeReads";
import { parseFactsReport, type NodeFactsValues } from "./report";

/** What the provider receives and stores (plain values, no Outputs). */
export interface NodeFactsInputs {
  readonly target: NodeTarget;
}

export type NodeFactsOutputs = NodeFactsInputs & NodeFactsValues;

/** The facts, from the node's shared batched read (NodeFacts is usually the first of a node to read). */
async function readFacts(target: NodeTarget): Promise<NodeFactsValues> {
  return parseFactsReport((await nodeSnapshot(target)).section(SECTIONS.facts).stdout);
}

/**
 * Read-only: NodeFacts owns nothing on the node, so create, update and read
 * all just look, and delete has nothing to undo.
 */
export const nodeFactsProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: NodeFactsInputs, news: NodeFactsInputs) {
    return { inputs: news, failures: checkTarget(news.target, "target") };
  },

  async diff(_id: string, olds: NodeFactsOutputs, news: NodeFactsInputs) {
    const place = (t: NodeTarget | undefined) =>
      [t?.host, t?.port ?? 22, t?.user ?? "root", t?.hostKey].join(" ");
    const changes = place(olds.target) === place(news.target) ? [] : ["target"];
    return { changes: changes.length > 0, replaces: [], deleteBeforeReplace: false };
  },

  async create(inputs: NodeFactsInputs) {
    return { id: inputs.target.name, outs: { ...inputs, ...(await readFacts(inputs.target)) } };
  },

  async read(id: string, props: NodeFactsOutputs) {
    return { id, props: { ...props, ...(await readFacts(props.target)) } };
  },

  async update(_id: string, _olds: NodeFactsOutputs, news: NodeFactsInputs) {
    return { outs: { ...news, ...(await readFacts(news.target)) } };
  },

  async delete() {
    // Nothing on the node belongs to NodeFacts.
  },
};
