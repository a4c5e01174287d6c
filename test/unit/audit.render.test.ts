import { strict as assert } from "node:assert";
import type { CheckResult } from "../../operations/audit/checks";
import {
  exitStatus,
  renderJson,
  renderMarkdown,
  renderTable,
  type AuditReport,
} from "../../operations/audit/render";
import {
  certificatePairs,
  parseCertsRead,
  parseFirstRead,
  parsedConfig,
  renderSnapshotScript,
} from "../../operations/audit/snapshot";

const check = (over: Partial<CheckResult>): CheckResult => ({
  id: "mysql-root-password",
  title: "MySQL root has a password",
  status: "pass",
  severity: "must",
  evidence: "refused",
  handbook: "15.3",
  fix: "set it",
  ...over,
});

const report = (checks: CheckResult[], error?: string): AuditReport => ({
  at: "2026-11-23T10:00:00.000Z",
  stack: "lab",
  nodes: [{ node: "ngcp2", address: "root@198.18.0.12:22", checks, ...(error ? { error } : {}) }],
});

describe("audit report", () => {
  it("exits 1 only when a must check fails or a node could not be read", () => {
    assert.equal(exitStatus(report([check({})])), 0);
    assert.equal(exitStatus(report([check({ status: "fail", severity: "should" })])), 0);
    assert.equal(exitStatus(report([check({ status: "warn" })])), 0);
    assert.equal(exitStatus(report([check({ status: "fail" })])), 1);
    assert.equal(exitStatus(report([], "connect ETIMEDOUT")), 1);
  });

  it("renders a table per node with every check, and the fix only for what does not pass", () => {
    const text = renderTable(
      report([check({}), check({ id: "noatime", status: "warn", severity: "should", fix: "remount" })]),
    );
    assert.match(text, /^ngcp2 \(root@198\.18\.0\.12:22\): 1 pass, 1 warn, 0 fail/m);
    assert.match(text, /mysql-root-password/);
    assert.match(text, /WARN/);
    assert.match(text, /remount/);
    assert.doesNotMatch(text, /set it/);
  });

  it("names an unreadable node instead of a table", () => {
    assert.match(
      renderTable(report([], "connect ETIMEDOUT")),
      /ngcp2 \(root@198\.18\.0\.12:22\): NOT AUDITED — connect ETIMEDOUT/,
    );
  });

  it("renders JSON with a summary per node and the exit status", () => {
    const doc = JSON.parse(renderJson(report([check({ status: "fail" })])));
    assert.equal(doc.exitStatus, 1);
    assert.deepEqual(doc.nodes[0].summary, { pass: 0, warn: 0, fail: 1, failed: true });
    assert.equal(doc.nodes[0].checks[0].id, "mysql-root-password");
  });

  it("escapes pipes and newlines in Markdown cells", () => {
    const md = renderMarkdown(report([check({ status: "fail", evidence: "a | b\nc" })]));
    assert.match(md, /^\| mysql-root-password \| fail \| must \| a \\\| b<br>c \| 15\.3 \| set it \|$/m);
  });
});

describe("audit snapshot parsing", () => {
  it("the read script only reads (no redirection into a file, no rm, mv, tee or sed -i)", () => {
    const script = renderSnapshotScript();
    assert.doesNotMatch(script, /(^|[^2&])>\s*\/(?!dev\/null)/m);
    assert.doesNotMatch(script, /\b(rm|mv|tee|chmod|chown|touch|mkdir)\b|sed -i/);
  });

  it("reduces shadow lines to their state and keeps the hash out of everything but the verifier's input", () => {
    const out = [
      "@@ngcp-fleet:shadow",
      "root:$6$salt$hash:19723:0:99999:7:::",
      "cdrexport:!:19723:0:99999:7:::",
      "@@ngcp-fleet:homes",
      "root /root",
      "sipwise /home/sipwise",
      "cdrexport /home/jail/home/cdrexport",
      "@@ngcp-fleet:keys root /root/.ssh/authorized_keys",
      "ssh-ed25519 AAAA x",
      "",
      "@@ngcp-fleet:cron /etc/cron.d/ngcp-fleet-backup",
      "# managed by ngcp-fleet: backup schedule",
      "@@ngcp-fleet:iptables",
      "#unavailable",
      "@@ngcp-fleet:end",
    ].join("\n");
    const read = parseFirstRead(out);
    assert.deepEqual(read.accounts, [
      { user: "root", exists: true, password: "hash" },
      { user: "sipwise", exists: true },
      { user: "cdrexport", exists: true, password: "locked" },
    ]);
    assert.deepEqual(read.shadowHashes, { root: "$6$salt$hash" });
    assert.deepEqual(read.authorizedKeys, [
      { user: "root", path: "/root/.ssh/authorized_keys", lines: ["ssh-ed25519 AAAA x"] },
    ]);
    assert.equal(read.cronFiles[0].ours, true);
    assert.equal(read.iptables.ipv4, null);
    assert.equal(read.support.ok, false);
  });

  it("reads each configured certificate pair once, with the services that share it", () => {
    const config = parsedConfig(
      [
        "www_admin:",
        "  http_admin: {sslcertfile: /a.crt, sslcertkeyfile: /a.key}",
        "  http_csc: {sslcertfile: /a.crt, sslcertkeyfile: /a.key}",
        "kamailio:",
        "  lb:",
        "    tls: {enable: 'no', sslcertfile: /s.crt, sslcertkeyfile: /s.key}",
      ].join("\n"),
    );
    assert.ok(config.ok);
    const pairs = certificatePairs(config.doc);
    assert.deepEqual(pairs, [
      { certPath: "/a.crt", keyPath: "/a.key", services: ["admin", "csc"] },
      { certPath: "/s.crt", keyPath: "/s.key", services: ["sipTls"] },
    ]);
    const sha = "a".repeat(64);
    const read = parseCertsRead(
      `@@manifest\n{"id":1}\n@@pair /a.crt /a.key\n@@certpub ${sha}\n@@keypub -\n@@pem\nPEM\n@@pair /s.crt /s.key\n@@certpub -\n@@keypub -\n@@pem\n\n@@end\n`,
      pairs,
    );
    assert.equal(read.manifestJson, '{"id":1}');
    assert.equal(read.certificates[0].certPublicKeySha256, sha);
    assert.equal(read.certificates[0].keyPublicKeySha256, null);
    assert.equal(read.certificates[0].pem, "PEM\n");
    assert.equal(read.certificates[1].pem, null);
  });
});
