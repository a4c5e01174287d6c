import { strict as assert } from "node:assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { countEvent, renderSummary, type NodeChanges } from "../../cli/rollout";

function pre(op: string, name: string): EngineEvent {
  return {
    sequence: 0,
    timestamp: 0,
    resourcePreEvent: {
      metadata: { op, urn: `urn:pulumi:s::ngcp-fleet::t::${name}`, type: "t", provider: "" },
    },
  } as unknown as EngineEvent;
}

describe("rollout: the combined summary of `ngcp-fleet rollout --stacks`", () => {
  it("GIVEN a refreshed, converged stack WHEN counting its events THEN it shows no changes", () => {
    const counts: NodeChanges = {};
    for (const op of ["refresh", "read", "same"]) {
      countEvent(counts, pre(op, "ngcp9-config"), ["ngcp9"]);
    }
    assert.deepEqual(counts, {});
    assert.match(
      renderSummary([{ stack: "site-a", ok: true, seconds: 3, nodes: counts }], "up"),
      /\| site-a \| – \| no changes \| ok \(3 s\) \|/,
    );
  });

  it("GIVEN creates and updates WHEN counting THEN each node gets its own counts, ngcp1 not mistaken for ngcp10", () => {
    const counts: NodeChanges = {};
    countEvent(counts, pre("create", "ngcp10-config"), ["ngcp1", "ngcp10"]);
    countEvent(counts, pre("update", "ngcp1-performance"), ["ngcp1", "ngcp10"]);
    countEvent(counts, pre("update", "lab-wave-0"), ["ngcp1", "ngcp10"]);
    assert.deepEqual(counts, { ngcp10: { create: 1 }, ngcp1: { update: 1 }, "(cluster)": { update: 1 } });
  });
});
