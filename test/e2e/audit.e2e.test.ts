import { strict as assert } from "node:assert";
import { labStatus } from "../../lab";
import type { CheckResult } from "../../operations/audit/checks";
import { ensureLab } from "../support/lab";
import { ngcpFleet, nodeState, type CliResult } from "./auditNode";

/**
 * `ngcp-fleet audit --host` against ngcp2, a lab node in the handbook's "fresh install" state (support access
 * on, MySQL root without a password, root's password `sipwise`, the VM image's keys, the default
 * certificate, the web administrator on `administrator`, no backups, no drill, no firewall). The CLI runs as a child process, exactly as an operator or CI runs
 * it; the node is checked with the real OpenSSH client, independently of the code under test.
 */

const NODE = "ngcp2";

function hostKeyOf(name: string): string {
  const node = labStatus().nodes.find((n) => n.name === name);
  assert.ok(node, `lab node ${name} is not up`);
  return node.hostKey;
}

function runAudit(extra: readonly string[]): CliResult {
  const status = labStatus();
  const node = status.nodes.find((n) => n.name === NODE)!;
  return ngcpFleet(
    [
      "audit",
      "--host",
      node.address,
      "--host-key",
      hostKeyOf(NODE),
      "--key",
      status.deployerKey,
      "--name",
      NODE,
      ...extra,
    ],
    {},
    120_000,
  );
}

describe("audit (lab, ngcp2 in the fresh-install state)", function () {
  this.timeout(180_000);
  let checks: CheckResult[] = [];
  let exit: number | null = null;
  let stateBefore = "";
  let stateAfter = "";

  before(async () => {
    await ensureLab(2);
    const since = Math.floor(Date.now() / 1000);
    stateBefore = nodeState(NODE, since);
    const r = runAudit(["--json"]);
    exit = r.status;
    assert.equal(r.stderr.replace(/npm warn.*\n/g, ""), "", "the audit prints nothing on stderr");
    const report = JSON.parse(r.stdout) as {
      nodes: { node: string; checks: CheckResult[]; error?: string }[];
    };
    assert.equal(report.nodes.length, 1);
    assert.equal(report.nodes[0].error, undefined);
    checks = report.nodes[0].checks;
    stateAfter = nodeState(NODE, since);
  });

  const check = (id: string) => {
    const c = checks.find((x) => x.id === id);
    assert.ok(c, `no check ${id} in the report`);
    return c;
  };

  it("exits non-zero because a must check fails", () => {
    assert.equal(exit, 1);
  });

  it("makes no change on the node (files, rules, MySQL users, ngcp-config, packages)", () => {
    assert.equal(stateAfter, stateBefore);
    assert.match(stateAfter, /-- modified since\n$/, "nothing under /etc, /root or /home was modified");
  });

  const EXPECTED: readonly [string, string, RegExp][] = [
    [
      "support-access",
      "warn",
      /^enabled \(ngcp-support-access: installed, ngcp-support-noaccess: not installed, sipwise has 2 authorized key\(s\)\)/,
    ],
    ["firewall-present", "fail", /ipv4: no filtering \(INPUT policy ACCEPT, no rules\); ipv6: no filtering/],
    ["firewall-admin-ports", "fail", /ipv4: ports 22, 1443, 2443 open to every source/],
    ["rtpengine-rule", "fail", /ipv4: missing from INPUT of the filter table; ipv6: missing/],
    [
      "mysql-root-password",
      "fail",
      /MySQL accepted root with an empty password over 127\.0\.0\.1; accounts without a password: root@localhost/,
    ],
    ["root-password-default", "fail", /root's password is still `sipwise`/],
    [
      "preinstalled-keys",
      "fail",
      /\/root\/\.ssh\/authorized_keys: ssh-ed25519 sipwise-vm-image SHA256:.*\/home\/sipwise\/\.ssh\/authorized_keys: ssh-ed25519 sipwise-vm-image/,
    ],
    ["cdrexport-login", "pass", /login disabled \(password locked, no key\)/],
    [
      "web-administrator-password",
      "fail",
      /^one login attempt as administrator with the default password on 127\.0\.0\.1:1443 \(through SSH\): ACCEPTED/,
    ],
    [
      "certificate-default",
      "warn",
      /\/etc\/ngcp-config\/ssl\/myserver\.crt .*self-signed CN=myserver \(the vendor default\)/,
    ],
    ["certificate-key-match", "pass", /1 pair\(s\) match/],
    ["sip-tls", "warn", /off \(kamailio\.lb\.tls\.enable: no/],
    ["backup-configured", "fail", /no backup schedule found/],
    ["backup-recent", "fail", /no backup has run/],
    ["backup-drill", "warn", /^no restore drill recorded on the node/],
    ["backup-coverage", "fail", /no backup set to inspect/],
    ["noatime", "warn", /without noatime/],
  ];
  for (const [id, status, evidence] of EXPECTED) {
    it(`${id}: ${status} with the node's evidence`, () => {
      const c = check(id);
      assert.equal(c.status, status, c.evidence);
      assert.match(c.evidence, evidence);
    });
  }

  it("never prints a password or a shadow hash", () => {
    const text = JSON.stringify(checks);
    assert.doesNotMatch(text, /\$6\$/);
    assert.doesNotMatch(text, /password[^.]*: ?sipwise/i);
  });

  it("prints the same grades as a Markdown report, still exiting 1", () => {
    const r = runAudit(["--format", "markdown"]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^# ngcp-fleet posture audit/m);
    assert.match(r.stdout, /^## ngcp2 \(root@198\.18\.0\.12:22\)/m);
    assert.match(
      r.stdout,
      /^\| mysql-root-password \| fail \| must \| MySQL accepted root with an empty password/m,
    );
  });
});
