import assert from "node:assert/strict";

import {
  CHAINS,
  DEFAULT_RTPENGINE_RULE,
  evaluateProbe,
  firewallInputsWithDefaults,
  LAB_RTPENGINE_RULE,
  planFirewall,
  type FamilyRuleset,
  type PartialFirewallInputs,
} from "../../providers/firewall";

const ADMIN: PartialFirewallInputs = { adminSources: { ipv4: ["198.18.0.1/32"], ipv6: ["2001:db8:1::/48"] } };

function plan(overrides: PartialFirewallInputs = {}) {
  return planFirewall(firewallInputsWithDefaults({ ...ADMIN, ...overrides }));
}

function chain(ruleset: FamilyRuleset, name: string) {
  const found = ruleset.chains.find((candidate) => candidate.name === name);
  assert.ok(found, `chain ${name} planned`);
  return found;
}

function lines(ruleset: FamilyRuleset, name: string): string[] {
  return chain(ruleset, name).rules.map((rule) => rule.args.join(" "));
}

describe("firewall planner (handbook 15.2, tables 8 and 9)", () => {
  describe("GIVEN the defaults and one admin host", () => {
    const desired = plan();

    it("THEN both families own the same four chains and one jump from INPUT to the main chain", () => {
      for (const ruleset of [desired.ipv4, desired.ipv6]) {
        assert.deepEqual(
          ruleset.chains.map((c) => c.name),
          ["NGCP-FLEET-INPUT", "NGCP-FLEET-EXTRA", "NGCP-FLEET-SUBSCRIBERS", "NGCP-FLEET-ADMIN"],
        );
        assert.equal(ruleset.jump.chain, "INPUT");
        assert.deepEqual(ruleset.jump.args, [
          "-m",
          "comment",
          "--comment",
          "ngcp-fleet: jump",
          "-j",
          "NGCP-FLEET-INPUT",
        ]);
      }
    });

    it("THEN the RTPENGINE rule is the handbook's -p udp -j RTPENGINE --id 0, in both families, with no comment", () => {
      assert.deepEqual(desired.ipv4.rtpengine?.args, ["-p", "udp", "-j", "RTPENGINE", "--id", "0"]);
      assert.deepEqual(desired.ipv6.rtpengine?.args, ["-p", "udp", "-j", "RTPENGINE", "--id", "0"]);
      assert.equal(desired.ipv4.rtpengineUserChain, false);
    });

    it("THEN the policy is DROP", () => {
      assert.equal(desired.ipv4.policy, "DROP");
      assert.equal(desired.ipv6.policy, "DROP");
    });

    it("THEN the main chain has loopback, established, ICMP essentials and the three service chains, in that order", () => {
      assert.deepEqual(lines(desired.ipv4, CHAINS.main), [
        "-i lo -m comment --comment ngcp-fleet: loopback -j ACCEPT",
        "-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ngcp-fleet: established -j ACCEPT",
        "-p icmp -m icmp --icmp-type 8 -m comment --comment ngcp-fleet: icmp echo-request -j ACCEPT",
        "-p icmp -m icmp --icmp-type 3 -m comment --comment ngcp-fleet: icmp destination-unreachable -j ACCEPT",
        "-p icmp -m icmp --icmp-type 11 -m comment --comment ngcp-fleet: icmp time-exceeded -j ACCEPT",
        "-m comment --comment ngcp-fleet: extra rules -j NGCP-FLEET-EXTRA",
        "-m comment --comment ngcp-fleet: subscribers -j NGCP-FLEET-SUBSCRIBERS",
        "-m comment --comment ngcp-fleet: admin -j NGCP-FLEET-ADMIN",
      ]);
    });

    it("THEN IPv6 also allows packet-too-big, parameter-problem and neighbour discovery", () => {
      const types = chain(desired.ipv6, CHAINS.main).rules.flatMap((rule) =>
        rule.match.icmpType === undefined ? [] : [rule.match.icmpType],
      );
      assert.deepEqual(types, [128, 1, 2, 3, 4, 133, 134, 135, 136]);
    });

    it("THEN subscriber services are open to everyone without a -s (iptables-save omits -s 0.0.0.0/0)", () => {
      assert.deepEqual(lines(desired.ipv4, CHAINS.subscribers), [
        "-p udp -m udp --dport 5060 -m comment --comment ngcp-fleet: sip -j ACCEPT",
        "-p tcp -m tcp --dport 5060 -m comment --comment ngcp-fleet: sip -j ACCEPT",
        "-p udp -m udp --dport 30000:40000 -m comment --comment ngcp-fleet: rtp -j ACCEPT",
        "-p tcp -m tcp --dport 443 -m comment --comment ngcp-fleet: csc -j ACCEPT",
      ]);
    });

    it("THEN admin services accept only the admin networks and are dropped for everyone else", () => {
      assert.deepEqual(lines(desired.ipv4, CHAINS.admin), [
        "-s 198.18.0.1/32 -p tcp -m tcp --dport 22 -m comment --comment ngcp-fleet: ssh -j ACCEPT",
        "-s 198.18.0.1/32 -p tcp -m tcp --dport 1443 -m comment --comment ngcp-fleet: admin -j ACCEPT",
        "-s 198.18.0.1/32 -p tcp -m tcp --dport 2443 -m comment --comment ngcp-fleet: provisioning -j ACCEPT",
        "-p tcp -m tcp --dport 22 -m comment --comment ngcp-fleet: ssh closed -j DROP",
        "-p tcp -m tcp --dport 1443 -m comment --comment ngcp-fleet: admin closed -j DROP",
        "-p tcp -m tcp --dport 2443 -m comment --comment ngcp-fleet: provisioning closed -j DROP",
      ]);
      assert.match(lines(desired.ipv6, CHAINS.admin)[0], /^-s 2001:db8:1::\/48 -p tcp/);
    });

    it("THEN every rule of ours carries an ngcp-fleet comment, so reads are exact", () => {
      for (const ruleset of [desired.ipv4, desired.ipv6]) {
        for (const rule of [...ruleset.chains.flatMap((c) => c.rules), ruleset.jump]) {
          assert.ok(
            rule.args.some((word) => word.startsWith("ngcp-fleet: ")),
            rule.args.join(" "),
          );
        }
      }
    });
  });

  describe("GIVEN optional services (table 8)", () => {
    const cases: { name: string; given: PartialFirewallInputs; labels: string[] }[] = [
      { name: "all off (fresh node)", given: {}, labels: ["sip", "sip", "rtp", "csc"] },
      {
        name: "SIP over TLS on (kamailio.lb.tls.enable)",
        given: { services: { sipTls: true } },
        labels: ["sip", "sip", "sip-tls", "rtp", "csc"],
      },
      {
        name: "presence on (kamailio.proxy.presence.enable)",
        given: { services: { xcap: true } },
        labels: ["sip", "sip", "rtp", "csc", "xcap"],
      },
      {
        name: "XMPP on",
        given: { services: { xmpp: true } },
        labels: ["sip", "sip", "rtp", "csc", "xmpp-client", "xmpp-server"],
      },
      {
        name: "SSH opened to subscribers",
        given: { restrictSsh: false },
        labels: ["sip", "sip", "rtp", "csc", "ssh"],
      },
    ];
    for (const { name, given, labels } of cases) {
      it(`WHEN ${name} THEN the subscriber chain has exactly: ${labels.join(", ")}`, () => {
        assert.deepEqual(
          chain(plan(given).ipv4, CHAINS.subscribers).rules.map((rule) => rule.label),
          labels,
        );
      });
    }
    it("WHEN SIP over TLS is on THEN 5061 is TCP only", () => {
      const tls = chain(plan({ services: { sipTls: true } }).ipv4, CHAINS.subscribers).rules.filter(
        (rule) => rule.label === "sip-tls",
      );
      assert.deepEqual(
        tls.map((rule) => rule.match.protocol),
        ["tcp"],
      );
    });
  });

  describe("GIVEN ports read from config.yml", () => {
    it("WHEN kamailio.lb.port, the RTP range and the admin port move THEN their rules move with them", () => {
      const desired = plan({ ports: { sip: 5070, rtp: { from: 20000, to: 20100 }, admin: 8443 } });
      const text = [...lines(desired.ipv4, CHAINS.subscribers), ...lines(desired.ipv4, CHAINS.admin)].join(
        "\n",
      );
      assert.match(text, /--dport 5070 .*sip/);
      assert.match(text, /--dport 20000:20100 .*rtp/);
      assert.match(text, /--dport 8443 .*admin -j ACCEPT/);
      assert.doesNotMatch(text, /--dport (5060|1443) /);
    });
    it("WHEN the RTP range is a single port THEN it is printed as one port, like iptables-save does", () => {
      assert.match(
        lines(plan({ ports: { rtp: { from: 30000, to: 30000 } } }).ipv4, CHAINS.subscribers).join("\n"),
        /--dport 30000 -m comment --comment ngcp-fleet: rtp/,
      );
    });
  });

  describe("GIVEN sources", () => {
    it("WHEN subscribers are restricted to networks THEN each service is opened per network, in both families", () => {
      const desired = plan({ subscriberSources: { ipv4: ["192.0.2.0/24", "198.51.100.0/24"], ipv6: [] } });
      const sip = chain(desired.ipv4, CHAINS.subscribers).rules.filter((rule) => rule.label === "sip");
      assert.deepEqual(
        sip.map((rule) => `${rule.match.protocol} ${rule.match.source}`),
        ["udp 192.0.2.0/24", "udp 198.51.100.0/24", "tcp 192.0.2.0/24", "tcp 198.51.100.0/24"],
      );
      assert.deepEqual(
        chain(desired.ipv6, CHAINS.subscribers).rules,
        [],
        "no IPv6 subscriber networks: no IPv6 subscriber rules",
      );
    });
    it("WHEN a bare address is given THEN it is planned as a host, printed with /32 or /128", () => {
      const desired = plan({ adminSources: { ipv4: ["198.18.0.1"], ipv6: ["2001:DB8:0:0:0:0:0:1"] } });
      assert.equal(chain(desired.ipv4, CHAINS.admin).rules[0].match.source, "198.18.0.1/32");
      assert.equal(chain(desired.ipv6, CHAINS.admin).rules[0].match.source, "2001:db8::1/128");
    });
  });

  describe("GIVEN extra rules", () => {
    const desired = plan({
      extraRules: [
        { name: "snmp", protocol: "udp", port: 161, sources: { ipv4: ["10.0.0.0/8"] }, action: "ACCEPT" },
        {
          name: "abuser",
          protocol: "all",
          sources: { ipv4: ["203.0.113.0/24"], ipv6: ["2001:db8:bad::/48"] },
          action: "REJECT",
        },
        { name: "ping6", protocol: "icmpv6", action: "ACCEPT" },
      ],
    });
    it("THEN they land in NGCP-FLEET-EXTRA in order, per family, REJECT spelled as iptables-save prints it", () => {
      assert.deepEqual(lines(desired.ipv4, CHAINS.extra), [
        "-s 10.0.0.0/8 -p udp -m udp --dport 161 -m comment --comment ngcp-fleet: extra snmp -j ACCEPT",
        "-s 203.0.113.0/24 -m comment --comment ngcp-fleet: extra abuser -j REJECT --reject-with icmp-port-unreachable",
      ]);
      assert.deepEqual(lines(desired.ipv6, CHAINS.extra), [
        "-s 2001:db8:bad::/48 -m comment --comment ngcp-fleet: extra abuser -j REJECT --reject-with icmp6-port-unreachable",
        "-p ipv6-icmp -m comment --comment ngcp-fleet: extra ping6 -j ACCEPT",
      ]);
    });
  });

  describe("GIVEN the RTPENGINE rule input", () => {
    it("WHEN the lab variant is chosen THEN the rule has no --id and the RTPENGINE user chain is ensured", () => {
      const desired = plan({ rtpengine: LAB_RTPENGINE_RULE });
      assert.deepEqual(desired.ipv4.rtpengine?.args, ["-p", "udp", "-j", "RTPENGINE"]);
      assert.equal(desired.ipv4.rtpengineUserChain, true);
    });
    it("WHEN it is kept only for IPv4 THEN IPv6 plans no RTPENGINE rule", () => {
      const desired = plan({ rtpengine: { ...DEFAULT_RTPENGINE_RULE, families: ["ipv4"] } });
      assert.notEqual(desired.ipv4.rtpengine, null);
      assert.equal(desired.ipv6.rtpengine, null);
    });
    it("WHEN another kernel table id is used THEN --id follows it", () => {
      assert.deepEqual(plan({ rtpengine: { id: 42 } }).ipv4.rtpengine?.args.slice(-2), ["--id", "42"]);
    });
  });

  describe("GIVEN a new connection WHEN it is followed through the plan (the lockout check)", () => {
    const desired = plan({
      extraRules: [
        { name: "abuser", protocol: "all", sources: { ipv4: ["203.0.113.0/24"] }, action: "DROP" },
      ],
    });
    const cases: {
      from: string;
      protocol: "tcp" | "udp";
      port: number;
      verdict: string;
      by: string | null;
    }[] = [
      { from: "198.18.0.1", protocol: "tcp", port: 22, verdict: "ACCEPT", by: "ssh" },
      { from: "198.18.0.99", protocol: "tcp", port: 22, verdict: "DROP", by: "ssh closed" },
      { from: "198.18.0.99", protocol: "udp", port: 5060, verdict: "ACCEPT", by: "sip" },
      { from: "198.18.0.99", protocol: "udp", port: 35000, verdict: "ACCEPT", by: "rtp" },
      { from: "198.18.0.99", protocol: "tcp", port: 3306, verdict: "DROP", by: null },
      { from: "203.0.113.9", protocol: "udp", port: 5060, verdict: "DROP", by: "extra abuser" },
    ];
    for (const { from, protocol, port, verdict, by } of cases) {
      it(`THEN ${protocol}/${port} from ${from} is ${verdict} by ${by ?? "the policy"}`, () => {
        const result = evaluateProbe(desired.ipv4, { source: from, protocol, port });
        assert.equal(result.verdict, verdict);
        assert.equal(result.decidedBy?.label ?? null, by);
      });
    }
  });
});
