import { strict as assert } from "node:assert";
import type * as pulumi from "@pulumi/pulumi";
import { packaged, PROVIDER_KEY, VERSION_KEY } from "../../providers/common/layout";

/** An implementation whose node is a variable: `writes` counts every change it makes. */
function fakeNode() {
  const node = { value: "a", writes: 0 };
  const implementation: pulumi.dynamic.ResourceProvider = {
    async diff(_id, olds, news) {
      return { changes: olds.value !== news.value, replaces: [] };
    },
    async create(inputs) {
      node.value = inputs.value;
      node.writes++;
      return { id: "x", outs: { ...inputs, observed: node.value } };
    },
    async update(_id, _olds, news) {
      node.value = news.value;
      node.writes++;
      return { outs: { ...news, observed: node.value } };
    },
    async read(id, props) {
      return { id, props: { ...props, observed: node.value } };
    },
  };
  return { node, provider: packaged(implementation, "9.9.9+abc") };
}

const STUB = "exports.handler = () => stub";
const LEGACY = "exports.handler = () => { /* 150 KB of provider code copied by value */ }";

describe("provider package layout: versions and adoption of earlier states", () => {
  it("GIVEN a create WHEN it returns THEN the outputs name the package version that wrote the node", async () => {
    const { provider } = fakeNode();
    const result = await provider.create({ value: "b", [PROVIDER_KEY]: STUB });
    assert.equal(result.outs[VERSION_KEY], "9.9.9+abc");
    assert.equal(result.outs[PROVIDER_KEY], undefined, "the host, not the implementation, stores __provider");
  });

  it("GIVEN the same stub and inputs WHEN diffed THEN no change", async () => {
    const { provider } = fakeNode();
    const diff = await provider.diff(
      "x",
      { value: "a", [PROVIDER_KEY]: STUB },
      { value: "a", [PROVIDER_KEY]: STUB },
    );
    assert.equal(diff.changes, false);
  });

  it("GIVEN a state written with the provider code by value WHEN diffed THEN it is a change, so up stores the stub", async () => {
    const { provider } = fakeNode();
    const diff = await provider.diff(
      "x",
      { value: "a", [PROVIDER_KEY]: LEGACY },
      { value: "a", [PROVIDER_KEY]: STUB },
    );
    assert.equal(diff.changes, true);
    assert.deepEqual(diff.replaces ?? [], []);
  });

  it("GIVEN only the provider changed WHEN updated THEN nothing is written on the node and the outputs are restated and versioned", async () => {
    const { node, provider } = fakeNode();
    const result = await provider.update(
      "x",
      { value: "a", observed: "a", [PROVIDER_KEY]: LEGACY },
      { value: "a", [PROVIDER_KEY]: STUB },
    );
    assert.equal(node.writes, 0);
    assert.deepEqual(result.outs, { value: "a", observed: "a", [VERSION_KEY]: "9.9.9+abc" });
  });

  it("GIVEN a real change and a new provider WHEN updated THEN the implementation converges the node", async () => {
    const { node, provider } = fakeNode();
    const result = await provider.update(
      "x",
      { value: "a", observed: "a", [PROVIDER_KEY]: LEGACY },
      { value: "c", [PROVIDER_KEY]: STUB },
    );
    assert.equal(node.writes, 1);
    assert.equal(result.outs?.observed, "c");
    assert.equal(result.outs?.[VERSION_KEY], "9.9.9+abc");
  });

  it("GIVEN a refresh WHEN read THEN the version of the last writer is kept (reading is not touching)", async () => {
    const { provider } = fakeNode();
    const result = await provider.read("x", { value: "a", [VERSION_KEY]: "1.0.0+old", [PROVIDER_KEY]: STUB });
    assert.equal(result.props?.[VERSION_KEY], "1.0.0+old");
  });
});
