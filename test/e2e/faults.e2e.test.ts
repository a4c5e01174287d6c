/**
 * The fault matrix (issue 16 item 5, docs/FAULTS.md): faults injected into real lab nodes during real engine
 * runs. Each proves a clear error naming the node and the cause, no node left between its old and its new
 * state, and a re-run that converges with nothing doubled. Lab nodes ngcp13 (canary) and ngcp14 (second
 * wave), after e2e/newNode in the same group.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../engine/automation";
import { labStatus } from "../../lab";
import { disposeStack } from "../support/stacks";
import { ensureLab } from "../support/lab";
import { labStackConfig, nodeShell } from "../support/labTargets";
import { ngcpFleet } from "./auditNode";
import { appliesOn, configSha, configValue } from "../support/ngcpConfigNode";

const CANARY = "ngcp13";
const SECOND = "ngcp14";
const PASSPHRASE = "e2e-only";
const PASSPHRASE_ENV = { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE };
const BACKUP_STATUS = "/var/lib/ngcp-fleet/backup-status.json";
const BACKUP_SCRIPT = "/usr/local/sbin/ngcp-fleet-backup";
const DEST = "/var/backups/ngcp-fleet";

function namespaceOf(node: string): string {
  const ns = labStatus().nodes.find((n) => n.name === node)?.namespace;
  assert.ok(ns, `lab node ${node} has a namespace`);
  return ns;
}

/** Runs a command in a node's network namespace from the host (the node's own sshd not involved). */
function inNetns(node: string, argv: readonly string[]): string {
  return execFileSync("ip", ["netns", "exec", namespaceOf(node), ...argv], { encoding: "utf8" });
}

/** The rule that drops new SSH connections to a node: `-I INPUT …` adds it, `-D INPUT …` takes it away. */
const DROP_SSH = ["-p", "tcp", "--dport", "22", "-j", "DROP", "-m", "comment", "--comment", "e2e-fault"];

/**
 * The node's sshd is gone for the deployer: its connections are killed (the per-connection sshd processes in
 * the node's network namespace) and new ones are dropped, as if sshd had died. `restore` undoes the drop.
 */
function cutSsh(node: string): { restore(): void } {
  inNetns(node, ["iptables", "-I", "INPUT", ...DROP_SSH]);
  const pids = execFileSync("ip", ["netns", "pids", namespaceOf(node)], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
  for (const pid of pids) {
    const stat = spawnSync("ps", ["-o", "ppid=,comm=", "-p", pid], { encoding: "utf8" })
      .stdout.trim()
      .split(/\s+/);
    const parentComm = spawnSync("ps", ["-o", "comm=", "-p", stat[0] ?? "1"], {
      encoding: "utf8",
    }).stdout.trim();
    // A connection's sshd is an sshd whose parent is an sshd (the listener stays: the lab keeps running it).
    if (stat[1] === "sshd" && parentComm === "sshd") {
      spawnSync("kill", ["-9", pid]);
    }
  }
  return {
    restore: () => {
      inNetns(node, ["iptables", "-D", "INPUT", ...DROP_SSH]);
    },
  };
}

/** New connections to a node's port 22 go to its port 2222 instead (existing ones keep going to sshd). */
const TO_RELAY = [
  "-p",
  "tcp",
  "--dport",
  "22",
  "-j",
  "REDIRECT",
  "--to-ports",
  "2222",
  "-m",
  "comment",
  "--comment",
  "e2e-fault",
];

/**
 * An sshd that goes away during every login: new connections to the node's port 22 reach a relay in its
 * network namespace, which passes the real sshd's banner on and nothing after it, then closes both sides
 * cleanly (FIN) during the key exchange: what a client sees of sshd killed, or shedding load, after its
 * banner. `restore` gives port 22 back to sshd.
 */
async function sshdLostAfterBanner(node: string): Promise<{ restore(): void }> {
  const relay = `
    const net = require("node:net");
    net.createServer((client) => {
      const sshd = net.connect(22, "127.0.0.1");
      let banner = true;
      sshd.on("data", (chunk) => {
        if (!banner) return;
        const end = chunk.indexOf("\\n");
        client.write(end < 0 ? chunk : chunk.subarray(0, end + 1));
        if (end >= 0) {
          banner = false;
          setTimeout(() => { client.end(); sshd.end(); }, 100);
        }
      });
      for (const socket of [client, sshd]) socket.on("error", () => undefined);
    }).listen(2222, () => console.log("listening"));`;
  const child = spawn("ip", ["netns", "exec", namespaceOf(node), process.execPath, "-e", relay], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`the relay on ${node} ended (exit ${code})`)));
  });
  inNetns(node, ["iptables", "-t", "nat", "-I", "PREROUTING", ...TO_RELAY]);
  return {
    restore: () => {
      inNetns(node, ["iptables", "-t", "nat", "-D", "PREROUTING", ...TO_RELAY]);
      child.kill();
    },
  };
}

/** What `outcome` settles to, or a failure (after `onLate`) when it has not within `ms`. */
async function endsWithin<T>(outcome: Promise<T>, ms: number, onLate: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      onLate();
      reject(new Error(`still running ${ms / 1000} s after the fault`));
    }, ms);
  });
  try {
    return await Promise.race([outcome, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** SSH to a node accepting whatever host key it shows (only to inspect and repair the host-key fault). */
function sshUnpinned(node: string, command: string): string {
  const status = labStatus();
  const address = status.nodes.find((n) => n.name === node)!.address;
  return execFileSync(
    "ssh",
    [
      "-i",
      status.deployerKey,
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "LogLevel=ERROR",
      "-o",
      "BatchMode=yes",
      `root@${address}`,
      command,
    ],
    { encoding: "utf8" },
  );
}

describe("e2e: the fault matrix (ngcp13, ngcp14)", function () {
  this.timeout(1_200_000);
  const stackName = `e2e-faults-${process.pid}`;
  let stack: Stack;

  async function configure(profile: "low" | "high"): Promise<void> {
    const config = labStackConfig(99, {
      performance: { profile },
      backup: { schedule: "30 3 * * *", retention: { count: 3 } },
      rollout: { canary: 1, batchSize: 1, haPairs: [] },
    });
    config.nodes = (config.nodes as { name: string }[]).filter((n) => [CANARY, SECOND].includes(n.name));
    for (const [key, value] of Object.entries(config)) {
      await stack.setConfig(`ngcp-fleet:${key}`, {
        value: typeof value === "string" ? value : JSON.stringify(value),
      });
    }
  }

  before(async () => {
    await ensureLab(14);
    stack = await openStack(stackName, { passphrase: PASSPHRASE });
    await configure("low");
    await stack.up({});
  });

  after(async function () {
    this.timeout(300_000);
    for (const node of [CANARY, SECOND]) {
      // SSH back first: the clean-up below logs in.
      inNetns(node, ["sh", "-c", `iptables -D INPUT ${DROP_SSH.join(" ")} 2>/dev/null || true`]);
      inNetns(node, ["sh", "-c", `iptables -t nat -D PREROUTING ${TO_RELAY.join(" ")} 2>/dev/null || true`]);
      nodeShell(node, "umount /etc/ngcp-config 2>/dev/null || true");
    }
    await disposeStack(stack, stackName);
  });

  it("a node's host key regenerated: refused with both fingerprints, nothing written on any node", async () => {
    const before = [configSha(CANARY), configSha(SECOND)];
    nodeShell(
      SECOND,
      "cp -a /etc/ssh/ssh_host_ed25519_key /root/e2e-hostkey && cp -a /etc/ssh/ssh_host_ed25519_key.pub /root/e2e-hostkey.pub && " +
        "rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key",
    );
    const fresh = execFileSync("ssh-keygen", ["-lf", "-"], {
      input: sshUnpinned(SECOND, "cat /etc/ssh/ssh_host_ed25519_key.pub"),
    })
      .toString()
      .split(" ")[1];
    try {
      await configure("high");
      await assert.rejects(stack.up({}), (err: Error) => {
        assert.match(err.message, new RegExp(`${SECOND}.*host key`, "s"));
        assert.ok(err.message.includes(fresh), `the error names the node's new fingerprint ${fresh}`);
        return true;
      });
      const secondNow = sshUnpinned(SECOND, "sha256sum /etc/ngcp-config/config.yml").split(" ")[0];
      assert.deepEqual([configSha(CANARY), secondNow], before, "no node was written");
    } finally {
      // The lab's sshd reads the host key per connection: the pinned key is back for the next one.
      sshUnpinned(
        SECOND,
        "mv -f /root/e2e-hostkey /etc/ssh/ssh_host_ed25519_key && mv -f /root/e2e-hostkey.pub /etc/ssh/ssh_host_ed25519_key.pub",
      );
      await configure("low");
    }
    await stack.preview({ expectNoChanges: true });
  });

  it("the filesystem of /etc/ngcp-config full during up: a clear error, the old config intact byte for byte, then a re-run converges", async () => {
    // GIVEN /etc/ngcp-config on a full 1 MB tmpfs in the canary's mount namespace
    nodeShell(
      CANARY,
      "set -e; rm -rf /root/e2e-ngcp-config; cp -a /etc/ngcp-config /root/e2e-ngcp-config; mount -t tmpfs -o size=1m e2e-full /etc/ngcp-config; " +
        "cp -a /root/e2e-ngcp-config/. /etc/ngcp-config/; dd if=/dev/zero of=/etc/ngcp-config/.filler bs=4k status=none 2>/dev/null || true",
    );
    try {
      const before = nodeShell(
        CANARY,
        "cd /etc/ngcp-config && sha256sum config.yml constants.yml network.yml && git rev-parse HEAD",
      );
      const applies = [appliesOn(CANARY), appliesOn(SECOND)];
      await configure("high");
      // WHEN up writes the profile
      await assert.rejects(stack.up({}), (err: Error) => {
        assert.match(err.message, new RegExp(`${CANARY}`));
        assert.match(err.message, /No space left on device/);
        return true;
      });
      // THEN the canary's config is the old one, no apply ran, and the second wave was not started
      assert.equal(
        nodeShell(
          CANARY,
          "cd /etc/ngcp-config && sha256sum config.yml constants.yml network.yml && git rev-parse HEAD",
        ),
        before,
      );
      assert.equal(
        nodeShell(CANARY, "ls -A /etc/ngcp-config | grep -c ngcp-fleet || true").trim(),
        "0",
        "no temporary file left",
      );
      assert.deepEqual([appliesOn(CANARY), appliesOn(SECOND)], applies);
      assert.equal(
        configValue(SECOND, "kamailio.lb.shm_mem"),
        "64",
        "the second wave still has the old profile",
      );
      // WHEN there is room again, a plain re-run converges both, one apply each
      nodeShell(CANARY, "rm -f /etc/ngcp-config/.filler");
      await stack.up({});
      assert.deepEqual([appliesOn(CANARY), appliesOn(SECOND)], [applies[0] + 1, applies[1] + 1]);
      assert.notEqual(configValue(CANARY, "kamailio.lb.shm_mem"), "64");
    } finally {
      // Put the node's own directory back under it, with whatever config the tmpfs holds now.
      nodeShell(
        CANARY,
        "set -e; if mountpoint -q /etc/ngcp-config; then rm -f /etc/ngcp-config/.filler; " +
          "cp -a /etc/ngcp-config/. /root/e2e-ngcp-config/; umount /etc/ngcp-config; " +
          "cp -a /root/e2e-ngcp-config/. /etc/ngcp-config/; fi; rm -rf /root/e2e-ngcp-config",
      );
    }
    await stack.preview({ expectNoChanges: true });
  });

  it("sshd of the second wave's node gone in the middle of up: the canary stays converged, the error names the node, a re-run converges the rest", async () => {
    const applies = [appliesOn(CANARY), appliesOn(SECOND)];
    const canaryBefore = configSha(CANARY);
    const secondBefore = configSha(SECOND);
    await configure("low");
    // WHEN the canary's config is being written (the second wave can start only after its apply and health
    // gate) the second node's sshd goes away: its connection from the refresh is killed, new ones dropped
    const abort = new AbortController();
    const running = stack.up({ signal: abort.signal });
    const outcome = running.then(
      () => undefined,
      (err: Error) => err,
    );
    const deadline = Date.now() + 300_000;
    while (configSha(CANARY) === canaryBefore) {
      assert.ok(Date.now() < deadline, "the canary was never written");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const cut = cutSsh(SECOND);
    let failure: Error | undefined;
    try {
      // An up that does not end is the failure this case exists for (a lost connection once left the
      // provider waiting forever on an SFTP request): bounded, so the node gets its sshd back either way.
      failure = await endsWithin(outcome, 180_000, () => abort.abort());
    } finally {
      cut.restore();
    }
    // THEN the run failed naming the node, the canary is converged, the second node is as it was
    assert.ok(failure, "up must fail while a node of its waves cannot be reached");
    assert.match(failure.message, new RegExp(SECOND));
    assert.equal(configValue(CANARY, "kamailio.lb.shm_mem"), "64");
    assert.equal(configSha(SECOND), secondBefore, "the second node is left in its old state");
    assert.equal(appliesOn(SECOND), applies[1]);
    // WHEN sshd is back, a re-run converges the rest: one apply on the second node, none again on the canary
    await stack.up({});
    assert.deepEqual([appliesOn(CANARY), appliesOn(SECOND)], [applies[0] + 1, applies[1] + 1]);
    assert.equal(configValue(SECOND, "kamailio.lb.shm_mem"), "64");
    await stack.preview({ expectNoChanges: true });
  });

  it("sshd lost during every login (after its banner): the run fails at once naming the node, nothing written", async () => {
    // GIVEN a converged stack (nothing for the up to do but its refresh, which logs in to every node)
    const before = [configSha(CANARY), configSha(SECOND)];
    const applies = [appliesOn(CANARY), appliesOn(SECOND)];
    const fault = await sshdLostAfterBanner(SECOND);
    let failure: Error | undefined;
    try {
      const abort = new AbortController();
      const outcome = stack.up({ signal: abort.signal }).then(
        () => undefined,
        (err: Error) => err,
      );
      // Before the fix this up never ended: ssh2 reports such a close with no error, and the provider
      // waited for a connection that never settled.
      failure = await endsWithin(outcome, 120_000, () => abort.abort());
    } finally {
      fault.restore();
    }
    assert.ok(failure, "up must fail while a node's sshd drops every login");
    assert.match(
      failure.message,
      new RegExp(
        `node ${SECOND} \\(root@[0-9.]+:22\\) is unreachable: the connection closed before the login completed`,
      ),
    );
    assert.deepEqual([configSha(CANARY), configSha(SECOND)], before, "no node was written");
    assert.deepEqual([appliesOn(CANARY), appliesOn(SECOND)], applies);
    await stack.preview({ expectNoChanges: true });
  });

  it("kill -9 of a backup in progress: not recorded as a success, older backups intact, refresh and the audit report it, the next run succeeds", async () => {
    // GIVEN one good backup
    const first = ngcpFleet(["backup", "run", "--stack", stackName, "--node", SECOND], PASSPHRASE_ENV);
    assert.equal(first.status, 0, first.stderr);
    const older = nodeShell(SECOND, `ls -1 ${DEST} | grep -E '^[0-9]{8}T[0-9]{6}Z$'`).trim().split("\n");
    // WHEN a run is killed (its whole process group, SIGKILL) once it has started dumping
    nodeShell(
      SECOND,
      `setsid ${BACKUP_SCRIPT} >/dev/null 2>&1 & pid=$!; ` +
        `for i in $(seq 1 500); do grep -q '"result": *"running"' ${BACKUP_STATUS} 2>/dev/null && break; sleep 0.01; done; ` +
        "kill -9 -- -$pid; wait $pid 2>/dev/null || true",
    );
    // THEN the status says running, not ok; the older backups verify; refresh shows the killed run
    const status = JSON.parse(nodeShell(SECOND, `cat ${BACKUP_STATUS}`)) as { result: string; id: string };
    assert.equal(status.result, "running");
    for (const id of older) {
      assert.match(
        nodeShell(SECOND, `cd ${DEST}/${id} && sha256sum -c SHA256SUMS`),
        /databases\.sql\.gz: OK/,
      );
    }
    await stack.refresh({});
    const resources = (await stack.exportStack()).deployment.resources as {
      urn: string;
      outputs: Record<string, unknown>;
    }[];
    const schedule = resources.find((r) => r.urn.endsWith(`::${SECOND}-backup`))!.outputs;
    assert.equal(schedule.drifted, true);
    assert.match(
      String(schedule.health),
      new RegExp(`the run ${status.id} .* is not running any more .* killed or crashed`),
    );
    const audit = ngcpFleet(["audit", "--stack", stackName, "--json"], PASSPHRASE_ENV);
    const report = JSON.parse(audit.stdout) as {
      nodes: { node: string; checks: { id: string; status: string; evidence: string }[] }[];
    };
    const recent = report.nodes.find((n) => n.node === SECOND)!.checks.find((c) => c.id === "backup-recent")!;
    assert.equal(recent.status, "fail");
    assert.match(recent.evidence, /killed or crashed/);
    // WHEN the next run starts, THEN it succeeds and the killed run's partial directory is gone
    const next = ngcpFleet(["backup", "run", "--stack", stackName, "--node", SECOND], PASSPHRASE_ENV);
    assert.equal(next.status, 0, next.stderr);
    assert.equal(nodeShell(SECOND, `ls -d ${DEST}/*.partial 2>/dev/null | wc -l`).trim(), "0");
    assert.equal((JSON.parse(nodeShell(SECOND, `cat ${BACKUP_STATUS}`)) as { result: string }).result, "ok");
  });
});
