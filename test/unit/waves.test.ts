import { strict as assert } from "node:assert";
import fc from "fast-check";
import { planWaves, validateRollout } from "../../spec/waves";
import { optionsRequest, responseStatus } from "../../providers/transport/sip";

describe("rollout waves", () => {
  it("puts the canary first, then batches in stack order", () => {
    assert.deepEqual(planWaves({ nodes: ["a", "b", "c", "d", "e"], canary: 1, batchSize: 2, haPairs: [] }), [
      ["a"],
      ["b", "c"],
      ["d", "e"],
    ]);
  });

  it("never puts both nodes of an HA pair in one wave", () => {
    const waves = planWaves({
      nodes: ["a1", "a2", "b1", "b2"],
      canary: 1,
      batchSize: 4,
      haPairs: [
        ["a1", "a2"],
        ["b1", "b2"],
      ],
    });
    assert.deepEqual(waves, [["a1"], ["a2", "b1"], ["b2"]]);
  });

  it("keeps every node exactly once and pairs apart, for any layout", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        (count, canary, batchSize) => {
          const nodes = Array.from({ length: count }, (_, i) => `n${i}`);
          const haPairs: [string, string][] = [];
          for (let i = 0; i + 1 < count; i += 3) {
            haPairs.push([nodes[i], nodes[i + 1]]);
          }
          const waves = planWaves({ nodes, canary, batchSize, haPairs });
          assert.deepEqual(waves.flat().sort(), [...nodes].sort());
          for (const wave of waves) {
            for (const [a, b] of haPairs) {
              assert.ok(!(wave.includes(a) && wave.includes(b)), `${a} and ${b} share a wave`);
            }
          }
          assert.ok(waves[0].length <= Math.max(1, canary));
        },
      ),
    );
  });

  it("names the key for pairs of unknown, repeated or identical nodes", () => {
    const problems = validateRollout({
      nodes: ["a", "b"],
      canary: 1,
      batchSize: 1,
      haPairs: [
        ["a", "x"],
        ["a", "b"],
        ["b", "b"],
      ],
    });
    assert.ok(problems.some((p) => /rollout\.haPairs\[0\]: names node "x", which is not in nodes/.test(p)));
    assert.ok(problems.some((p) => /rollout\.haPairs\[1\]: node "a" is already in haPairs\[0\]/.test(p)));
    assert.ok(problems.some((p) => /rollout\.haPairs\[2\]: pairs a node with itself/.test(p)));
  });
});

describe("health gate: SIP OPTIONS", () => {
  it("builds a request with the mandatory headers", () => {
    const { text, callId } = optionsRequest(
      { host: "198.18.0.11", port: 5060 },
      { host: "0.0.0.0", port: 40000 },
      "UDP",
    );
    for (const header of [
      "Via: SIP/2.0/UDP",
      "Max-Forwards:",
      "From:",
      "To:",
      `Call-ID: ${callId}`,
      "CSeq: 1 OPTIONS",
      "Content-Length: 0",
    ]) {
      assert.ok(text.includes(header), header);
    }
    assert.ok(text.startsWith("OPTIONS sip:198.18.0.11:5060 SIP/2.0\r\n"));
    assert.ok(text.endsWith("\r\n\r\n"));
  });

  it("reads the status of the answer to our request only", () => {
    assert.equal(responseStatus("SIP/2.0 200 OK\r\nCall-ID: abc\r\n\r\n", "abc"), 200);
    assert.equal(responseStatus("SIP/2.0 503 Service Unavailable\r\ni: abc\r\n\r\n", "abc"), 503);
    assert.equal(responseStatus("SIP/2.0 200 OK\r\nCall-ID: other\r\n\r\n", "abc"), undefined);
    assert.equal(responseStatus("garbage", "abc"), undefined);
  });
});
