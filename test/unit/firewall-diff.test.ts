import assert from "node:assert/strict";

import {
  describeRule,
  diffFirewall,
  diffRules,
  firewallInputsWithDefaults,
  parseSave,
  planFirewall,
  renderRestore,
  type PartialFirewallInputs,
} from "../../providers/firewall";
import { applyNoflushRestore, formatSave } from "../fixtures/firewall/restoreEmulator";

const BASE: PartialFirewallInputs = { adminSources: { ipv4: ["198.18.0.1/32"], ipv6: [] } };
const plan = (overrides: PartialFirewallInputs = {}) =>
  planFirewall(firewallInputsWithDefaults({ ...BASE, ...overrides }));

/** The node after applying `inputs` to an empty node, as iptables-save would print it. */
function nodeConvergedTo(overrides: PartialFirewallInputs, family: "ipv4" | "ipv6" = "ipv4"): string {
  return formatSave(
    applyNoflushRestore(parseSave(""), renderRestore(plan(overrides), family, ""), ["RTPENGINE"]),
  );
}

describe("firewall diff (preview lines, rule level)", () => {
  describe("GIVEN a rule to describe", () => {
    it("THEN the preview line drops the implicit -m tcp and shows the comment as (label)", () => {
      const rule = plan().ipv4.chains.find((chain) => chain.name === "NGCP-FLEET-ADMIN")?.rules[0];
      assert.ok(rule);
      assert.equal(
        describeRule("+", rule),
        "+ v4 NGCP-FLEET-ADMIN -s 198.18.0.1/32 -p tcp --dport 22 -j ACCEPT (ssh)",
      );
    });
    it("THEN a rule without our comment is described by its words alone", () => {
      assert.equal(
        describeRule("-", { family: "ipv6", chain: "INPUT", args: ["-j", "NGCP-FLEET-OLD"], label: "" }),
        "- v6 INPUT -j NGCP-FLEET-OLD",
      );
    });
  });

  describe("GIVEN a converged node", () => {
    it("WHEN nothing changed THEN the diff is empty (a second up changes nothing)", () => {
      const live = { ipv4: parseSave(nodeConvergedTo({})), ipv6: parseSave(nodeConvergedTo({}, "ipv6")) };
      const diff = diffFirewall(plan(), live);
      assert.equal(diff.changed, false);
      assert.deepEqual(diff.lines, []);
    });

    it("WHEN kamailio.lb.port changes in config.yml THEN the SIP rules move: old ones removed, new ones added", () => {
      const diff = diffRules(plan({ ports: { sip: 5070 } }).ipv4, parseSave(nodeConvergedTo({})));
      assert.deepEqual(diff.lines, [
        "- v4 NGCP-FLEET-SUBSCRIBERS -p udp --dport 5060 -j ACCEPT (sip)",
        "- v4 NGCP-FLEET-SUBSCRIBERS -p tcp --dport 5060 -j ACCEPT (sip)",
        "+ v4 NGCP-FLEET-SUBSCRIBERS -p udp --dport 5070 -j ACCEPT (sip)",
        "+ v4 NGCP-FLEET-SUBSCRIBERS -p tcp --dport 5070 -j ACCEPT (sip)",
      ]);
    });

    it("WHEN an admin network is added THEN only the new rules show as added", () => {
      const diff = diffRules(
        plan({ adminSources: { ipv4: ["198.18.0.1/32", "10.20.0.0/16"], ipv6: [] } }).ipv4,
        parseSave(nodeConvergedTo({})),
      );
      assert.deepEqual(diff.removed, []);
      assert.deepEqual(diff.lines, [
        "+ v4 NGCP-FLEET-ADMIN -s 10.20.0.0/16 -p tcp --dport 22 -j ACCEPT (ssh)",
        "+ v4 NGCP-FLEET-ADMIN -s 10.20.0.0/16 -p tcp --dport 1443 -j ACCEPT (admin)",
        "+ v4 NGCP-FLEET-ADMIN -s 10.20.0.0/16 -p tcp --dport 2443 -j ACCEPT (provisioning)",
      ]);
    });

    it("WHEN the order of extra rules changes THEN the moved rule shows as removed and re-added (order matters to iptables)", () => {
      const a = { name: "a", protocol: "tcp" as const, port: 8080, action: "ACCEPT" as const };
      const b = { name: "b", protocol: "tcp" as const, port: 8081, action: "DROP" as const };
      const diff = diffRules(
        plan({ extraRules: [b, a] }).ipv4,
        parseSave(nodeConvergedTo({ extraRules: [a, b] })),
      );
      assert.equal(diff.added.length, 1);
      assert.equal(diff.removed.length, 1);
      assert.deepEqual(diff.added[0].args, diff.removed[0].args);
    });

    it("WHEN the policy changes THEN the diff says from what to what", () => {
      const diff = diffRules(plan({ policy: "ACCEPT" }).ipv4, parseSave(nodeConvergedTo({})));
      assert.deepEqual(diff.policyChange, { from: "DROP", to: "ACCEPT" });
      assert.deepEqual(diff.lines, ["~ v4 INPUT policy DROP -> ACCEPT"]);
    });

    it("WHEN a rule was deleted by hand inside our chain THEN refresh shows it as drift to re-add", () => {
      const live = nodeConvergedTo({})
        .split("\n")
        .filter((line) => !line.includes("ngcp-fleet: rtp"))
        .join("\n");
      assert.deepEqual(diffRules(plan().ipv4, parseSave(live)).lines, [
        "+ v4 NGCP-FLEET-SUBSCRIBERS -p udp --dport 30000:40000 -j ACCEPT (rtp)",
      ]);
    });
  });

  describe("GIVEN a chain of ours from an earlier layout", () => {
    it("THEN its rules and the chain itself show as removed", () => {
      const live = nodeConvergedTo({}).replace(
        "COMMIT",
        ":NGCP-FLEET-OLD - [0:0]\n-A NGCP-FLEET-OLD -j ACCEPT\nCOMMIT",
      );
      const diff = diffRules(plan().ipv4, parseSave(live));
      assert.deepEqual(diff.chainsRemoved, ["NGCP-FLEET-OLD"]);
      assert.deepEqual(diff.lines, ["- v4 NGCP-FLEET-OLD -j ACCEPT", "- v4 chain NGCP-FLEET-OLD"]);
    });
  });

  describe("GIVEN a node never managed", () => {
    it("THEN every chain of ours shows as created, before its rules", () => {
      const diff = diffRules(plan().ipv4, parseSave(""));
      assert.deepEqual(diff.chainsAdded, [
        "NGCP-FLEET-INPUT",
        "NGCP-FLEET-EXTRA",
        "NGCP-FLEET-SUBSCRIBERS",
        "NGCP-FLEET-ADMIN",
      ]);
      assert.equal(diff.lines[0], "~ v4 INPUT policy ACCEPT -> DROP");
      assert.ok(
        diff.lines.indexOf("+ v4 chain NGCP-FLEET-ADMIN") <
          diff.lines.indexOf("+ v4 NGCP-FLEET-ADMIN -s 198.18.0.1/32 -p tcp --dport 22 -j ACCEPT (ssh)"),
      );
    });
  });
});
