import assert from "node:assert/strict";

import fc from "fast-check";

import {
  CHAIN_PREFIX,
  diffRules,
  findChain,
  findTable,
  firewallInputsWithDefaults,
  FAMILIES,
  parseSave,
  planFirewall,
  planInputFixups,
  renderRemoval,
  renderRestore,
  sameArgs,
  targetOf,
  validateFirewall,
  type ExtraRule,
  type Family,
  type FirewallInputs,
  type LiveRuleset,
} from "../../providers/firewall";
import { applyNoflushRestore, formatSave } from "../fixtures/firewall/restoreEmulator";

const V4 = ["0.0.0.0/0", "10.0.0.0/8", "198.18.0.0/24", "198.18.0.1/32", "192.0.2.0/24", "203.0.113.7"];
const V6 = ["::/0", "2001:db8::/32", "2001:db8:1::1", "fd00::/8", "::ffff:198.18.0.0/120"];
const port = fc.integer({ min: 1, max: 65535 });

const extraRule: fc.Arbitrary<Omit<ExtraRule, "name">> = fc.oneof(
  fc.record({
    protocol: fc.constantFrom("tcp" as const, "udp" as const),
    port: fc.option(
      fc.oneof(
        port,
        fc.tuple(port, port).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) })),
      ),
      { nil: undefined },
    ),
    sources: fc.option(fc.record({ ipv4: fc.subarray(V4, { minLength: 1 }), ipv6: fc.subarray(V6) }), {
      nil: undefined,
    }),
    action: fc.constantFrom("ACCEPT" as const, "DROP" as const, "REJECT" as const),
  }),
  fc.record({
    protocol: fc.constantFrom("icmp" as const, "all" as const),
    sources: fc.option(fc.record({ ipv4: fc.subarray(V4, { minLength: 1 }) }), { nil: undefined }),
    action: fc.constantFrom("ACCEPT" as const, "DROP" as const),
  }),
);

/** Valid firewall inputs: random sources, toggles, ports, extra rules and RTPENGINE variants. */
const validInputs: fc.Arbitrary<FirewallInputs> = fc
  .record({
    subscriberSources: fc.record({ ipv4: fc.subarray(V4), ipv6: fc.subarray(V6) }),
    adminSources: fc.record({ ipv4: fc.subarray(V4), ipv6: fc.subarray(V6) }),
    restrictSsh: fc.boolean(),
    services: fc.record({ sipTls: fc.boolean(), xcap: fc.boolean(), xmpp: fc.boolean() }),
    sip: fc.integer({ min: 5000, max: 5100 }),
    rtpFrom: fc.integer({ min: 10000, max: 40000 }),
    rtpLength: fc.integer({ min: 0, max: 20000 }),
    admin: fc.integer({ min: 1400, max: 1500 }),
    extraRules: fc.array(extraRule, { maxLength: 4 }),
    policy: fc.constantFrom("ACCEPT" as const, "DROP" as const),
    allowPing: fc.boolean(),
    lab: fc.boolean(),
    rtpFamilies: fc.subarray(["ipv4", "ipv6"] as Family[]),
    allowLockout: fc.boolean(),
    deployer: fc.option(fc.constantFrom("198.18.0.1", "2001:db8:1::1", "192.0.2.55"), { nil: undefined }),
  })
  .map((r) =>
    firewallInputsWithDefaults({
      subscriberSources: r.subscriberSources,
      adminSources: r.adminSources,
      restrictSsh: r.restrictSsh,
      services: r.services,
      ports: {
        sip: r.sip,
        rtp: { from: r.rtpFrom, to: Math.min(65535, r.rtpFrom + r.rtpLength) },
        admin: r.admin,
      },
      extraRules: r.extraRules.map((rule, index) => ({ ...rule, name: `rule-${index}` }) as ExtraRule),
      policy: r.policy,
      allowPing: r.allowPing,
      rtpengine: r.lab
        ? { kind: "userChain", id: null, families: r.rtpFamilies }
        : { kind: "target", id: 0, families: r.rtpFamilies },
      allowLockout: r.allowLockout,
      ...(r.deployer === undefined ? {} : { deployerAddress: r.deployer }),
    }),
  )
  .filter((inputs) => validateFirewall(inputs).length === 0);

/** What INPUT may hold before an apply: foreign rules, RTPENGINE, our jump (right or wrong), stale jumps. */
type InputItem = "foreign-f2b" | "foreign-accept" | "rtpengine" | "jump" | "jump-old-comment" | "jump-stale";
const liveState = fc.record({
  input: fc.array(
    fc.constantFrom<InputItem>(
      "foreign-f2b",
      "foreign-accept",
      "rtpengine",
      "jump",
      "jump-old-comment",
      "jump-stale",
    ),
    { maxLength: 7 },
  ),
  policy: fc.constantFrom("ACCEPT", "DROP"),
  ourChainWithGarbage: fc.boolean(),
  rtpengineChain: fc.boolean(),
  loaded: fc.boolean(),
});

function liveSave(state: LiveState, rtpengineArgs: readonly string[], lab: boolean): string {
  if (!state.loaded && state.input.length === 0) {
    return "";
  }
  const usesMain =
    state.input.some((item) => item === "jump" || item === "jump-old-comment") || state.ourChainWithGarbage;
  const usesStale = state.input.includes("jump-stale");
  const usesRtpChain = lab && (state.rtpengineChain || state.input.includes("rtpengine"));
  const lines = [
    "*filter",
    `:INPUT ${state.policy} [0:0]`,
    ":FORWARD ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ":f2b-sshd - [0:0]",
  ];
  if (usesMain) {
    lines.push(":NGCP-FLEET-INPUT - [0:0]");
  }
  if (usesStale) {
    lines.push(":NGCP-FLEET-OLD - [0:0]");
  }
  if (usesRtpChain) {
    lines.push(":RTPENGINE - [0:0]");
  }
  const words: Record<InputItem, string> = {
    "foreign-f2b": "-p tcp -m multiport --dports 22 -j f2b-sshd",
    "foreign-accept": "-s 192.0.2.1/32 -j ACCEPT",
    rtpengine: rtpengineArgs.join(" "),
    jump: '-m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
    "jump-old-comment": "-j NGCP-FLEET-INPUT",
    "jump-stale": "-j NGCP-FLEET-OLD",
  };
  lines.push(...state.input.map((item) => `-A INPUT ${words[item]}`));
  lines.push(
    "-A f2b-sshd -s 203.0.113.7/32 -j REJECT --reject-with icmp-port-unreachable",
    "-A f2b-sshd -j RETURN",
  );
  if (usesMain) {
    lines.push("-A NGCP-FLEET-INPUT -p tcp -m tcp --dport 9999 -j ACCEPT");
  }
  if (usesStale) {
    lines.push("-A NGCP-FLEET-OLD -j ACCEPT");
  }
  lines.push("COMMIT");
  return `${lines.join("\n")}\n`;
}
type LiveState = {
  input: InputItem[];
  policy: string;
  ourChainWithGarbage: boolean;
  rtpengineChain: boolean;
  loaded: boolean;
};

function filterOf(live: LiveRuleset) {
  return findTable(live, "filter");
}

describe("firewall properties (fast-check)", function () {
  // Hundreds of generated cases each: mocha's 2 s default is too tight on a loaded machine.
  this.timeout(60000);

  it("GIVEN any valid inputs WHEN planned THEN each family has exactly one jump from INPUT, to our main chain, and the RTPENGINE rule where it is kept", () => {
    fc.assert(
      fc.property(validInputs, (inputs) => {
        const desired = planFirewall(inputs);
        for (const family of FAMILIES) {
          const ruleset = desired[family];
          const inputRules = [ruleset.jump, ...(ruleset.rtpengine === null ? [] : [ruleset.rtpengine])];
          assert.equal(
            inputRules.filter((rule) => (targetOf(rule.args) ?? "").startsWith(CHAIN_PREFIX)).length,
            1,
          );
          assert.equal(targetOf(ruleset.jump.args), "NGCP-FLEET-INPUT");
          assert.equal(ruleset.rtpengine !== null, inputs.rtpengine.families.includes(family));
          if (ruleset.rtpengine !== null) {
            assert.deepEqual(ruleset.rtpengine.args, [
              "-p",
              "udp",
              "-j",
              "RTPENGINE",
              ...(inputs.rtpengine.id === null ? [] : ["--id", "0"]),
            ]);
          }
          // No rule of ours jumps back to INPUT or to the main chain: no loops, one way in.
          for (const chain of ruleset.chains) {
            for (const rule of chain.rules) {
              assert.notEqual(targetOf(rule.args), "INPUT");
              if (chain.name !== "NGCP-FLEET-INPUT" || rule.target.startsWith(CHAIN_PREFIX)) {
                assert.notEqual(rule.target, "NGCP-FLEET-INPUT");
              }
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("GIVEN any valid inputs and any live INPUT WHEN rendered, applied and read back THEN diff(desired, parse(render)) is empty and foreign rules are untouched", () => {
    fc.assert(
      fc.property(
        validInputs,
        liveState,
        fc.constantFrom<Family>("ipv4", "ipv6"),
        (inputs, state, family) => {
          const desired = planFirewall(inputs);
          const ruleset = desired[family];
          const rtpArgs = [
            "-p",
            "udp",
            "-j",
            "RTPENGINE",
            ...(inputs.rtpengine.id === null ? [] : ["--id", String(inputs.rtpengine.id)]),
          ];
          const before = liveSave(state, rtpArgs, inputs.rtpengine.kind === "userChain");
          const beforeParsed = parseSave(before);
          const after = parseSave(
            formatSave(
              applyNoflushRestore(beforeParsed, renderRestore(desired, family, before), ["RTPENGINE"]),
            ),
          );

          assert.deepEqual(diffRules(ruleset, after).lines, []);
          const afterInput = findChain(filterOf(after), "INPUT")?.rules ?? [];
          const jumps = afterInput.filter((rule) => (targetOf(rule.args) ?? "").startsWith(CHAIN_PREFIX));
          assert.equal(jumps.length, 1, "exactly one jump");
          if (ruleset.rtpengine !== null) {
            const rtp = afterInput.findIndex((rule) => sameArgs(rule.args, ruleset.rtpengine?.args ?? []));
            assert.ok(rtp >= 0, "RTPENGINE rule present");
            assert.ok(afterInput.indexOf(jumps[0]) > rtp, "jump after the RTPENGINE rule");
          }
          // Foreign rules of INPUT keep their order; foreign chains keep every rule.
          const foreign = (rules: readonly { args: readonly string[] }[]) =>
            rules
              .filter(
                (rule) =>
                  !(targetOf(rule.args) ?? "").startsWith(CHAIN_PREFIX) &&
                  targetOf(rule.args) !== "RTPENGINE",
              )
              .map((rule) => rule.args.join(" "));
          assert.deepEqual(
            foreign(afterInput),
            foreign(findChain(filterOf(beforeParsed), "INPUT")?.rules ?? []),
          );
          assert.deepEqual(
            findChain(filterOf(after), "f2b-sshd")?.rules.map((rule) => rule.args),
            findChain(filterOf(beforeParsed), "f2b-sshd")?.rules.map((rule) => rule.args),
          );
          // A second apply has nothing to do in INPUT.
          const again = planInputFixups(ruleset, after);
          assert.deepEqual(
            [again.deletes.length, again.insertRtpengine, again.insertJumpAt],
            [0, false, null],
          );
          // And taking it off again leaves every foreign chain and INPUT rule as it was after the apply.
          const removed = applyNoflushRestore(after, renderRemoval(formatSave(after), "ACCEPT"), [
            "RTPENGINE",
          ]);
          assert.equal(
            filterOf(removed)?.chains.some((chain) => chain.name.startsWith(CHAIN_PREFIX)),
            false,
          );
          assert.deepEqual(foreign(findChain(filterOf(removed), "INPUT")?.rules ?? []), foreign(afterInput));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("GIVEN any live ruleset WHEN printed and parsed again THEN nothing is lost", () => {
    fc.assert(
      fc.property(liveState, (state) => {
        const text = liveSave(state, ["-p", "udp", "-j", "RTPENGINE", "--id", "0"], false);
        assert.deepEqual(parseSave(formatSave(parseSave(text))), parseSave(text));
      }),
    );
  });
});
