import { strict as assert } from "node:assert";
import { type KeyClaim, findOwnershipConflicts } from "../../providers/ngcpConfig/ownership";

describe("ngcpConfig ownership: one owner per config key per node", () => {
  // [behaviour, claims, expected conflicts as [resource, key, otherResource, otherKey]]
  const cases: [string, KeyClaim[], [string, string, string, string][]][] = [
    [
      "two resources claiming the same key on one node conflict",
      [
        { resource: "perf-sp1", node: "sp1", keys: ["kamailio.lb.tls.enable"] },
        { resource: "tls-sp1", node: "sp1", keys: ["kamailio.lb.tls.sslcertfile", "kamailio.lb.tls.enable"] },
      ],
      [["perf-sp1", "kamailio.lb.tls.enable", "tls-sp1", "kamailio.lb.tls.enable"]],
    ],
    [
      "a claim on a map conflicts with a claim on a key below it",
      [
        { resource: "firewall-sp1", node: "sp1", keys: ["kamailio.lb"] },
        { resource: "perf-sp1", node: "sp1", keys: [["kamailio", "lb", "port"]] },
      ],
      [["firewall-sp1", "kamailio.lb", "perf-sp1", "kamailio.lb.port"]],
    ],
    [
      "a claim on a key conflicts with a later claim on its parent map",
      [
        { resource: "a", node: "sp1", keys: ["kamailio.lb.port"] },
        { resource: "b", node: "sp1", keys: ["kamailio"] },
      ],
      [["a", "kamailio.lb.port", "b", "kamailio"]],
    ],
    [
      "the same key on different nodes does not conflict",
      [
        { resource: "perf-sp1", node: "sp1", keys: ["kamailio.lb.shm_mem"] },
        { resource: "perf-sp2", node: "sp2", keys: ["kamailio.lb.shm_mem"] },
      ],
      [],
    ],
    [
      "keys that only share a character prefix do not conflict",
      [
        { resource: "a", node: "sp1", keys: ["kamailio.lb"] },
        { resource: "b", node: "sp1", keys: ["kamailio.lbx.port"] },
      ],
      [],
    ],
    [
      "one resource listing a key and its parent does not conflict with itself",
      [{ resource: "a", node: "sp1", keys: ["kamailio.lb", "kamailio.lb.port", "kamailio.lb.port"] }],
      [],
    ],
    [
      "the same key in different files does not conflict",
      [
        { resource: "a", node: "sp1", keys: ["general.foo"] },
        { resource: "b", node: "sp1", keys: ["general.foo"], file: "network.yml" },
      ],
      [],
    ],
    [
      "three owners of one key give a conflict per pair",
      [
        { resource: "a", node: "sp1", keys: ["x.y"] },
        { resource: "b", node: "sp1", keys: ["x.y"] },
        { resource: "c", node: "sp1", keys: ["x.y"] },
      ],
      [
        ["a", "x.y", "c", "x.y"],
        ["a", "x.y", "b", "x.y"],
        ["b", "x.y", "c", "x.y"],
      ].sort() as [string, string, string, string][],
    ],
  ];
  for (const [behaviour, claims, expected] of cases) {
    it(behaviour, () => {
      const conflicts = findOwnershipConflicts(claims);
      assert.deepEqual(
        conflicts.map((c) => [c.resource, c.key, c.otherResource, c.otherKey]).sort(),
        expected,
      );
    });
  }

  it("names the node, the key, both resources and the fix in the message", () => {
    // GIVEN a performance profile and a TLS resource both setting the SIP-TLS switch on sp1
    const [conflict] = findOwnershipConflicts([
      { resource: "perf-sp1", node: "sp1", keys: ["kamailio.lb.tls.enable"] },
      { resource: "tls-sp1", node: "sp1", keys: ["kamailio.lb.tls.enable"] },
    ]);
    // THEN the preview error says exactly that
    assert.equal(
      conflict.message,
      'config.yml key "kamailio.lb.tls.enable" on node "sp1" is owned by both "perf-sp1" and "tls-sp1"; ' +
        "each key needs exactly one owner: remove it from one of the two resources",
    );
  });

  it("rejects an empty key path", () => {
    assert.throws(
      () => findOwnershipConflicts([{ resource: "a", node: "n", keys: ["a..b"] }]),
      /segments must be non-empty/,
    );
  });
});
