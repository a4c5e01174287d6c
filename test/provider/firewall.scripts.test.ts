/**
 * The provider's pure pieces that the lab tests exercise only on their happy paths: the fixed node scripts
 * (syntax, no value in their text, output parsing), the rule map of the preview, and the conversion of
 * serialized transport errors. No node needed. (Kept beside the provider tests: this file set is the
 * firewall's.)
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";

import {
  firewallInputsWithDefaults,
  LAB_RTPENGINE_RULE,
  parseSave,
  planFirewall,
} from "../../providers/firewall";
import { countRules, liveRules, plannedRules, rulesOrder, sameRules } from "../../providers/firewall/lines";
import {
  APPLY_SCRIPT,
  CONFIRM_SCRIPT,
  READ_SCRIPT,
  applyCommand,
  applyPaths,
  confirmCommand,
  filterTable,
  parseRead,
} from "../../providers/firewall/nodeScripts";
import { asError } from "../../providers/firewall/provider";
import { FIREWALL_WATCH_KEYS, resolveFirewall } from "../../providers/firewall/settings";

const DESIRED = planFirewall(
  firewallInputsWithDefaults({
    adminSources: { ipv4: ["198.18.0.1/32"], ipv6: ["2001:2::1/128"] },
    rtpengine: LAB_RTPENGINE_RULE,
  }),
);

describe("firewall provider: node scripts, rule map, errors (pure)", () => {
  for (const [name, script] of [
    ["read", READ_SCRIPT],
    ["apply", APPLY_SCRIPT],
    ["confirm", CONFIRM_SCRIPT],
  ] as const) {
    it(`the ${name} script is valid POSIX sh (sh -n)`, () => {
      const result = spawnSync("sh", ["-n"], { input: script, encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
    });
  }

  it("GIVEN file contents with quotes, newlines and a line that could end a here-document WHEN building the apply command THEN no content is in argv, and stdin is one base64 line per file", () => {
    const tricky = "EOF\n'$(reboot)'\n\"; rm -rf /\n";
    const command = applyCommand(
      applyPaths("ngcp3-test-token"),
      {
        preV4: tricky,
        preV6: tricky,
        restoreV4: tricky,
        restoreV6: tricky,
        rollback: tricky,
        now: tricky,
        confirm: tricky,
      },
      { ipv4: "ACCEPT", ipv6: "DROP" },
    );
    assert.equal(command.argv[2], APPLY_SCRIPT, "the script text is the constant");
    assert.ok(command.argv.every((word) => !word.includes("reboot")));
    const lines = command.stdin.split("\n");
    assert.equal(lines.length, 8, "7 lines and the final newline");
    assert.equal(Buffer.from(lines[0], "base64").toString("utf8"), tricky);
    assert.equal(command.argv.at(-1), "ACCEPT DROP");
  });

  it("the confirm command without an apply skips the confirmation and removes nothing", () => {
    const command = confirmCommand(null, { mode: "restore" });
    assert.deepEqual(command.argv.slice(4), [
      "-",
      "restore",
      "/var/lib/ngcp-fleet/firewall/before",
      "-",
      "-",
      "/var/lib/ngcp-fleet/firewall",
    ]);
    assert.equal(command.stdin, "");
  });

  it("parses the read script's output: deployer, both saves, the pre-management record, boot files", () => {
    const save = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
    const boot = Buffer.from("*filter\n:INPUT DROP [0:0]\nCOMMIT\n").toString("base64");
    const read = parseRead(
      "ngcp3",
      `@@ssh 198.18.0.1 40686 198.18.0.13 22\n@@v4\n${save}@@v6\n${save}@@before\nDROP ACCEPT\n@@file rules.v4\n${boot}\n@@nofile rules.v6\n@@end\n`,
    );
    assert.equal(read.deployerAddress, "198.18.0.1");
    assert.equal(read.saves.ipv4, save);
    assert.deepEqual(read.before, { ipv4: "DROP", ipv6: "ACCEPT" });
    assert.match(read.bootFiles.ipv4 ?? "", /:INPUT DROP/);
    assert.equal(read.bootFiles.ipv6, null);
    assert.throws(() => parseRead("ngcp3", "@@ssh \n@@v4\n"), /node ngcp3: the firewall read ended early/);
  });

  it("takes the filter table out of a full save, and nothing when the table is not loaded", () => {
    const full =
      "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n";
    assert.equal(filterTable(full), "*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n");
    assert.equal(filterTable("*nat\nCOMMIT\n"), "");
  });

  it("the planned rule map equals the live map of a node that runs the plan, in the same order, and differs by exactly the flushed rules", () => {
    const planned = plannedRules(DESIRED, false);
    const applied = { ipv4: parseSave(savedPlan("ipv4")), ipv6: parseSave(savedPlan("ipv6")) };
    const live = liveRules(DESIRED, applied, null);
    assert.ok(sameRules(planned, live));
    assert.equal(rulesOrder(planned), rulesOrder(live));
    assert.equal(countRules(planned), 46);
    const flushed = { ipv4: parseSave(savedPlan("ipv4", false)), ipv6: applied.ipv6 };
    const drifted = liveRules(DESIRED, flushed, null);
    assert.deepEqual(
      Object.keys(planned).filter((key) => !(key in drifted)),
      ["v4 INPUT -p udp -j RTPENGINE", "v4 INPUT -j NGCP-FLEET-INPUT"],
    );
  });

  it("watches the port and switch keys of both editions", () => {
    for (const key of [
      "kamailio.lb.port",
      "rtpproxy.minport",
      "www_admin.http_csc.port",
      "www_csc.apache.port",
      "www_admin.apache.port",
      "kamailio.lb.tls.enable",
      "kamailio.proxy.presence.enable",
    ]) {
      assert.ok(FIREWALL_WATCH_KEYS.includes(key), key);
    }
  });

  it("GIVEN an older-edition config.yml (seed 000 keys) WHEN resolving THEN the ports come from www_csc.apache.port and www_admin.apache.port", () => {
    const result = resolveFirewall({
      settings: { rtpengine: { kind: "userChain" }, adminSources: { ipv4: ["198.18.0.1/32"] } },
      effective: {
        "www_csc.apache.port": 8443,
        "www_admin.apache.port": 1444,
        "www_admin.http_csc.port": null,
        "www_admin.http_admin.port": null,
        "nginx.xcap_port": null,
        "kamailio.lb.port": "5062",
        "rtpproxy.minport": 20000,
        "rtpproxy.maxport": 29999,
        "kamailio.lb.tls.enable": "yes",
      },
    });
    assert.deepEqual(result.failures, []);
    assert.equal(result.resolved?.edition, "older");
    assert.deepEqual(
      [
        result.resolved?.inputs.ports.csc,
        result.resolved?.inputs.ports.admin,
        result.resolved?.inputs.ports.sip,
      ],
      [8443, 1444, 5062],
    );
    assert.deepEqual(result.resolved?.inputs.ports.rtp, { from: 20000, to: 29999 });
    assert.equal(result.resolved?.inputs.services.sipTls, true);
    assert.equal(result.resolved?.portSources.csc, "config.yml www_csc.apache.port");
  });

  it("GIVEN the ports are unknown (config.yml applied in the same run) WHEN resolving THEN the settings are still validated", () => {
    const result = resolveFirewall({ settings: { adminSources: { ipv4: ["10.1.2.3/8"] } }, effective: null });
    assert.equal(result.failures[0]?.property, "firewall.adminSources.ipv4[0]");
  });

  it("GIVEN a transport error that lost its Error prototype in serialization WHEN converted THEN the message names node, command, exit code and stderr", () => {
    const serialized = {
      node: "ngcp3",
      command: "iptables-restore",
      exitCode: 2,
      stderr: "line 3 failed\n",
      stdout: "",
      name: "RemoteCommandError",
    };
    assert.equal(
      asError(serialized).message,
      "node ngcp3: RemoteCommandError: `iptables-restore` failed with exit code 2: line 3 failed",
    );
    assert.equal(
      asError({ node: "ngcp3", address: "root@198.18.0.13:22", name: "NodeUnreachableError" }).message,
      "node ngcp3: NodeUnreachableError: unreachable at root@198.18.0.13:22",
    );
    const real = new Error("kept");
    assert.equal(asError(real), real);
  });
});

/**
 * The save of a node running exactly DESIRED in one family, as iptables-save prints it (the kernel tests in
 * test/unit/firewall-kernel.test.ts prove the renderer produces this); `input: false` as after `iptables -F INPUT`.
 */
function savedPlan(family: "ipv4" | "ipv6", input = true): string {
  const ruleset = DESIRED[family];
  const quoted = (words: readonly string[]) =>
    words.map((word) => (/\s/.test(word) ? `"${word}"` : word)).join(" ");
  return [
    "*filter",
    ":INPUT DROP [0:0]",
    ":FORWARD ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ...ruleset.chains.map((chain) => `:${chain.name} - [0:0]`),
    ":RTPENGINE - [0:0]",
    ...(input
      ? [
          "-A INPUT -p udp -j RTPENGINE",
          '-A INPUT -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
        ]
      : []),
    ...ruleset.chains.flatMap((chain) => chain.rules.map((rule) => `-A ${chain.name} ${quoted(rule.args)}`)),
    "COMMIT",
    "",
  ].join("\n");
}
