import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { commandLine } from "../../providers/transport/quote";
import {
  handbookSequence,
  parseSupportState,
  planSupportAccess,
  renderReadScript,
  succeeded,
  type SupportState,
} from "../../providers/supportAccess/supportAccess";

const enabledOutput = [
  "package ngcp-support-access install ok installed",
  "package ngcp-support-noaccess not-installed",
  "tool /usr/sbin/ngcp-support-access",
  "sipwise-keys 2",
].join("\n");

const disabledOutput = [
  "package ngcp-support-access unknown ok not-installed",
  "package ngcp-support-noaccess install ok installed",
  "tool -",
  "sipwise-keys 1",
].join("\n");

describe("credentials/supportAccess: the handbook's commands (15.1)", () => {
  it("disables with `ngcp-support-access --disable` then installs ngcp-support-noaccess, unattended", () => {
    assert.deepEqual(
      handbookSequence(false).map((s) => commandLine(s.argv)),
      [
        "ngcp-support-access --disable",
        "env DEBIAN_FRONTEND=noninteractive apt-get install -y ngcp-support-noaccess",
      ],
    );
  });

  it("enables by installing ngcp-support-access then `ngcp-support-access --enable`", () => {
    assert.deepEqual(
      handbookSequence(true).map((s) => commandLine(s.argv)),
      [
        "env DEBIAN_FRONTEND=noninteractive apt-get install -y ngcp-support-access",
        "ngcp-support-access --enable",
      ],
    );
  });

  it("checks the success line only on the tool's own steps", () => {
    assert.deepEqual(
      handbookSequence(false).map((s) => s.expectSuccessLine ?? false),
      [true, false],
    );
  });
});

describe("credentials/supportAccess: success only on the tool's success line", () => {
  const cases: [string, string, boolean, boolean][] = [
    ["the exact disable line", "Support access successfully disabled.\n", false, true],
    ["the exact enable line", "Support access successfully enabled.\n", true, true],
    ["the line with the handbook's bullet", "  * Support access successfully disabled.\n", false, true],
    [
      "the line after other output and colour codes",
      "Removing key...\n\u001b[32mSupport access successfully disabled.\u001b[0m\n",
      false,
      true,
    ],
    ["the opposite state's line", "Support access successfully enabled.\n", false, false],
    ["an error", "Error: ngcp-support-access must be run as root.\n", false, false],
    ["silence", "", true, false],
    ["the words inside another sentence", "NOT Support access successfully enabled.\n", true, false],
    ["a truncated line", "Support access successfully disabled\n", false, false],
  ];
  for (const [what, output, enabled, expected] of cases) {
    it(`${expected ? "accepts" : "refuses"} ${what}`, () => {
      assert.equal(succeeded(output, enabled), expected);
    });
  }
});

describe("credentials/supportAccess: reading and planning the state", () => {
  it("reads enabled from dpkg's status of both packages and the tool", () => {
    const s = parseSupportState(enabledOutput);
    assert.equal(s.state, "enabled");
    assert.equal(s.toolPath, "/usr/sbin/ngcp-support-access");
    assert.equal(s.sipwiseKeys, 2);
  });

  it("reads disabled, counting a removed package (`deinstall ok config-files`) as not installed", () => {
    assert.equal(parseSupportState(disabledOutput).state, "disabled");
    const removed = disabledOutput.replace("unknown ok not-installed", "deinstall ok config-files");
    assert.equal(parseSupportState(removed).state, "disabled");
  });

  it("calls a package without its tool inconsistent", () => {
    assert.equal(
      parseSupportState(enabledOutput.replace("tool /usr/sbin/ngcp-support-access", "tool -")).state,
      "inconsistent",
    );
  });

  it("refuses output without the package records", () => {
    assert.throws(() => parseSupportState("tool -\n"), /no package record/);
  });

  it("runs the read script in a real sh and parses what it prints", () => {
    // GIVEN this machine (no NGCP) WHEN the script runs THEN both packages read as not installed
    const s = parseSupportState(execFileSync("sh", ["-s"], { input: renderReadScript() }).toString());
    assert.equal(s.access.installed, false);
    assert.equal(s.noaccess.installed, false);
  });

  const planCases: [string, boolean, SupportState, string[]][] = [
    ["nothing when already disabled", false, parseSupportState(disabledOutput), []],
    ["nothing when already enabled", true, parseSupportState(enabledOutput), []],
    [
      "the handbook's disable sequence from enabled",
      false,
      parseSupportState(enabledOutput),
      ["ngcp-support-access --disable", "apt-get install ngcp-support-noaccess"],
    ],
    [
      "the handbook's enable sequence from disabled",
      true,
      parseSupportState(disabledOutput),
      ["apt-get install ngcp-support-access", "ngcp-support-access --enable"],
    ],
    [
      "only the package swap when the tool is already gone",
      false,
      parseSupportState(enabledOutput.replace("tool /usr/sbin/ngcp-support-access", "tool -")),
      ["apt-get install ngcp-support-noaccess"],
    ],
  ];
  for (const [what, enabled, live, steps] of planCases) {
    it(`plans ${what}`, () => {
      assert.deepEqual(
        planSupportAccess({ enabled }, live).steps.map((s) => s.description),
        steps,
      );
    });
  }

  it("warns when support is enabled but user sipwise has no key", () => {
    const live = parseSupportState(enabledOutput.replace("sipwise-keys 2", "sipwise-keys 0"));
    assert.ok(planSupportAccess({ enabled: true }, live).warnings.some((w) => /no authorized key/.test(w)));
  });
});
