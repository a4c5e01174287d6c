import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { Client } from "ssh2";
import { parse } from "yaml";
import { statusJson } from "../../cli/lab";
import { labPaths, labStatus, labUp, parseCommandLog, type LabStatus } from "../../lab";
import { checkCapacity, MB_PER_NODE } from "../../lab/core/capacity";
import { EDITION_KEYS, getPath } from "../../lab/core/editions";
import { renderConfigYml } from "../../lab/core/seed/configYml";
import { planServices } from "../../lab/core/services";
import { buildOptions, parseSipRequest, respond } from "../../lab/core/sip";
import { findUnterminatedTag } from "../../lab/core/tt2";
import { ensureLab } from "../support/lab";

// ---------------------------------------------------------------------------------------------------------
// Pure parts of the lab: no machine needed.
// ---------------------------------------------------------------------------------------------------------

describe("lab rendering and planning (pure)", () => {
  // renderLabStack (stacks/Pulumi.lab.yaml) is covered by test/unit/labStack.test.ts.

  it("GIVEN more nodes than memory or addresses hold WHEN checking capacity THEN it refuses and says why", () => {
    const mem = checkCapacity({ requested: 10, running: 0, memAvailableMb: 4 * MB_PER_NODE + 10 });
    assert.equal(mem.ok, false);
    assert.match(mem.ok ? "" : mem.reason, /at most 4 nodes .*MemAvailable/);
    const addr = checkCapacity({ requested: 240, running: 0, memAvailableMb: 10_000_000 });
    assert.match(addr.ok ? "" : addr.reason, /at most 239 nodes/);
    assert.deepEqual(checkCapacity({ requested: 3, running: 1, memAvailableMb: 2 * MB_PER_NODE }), {
      ok: true,
      max: 3,
    });
  });

  for (const edition of ["001", "000"] as const) {
    it(`GIVEN edition ${edition} WHEN seeding config.yml THEN every handbook key is there with its default`, () => {
      const config: unknown = parse(renderConfigYml({ edition, memTotalMb: 16384 }));
      const k = EDITION_KEYS[edition];
      const expect: Array<[readonly string[], unknown]> = [
        [k.csc.port, 443],
        [k.admin.port, 1443],
        [k.provisioning.port, 2443],
        [k.sipPort, 5060],
        [k.sipTls.port, 5061],
        [k.sipTls.enable, "no"],
        [k.rtpMinPort, 30000],
        [k.rtpMaxPort, 40000],
        [["cleanuptools", "binlog_days"], 15],
        [["database", "bufferpoolsize"], "64MB"],
        [["kamailio", "lb", "pkg_mem"], 16],
        [["kamailio", "lb", "shm_mem"], 1024],
        [["kamailio", "lb", "tcp_children"], 8],
        [["kamailio", "lb", "udp_children"], 8],
        [["kamailio", "proxy", "children"], 8],
        [["kamailio", "proxy", "natping_interval"], 30],
        [["kamailio", "proxy", "natping_processes"], 7],
        [["kamailio", "proxy", "shm_mem"], 1024],
        [["rateomat", "enable"], "yes"],
        [["rsyslog", "external_log"], 0],
        [["rsyslog", "ngcp_logs_preserve_days"], 93],
        [k.restapi.sslcertfile, "/etc/ngcp-config/ssl/myserver.crt"],
      ];
      if (k.xcap) {
        expect.push([k.xcap.port, 1080], [k.xcap.presenceEnable, "no"]);
      }
      for (const [p, v] of expect) {
        assert.equal(getPath(config, p), v, p.join("→"));
      }
      assert.equal(planServices(config).ok, true);
    });
  }

  it("GIVEN a port that is not an integer in 1..65535 WHEN planning services THEN the key and value are named", () => {
    const config = parse(renderConfigYml({ edition: "001", memTotalMb: 4096 })) as {
      kamailio: { lb: { port: unknown } };
    };
    config.kamailio.lb.port = "abc";
    const r = planServices(config);
    assert.equal(r.ok, false);
    assert.match(
      r.ok ? "" : r.errors.join("\n"),
      /kamailio→lb→port must be an integer port between 1 and 65535, got: "abc"/,
    );
  });

  it("GIVEN a template with an unterminated [% tag THEN the check reports its line", () => {
    assert.equal(findUnterminatedTag("/t.tt2", "a [% x %] b")?.line, undefined);
    assert.equal(findUnterminatedTag("/t.tt2", "a\n[% x %]\nb [% y\n")?.line, 3);
  });

  it("GIVEN an OPTIONS request THEN the response is 200 and echoes Via (with rport), From, To+tag, Call-ID, CSeq", () => {
    const req = parseSipRequest(
      buildOptions({
        target: "198.18.0.11",
        transport: "UDP",
        localAddress: "198.18.0.1",
        localPort: 5099,
        callId: "c1",
        branch: "b1",
        fromTag: "f1",
      }),
    );
    assert.ok(req);
    const res = respond(req, { sourceAddress: "198.18.0.1", sourcePort: 40000, toTag: "t1" }) ?? "";
    assert.match(res, /^SIP\/2\.0 200 OK\r\n/);
    assert.match(res, /\r\nVia: SIP\/2\.0\/UDP 198\.18\.0\.1:5099;branch=z9hG4bKb1;rport=40000\r\n/);
    assert.match(res, /\r\nTo: <sip:198\.18\.0\.11>;tag=t1\r\n/);
    assert.match(res, /\r\nCall-ID: c1\r\n/);
    assert.match(res, /\r\nCSeq: 1 OPTIONS\r\n/);
  });

  it("GIVEN a commands.log with a multi-line command THEN the parser returns it byte for byte", () => {
    const cmd = "printf '%s\\n' 'pässword'\necho done";
    const log = `@ngcp-lab-cmd 1.5 user=root client=198.18.0.1 bytes=${Buffer.byteLength(cmd)}\n${cmd}\n`;
    assert.deepEqual(parseCommandLog(log), [{ time: 1.5, user: "root", client: "198.18.0.1", command: cmd }]);
    assert.throws(
      () => parseCommandLog("@ngcp-lab-cmd 1 user=a client=b bytes=99\nshort\n"),
      /not terminated/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// The running lab: real namespaces, sshd, MariaDB, cron and stand-ins, reached with real clients.
// ---------------------------------------------------------------------------------------------------------

interface Shell {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function sshAs(
  status: LabStatus,
  node: string,
  command: string,
  extra: string[] = [],
  user = "root",
  key = status.deployerKey,
): Shell {
  const n = status.nodes.find((x) => x.name === node);
  assert.ok(n, `node ${node} is up`);
  const r = spawnSync(
    "ssh",
    [
      // First: ssh keeps the first value it gets for an option, so a test's override must come before the defaults.
      ...extra,
      "-i",
      key,
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "BatchMode=yes",
      "-o",
      `UserKnownHostsFile=${status.knownHosts}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "ConnectTimeout=5",
      `${user}@${n.address}`,
      command,
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: Shell): string {
  assert.equal(r.code, 0, `command failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

function inNamespace(namespace: string, argv: string[]): Shell {
  const r = spawnSync("ip", ["netns", "exec", namespace, ...argv], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function sipOptionsUdp(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket("udp4");
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no SIP answer from ${host}:${port}/udp`));
    }, 3000);
    sock.on("message", (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg.toString("utf8"));
    });
    sock.bind(0, "198.18.0.1", () => {
      const req = buildOptions({
        target: host,
        transport: "UDP",
        localAddress: "198.18.0.1",
        localPort: sock.address().port,
        callId: "udp-call-7",
        branch: "u7",
        fromTag: "fu",
      });
      sock.send(req, port, host);
    });
  });
}

function sipOptionsTcp(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port }, () => {
      sock.write(
        buildOptions({
          target: host,
          transport: "TCP",
          localAddress: "198.18.0.1",
          localPort: sock.localPort ?? 0,
          callId: "tcp-call-9",
          branch: "t9",
          fromTag: "ft",
        }),
      );
    });
    let data = "";
    sock.setTimeout(3000, () => sock.destroy(new Error(`no SIP answer from ${host}:${port}/tcp`)));
    sock.on("data", (d: Buffer) => {
      data += d.toString("utf8");
      if (data.includes("\r\n\r\n")) {
        sock.end();
        resolve(data);
      }
    });
    sock.on("error", reject);
  });
}

describe("lab cluster (real namespaces, sshd, MariaDB, cron, stand-ins)", function () {
  this.timeout(300_000);
  let status: LabStatus;

  before(async () => {
    status = await ensureLab(2);
  });

  describe("sshd", () => {
    it("GIVEN the deployer key WHEN root runs a command THEN it runs on the node, under the node's hostname", () => {
      assert.equal(ok(sshAs(status, "ngcp1", "hostname")).trim(), "ngcp1");
      assert.equal(ok(sshAs(status, "ngcp2", "hostname")).trim(), "ngcp2");
    });

    it("GIVEN root's image password 'sipwise' WHEN logging in with it THEN sshd refuses: keys only", async () => {
      const r = sshAs(status, "ngcp1", "true", [
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "PreferredAuthentications=password,keyboard-interactive",
      ]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Permission denied \(publickey\)/);
      // And with a real SSH library offering the password: refused as well.
      const err = await new Promise<Error | undefined>((resolve) => {
        const c = new Client();
        c.on("ready", () => {
          c.end();
          resolve(undefined);
        });
        c.on("error", (e) => resolve(e));
        c.connect({
          host: status.nodes[0].address,
          username: "root",
          password: "sipwise",
          readyTimeout: 10_000,
          tryKeyboard: true,
          hostVerifier: () => true,
        });
      });
      assert.ok(err, "password login must fail");
      assert.match(err.message, /authentication methods failed/i);
    });

    it("GIVEN a known_hosts pinning another key for the node WHEN connecting THEN the client refuses the host", () => {
      const wrong = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lab-test-")), "known_hosts");
      fs.writeFileSync(wrong, `${status.nodes[0].address} ${status.nodes[1].hostKey}\n`);
      const r = sshAs(status, "ngcp1", "true", ["-o", `UserKnownHostsFile=${wrong}`]);
      fs.rmSync(path.dirname(wrong), { recursive: true });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
      // THEN the key the node presents is exactly the one the status (and the stack) pins.
      const scan = spawnSync("ssh-keyscan", ["-t", "ed25519", status.nodes[0].address], {
        encoding: "utf8",
      }).stdout;
      assert.ok(scan.includes(status.nodes[0].hostKey), "pinned key equals the served key");
    });

    it("GIVEN an exec'd command WHEN it runs THEN commands.log recorded it, byte for byte, before it ran", () => {
      const marker = `marker-${randomBytes(6).toString("hex")}`;
      const command = `echo '${marker}' "$(cat /var/log/ngcp-lab/commands.log | grep -c '${marker}')"\ntrue # second line`;
      // The command counts its own record: it can only see 1 if the record was written before it ran.
      assert.equal(ok(sshAs(status, "ngcp1", command)).trim(), `${marker} 1`);
      const records = parseCommandLog(
        Buffer.from(ok(sshAs(status, "ngcp1", "base64 -w0 /var/log/ngcp-lab/commands.log")), "base64"),
      );
      const mine = records.filter((r) => r.command === command);
      assert.equal(mine.length, 1);
      assert.equal(mine[0].user, "root");
      assert.equal(mine[0].client, "198.18.0.1");
    });

    it("GIVEN the sftp subsystem under the ForceCommand logger WHEN a file is put THEN it arrives", () => {
      const local = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lab-sftp-")), "f.txt");
      fs.writeFileSync(local, "sftp works\n");
      const r = spawnSync(
        "sftp",
        [
          "-b",
          "-",
          "-i",
          status.deployerKey,
          "-o",
          "IdentitiesOnly=yes",
          "-o",
          `UserKnownHostsFile=${status.knownHosts}`,
          "-o",
          "StrictHostKeyChecking=yes",
          `root@${status.nodes[0].address}`,
        ],
        { input: `put ${local} /tmp/sftp-probe.txt\n`, encoding: "utf8", timeout: 30_000 },
      );
      fs.rmSync(path.dirname(local), { recursive: true });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(
        ok(sshAs(status, "ngcp1", "cat /tmp/sftp-probe.txt; rm /tmp/sftp-probe.txt")),
        "sftp works\n",
      );
    });
  });

  describe("isolation", () => {
    it("GIVEN a file written under /etc/ngcp-config on ngcp1 THEN ngcp2 and the host do not have it", () => {
      const name = `isolation-${randomBytes(4).toString("hex")}`;
      ok(sshAs(status, "ngcp1", `echo probe > /etc/ngcp-config/${name}`));
      try {
        assert.equal(sshAs(status, "ngcp2", `test -e /etc/ngcp-config/${name}`).code, 1);
        assert.equal(fs.existsSync(`/etc/ngcp-config/${name}`), false);
        assert.equal(ok(sshAs(status, "ngcp1", `cat /etc/ngcp-config/${name}`)), "probe\n");
      } finally {
        ok(sshAs(status, "ngcp1", `rm -f /etc/ngcp-config/${name}`));
      }
    });

    it("GIVEN an iptables rule added on ngcp1 THEN neither ngcp2 nor the host has it", () => {
      const tag = `lab-isolation-${randomBytes(4).toString("hex")}`;
      ok(
        sshAs(
          status,
          "ngcp1",
          `iptables -A INPUT -s 198.18.0.99/32 -p tcp --dport 9 -m comment --comment ${tag} -j DROP`,
        ),
      );
      try {
        assert.match(ok(sshAs(status, "ngcp1", "iptables -S INPUT")), new RegExp(tag));
        assert.doesNotMatch(ok(sshAs(status, "ngcp2", "iptables -S INPUT")), new RegExp(tag));
        const host = spawnSync("iptables", ["-S", "INPUT"], { encoding: "utf8" });
        assert.equal(host.status, 0);
        assert.doesNotMatch(host.stdout, new RegExp(tag));
      } finally {
        ok(
          sshAs(
            status,
            "ngcp1",
            `iptables -D INPUT -s 198.18.0.99/32 -p tcp --dport 9 -m comment --comment ${tag} -j DROP`,
          ),
        );
      }
    });
  });

  describe("MariaDB", () => {
    it("GIVEN a fresh node WHEN root connects over TCP 127.0.0.1 without a password THEN the seeded data answers", () => {
      const n = ok(
        sshAs(
          status,
          "ngcp1",
          "mariadb -uroot -h127.0.0.1 -N -e 'SELECT COUNT(*) FROM provisioning.voip_subscribers'",
        ),
      );
      assert.equal(Number(n.trim()), 250);
      const users = ok(
        sshAs(
          status,
          "ngcp1",
          "mariadb -uroot -N -e \"SELECT CONCAT(User,'@',Host) FROM mysql.user WHERE User IN ('sipwise','kamailio') ORDER BY 1\"",
        ),
      );
      assert.deepEqual(users.trim().split("\n"), ["kamailio@localhost", "sipwise@localhost"]);
    });

    it("GIVEN sipwise.cnf WHEN the service user logs in with it THEN it works, and the password differs per node", () => {
      const pw = (node: string): string =>
        ok(sshAs(status, node, '. /etc/mysql/sipwise.cnf; echo "$SIPWISE_DB_PASSWORD"')).trim();
      ok(
        sshAs(
          status,
          "ngcp1",
          ". /etc/mysql/sipwise.cnf; MYSQL_PWD=\"$SIPWISE_DB_PASSWORD\" mariadb -usipwise -N -e 'SELECT 1'",
        ),
      );
      assert.notEqual(pw("ngcp1"), pw("ngcp2"));
    });

    it("GIVEN the outsider and the deployer WHEN connecting to port 3306 THEN nothing listens there (bound to 127.0.0.1)", async () => {
      const outsider = status.outsider;
      assert.ok(outsider);
      const r = inNamespace(outsider.namespace, [
        "mariadb",
        "--connect-timeout=3",
        "-h",
        status.nodes[0].address,
        "-uroot",
        "-e",
        "SELECT 1",
      ]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Can't connect|Connection refused/);
      const refused = await new Promise<string>((resolve) => {
        const s = net.connect({ host: status.nodes[0].address, port: 3306 });
        s.on("connect", () => {
          s.destroy();
          resolve("connected");
        });
        s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
      assert.equal(refused, "ECONNREFUSED");
    });
  });

  describe("stand-ins", () => {
    it("GIVEN a config change WHEN ngcpcfg apply runs THEN it commits, journals one line with the message and moves the SIP port", async () => {
      const journal = "/var/log/ngcp-lab/ngcpcfg-apply.jsonl";
      const before = Number(ok(sshAs(status, "ngcp1", `cat ${journal} 2>/dev/null | wc -l`)).trim());
      ok(sshAs(status, "ngcp1", "sed -i 's/^    port: 5060$/    port: 5070/' /etc/ngcp-config/config.yml"));
      try {
        ok(sshAs(status, "ngcp1", "ngcpcfg apply 'lab test: SIP to 5070'"));
        const lines = ok(sshAs(status, "ngcp1", `cat ${journal}`))
          .trim()
          .split("\n");
        assert.equal(lines.length, before + 1);
        const entry = JSON.parse(lines[lines.length - 1]) as {
          message: string;
          status: string;
          changed: string[];
        };
        assert.equal(entry.message, "lab test: SIP to 5070");
        assert.equal(entry.status, "ok");
        assert.deepEqual(entry.changed, ["/etc/ngcp-config/config.yml"]);
        assert.match(
          ok(sshAs(status, "ngcp1", "git -C /etc/ngcp-config log -1 --format=%s")),
          /^lab test: SIP to 5070 \[/,
        );
        assert.match(await sipOptionsUdp(status.nodes[0].address, 5070), /^SIP\/2\.0 200 OK/);
      } finally {
        ok(
          sshAs(
            status,
            "ngcp1",
            "sed -i 's/^    port: 5070$/    port: 5060/' /etc/ngcp-config/config.yml && ngcpcfg apply 'lab test: SIP back to 5060'",
          ),
        );
      }
    });

    it("GIVEN a custom template with an unterminated [% tag WHEN ngcpcfg apply runs THEN it fails, names the file and commits nothing", () => {
      const tpl = "/etc/ngcp-config/templates/etc/kamailio/lb/kamailio.cfg.customtt.tt2";
      ok(
        sshAs(
          status,
          "ngcp1",
          `mkdir -p ${path.dirname(tpl)} && printf 'listen=udp:[%% lb.port\\n' > ${tpl}`,
        ),
      );
      try {
        const head = ok(sshAs(status, "ngcp1", "git -C /etc/ngcp-config rev-parse HEAD"));
        const r = sshAs(status, "ngcp1", "ngcpcfg apply 'lab test: broken template'");
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /kamailio\.cfg\.customtt\.tt2 line 1: unexpected end of input/);
        assert.equal(ok(sshAs(status, "ngcp1", "git -C /etc/ngcp-config rev-parse HEAD")), head);
        const last = JSON.parse(
          ok(sshAs(status, "ngcp1", "tail -n1 /var/log/ngcp-lab/ngcpcfg-apply.jsonl")),
        ) as { status: string };
        assert.equal(last.status, "failed");
      } finally {
        ok(sshAs(status, "ngcp1", `rm -f ${tpl}`));
      }
    });

    it("GIVEN the deployer WHEN it sends SIP OPTIONS over UDP and TCP THEN the node answers 200 OK echoing the request", async () => {
      const udp = await sipOptionsUdp(status.nodes[1].address, 5060);
      assert.match(udp, /^SIP\/2\.0 200 OK\r\n/);
      assert.match(udp, /\r\nCall-ID: udp-call-7\r\n/);
      assert.match(udp, /\r\nCSeq: 1 OPTIONS\r\n/);
      assert.match(udp, /\r\nFrom: <sip:probe@198\.18\.0\.1>;tag=fu\r\n/);
      const tcp = await sipOptionsTcp(status.nodes[1].address, 5060);
      assert.match(tcp, /^SIP\/2\.0 200 OK\r\n/);
      assert.match(tcp, /\r\nCall-ID: tcp-call-9\r\n/);
    });

    it("GIVEN the default configuration THEN the web ports serve the default certificate, the same on every node", async () => {
      const expected = new X509Certificate(fs.readFileSync(path.join(labPaths().sslDir, "myserver.crt")))
        .fingerprint256;
      for (const node of status.nodes.slice(0, 2)) {
        for (const port of [443, 1443, 2443]) {
          const fp = await new Promise<string>((resolve, reject) => {
            const s = tls.connect({ host: node.address, port, rejectUnauthorized: false }, () => {
              resolve(s.getPeerX509Certificate()?.fingerprint256 ?? "");
              s.end();
            });
            s.on("error", reject);
          });
          assert.equal(fp, expected, `${node.name}:${port}`);
        }
      }
    });

    it("GIVEN support access WHEN disabled and ngcp-support-noaccess installed THEN the key is gone, dpkg says so, and the reverse restores it", () => {
      const support = path.join(labPaths().keysDir, "sipwise_support_ed25519");
      assert.equal(ok(sshAs(status, "ngcp2", "id -un", [], "sipwise", support)).trim(), "sipwise");
      assert.equal(
        ok(
          sshAs(
            status,
            "ngcp2",
            "ngcp-support-access --disable && apt-get install -y ngcp-support-noaccess >/dev/null",
          ),
        ).trim(),
        "Support access successfully disabled.",
      );
      assert.equal(
        ok(
          sshAs(
            status,
            "ngcp2",
            "for p in ngcp-support-noaccess ngcp-support-access; do dpkg-query -W -f='${Status}\\n' $p; done",
          ),
        ).trim(),
        "install ok installed\nunknown ok not-installed",
      );
      assert.notEqual(sshAs(status, "ngcp2", "id -un", [], "sipwise", support).code, 0);
      assert.equal(
        sshAs(status, "ngcp2", "command -v ngcp-support-access").code,
        1,
        "the tool left with its package",
      );
      assert.equal(
        ok(
          sshAs(
            status,
            "ngcp2",
            "apt-get install -y ngcp-support-access >/dev/null && ngcp-support-access --enable",
          ),
        ).trim(),
        "Support access successfully enabled.",
      );
      assert.equal(ok(sshAs(status, "ngcp2", "id -un", [], "sipwise", support)).trim(), "sipwise");
      const other = sshAs(status, "ngcp2", "apt-get install -y vim");
      assert.equal(other.code, 100);
      assert.match(other.stderr, /E: Unable to locate package vim/);
    });

    it("GIVEN ngcp-toggle-performance-config WHEN --low-performance runs THEN table 10 test values are set and comments kept", () => {
      const before = ok(sshAs(status, "ngcp2", "cat /etc/ngcp-config/config.yml"));
      try {
        ok(sshAs(status, "ngcp2", "ngcp-toggle-performance-config --low-performance"));
        const after = ok(sshAs(status, "ngcp2", "cat /etc/ngcp-config/config.yml"));
        const cfg = parse(after) as unknown;
        assert.equal(getPath(cfg, ["kamailio", "lb", "shm_mem"]), 64);
        assert.equal(getPath(cfg, ["kamailio", "proxy", "children"]), 2);
        const comments = (t: string): string[] => t.split("\n").filter((l) => l.trim().startsWith("#"));
        assert.deepEqual(comments(after), comments(before));
        const usage = sshAs(status, "ngcp2", "ngcp-toggle-performance-config --help");
        assert.ok(
          usage.stdout.includes(
            "\n  --low-performance     Adjust configuration for system with low performance (e.g. VMs)\n",
          ),
          usage.stdout,
        );
      } finally {
        ok(sshAs(status, "ngcp2", "git -C /etc/ngcp-config checkout -- config.yml"));
      }
    });

    it("GIVEN seeded databases WHEN ngcp-reset-db runs THEN data is wiped, service passwords change everywhere and still work", () => {
      const pw = (): string =>
        ok(sshAs(status, "ngcp2", '. /etc/mysql/sipwise.cnf; echo "$SIPWISE_DB_PASSWORD"')).trim();
      const old = pw();
      const out = ok(sshAs(status, "ngcp2", "ngcp-reset-db"));
      assert.match(out, /Database reset done/);
      assert.ok(!out.includes(old), "no password in the output");
      assert.notEqual(pw(), old);
      assert.equal(
        ok(
          sshAs(status, "ngcp2", "mariadb -uroot -N -e 'SELECT COUNT(*) FROM provisioning.voip_subscribers'"),
        ).trim(),
        "0",
      );
      ok(
        sshAs(
          status,
          "ngcp2",
          ". /etc/mysql/sipwise.cnf; MYSQL_PWD=\"$SIPWISE_DB_PASSWORD\" mariadb -usipwise -N -e 'SELECT 1'",
        ),
      );
      const constants = parse(ok(sshAs(status, "ngcp2", "cat /etc/ngcp-config/constants.yml"))) as {
        credentials: { mysql: { sipwise: { password: string } } };
      };
      assert.equal(constants.credentials.mysql.sipwise.password, pw());
    });
  });

  describe("lifecycle", () => {
    it("GIVEN an up lab WHEN lab up runs again with its node count THEN nothing is started or stopped", async () => {
      const current = labStatus().nodes.length;
      const r = await labUp({ nodes: current });
      assert.deepEqual([r.started, r.stopped], [[], []]);
    });

    it("GIVEN an up lab THEN status --json has the documented keys", () => {
      const s = JSON.parse(statusJson(labStatus())) as {
        nodes: Array<{ name: string; namespace: string; address: string }>;
        outsider: { namespace: string; address: string };
        deployer: { address: string };
      };
      assert.deepEqual(
        s.nodes[0] && { name: s.nodes[0].name, namespace: s.nodes[0].namespace, address: s.nodes[0].address },
        {
          name: "ngcp1",
          namespace: "ngcplab-ngcp1",
          address: "198.18.0.11",
        },
      );
      assert.deepEqual(
        { namespace: s.outsider.namespace, address: s.outsider.address },
        { namespace: "ngcplab-outsider", address: "198.18.0.250" },
      );
      assert.equal(s.deployer.address, "198.18.0.1");
    });

    it("GIVEN more nodes than the machine holds WHEN lab up runs THEN it fails before starting anything", async () => {
      const before = labStatus();
      await assert.rejects(labUp({ nodes: 200 * 1000 }), /more than the lab's address range holds/);
      const mem = Math.floor(os.freemem() / 1024 / 1024 / MB_PER_NODE) + 50;
      if (mem < 239) {
        await assert.rejects(labUp({ nodes: mem }), /does not fit in this machine's memory/);
      }
      assert.deepEqual(
        labStatus().nodes.map((n) => n.name),
        before.nodes.map((n) => n.name),
      );
    });

    it("GIVEN a user other than root WHEN lab up runs THEN it fails with a clear message", () => {
      const entry = require.resolve("../../lab");
      const register = entry.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];
      const r = spawnSync(
        "setpriv",
        [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          process.execPath,
          ...register,
          "-e",
          `require(${JSON.stringify(entry)}).labUp({ nodes: 1 }).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(3); })`,
        ],
        {
          encoding: "utf8",
          cwd: labPaths().root,
          timeout: 60_000,
          env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
        },
      );
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr, /the lab needs root/);
    });
  });
});
