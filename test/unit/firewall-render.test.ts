import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import {
  DEFAULT_RTPENGINE_RULE,
  diffRules,
  findChain,
  findTable,
  firewallInputsWithDefaults,
  LAB_RTPENGINE_RULE,
  parseSave,
  planFirewall,
  renderPersistence,
  renderRemoval,
  renderRestore,
  type LiveRuleset,
} from "../../providers/firewall";
import { applyNoflushRestore, formatSave } from "../fixtures/firewall/restoreEmulator";
import { FIXTURE_INPUTS } from "../fixtures/firewall/scenario";
import { fixturePath } from "../support/fixtures";

const FIXTURES = fixturePath("firewall");
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");

const desired = planFirewall(
  firewallInputsWithDefaults({ adminSources: { ipv4: ["198.18.0.1/32"], ipv6: [] } }),
);
const JUMP = '-A INPUT -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT';
const RTP = "-A INPUT -p udp -j RTPENGINE --id 0";

/** Restore-input lines that touch INPUT's rules. */
function inputCommands(restore: string): string[] {
  return restore.split("\n").filter((line) => /^-(D|I|A) INPUT /.test(line));
}

function applyAndRead(live: string, restore: string): LiveRuleset {
  return parseSave(formatSave(applyNoflushRestore(parseSave(live), restore, ["RTPENGINE"])));
}

function save(input: string[], extra = "", policy = "ACCEPT"): string {
  return `*filter\n:INPUT ${policy} [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:f2b-sshd - [0:0]\n${extra}${input.join("\n")}${input.length > 0 ? "\n" : ""}-A f2b-sshd -j RETURN\nCOMMIT\n`;
}

describe("firewall restore input (iptables-restore --noflush)", () => {
  describe("GIVEN a node nothing ever configured (empty iptables-save)", () => {
    const restore = renderRestore(desired, "ipv4", "");
    it("THEN the input is one filter-table transaction that sets the policy and declares only our chains", () => {
      const lines = restore.split("\n").filter((line) => line.length > 0 && !line.startsWith("#"));
      assert.equal(lines[0], "*filter");
      assert.equal(lines[1], ":INPUT DROP [0:0]");
      assert.equal(lines.at(-1), "COMMIT");
      assert.deepEqual(
        lines.filter((line) => line.startsWith(":")).map((line) => line.split(" ")[0]),
        [":INPUT", ":NGCP-FLEET-INPUT", ":NGCP-FLEET-EXTRA", ":NGCP-FLEET-SUBSCRIBERS", ":NGCP-FLEET-ADMIN"],
      );
    });
    it("THEN the RTPENGINE rule goes to the top of INPUT and our jump right after it", () => {
      assert.deepEqual(inputCommands(restore), [
        "-I INPUT 1 -p udp -j RTPENGINE --id 0",
        '-I INPUT 2 -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
      ]);
    });
    it("WHEN applied THEN the node matches the plan", () => {
      assert.deepEqual(diffRules(desired.ipv4, applyAndRead("", restore)).lines, []);
    });
  });

  describe("GIVEN INPUT states WHEN rendered THEN INPUT gets exactly the commands needed", () => {
    const cases: { name: string; input: string[]; extra?: string; commands: string[] }[] = [
      { name: "already right: RTPENGINE, then our jump", input: [RTP, JUMP], commands: [] },
      {
        name: "right, with a foreign rule between",
        input: [RTP, "-A INPUT -p tcp -j f2b-sshd", JUMP],
        commands: [],
      },
      {
        name: "flushed by a third party (iptables -F INPUT)",
        input: [],
        commands: [
          "-I INPUT 1 -p udp -j RTPENGINE --id 0",
          '-I INPUT 2 -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
        ],
      },
      {
        name: "RTPENGINE flushed, our jump kept",
        input: [JUMP],
        commands: ["-I INPUT 1 -p udp -j RTPENGINE --id 0"],
      },
      {
        name: "our jump duplicated",
        input: [RTP, JUMP, JUMP],
        commands: [
          '-D INPUT -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
          '-D INPUT -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
          '-I INPUT 2 -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
        ],
      },
      {
        name: "our jump before the RTPENGINE rule",
        input: ["-A INPUT -p tcp -j f2b-sshd", JUMP, RTP],
        commands: [
          '-D INPUT -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
          '-I INPUT 3 -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
        ],
      },
      {
        name: "a stale jump of an earlier layout",
        input: [RTP, "-A INPUT -j NGCP-FLEET-OLD"],
        extra: ":NGCP-FLEET-OLD - [0:0]\n-A NGCP-FLEET-OLD -j ACCEPT\n",
        commands: [
          "-D INPUT -j NGCP-FLEET-OLD",
          '-I INPUT 2 -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
        ],
      },
    ];
    for (const { name, input, extra, commands } of cases) {
      it(`${name}: ${commands.length === 0 ? "nothing in INPUT changes" : `${commands.length} command(s)`}`, () => {
        const live = save(input, extra);
        const restore = renderRestore(desired, "ipv4", live);
        assert.deepEqual(inputCommands(restore), commands);
        const after = applyAndRead(live, restore);
        assert.deepEqual(
          diffRules(desired.ipv4, after).lines,
          [],
          "the node matches the plan after the apply",
        );
        assert.deepEqual(
          findChain(findTable(after, "filter"), "f2b-sshd")?.rules.map((rule) => rule.args),
          [["-j", "RETURN"]],
          "foreign chain untouched",
        );
      });
    }
    it("a stale chain of ours is flushed and deleted, in the same transaction", () => {
      const restore = renderRestore(
        desired,
        "ipv4",
        save([RTP, JUMP], ":NGCP-FLEET-OLD - [0:0]\n-A NGCP-FLEET-OLD -j ACCEPT\n"),
      );
      assert.match(restore, /^:NGCP-FLEET-OLD - \[0:0\]$/m);
      assert.match(restore, /^-X NGCP-FLEET-OLD$/m);
    });
  });

  describe("GIVEN the lab's RTPENGINE user chain", () => {
    const lab = planFirewall(
      firewallInputsWithDefaults({
        adminSources: { ipv4: ["198.18.0.1/32"], ipv6: [] },
        rtpengine: LAB_RTPENGINE_RULE,
      }),
    );
    it("WHEN the chain is missing THEN it is created (once) and the rule added without --id", () => {
      const restore = renderRestore(lab, "ipv4", save([]));
      assert.match(restore, /^:RTPENGINE - \[0:0\]$/m);
      assert.deepEqual(inputCommands(restore)[0], "-I INPUT 1 -p udp -j RTPENGINE");
    });
    it("WHEN the chain exists THEN it is never declared, so never flushed", () => {
      const restore = renderRestore(lab, "ipv4", save([], ":RTPENGINE - [0:0]\n-A RTPENGINE -j RETURN\n"));
      assert.doesNotMatch(restore, /:RTPENGINE/);
    });
  });

  describe("GIVEN drift: a third party flushed INPUT (iptables -F INPUT)", () => {
    const applied = fixture("applied.v4.save");
    const flushed = applied
      .split("\n")
      .filter((line) => !line.startsWith("-A INPUT "))
      .join("\n");
    const lab = planFirewall(FIXTURE_INPUTS);
    it("WHEN read THEN the diff reports the RTPENGINE rule and our jump missing, and only them", () => {
      const diff = diffRules(lab.ipv4, parseSave(flushed));
      assert.equal(diff.rtpengineMissing, true);
      assert.equal(diff.jumpMissing, true);
      assert.deepEqual(diff.lines, [
        "+ v4 INPUT -p udp -j RTPENGINE (rtpengine)",
        "+ v4 INPUT -j NGCP-FLEET-INPUT (jump)",
      ]);
    });
    it("WHEN re-applied THEN both are back and the foreign fail2ban jump (also flushed) stays gone: not ours to restore", () => {
      const after = applyAndRead(flushed, renderRestore(lab, "ipv4", flushed));
      assert.deepEqual(diffRules(lab.ipv4, after).lines, []);
      assert.deepEqual(
        findChain(findTable(after, "filter"), "INPUT")?.rules.map((rule) => rule.args.join(" ")),
        ["-p udp -j RTPENGINE", "-m comment --comment ngcp-fleet: jump -j NGCP-FLEET-INPUT"],
      );
    });
  });

  describe("GIVEN the policy changes", () => {
    it("WHEN the node has ACCEPT and the plan DROP THEN the diff shows it and the restore sets it", () => {
      const live = save([RTP, JUMP]);
      assert.deepEqual(diffRules(desired.ipv4, parseSave(live)).policyChange, { from: "ACCEPT", to: "DROP" });
      assert.match(renderRestore(desired, "ipv4", live), /^:INPUT DROP \[0:0\]$/m);
    });
  });
});

describe("firewall removal (destroy)", () => {
  for (const backend of ["", ".legacy"]) {
    it(`GIVEN a managed node (${backend === "" ? "nf_tables" : "legacy"} fixture) WHEN removed THEN it returns to the ruleset it had before, foreign chains untouched`, () => {
      const before = parseSave(fixture(`foreign${backend}.v4.save`));
      const removal = renderRemoval(fixture(`applied${backend}.v4.save`), "ACCEPT");
      const after = applyNoflushRestore(parseSave(fixture(`applied${backend}.v4.save`)), removal);
      assert.deepEqual(
        after.tables,
        before.tables.map((table) => ({
          ...table,
          chains: table.chains.map((chain) => ({
            ...chain,
            rules: chain.rules.map((rule) => ({ ...rule, label: null })),
          })),
        })),
      );
    });
  }
  it("GIVEN a node where nothing of ours exists WHEN removed THEN only the original policy is set", () => {
    assert.deepEqual(
      renderRemoval(save([RTP]), "DROP")
        .split("\n")
        .filter((line) => line.length > 0 && !line.startsWith("#")),
      ["*filter", ":INPUT DROP [0:0]", "COMMIT"],
    );
  });
  it("GIVEN a managed node WHEN removed THEN the RTPENGINE rule stays: it is rtpengine's", () => {
    assert.doesNotMatch(renderRemoval(save([RTP, JUMP]), "ACCEPT"), /RTPENGINE/);
  });
});

describe("firewall persistence (/etc/iptables/rules.v4, rules.v6)", () => {
  const withCounters = `# Generated by iptables-save v1.8.9 on Mon Nov 23 12:00:00 2026\n*nat\n:PREROUTING ACCEPT [5:300]\n-A PREROUTING -p tcp -j REDIRECT --to-ports 8080\nCOMMIT\n*filter\n:INPUT DROP [100:2000]\n:NGCP-FLEET-INPUT - [7:70]\n[9:900] ${RTP}\n${JUMP}\n-A NGCP-FLEET-INPUT -i lo -j ACCEPT\nCOMMIT\n# Completed on Mon Nov 23 12:00:00 2026\n`;
  const text = renderPersistence(withCounters, DEFAULT_RTPENGINE_RULE);
  it("THEN timestamps and counters are gone, so the file is the same from one up to the next", () => {
    assert.doesNotMatch(text, /Generated by|Completed on|\[(?!0:0\])\d+:\d+\]/);
    assert.equal(
      renderPersistence(
        withCounters.replace(/12:00:00/g, "13:14:15").replace("[100:2000]", "[5:6]"),
        DEFAULT_RTPENGINE_RULE,
      ),
      text,
    );
  });
  it("THEN every table and rule line is kept as printed, except the RTPENGINE rule rtpengine installs itself", () => {
    assert.match(text, /^\*nat$/m);
    assert.match(text, /^-A PREROUTING -p tcp -j REDIRECT --to-ports 8080$/m);
    assert.ok(text.includes(JUMP));
    assert.doesNotMatch(text, /RTPENGINE --id 0/);
  });
  it("THEN the result is itself valid iptables-save text", () => {
    assert.doesNotThrow(() => parseSave(text));
  });
  it("WHEN the save is garbled THEN nothing is persisted", () => {
    assert.throws(
      () => renderPersistence("*filter\n:INPUT DROP [0:0]\n", DEFAULT_RTPENGINE_RULE),
      /no COMMIT/,
    );
  });
});
