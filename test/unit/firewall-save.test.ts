import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import {
  diffFirewall,
  diffRules,
  findChain,
  findTable,
  formatArgs,
  inputPolicy,
  parseSave,
  planFirewall,
  renderRestore,
  SaveParseError,
  splitWords,
} from "../../providers/firewall";
import { FIXTURE_INPUTS } from "../fixtures/firewall/scenario";
import { fixturePath } from "../support/fixtures";

const FIXTURES = fixturePath("firewall");

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

/** The rule lines of a save that belong to chains not named NGCP-FLEET-*, as printed. */
function foreignRuleLines(save: string): string[] {
  return save
    .split("\n")
    .filter(
      (line) => line.startsWith("-A ") && !/^-A NGCP-FLEET-/.test(line) && !/-j NGCP-FLEET-/.test(line),
    );
}

describe("iptables-save text (parse and compare against what the kernel really prints)", () => {
  describe("GIVEN the words of a rule", () => {
    const cases: [string, string[]][] = [
      [
        '-A INPUT -m comment --comment "ngcp-fleet: ssh" -j ACCEPT',
        ["-A", "INPUT", "-m", "comment", "--comment", "ngcp-fleet: ssh", "-j", "ACCEPT"],
      ],
      [
        '-m comment --comment "a \\"quoted\\" \\\\ word" -j DROP',
        ["-m", "comment", "--comment", 'a "quoted" \\ word', "-j", "DROP"],
      ],
      ["-s 10.0.0.0/8   -j  ACCEPT", ["-s", "10.0.0.0/8", "-j", "ACCEPT"]],
      ['--comment ""', ["--comment", ""]],
    ];
    for (const [text, words] of cases) {
      it(`WHEN split THEN ${text} gives ${words.length} words`, () => {
        assert.deepEqual(splitWords(text), words);
      });
      it(`WHEN written back THEN ${text} splits to the same words`, () => {
        assert.deepEqual(splitWords(formatArgs(words)), words);
      });
    }
  });

  for (const backend of ["", ".legacy"]) {
    const name = backend === "" ? "nf_tables" : "legacy";
    describe(`GIVEN real ${name} iptables-save output of a rendered ruleset (fixtures applied${backend}.v4/v6.save)`, () => {
      const desired = planFirewall(FIXTURE_INPUTS);
      const applied = {
        ipv4: parseSave(fixture(`applied${backend}.v4.save`)),
        ipv6: parseSave(fixture(`applied${backend}.v6.save`)),
      };

      it("THEN the restore input that was applied is still exactly what the renderer produces (else re-run capture.sh)", () => {
        for (const [family, suffix] of [
          ["ipv4", "v4"],
          ["ipv6", "v6"],
        ] as const) {
          assert.equal(
            renderRestore(desired, family, fixture(`foreign${backend}.${suffix}.save`)),
            fixture(`restore${backend}.${suffix}.txt`),
          );
        }
      });

      it("WHEN compared with the plan THEN there is no difference in either family", () => {
        const diff = diffFirewall(desired, applied);
        assert.deepEqual(diff.lines, []);
        assert.equal(diff.changed, false);
      });

      it("WHEN parsed THEN chains keep their policies and rules their labels", () => {
        const filter = findTable(applied.ipv4, "filter");
        assert.equal(findChain(filter, "INPUT")?.policy, "DROP");
        assert.equal(findChain(filter, "NGCP-FLEET-ADMIN")?.policy, null);
        assert.deepEqual(
          findChain(filter, "INPUT")?.rules.map((rule) => rule.label),
          [null, "jump", null],
        );
      });

      it("THEN foreign chains and rules are byte-identical to before the apply", () => {
        assert.deepEqual(
          foreignRuleLines(fixture(`applied${backend}.v4.save`)),
          foreignRuleLines(fixture(`foreign${backend}.v4.save`)),
        );
        assert.deepEqual(
          foreignRuleLines(fixture(`applied${backend}.v6.save`)),
          foreignRuleLines(fixture(`foreign${backend}.v6.save`)),
        );
      });

      it("THEN the jump sits right after the RTPENGINE rule and before the foreign fail2ban jump", () => {
        const input = findChain(findTable(applied.ipv4, "filter"), "INPUT")?.rules.map((rule) =>
          rule.args.join(" "),
        );
        assert.deepEqual(input, [
          "-p udp -j RTPENGINE",
          "-m comment --comment ngcp-fleet: jump -j NGCP-FLEET-INPUT",
          "-p tcp -m multiport --dports 22 -m comment --comment fail2ban: sshd -j f2b-sshd",
        ]);
      });

      it("WHEN the node is read before the apply THEN the diff lists every rule to add, one line each", () => {
        const diff = diffRules(desired.ipv4, parseSave(fixture(`foreign${backend}.v4.save`)));
        assert.equal(diff.jumpMissing, true);
        assert.equal(diff.rtpengineMissing, false);
        assert.deepEqual(diff.policyChange, { from: "ACCEPT", to: "DROP" });
        assert.ok(
          diff.lines.includes("+ v4 NGCP-FLEET-ADMIN -s 198.18.0.1/32 -p tcp --dport 22 -j ACCEPT (ssh)"),
          diff.lines.join("\n"),
        );
        assert.ok(diff.lines.includes("+ v4 INPUT -j NGCP-FLEET-INPUT (jump)"));
        assert.equal(diff.added.length, desired.ipv4.chains.flatMap((chain) => chain.rules).length + 1);
        assert.deepEqual(diff.removed, []);
      });
    });
  }

  describe("GIVEN save output with counters (iptables-save -c) and CRLF line ends", () => {
    const text =
      "*filter\r\n:INPUT DROP [12:3456]\r\n:X - [0:0]\r\n[3:180] -A INPUT -p tcp -m tcp --dport 22 -j X\r\nCOMMIT\r\n";
    it("WHEN parsed THEN counters are dropped and the rule is read", () => {
      const live = parseSave(text);
      assert.equal(inputPolicy(live), "DROP");
      assert.deepEqual(findChain(findTable(live, "filter"), "INPUT")?.rules[0].args, [
        "-p",
        "tcp",
        "-m",
        "tcp",
        "--dport",
        "22",
        "-j",
        "X",
      ]);
    });
  });

  describe("GIVEN a node whose filter table was never loaded (iptables-save prints nothing)", () => {
    it("WHEN parsed THEN there are no tables and the INPUT policy is the kernel's ACCEPT", () => {
      const live = parseSave("");
      assert.deepEqual(live.tables, []);
      assert.equal(inputPolicy(live), "ACCEPT");
    });
  });

  describe("GIVEN unreadable save output WHEN parsed THEN it is refused, naming the line", () => {
    const cases: [string, string, RegExp][] = [
      ["a rule outside a table", "-A INPUT -j ACCEPT\n", /line 1: outside of a table/],
      ["a missing COMMIT", "*filter\n:INPUT ACCEPT [0:0]\n", /has no COMMIT/],
      [
        "a rule for an undeclared chain",
        "*filter\n:INPUT ACCEPT [0:0]\n-A NOPE -j ACCEPT\nCOMMIT\n",
        /line 3: rule for chain NOPE/,
      ],
      [
        "an unknown line",
        "*filter\n:INPUT ACCEPT [0:0]\nhello\nCOMMIT\n",
        /line 3: not an iptables-save line/,
      ],
      [
        "an unterminated quote",
        '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment "x -j ACCEPT\nCOMMIT\n',
        /line 3: unterminated/,
      ],
      [
        "a chain declared twice",
        "*filter\n:INPUT ACCEPT [0:0]\n:INPUT DROP [0:0]\nCOMMIT\n",
        /declared twice/,
      ],
    ];
    for (const [name, text, message] of cases) {
      it(`refuses ${name}`, () => {
        assert.throws(
          () => parseSave(text),
          (error: unknown) => error instanceof SaveParseError && message.test(error.message),
        );
      });
    }
  });
});
