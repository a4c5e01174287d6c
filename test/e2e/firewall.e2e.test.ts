/**
 * Handbook 15.2 through the real engine (Automation API) on lab node ngcp3 only (the lab is shared): the
 * `firewall` feature after the node's NgcpConfig, rule-level previews, drift after a third-party flush, a
 * port moved in config.yml, a forced lockout the node rolls back by itself, and destroy leaving foreign
 * rules alone. Real packets from the outsider namespace and from the deployer.
 */
import { strict as assert } from "node:assert";

import type { Stack } from "@pulumi/pulumi/automation";

import { openStack } from "../../engine/automation";
import { labStatus } from "../../lab";
import {
  DEPLOYER,
  NODE,
  foreignLines,
  nodeAddresses,
  openNode,
  resetNode,
  saveOf,
  setSipPortByHand,
  sipStatus,
  tcpOpen,
  udpEchoes,
} from "../provider/firewall.support";
import { disposeStack } from "../support/stacks";
import { ensureLab } from "../support/lab";
import { nodeShell } from "../support/labTargets";

/** The lab variant of the RTPENGINE rule (no kernel module in the lab) and a short rollback window. */
const LAB_FIREWALL = { rtpengine: { kind: "userChain" }, rollbackSeconds: 5 };

describe("e2e: firewall (handbook 15.2) on ngcp3 through the real engine", function () {
  this.timeout(600_000);
  const stackName = `e2e-firewall-${process.pid}`;
  let stack: Stack;
  let addresses: { ipv4: string; ipv6: string };

  async function configure(firewall: Record<string, unknown>): Promise<void> {
    const status = labStatus();
    const node = status.nodes.find((candidate) => candidate.name === NODE);
    assert.ok(node, `${NODE} must be up`);
    const config: Record<string, unknown> = {
      environment: "lab",
      ssh: { user: "root", privateKeyPath: status.deployerKey },
      nodes: [{ name: node.name, host: node.address, hostKey: node.hostKey }],
      adminSources: [`${DEPLOYER.ipv4}/32`, `${DEPLOYER.ipv6}/128`],
      firewall,
    };
    await stack.setAllConfig(
      Object.fromEntries(
        Object.entries(config).map(([key, value]) => [
          `ngcp-fleet:${key}`,
          { value: typeof value === "string" ? value : JSON.stringify(value) },
        ]),
      ),
    );
  }

  before(async () => {
    await ensureLab(3);
    addresses = nodeAddresses();
    resetNode();
    stack = await openStack(stackName, { passphrase: "e2e-only" });
  });

  after(async () => {
    // A failed step may have left the node closed: open it from the host side first, so destroy can reach it.
    if (addresses !== undefined && !(await tcpOpen("deployer", addresses.ipv4, 22))) {
      openNode();
    }
    await disposeStack(stack, stackName);
    openNode();
    resetNode();
    nodeShell(
      NODE,
      "for t in iptables ip6tables; do $t -F; $t -X; done; rm -rf /etc/iptables /var/lib/ngcp-fleet/firewall",
    );
  });

  it("refuses bad settings in preview, naming each key, with nothing touched on the node", async () => {
    const before = [saveOf("ipv4"), saveOf("ipv6")];
    await configure({
      ...LAB_FIREWALL,
      adminSources: { ipv4: ["198.18.0.300/32"], ipv6: ["198.18.0.0/24"] },
      ports: { ssh: 70000 },
      extraRules: [{ name: "snmp", protocol: "sctp", port: 161, action: "ACCEPT" }],
    });
    await assert.rejects(stack.preview({}), (error: Error) => {
      const message = error.message.replace(/\s+/g, " ");
      return [
        // The program's one validation pass: every key at once, before anything is registered.
        /ngcp-fleet:firewall\.adminSources\.ipv4\[0\]: must be a network/,
        /ngcp-fleet:firewall\.adminSources\.ipv6\[0\]: must be an IPv6 network.*put it in adminSources\.ipv4/,
        /ngcp-fleet:firewall\.ports\.ssh: must be an integer port 1\.\.65535, got: 70000/,
        /ngcp-fleet:firewall\.extraRules\[0\]\.protocol: must be one of "tcp", "udp", "icmp", "icmpv6", "all", got: "sctp"/,
      ].every((pattern) => pattern.test(message));
    });
    assert.deepEqual([saveOf("ipv4"), saveOf("ipv6")], before);
  });

  it("refuses in preview a ruleset that would close SSH to the deployer, unless allowLockout", async () => {
    const before = [saveOf("ipv4"), saveOf("ipv6")];
    await configure({ ...LAB_FIREWALL, adminSources: { ipv4: ["198.18.0.99/32"], ipv6: [] } });
    await assert.rejects(stack.preview({}), (error: Error) =>
      /property firewall\.adminSources\.ipv4 .*would close SSH \(22\/tcp\) to the deployer's own address 198\.18\.0\.1.*set allowLockout: true/.test(
        error.message.replace(/\s+/g, " "),
      ),
    );
    assert.deepEqual([saveOf("ipv4"), saveOf("ipv6")], before);
  });

  it("up: the firewall follows the node's NgcpConfig; SIP, RTP and 443 answer the outsider, 22/1443/2443 only the deployer", async () => {
    await configure(LAB_FIREWALL);
    const started = Date.now();
    const result = await stack.up({});
    console.log(
      `      first up (NodeFacts, NgcpConfig, Firewall): ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const summary = (result.outputs.nodes.value as Record<string, { firewall: { ruleCount: number } }>)[NODE];
    assert.equal(summary.firewall.ruleCount, 46);
    const { ipv4, ipv6 } = addresses;
    const seen = await Promise.all([
      sipStatus("outsider", "UDP", ipv4, 5060),
      sipStatus("outsider", "TCP", ipv6, 5060),
      udpEchoes("outsider", ipv4, 40000),
      tcpOpen("outsider", ipv4, 443),
      tcpOpen("outsider", ipv4, 22),
      tcpOpen("outsider", ipv6, 1443),
      tcpOpen("outsider", ipv4, 2443),
      tcpOpen("deployer", ipv4, 22),
      tcpOpen("deployer", ipv6, 2443),
    ]);
    assert.deepEqual(seen, ["SIP/2.0 200 OK", "SIP/2.0 200 OK", true, true, false, false, false, true, true]);
    assert.equal(
      foreignLines(saveOf("ipv4")).length,
      4,
      "the foreign chain, its rules and its jump survive up",
    );
  });

  it("a second up, refreshing first, changes nothing (no phantom diff from the refreshed rules)", async () => {
    await stack.up({ refresh: true, expectNoChanges: true });
  });

  it("preview lists, per node, the rules a settings change adds and removes, and the policy change", async () => {
    await configure({
      ...LAB_FIREWALL,
      policy: "ACCEPT",
      allowPing: false,
      extraRules: [
        {
          name: "node-exporter",
          protocol: "tcp",
          port: 9100,
          sources: { ipv4: [`${DEPLOYER.ipv4}/32`] },
          action: "ACCEPT",
        },
      ],
    });
    const preview = await stack.preview({ diff: true });
    const out = preview.stdout;
    assert.match(out, /ngcp-fleet:Firewall: \(update\)/);
    assert.match(
      out,
      /\+ v4 NGCP-FLEET-EXTRA -s 198\.18\.0\.1\/32 -p tcp --dport 9100 -j ACCEPT\s*: "extra node-exporter"/,
    );
    assert.match(out, /- v4 NGCP-FLEET-INPUT -p icmp --icmp-type 8 -j ACCEPT\s*: "icmp echo-request"/);
    assert.match(
      out,
      /- v6 NGCP-FLEET-INPUT -p ipv6-icmp --icmpv6-type 128 -j ACCEPT\s*: "icmpv6 echo-request"/,
    );
    assert.match(out, /~ v4 INPUT policy\s*: "DROP" => "ACCEPT"/);
    await stack.up({});
    assert.match(saveOf("ipv4"), /^:INPUT ACCEPT$/m);
    assert.equal(
      await tcpOpen("outsider", addresses.ipv4, 1443),
      false,
      "admin ports stay closed under policy ACCEPT",
    );
  });

  it("after a third-party `iptables -F INPUT` and a SIP port changed in config.yml by hand, refresh shows the drift, and up restores the RTPENGINE rule and the jump and moves the SIP rules", async () => {
    // Under policy DROP a bare flush cuts every connection, SSH included; the previous step set ACCEPT.
    assert.match(
      saveOf("ipv4"),
      /^:INPUT ACCEPT$/m,
      "GIVEN policy ACCEPT (else the flush would lock the node)",
    );
    // The third party flushes INPUT and installs a chain of its own.
    nodeShell(
      NODE,
      "iptables -F INPUT && ip6tables -F INPUT && iptables -N e2e-thirdparty && iptables -A e2e-thirdparty -s 198.18.0.250/32 -j DROP",
    );
    setSipPortByHand(5070);
    const refreshed = await stack.refresh({});
    // THEN the refresh recorded the drift in the Firewall's rules (NgcpConfig re-read the port silently: it
    // is an output of NgcpConfig, which the next up hands to the Firewall)
    assert.match(refreshed.stdout, /Firewall ngcp3-firewall updated[^\n]*\[diff: [^\]]*rules/);
    const started = Date.now();
    const result = await stack.up({ diff: true });
    console.log(`      up repairing the drift: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const out = result.stdout;
    assert.match(out, /\+ v4 INPUT -p udp -j RTPENGINE\s*: "rtpengine"/);
    assert.match(out, /\+ v6 INPUT -j NGCP-FLEET-INPUT\s*: "jump"/);
    assert.match(out, /\+ v4 NGCP-FLEET-SUBSCRIBERS -p udp --dport 5070 -j ACCEPT\s*: "sip"/);
    assert.match(out, /- v6 NGCP-FLEET-SUBSCRIBERS -p tcp --dport 5060 -j ACCEPT\s*: "sip"/);
    for (const family of ["ipv4", "ipv6"] as const) {
      const input = saveOf(family)
        .split("\n")
        .filter((line) => line.startsWith("-A INPUT "));
      assert.deepEqual(input, [
        "-A INPUT -p udp -j RTPENGINE",
        '-A INPUT -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
      ]);
    }
    const [v4, v6] = await Promise.all([
      sipStatus("outsider", "UDP", addresses.ipv4, 5070),
      sipStatus("outsider", "TCP", addresses.ipv6, 5070),
    ]);
    assert.deepEqual([v4, v6], ["SIP/2.0 200 OK", "SIP/2.0 200 OK"]);
    // The third party's own chain and the foreign tool's chain are left alone.
    const save = saveOf("ipv4");
    assert.match(save, /^:e2e-thirdparty -$/m);
    assert.match(save, /^-A e2e-thirdparty -s 198\.18\.0\.250\/32 -j DROP$/m);
    assert.equal(foreignLines(save).filter((line) => !line.startsWith("-A INPUT")).length, 3);
    nodeShell(NODE, "iptables -F e2e-thirdparty && iptables -X e2e-thirdparty");
  });

  it("a forced lockout (allowLockout, admin sources without the deployer) fails the up; the node rolls back by itself and SSH works again", async () => {
    const before = [saveOf("ipv4"), saveOf("ipv6")];
    await configure({
      ...LAB_FIREWALL,
      allowLockout: true,
      adminSources: { ipv4: ["198.18.0.99/32"], ipv6: [] },
    });
    const started = Date.now();
    await assert.rejects(stack.up({}), (error: Error) =>
      /the new ruleset cut the deployer \(198\.18\.0\.1\) off.*restored its previous ruleset by itself/s.test(
        error.message,
      ),
    );
    console.log(
      `      up with a lockout → failed, node rolled back: ${((Date.now() - started) / 1000).toFixed(1)} s (switch: 5 s)`,
    );
    assert.equal(nodeShell(NODE, "echo back").trim(), "back");
    assert.deepEqual([saveOf("ipv4"), saveOf("ipv6")], before);
  });

  it("destroy removes ngcp-fleet's chains and puts the original policy back; the foreign chain and its rules stay", async () => {
    await configure(LAB_FIREWALL);
    await stack.destroy({});
    for (const family of ["ipv4", "ipv6"] as const) {
      const save = saveOf(family);
      assert.doesNotMatch(save, /NGCP-FLEET/);
      assert.match(save, /^:INPUT ACCEPT$/m);
      assert.deepEqual(
        foreignLines(save).filter((line) => !line.startsWith("-A INPUT")),
        family === "ipv4"
          ? [
              ":f2b-test -",
              "-A f2b-test -s 203.0.113.7/32 -j REJECT --reject-with icmp-port-unreachable",
              "-A f2b-test -j RETURN",
            ]
          : [
              ":f2b-test -",
              "-A f2b-test -s 2001:db8::7/128 -j REJECT --reject-with icmp6-port-unreachable",
              "-A f2b-test -j RETURN",
            ],
        `${family}: the foreign chain and its rules, untouched`,
      );
    }
    assert.equal(await tcpOpen("outsider", addresses.ipv4, 1443), true);
  });
});
