import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import {
  renderConfirm,
  renderRollbackNow,
  renderRollbackScript,
  rollbackLaunchArgv,
  rollbackPaths,
  rollbackSnapshot,
} from "../../providers/firewall";

const OPTIONS = {
  savedV4Path: "/var/lib/ngcp-fleet/firewall/pre.v4",
  savedV6Path: "/var/lib/ngcp-fleet/firewall/pre.v6",
  seconds: 30,
  token: "apply-20261123-abc123",
};

describe("firewall rollback switch (lockout-safe apply)", () => {
  describe("GIVEN valid options", () => {
    const script = renderRollbackScript(OPTIONS);
    const paths = rollbackPaths(OPTIONS.token);

    it("THEN the script is valid POSIX sh (sh -n)", () => {
      execFileSync("sh", ["-n"], { input: script });
      execFileSync("sh", ["-n"], { input: renderConfirm({ token: OPTIONS.token }) });
    });
    it("THEN it sleeps the given seconds, then restores both saved rulesets only if it wins the decision", () => {
      const lines = script.split("\n");
      const sleep = lines.indexOf("sleep 30");
      const decide = lines.findIndex((line) => line.startsWith(`mkdir ${paths.decided} `));
      const restore = lines.findIndex((line) =>
        line.includes(
          "iptables-restore -w 5 < /var/lib/ngcp-fleet/firewall/pre.v4 && ip6tables-restore -w 5 < /var/lib/ngcp-fleet/firewall/pre.v6",
        ),
      );
      assert.ok(sleep >= 0 && decide > sleep && restore > decide, script);
    });
    it("THEN the immediate variant (an apply that failed half-way) is the same restore without the sleep", () => {
      const now = renderRollbackNow(OPTIONS);
      execFileSync("sh", ["-n"], { input: now });
      assert.doesNotMatch(now, /^sleep /m);
      assert.match(
        now,
        /^mkdir \/run\/ngcp-fleet\/firewall\/apply-20261123-abc123\.decided 2>\/dev\/null \|\| exit 0$/m,
      );
    });
    it("THEN its files live under /run, named by the token", () => {
      assert.deepEqual(paths, {
        script: "/run/ngcp-fleet/firewall/apply-20261123-abc123.rollback.sh",
        decided: "/run/ngcp-fleet/firewall/apply-20261123-abc123.decided",
        result: "/run/ngcp-fleet/firewall/apply-20261123-abc123.result",
      });
      assert.deepEqual(rollbackLaunchArgv(paths), ["setsid", "-f", "sh", paths.script]);
    });
    it("THEN a path with spaces or quotes is quoted by the one quoting helper", () => {
      const quoted = renderRollbackScript({ ...OPTIONS, savedV4Path: "/var/lib/it's here/pre.v4" });
      assert.ok(quoted.includes("< '/var/lib/it'\\''s here/pre.v4'"), quoted);
      execFileSync("sh", ["-n"], { input: quoted });
    });
  });

  describe("GIVEN invalid options WHEN rendered THEN it refuses, naming the option", () => {
    const cases: [string, Partial<typeof OPTIONS>, RegExp][] = [
      ["a short token", { token: "abc" }, /token must be 8\.\.64/],
      ["a token with a slash", { token: "../../etc/passwd" }, /token/],
      ["a token with shell characters", { token: "abcdefgh;rm" }, /token/],
      ["too few seconds", { seconds: 1 }, /seconds must be an integer 5\.\.3600/],
      ["fractional seconds", { seconds: 7.5 }, /seconds/],
      ["a relative saved path", { savedV4Path: "pre.v4" }, /savedV4Path must be an absolute path/],
      ["a path with a newline", { savedV6Path: "/tmp/a\nreboot" }, /savedV6Path/],
    ];
    for (const [name, override, message] of cases) {
      it(`refuses ${name}`, () => {
        assert.throws(() => renderRollbackScript({ ...OPTIONS, ...override }), message);
      });
    }
  });

  describe("GIVEN the confirmation and the rollback racing for one decision (run with the real sh)", () => {
    let directory: string;
    beforeEach(() => {
      directory = mkdtempSync(join(tmpdir(), "fw-rollback-"));
    });
    afterEach(() => {
      rmSync(directory, { recursive: true, force: true });
    });

    it("WHEN the confirmation comes first THEN it wins (exit 0, 'confirmed') and a repeated confirmation succeeds too", () => {
      const confirm = renderConfirm({ token: OPTIONS.token, directory });
      const first = spawnSync("sh", ["-c", confirm], { encoding: "utf8" });
      assert.equal(first.status, 0);
      assert.equal(first.stdout.trim(), "confirmed");
      const second = spawnSync("sh", ["-c", confirm], { encoding: "utf8" });
      assert.equal(second.status, 0);
      assert.equal(second.stdout.trim(), "confirmed");
    });

    it("WHEN the rollback decided first THEN the confirmation loses (exit 3) and reports what the rollback did", () => {
      const paths = rollbackPaths(OPTIONS.token, directory);
      execFileSync("mkdir", [paths.decided]);
      const during = spawnSync("sh", ["-c", renderConfirm({ token: OPTIONS.token, directory })], {
        encoding: "utf8",
      });
      assert.equal(during.status, 3);
      assert.equal(during.stdout.trim(), "rolling-back");
      writeFileSync(paths.result, "rolled-back\n");
      const after = spawnSync("sh", ["-c", renderConfirm({ token: OPTIONS.token, directory })], {
        encoding: "utf8",
      });
      assert.equal(after.status, 3);
      assert.equal(after.stdout.trim(), "rolled-back");
      assert.equal(readFileSync(paths.result, "utf8"), "rolled-back\n");
    });
  });

  describe("GIVEN the ruleset saved before the apply", () => {
    it("WHEN the node had a filter table THEN the snapshot is the save as it was", () => {
      const save = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n";
      assert.equal(rollbackSnapshot(save), save);
    });
    it("WHEN the node had no filter table (empty save) THEN the snapshot is an explicit empty filter table, so a rollback removes our DROP policy", () => {
      assert.equal(
        rollbackSnapshot(""),
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
      );
    });
    it("WHEN the node had only a nat table THEN the snapshot keeps it and adds the empty filter table", () => {
      assert.match(
        rollbackSnapshot("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT"),
        /^\*nat\n:PREROUTING ACCEPT \[0:0\]\nCOMMIT\n\*filter\n/,
      );
    });
  });
});
