import assert from "node:assert/strict";

import {
  firewallInputsWithDefaults,
  FirewallInputError,
  planFirewall,
  validateFirewall,
  type FirewallInputs,
  type PartialFirewallInputs,
} from "../../providers/firewall";

/** A valid base: the deployer 198.18.0.1 is the admin network. */
const BASE: PartialFirewallInputs = {
  adminSources: { ipv4: ["198.18.0.1/32"], ipv6: [] },
  deployerAddress: "198.18.0.1",
};

function inputs(overrides: PartialFirewallInputs): FirewallInputs {
  return firewallInputsWithDefaults({ ...BASE, ...overrides });
}

/** Bends a field into a value the types forbid, as untyped stack config could. */
function raw(overrides: Record<string, unknown>): FirewallInputs {
  return { ...inputs({}), ...overrides } as unknown as FirewallInputs;
}

describe("firewall validation (handbook 15.2: bad input fails preview, naming the key)", () => {
  describe("GIVEN valid inputs", () => {
    const valid: [string, FirewallInputs][] = [
      ["the defaults with one admin host", inputs({})],
      ["every service enabled", inputs({ services: { sipTls: true, xcap: true, xmpp: true } })],
      [
        "IPv6 admin networks and a bare address",
        inputs({ adminSources: { ipv4: ["198.18.0.0/24"], ipv6: ["2001:db8::/32", "2001:db8:1::1"] } }),
      ],
      ["the lab RTPENGINE variant", inputs({ rtpengine: { kind: "userChain", id: null } })],
      [
        "SSH open to subscribers, no admin networks",
        inputs({ restrictSsh: false, adminSources: { ipv4: [], ipv6: [] } }),
      ],
      [
        "no admin networks but lockout explicitly allowed",
        inputs({ adminSources: { ipv4: [], ipv6: [] }, allowLockout: true }),
      ],
      [
        "extra rules of every protocol",
        inputs({
          extraRules: [
            { name: "snmp", protocol: "udp", port: 161, sources: { ipv4: ["10.0.0.0/8"] }, action: "ACCEPT" },
            { name: "ping-flood", protocol: "icmp", sources: { ipv4: ["203.0.113.0/24"] }, action: "DROP" },
            { name: "v6-ping", protocol: "icmpv6", action: "ACCEPT" },
            { name: "bad-net", protocol: "all", sources: { ipv6: ["2001:db8:bad::/48"] }, action: "REJECT" },
            { name: "alt-sip", protocol: "tcp", port: { from: 5080, to: 5090 }, action: "DROP" },
          ],
        }),
      ],
      ["an RTP range moved by config.yml", inputs({ ports: { rtp: { from: 20000, to: 29999 } } })],
    ];
    for (const [name, candidate] of valid) {
      it(`THEN accepts ${name}`, () => {
        assert.deepEqual(validateFirewall(candidate), []);
      });
    }
  });

  describe("GIVEN invalid inputs WHEN validated THEN the failure names the key and what is allowed", () => {
    const cases: { name: string; given: FirewallInputs; property: string; reason: RegExp }[] = [
      {
        name: "invalid CIDR",
        given: inputs({ adminSources: { ipv4: ["198.18.0.300/32"], ipv6: [] } }),
        property: "adminSources.ipv4[0]",
        reason: /CIDR notation.*198\.18\.0\.300/,
      },
      {
        name: "garbage network",
        given: inputs({ subscriberSources: { ipv4: ["everyone"], ipv6: ["::/0"] } }),
        property: "subscriberSources.ipv4[0]",
        reason: /got: everyone/,
      },
      {
        name: "prefix too long",
        given: inputs({ adminSources: { ipv4: ["198.18.0.1/33"], ipv6: [] } }),
        property: "adminSources.ipv4[0]",
        reason: /0\.\.32/,
      },
      {
        name: "host bits set",
        given: inputs({ adminSources: { ipv4: ["198.18.0.1/24"], ipv6: [] } }),
        property: "adminSources.ipv4[0]",
        reason: /host bits.*198\.18\.0\.0\/24/,
      },
      {
        name: "a deprecated IPv4-compatible address",
        given: inputs({ adminSources: { ipv4: ["198.18.0.1"], ipv6: ["::198.18.0.1"] } }),
        property: "adminSources.ipv6[0]",
        reason: /::ffff:198\.18\.0\.1/,
      },
      {
        name: "IPv4 shorthand that inet_aton would accept",
        given: inputs({ adminSources: { ipv4: ["10.1"], ipv6: [] } }),
        property: "adminSources.ipv4[0]",
        reason: /CIDR/,
      },
      {
        name: "IPv6 network in an IPv4 list",
        given: inputs({ adminSources: { ipv4: ["198.18.0.1/32", "2001:db8::/32"], ipv6: [] } }),
        property: "adminSources.ipv4[1]",
        reason: /IPv6 network; put it in adminSources\.ipv6/,
      },
      {
        name: "IPv4 network in an IPv6 list",
        given: inputs({ subscriberSources: { ipv4: ["0.0.0.0/0"], ipv6: ["10.0.0.0/8"] } }),
        property: "subscriberSources.ipv6[0]",
        reason: /IPv4 network; put it in subscriberSources\.ipv4/,
      },
      {
        name: "duplicate network",
        given: inputs({ adminSources: { ipv4: ["198.18.0.1/32", "198.18.0.1"], ipv6: [] } }),
        property: "adminSources.ipv4[1]",
        reason: /duplicates adminSources\.ipv4\[0\]/,
      },
      {
        name: "port 0",
        given: inputs({ ports: { sip: 0 } }),
        property: "ports.sip",
        reason: /1\.\.65535, got: 0/,
      },
      {
        name: "port above 65535",
        given: inputs({ ports: { admin: 70000 } }),
        property: "ports.admin",
        reason: /1\.\.65535, got: 70000/,
      },
      {
        name: "fractional port",
        given: inputs({ ports: { csc: 443.5 } }),
        property: "ports.csc",
        reason: /integer port/,
      },
      {
        name: "RTP bound outside 1-65535",
        given: inputs({ ports: { rtp: { from: 30000, to: 65536 } } }),
        property: "ports.rtp.to",
        reason: /1\.\.65535/,
      },
      {
        name: "inverted RTP range",
        given: inputs({ ports: { rtp: { from: 40000, to: 30000 } } }),
        property: "ports.rtp",
        reason: /inverted range 40000-30000.*minport.*maxport/,
      },
      {
        name: "RTP range overlapping the admin port",
        given: inputs({ ports: { admin: 31443 } }),
        property: "ports.rtp",
        reason: /overlaps ports\.admin 31443\/tcp/,
      },
      {
        name: "RTP range overlapping SIP",
        given: inputs({ ports: { rtp: { from: 5000, to: 6000 } } }),
        property: "ports.rtp",
        reason: /overlaps ports\.sip 5060\/udp\+tcp/,
      },
      {
        name: "two services on one port",
        given: inputs({ ports: { provisioning: 1443 } }),
        property: "ports.provisioning",
        reason: /also ports\.admin/,
      },
      {
        name: "SIP-TLS on the SIP port when enabled",
        given: inputs({ services: { sipTls: true }, ports: { sipTls: 5060 } }),
        property: "ports.sipTls",
        reason: /also ports\.sip/,
      },
      {
        name: "unknown policy",
        given: raw({ policy: "REJECT" }),
        property: "policy",
        reason: /ACCEPT, DROP.*REJECT/,
      },
      {
        name: "non-boolean toggle",
        given: raw({ services: { sipTls: "yes", xcap: false, xmpp: false } }),
        property: "services.sipTls",
        reason: /true or false/,
      },
      {
        name: "RTPENGINE id too high",
        given: inputs({ rtpengine: { id: 64 } }),
        property: "rtpengine.id",
        reason: /0\.\.63/,
      },
      {
        name: "RTPENGINE user chain with an id",
        given: inputs({ rtpengine: { kind: "userChain", id: 0 } }),
        property: "rtpengine.id",
        reason: /null for kind userChain/,
      },
      {
        name: "unknown RTPENGINE kind",
        given: raw({ rtpengine: { kind: "module", id: 0, families: ["ipv4"] } }),
        property: "rtpengine.kind",
        reason: /target.*userChain/,
      },
      {
        name: "unknown RTPENGINE family",
        given: raw({ rtpengine: { kind: "target", id: 0, families: ["ipv5"] } }),
        property: "rtpengine.families",
        reason: /ipv4, ipv6/,
      },
      {
        name: "unknown protocol in an extra rule",
        given: raw({ extraRules: [{ name: "sctp-sig", protocol: "sctp", action: "ACCEPT" }] }),
        property: "extraRules[0].protocol",
        reason: /unknown protocol sctp; allowed: tcp, udp, icmp, icmpv6, all/,
      },
      {
        name: "unknown action",
        given: raw({ extraRules: [{ name: "x", protocol: "tcp", action: "LOG" }] }),
        property: "extraRules[0].action",
        reason: /ACCEPT, DROP, REJECT/,
      },
      {
        name: "port on icmp",
        given: inputs({ extraRules: [{ name: "x", protocol: "icmp", port: 8, action: "ACCEPT" }] }),
        property: "extraRules[0].port",
        reason: /needs protocol tcp or udp/,
      },
      {
        name: "extra port out of range",
        given: inputs({ extraRules: [{ name: "x", protocol: "tcp", port: 0, action: "ACCEPT" }] }),
        property: "extraRules[0].port",
        reason: /1\.\.65535/,
      },
      {
        name: "inverted extra range",
        given: inputs({
          extraRules: [{ name: "x", protocol: "udp", port: { from: 9, to: 1 }, action: "ACCEPT" }],
        }),
        property: "extraRules[0].port",
        reason: /inverted/,
      },
      {
        name: "bad extra name",
        given: inputs({ extraRules: [{ name: "Has Space", protocol: "tcp", action: "ACCEPT" }] }),
        property: "extraRules[0].name",
        reason: /lower-case/,
      },
      {
        name: "duplicate extra name",
        given: inputs({
          extraRules: [
            { name: "x", protocol: "tcp", port: 1, action: "ACCEPT" },
            { name: "x", protocol: "tcp", port: 2, action: "ACCEPT" },
          ],
        }),
        property: "extraRules[1].name",
        reason: /unique/,
      },
      {
        name: "IPv6 network in an extra rule's IPv4 list",
        given: inputs({
          extraRules: [
            { name: "x", protocol: "tcp", sources: { ipv4: ["2001:db8::/32"] }, action: "ACCEPT" },
          ],
        }),
        property: "extraRules[0].sources.ipv4[0]",
        reason: /put it in extraRules\[0\]\.sources\.ipv6/,
      },
      {
        name: "icmp with IPv6 sources",
        given: inputs({
          extraRules: [
            { name: "x", protocol: "icmp", sources: { ipv6: ["2001:db8::/32"] }, action: "ACCEPT" },
          ],
        }),
        property: "extraRules[0].sources.ipv6",
        reason: /IPv4 only/,
      },
      {
        name: "extra rule matching no source",
        given: inputs({ extraRules: [{ name: "x", protocol: "tcp", sources: {}, action: "ACCEPT" }] }),
        property: "extraRules[0].sources",
        reason: /matches no source/,
      },
      {
        name: "duplicate extra rules",
        given: inputs({
          extraRules: [
            { name: "a", protocol: "udp", port: 161, sources: { ipv4: ["10.0.0.0/8"] }, action: "ACCEPT" },
            { name: "b", protocol: "udp", port: 161, sources: { ipv4: ["10.0.0.0/8"] }, action: "ACCEPT" },
          ],
        }),
        property: "extraRules[1]",
        reason: /duplicates extraRules\[0\]: both ACCEPT udp port 161 from 10\.0\.0\.0\/8/,
      },
      {
        name: "conflicting extra rules",
        given: inputs({
          extraRules: [
            { name: "a", protocol: "tcp", port: 8080, action: "ACCEPT" },
            { name: "b", protocol: "tcp", port: 8080, action: "DROP" },
          ],
        }),
        property: "extraRules[1]",
        reason: /conflicts with extraRules\[0\]: ACCEPT and DROP/,
      },
      {
        name: "an extra rule repeating a service rule",
        given: inputs({ extraRules: [{ name: "web", protocol: "tcp", port: 443, action: "ACCEPT" }] }),
        property: "extraRules[0]",
        reason: /duplicates the csc rule/,
      },
      {
        name: "empty admin sources with SSH restricted and no override",
        given: firewallInputsWithDefaults({}),
        property: "adminSources",
        reason: /is empty while restrictSsh is true.*allowLockout/,
      },
      {
        name: "a ruleset closing SSH to the deployer",
        given: inputs({ adminSources: { ipv4: ["10.20.0.0/16"], ipv6: [] } }),
        property: "adminSources.ipv4",
        reason:
          /close SSH \(22\/tcp\) to the deployer's own address 198\.18\.0\.1.*\[10\.20\.0\.0\/16\].*"ssh closed".*DROP/,
      },
      {
        name: "an extra rule dropping the deployer's SSH",
        given: inputs({
          extraRules: [
            { name: "no-lab", protocol: "all", sources: { ipv4: ["198.18.0.0/24"] }, action: "DROP" },
          ],
        }),
        property: "extraRules[0]",
        reason: /close SSH.*198\.18\.0\.1.*no-lab/,
      },
      {
        name: "a deployer on IPv6 outside the IPv6 admin networks",
        given: inputs({ deployerAddress: "2001:db8:ffff::1" }),
        property: "adminSources.ipv6",
        reason: /2001:db8:ffff::1/,
      },
      {
        name: "an invalid deployer address",
        given: inputs({ deployerAddress: "198.18.0.0/24" }),
        property: "deployerAddress",
        reason: /one IPv4 or IPv6 address/,
      },
    ];
    for (const { name, given, property, reason } of cases) {
      it(`refuses ${name} (${property})`, () => {
        const failures = validateFirewall(given);
        const failure = failures.find((candidate) => candidate.property === property);
        assert.ok(failure, `expected a failure on ${property}, got: ${JSON.stringify(failures, null, 2)}`);
        assert.match(failure.reason, reason);
      });
    }
  });

  describe("GIVEN the lockout override", () => {
    it("WHEN allowLockout is set THEN a ruleset closing SSH to the deployer is accepted (the rollback protects the node)", () => {
      const given = inputs({ adminSources: { ipv4: ["10.20.0.0/16"], ipv6: [] }, allowLockout: true });
      assert.deepEqual(validateFirewall(given), []);
    });
    it("WHEN an extra rule opens SSH to a bastion THEN empty admin sources are not a lockout", () => {
      const given = firewallInputsWithDefaults({
        extraRules: [
          { name: "bastion", protocol: "tcp", port: 22, sources: { ipv4: ["192.0.2.10"] }, action: "ACCEPT" },
        ],
      });
      assert.deepEqual(validateFirewall(given), []);
    });
  });

  describe("GIVEN planFirewall", () => {
    it("WHEN the inputs are invalid THEN it throws every failure instead of planning", () => {
      const given = inputs({ ports: { sip: 0, admin: 70000 } });
      assert.throws(
        () => planFirewall(given),
        (error: unknown) =>
          error instanceof FirewallInputError &&
          error.failures.length === 2 &&
          /ports\.sip/.test(error.message) &&
          /ports\.admin/.test(error.message),
      );
    });
  });
});
