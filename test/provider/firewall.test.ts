/**
 * The Firewall provider's methods against a lab node over real SSH, proven with real packets from the
 * outsider namespace and from the deployer. Uses only ngcp3 (the lab is shared).
 */
import { strict as assert } from "node:assert";

import {
  firewallProvider,
  type FirewallOutputs,
  type FirewallResourceInputs,
} from "../../providers/firewall/provider";
import {
  FIREWALL_WATCH_KEYS,
  type ConfigScalar,
  type FirewallSettings,
} from "../../providers/firewall/settings";
import { closeAll } from "../../providers/transport";
import type { NodeTarget } from "../../providers/transport/target";
import { ensureLab } from "../support/lab";
import { labTarget, nodeShell } from "../support/labTargets";
import {
  DEPLOYER,
  NODE,
  commandsSince,
  foreignLines,
  nodeAddresses,
  nodeNow,
  openNode,
  resetNode,
  saveOf,
  setSipPortByHand,
  sipStatus,
  tcpOpen,
  udpEchoes,
} from "./firewall.support";

/** The lab variant of the RTPENGINE rule: the kernel's xt_RTPENGINE cannot load in the lab. */
const LAB: FirewallSettings = {
  rtpengine: { kind: "userChain" },
  rollbackSeconds: 5,
  adminSources: { ipv4: [`${DEPLOYER.ipv4}/32`], ipv6: [`${DEPLOYER.ipv6}/128`] },
};

/** The node's config.yml values of the firewall's keys, read with the node's own python3 (not our code). */
function effectiveOnNode(): Record<string, ConfigScalar> {
  const script = [
    "import json, sys, yaml",
    "doc = yaml.safe_load(open('/etc/ngcp-config/config.yml'))",
    "out = {}",
    "for key in sys.argv[1:]:",
    "    value = doc",
    "    for part in key.split('.'):",
    "        value = value.get(part) if isinstance(value, dict) else None",
    "    out[key] = value",
    "print(json.dumps(out))",
  ].join("\n");
  return JSON.parse(
    nodeShell(
      NODE,
      `python3 -c "$(printf '%s' '${Buffer.from(script).toString("base64")}' | base64 -d)" ${FIREWALL_WATCH_KEYS.join(" ")}`,
    ),
  ) as Record<string, ConfigScalar>;
}

describe("Firewall provider on lab node ngcp3 (real SSH, real packets)", function () {
  this.timeout(180_000);
  let target: NodeTarget;
  let state: FirewallOutputs | undefined;
  let addresses: { ipv4: string; ipv6: string };

  /** The node's config values as NgcpConfig would publish them; re-read with `effectiveOnNode()` after a change. */
  let effective: Record<string, ConfigScalar> = {};

  function request(firewall: FirewallSettings, values = effective): FirewallResourceInputs {
    return { target, firewall, effective: values };
  }

  async function checked(inputs: FirewallResourceInputs): Promise<FirewallResourceInputs> {
    const result = await firewallProvider.check!({} as FirewallResourceInputs, inputs);
    assert.deepEqual(result.failures, [], "check must pass");
    return result.inputs as FirewallResourceInputs;
  }

  before(async () => {
    await ensureLab(3);
    await closeAll();
    target = labTarget(NODE);
    addresses = nodeAddresses();
    resetNode();
    effective = effectiveOnNode();
  });

  after(async () => {
    if (state !== undefined) {
      await firewallProvider.delete!(`${NODE}:firewall`, state).catch(() => undefined);
    }
    await closeAll();
    openNode();
    nodeShell(NODE, "rm -rf /etc/iptables /var/lib/ngcp-fleet/firewall /run/ngcp-fleet/firewall");
  });

  describe("GIVEN inputs a firewall must not apply", () => {
    const base = (): Record<string, ConfigScalar> => effective;
    const cases: [string, () => FirewallResourceInputs, string, RegExp][] = [
      [
        "an invalid CIDR",
        () => request({ ...LAB, adminSources: { ipv4: ["198.18.0.300/32"] } }),
        "firewall.adminSources.ipv4[0]",
        /must be a network/,
      ],
      [
        "an IPv6 network in an IPv4 list",
        () => request({ ...LAB, adminSources: { ipv4: ["2001:2::1/128"] } }),
        "firewall.adminSources.ipv4[0]",
        /put it in adminSources\.ipv6/,
      ],
      [
        "an IPv4 network in an IPv6 list",
        () => request({ ...LAB, subscriberSources: { ipv6: ["198.18.0.0/24"] } }),
        "firewall.subscriberSources.ipv6[0]",
        /put it in subscriberSources\.ipv4/,
      ],
      [
        "host bits below the prefix",
        () => request({ ...LAB, adminSources: { ipv4: ["198.18.0.1/24"] } }),
        "firewall.adminSources.ipv4[0]",
        /host bits set/,
      ],
      [
        "a port outside 1-65535",
        () => request({ ...LAB, ports: { ssh: 70000 } }),
        "firewall.ports.ssh",
        /1\.\.65535, got: 70000/,
      ],
      [
        "an inverted RTP range in config.yml",
        () => request(LAB, { ...base(), "rtpproxy.minport": 40000, "rtpproxy.maxport": 30000 }),
        "firewall.ports.rtp",
        /inverted range 40000-30000.*config\.yml rtpproxy\.minport/s,
      ],
      [
        "an RTP range overlapping the SIP port",
        () => request(LAB, { ...base(), "kamailio.lb.port": 35000 }),
        "firewall.ports.rtp",
        /overlaps ports\.sip 35000/,
      ],
      [
        "an unknown protocol",
        () => request({ ...LAB, extraRules: [{ name: "x", protocol: "sctp" as never, action: "ACCEPT" }] }),
        "firewall.extraRules[0].protocol",
        /must be one of "tcp", "udp", "icmp", "icmpv6", "all", got: "sctp"/,
      ],
      [
        "duplicate extra rules",
        () =>
          request({
            ...LAB,
            extraRules: [
              { name: "a", protocol: "tcp", port: 8080, action: "ACCEPT" },
              { name: "b", protocol: "tcp", port: 8080, action: "ACCEPT" },
            ],
          }),
        "firewall.extraRules[1]",
        /duplicates extraRules\[0\]/,
      ],
      [
        "conflicting extra rules",
        () =>
          request({
            ...LAB,
            extraRules: [
              { name: "a", protocol: "udp", port: 161, action: "ACCEPT" },
              { name: "b", protocol: "udp", port: 161, action: "DROP" },
            ],
          }),
        "firewall.extraRules[1]",
        /conflicts with extraRules\[0\]/,
      ],
      [
        "no admin sources while SSH is restricted",
        () => request({ ...LAB, adminSources: { ipv4: [], ipv6: [] } }),
        "firewall.adminSources",
        /SSH \(22\/tcp\) would be closed to everyone/,
      ],
      [
        "admin sources that exclude the deployer",
        () => request({ ...LAB, adminSources: { ipv4: ["198.18.0.99/32"], ipv6: [] } }),
        "firewall.adminSources.ipv4",
        /deployer's own address 198\.18\.0\.1/,
      ],
      [
        "an unknown setting",
        () => request({ ...LAB, adminNetworks: [] } as FirewallSettings),
        "firewall.adminNetworks",
        /is not a firewall setting \(a typo\?\)/,
      ],
      [
        "a switch that follows config.yml",
        () => request({ ...LAB, services: { sipTls: true } as never }),
        "firewall.services.sipTls",
        /follows config\.yml kamailio\.lb\.tls\.enable/,
      ],
      [
        "a rollback window below 5 s",
        () => request({ ...LAB, rollbackSeconds: 2 }),
        "firewall.rollbackSeconds",
        /5\.\.3600/,
      ],
      [
        "an RTPENGINE id the kernel refuses",
        () => request({ ...LAB, rtpengine: { kind: "target", id: 64 } }),
        "firewall.rtpengine.id",
        /0\.\.63/,
      ],
    ];
    let untouched: string[] = [];
    let mark = 0;
    before(() => {
      effective = effectiveOnNode();
      untouched = [saveOf("ipv4"), saveOf("ipv6")];
      mark = nodeNow();
    });
    for (const [what, inputs, property, reason] of cases) {
      it(`WHEN check gets ${what} THEN it fails naming ${property}`, async () => {
        const result = await firewallProvider.check!({} as FirewallResourceInputs, inputs());
        const failure = (result.failures ?? []).find((candidate) => candidate.property === property);
        assert.ok(failure, `expected a failure on ${property}, got: ${JSON.stringify(result.failures)}`);
        assert.match(failure.reason, reason);
      });
    }
    it("THEN none of them changed the node: rules identical, and at most one command ran (the deployer's address, read once)", () => {
      const commands = commandsSince(mark).map((record) => record.command);
      assert.deepEqual([saveOf("ipv4"), saveOf("ipv6")], untouched);
      assert.ok(commands.length <= 1, JSON.stringify(commands));
      assert.ok(
        commands.every((command) => command === "sh -s"),
        JSON.stringify(commands),
      );
    });
  });

  it("GIVEN the handbook's kernel RTPENGINE target, which the lab cannot load WHEN create THEN the dry run refuses it and nothing changes", async () => {
    const before = [saveOf("ipv4"), saveOf("ipv6")];
    const inputs = await checked(request({ ...LAB, rtpengine: { kind: "target", id: 0 } }));
    await assert.rejects(firewallProvider.create!(inputs), (error: Error) =>
      /^node ngcp3: could not apply the firewall; nothing was changed: iptables-restore --test refused the IPv4 ruleset/.test(
        error.message,
      ),
    );
    assert.deepEqual([saveOf("ipv4"), saveOf("ipv6")], before);
    assert.equal(
      nodeShell(NODE, "ls -A /var/lib/ngcp-fleet/firewall 2>/dev/null | wc -l").trim(),
      "0",
      "no file left",
    );
  });

  it("GIVEN the open node WHEN create THEN table 8 is open to the outsider and table 9 only to the deployer, in IPv4 and IPv6", async () => {
    // GIVEN the admin port answers the outsider before (so "closed" later is the firewall's doing)
    assert.equal(
      await tcpOpen("outsider", addresses.ipv4, 1443),
      true,
      "admin port reachable before the firewall",
    );
    const inputs = await checked(request(LAB));
    const mark = nodeNow();
    const started = Date.now();
    const created = await firewallProvider.create!(inputs);
    const elapsed = Date.now() - started;
    state = created.outs as FirewallOutputs;
    const commands = commandsSince(mark).map((record) => record.command.slice(0, 40).replace(/\n.*/s, "…"));
    console.log(
      `      apply: ${elapsed} ms, ${commands.length} SSH commands on the node (${state.lastApply?.newConnections} new connection), confirmed after ${state.lastApply?.confirmedAfterMs} ms, ${state.ruleCount} rules`,
    );
    assert.equal(commands.length, 3, `read, apply, confirm: ${JSON.stringify(commands)}`);
    assert.equal(created.id, `${NODE}:firewall`);

    const { ipv4, ipv6 } = addresses;
    const checks = {
      "v4 SIP/UDP": sipStatus("outsider", "UDP", ipv4, 5060),
      "v4 SIP/TCP": sipStatus("outsider", "TCP", ipv4, 5060),
      "v4 RTP 30000": udpEchoes("outsider", ipv4, 30000),
      "v4 RTP 40000": udpEchoes("outsider", ipv4, 40000),
      "v4 443": tcpOpen("outsider", ipv4, 443),
      "v4 22": tcpOpen("outsider", ipv4, 22),
      "v4 1443": tcpOpen("outsider", ipv4, 1443),
      "v4 2443": tcpOpen("outsider", ipv4, 2443),
      "v6 SIP/UDP": sipStatus("outsider", "UDP", ipv6, 5060),
      "v6 SIP/TCP": sipStatus("outsider", "TCP", ipv6, 5060),
      "v6 RTP 30000": udpEchoes("outsider", ipv6, 30000),
      "v6 443": tcpOpen("outsider", ipv6, 443),
      "v6 22": tcpOpen("outsider", ipv6, 22),
      "v6 1443": tcpOpen("outsider", ipv6, 1443),
      "v6 2443": tcpOpen("outsider", ipv6, 2443),
      "deployer v4 22": tcpOpen("deployer", ipv4, 22),
      "deployer v4 1443": tcpOpen("deployer", ipv4, 1443),
      "deployer v4 2443": tcpOpen("deployer", ipv4, 2443),
      "deployer v6 22": tcpOpen("deployer", ipv6, 22),
      "deployer v6 1443": tcpOpen("deployer", ipv6, 1443),
      "deployer v6 2443": tcpOpen("deployer", ipv6, 2443),
    };
    const seen = Object.fromEntries(
      await Promise.all(
        Object.entries(checks).map(async ([name, pending]) => [name, await pending] as const),
      ),
    );
    assert.deepEqual(seen, {
      "v4 SIP/UDP": "SIP/2.0 200 OK",
      "v4 SIP/TCP": "SIP/2.0 200 OK",
      "v4 RTP 30000": true,
      "v4 RTP 40000": true,
      "v4 443": true,
      "v4 22": false,
      "v4 1443": false,
      "v4 2443": false,
      "v6 SIP/UDP": "SIP/2.0 200 OK",
      "v6 SIP/TCP": "SIP/2.0 200 OK",
      "v6 RTP 30000": true,
      "v6 443": true,
      "v6 22": false,
      "v6 1443": false,
      "v6 2443": false,
      "deployer v4 22": true,
      "deployer v4 1443": true,
      "deployer v4 2443": true,
      "deployer v6 22": true,
      "deployer v6 1443": true,
      "deployer v6 2443": true,
    });
  });

  it("THEN IPv6 mirrors IPv4 rule for rule, the foreign chain is untouched, and the boot files hold the ruleset without the RTPENGINE rule", () => {
    assert.ok(state);
    const strip = (key: string) =>
      key
        .replace(/^v[46] /, "")
        .replace(/ -s \S+/, "")
        .replace(/icmpv6-type|icmp-type/, "type");
    const v4 = Object.keys(state.rules)
      .filter((key) => key.startsWith("v4 ") && !/icmp/.test(key))
      .map(strip);
    const v6 = Object.keys(state.rules)
      .filter((key) => key.startsWith("v6 ") && !/icmp/.test(key))
      .map(strip);
    assert.deepEqual(
      v6.map((key) => key.replace("rules.v6", "rules.v4")),
      v4,
    );
    for (const family of ["ipv4", "ipv6"] as const) {
      const save = saveOf(family);
      assert.equal(foreignLines(save).length, 4, `${family}: f2b-test chain, its 2 rules and its jump`);
      assert.match(save, /^-A INPUT -p udp -j RTPENGINE$/m);
      const boot = nodeShell(NODE, `cat /etc/iptables/rules.${family === "ipv4" ? "v4" : "v6"}`);
      assert.match(boot, /^:INPUT DROP \[0:0\]$/m);
      assert.match(boot, /-A INPUT -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT/);
      assert.doesNotMatch(boot, /-j RTPENGINE/);
    }
  });

  it("WHEN read and converge again with nothing changed THEN no drift, no diff, and only the read runs", async () => {
    assert.ok(state);
    const refreshed = await firewallProvider.read!(`${NODE}:firewall`, state);
    const props = refreshed.props as FirewallOutputs;
    assert.equal(
      props.drift.ipv4.rtpengineMissing || props.drift.ipv4.jumpMissing || props.drift.bootFiles,
      false,
    );
    const again = await checked(request(LAB));
    assert.equal((await firewallProvider.diff!(`${NODE}:firewall`, props, again)).changes, false);
    const mark = nodeNow();
    const updated = await firewallProvider.update!(`${NODE}:firewall`, props, again);
    assert.equal(commandsSince(mark).length, 1, "one read, nothing applied");
    assert.equal((updated.outs as FirewallOutputs).lastApply?.changed, false);
  });

  it("GIVEN a third-party firewall ran `iptables -F INPUT` and added its own SSH rule WHEN read THEN drift names the RTPENGINE rule and the jump, and update puts both back", async () => {
    assert.ok(state);
    // Under policy DROP a bare flush would cut every connection, SSH included (the e2e test flushes under
    // policy ACCEPT); a third-party firewall flushes and then installs its own rules, as here.
    nodeShell(
      NODE,
      "for t in iptables ip6tables; do $t -F INPUT && $t -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT; done",
    );
    const refreshed = await firewallProvider.read!(`${NODE}:firewall`, state);
    const props = refreshed.props as FirewallOutputs;
    for (const family of ["ipv4", "ipv6"] as const) {
      assert.equal(props.drift[family].rtpengineMissing, true, family);
      assert.equal(props.drift[family].jumpMissing, true, family);
    }
    assert.equal("v4 INPUT -p udp -j RTPENGINE" in props.rules, false);
    // The refreshed inputs carry the live rules, so the preview shows what comes back.
    assert.equal(
      "v4 INPUT -j NGCP-FLEET-INPUT" in (refreshed.inputs as FirewallResourceInputs).rules!,
      false,
    );
    const wanted = await checked(request(LAB));
    assert.equal((await firewallProvider.diff!(`${NODE}:firewall`, props, wanted)).changes, true);
    const updated = await firewallProvider.update!(`${NODE}:firewall`, props, wanted);
    state = updated.outs as FirewallOutputs;
    for (const family of ["ipv4", "ipv6"] as const) {
      const input = saveOf(family)
        .split("\n")
        .filter((line) => line.startsWith("-A INPUT "));
      assert.deepEqual(input, [
        "-A INPUT -p udp -j RTPENGINE",
        '-A INPUT -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT',
        "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
      ]);
      // The third party's flush took the f2b jump; the f2b chain and its rules are still there, untouched.
      assert.equal(foreignLines(saveOf(family)).length, 3, family);
    }
    assert.equal(await sipStatus("outsider", "UDP", addresses.ipv4, 5060), "SIP/2.0 200 OK");
  });

  it("GIVEN kamailio.lb.port changed in config.yml by hand WHEN check and update THEN the SIP rules move to the new port", async () => {
    assert.ok(state);
    setSipPortByHand(5070);
    try {
      effective = effectiveOnNode();
      const moved = await checked(request(LAB));
      assert.ok(moved.rules);
      assert.equal(moved.rules["v4 NGCP-FLEET-SUBSCRIBERS -p udp --dport 5070 -j ACCEPT"], "sip");
      assert.equal("v4 NGCP-FLEET-SUBSCRIBERS -p udp --dport 5060 -j ACCEPT" in moved.rules, false);
      assert.equal((await firewallProvider.diff!(`${NODE}:firewall`, state, moved)).changes, true);
      state = (await firewallProvider.update!(`${NODE}:firewall`, state, moved)).outs as FirewallOutputs;
      const [v4udp, v4tcp, v6udp] = await Promise.all([
        sipStatus("outsider", "UDP", addresses.ipv4, 5070),
        sipStatus("outsider", "TCP", addresses.ipv4, 5070),
        sipStatus("outsider", "UDP", addresses.ipv6, 5070),
      ]);
      assert.deepEqual([v4udp, v4tcp, v6udp], ["SIP/2.0 200 OK", "SIP/2.0 200 OK", "SIP/2.0 200 OK"]);
    } finally {
      setSipPortByHand(5060);
      effective = effectiveOnNode();
    }
    state = (await firewallProvider.update!(`${NODE}:firewall`, state, await checked(request(LAB))))
      .outs as FirewallOutputs;
    assert.equal(await sipStatus("outsider", "UDP", addresses.ipv4, 5060), "SIP/2.0 200 OK");
  });

  it("GIVEN allowLockout and admin sources without the deployer WHEN update THEN the node rolls back by itself within N s + slack, SSH works again, and update fails", async () => {
    assert.ok(state);
    const before = [saveOf("ipv4"), saveOf("ipv6")];
    const locked = await checked(
      request({ ...LAB, allowLockout: true, adminSources: { ipv4: ["198.18.0.99/32"], ipv6: [] } }),
    );
    const started = Date.now();
    await assert.rejects(
      firewallProvider.update!(`${NODE}:firewall`, state, locked),
      (error: Error) =>
        /node ngcp3: could not apply the firewall: the new ruleset cut the deployer \(198\.18\.0\.1\) off: ssh 22\/tcp \(silent/.test(
          error.message,
        ) &&
        /restored its previous ruleset by itself \(rollback switch armed for 5 s: rolled-back/.test(
          error.message,
        ),
    );
    const elapsed = (Date.now() - started) / 1000;
    console.log(`      lockout → rollback → SSH back: ${elapsed.toFixed(1)} s (switch armed for 5 s)`);
    assert.ok(elapsed < 5 + 10, `recovered within N + 10 s, took ${elapsed} s`);
    // THEN SSH answers new connections (OpenSSH client, not our transport) and the rules are the previous ones
    assert.equal(nodeShell(NODE, "echo back").trim(), "back");
    assert.deepEqual([saveOf("ipv4"), saveOf("ipv6")], before);
    assert.equal(await tcpOpen("deployer", addresses.ipv4, 1443), true);
  });

  it("WHEN delete THEN the node has its ruleset from before (policy, no ngcp-fleet chain, no boot files), the foreign chain stays and so does the RTPENGINE rule", async () => {
    assert.ok(state);
    await firewallProvider.delete!(`${NODE}:firewall`, state);
    state = undefined;
    for (const family of ["ipv4", "ipv6"] as const) {
      const save = saveOf(family);
      assert.match(save, /^:INPUT ACCEPT$/m);
      assert.doesNotMatch(save, /NGCP-FLEET/);
      assert.equal(foreignLines(save).length, 3, family);
      assert.match(save, /^-A INPUT -p udp -j RTPENGINE$/m);
    }
    assert.equal(
      nodeShell(
        NODE,
        "ls /etc/iptables /var/lib/ngcp-fleet/firewall/before 2>&1 | grep -c rules || true",
      ).trim(),
      "0",
    );
    assert.equal(await tcpOpen("outsider", addresses.ipv4, 1443), true, "admin port open again, as before");
    // AND deleting again is a no-op (already gone)
    await firewallProvider.delete!(`${NODE}:firewall`, { target } as FirewallOutputs);
  });
});
