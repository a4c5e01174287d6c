import type * as pulumi from "@pulumi/pulumi";
import { sessionFor } from "../transport/session";
import type { NodeTarget } from "../transport/target";
import { checkTarget } from "../common/checkTarget";
import { factsScript, parseFactsReport, type NodeFactsValues } from "./report";

/** What the provider receives and stores (plain values, no Outputs). */
export interface NodeFactsInputs {
  readonly target: NodeTarget;
}

export type NodeFactsOutputs = NodeFactsInputs & NodeFactsValues;

async function readFacts(target: NodeTarget): Promise<NodeFactsValues> {
  const session = await sessionFor(target);
  const { stdout } = await session.script(factsScript());
  return parseFactsReport(stdout);
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
    const changes = ["host", "port", "user", "hostKey"].filter(
      (key) => olds.target?.[key as keyof NodeTarget] !== news.target[key as keyof NodeTarget],
    );
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
