import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parseBackupInputs, type BackupInputs } from "../../providers/backup/inputs";
import { parseManifest } from "../../providers/backup/manifest";
import { backupIdOf, backupIdTime, planRetention, selectBackup } from "../../providers/backup/retention";
import {
  BACKUP_MARKER,
  backupStepCount,
  lastSuccessFile,
  parseProgressLine,
  planBackupInstall,
  renderBackupScript,
  renderCronFile,
  renderKnownHosts,
  renderMysqlOptionsFile,
  renderSystemdUnits,
} from "../../providers/backup/script";
import { backupDrift, lockProbeScript, parseStatus, type BackupStatus } from "../../providers/backup/status";
import { parseTableStatsTsv, tableStatsListSql, unescapeBatch } from "../../providers/backup/tableStats";
import { fixturePath } from "../support/fixtures";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKSVL0SxxA3SpWh4uMZ7yiKceXTWITc1sj1dGFazJrzi";

function fixture(name: string): string {
  return readFileSync(fixturePath("backup", name), "utf8");
}

function inputs(raw: Record<string, unknown> = {}): BackupInputs {
  const parsed = parseBackupInputs(raw);
  assert.ok(parsed.ok);
  return parsed.inputs;
}

function status(name: string): BackupStatus {
  const parsed = parseStatus(fixture(name));
  assert.ok(parsed.ok, !parsed.ok ? parsed.error : "");
  return parsed.status;
}

describe("backup rendering: the schedule on the node", () => {
  it("GIVEN the defaults WHEN the cron file is rendered THEN it opens with the marker and runs the script daily as root", () => {
    const text = renderCronFile(inputs());
    assert.ok(text.startsWith(BACKUP_MARKER));
    assert.match(text, /^30 3 \* \* \* root \/usr\/local\/sbin\/ngcp-fleet-backup$/m);
    assert.match(text, /^SHELL=\/bin\/sh$/m);
    assert.ok(text.endsWith("\n"), "cron ignores a last line without a newline");
  });

  it("GIVEN a nickname WHEN the cron file is rendered THEN the 5-field form is written", () => {
    assert.match(renderCronFile(inputs({ schedule: "@weekly" })), /^0 0 \* \* 0 root /m);
  });

  it("GIVEN scheduler systemd WHEN units are rendered THEN the timer carries the translated OnCalendar", () => {
    const units = renderSystemdUnits(inputs({ scheduler: "systemd", schedule: "*/15 2-4 * * mon-fri" }));
    assert.equal(units.timer.path, "/etc/systemd/system/ngcp-fleet-backup.timer");
    assert.match(units.timer.content, /^OnCalendar=Mon\.\.Fri \*-\*-\* 02\.\.04:00\/15:00$/m);
    assert.match(units.timer.content, /^Persistent=true$/m);
    assert.match(units.service.content, /^ExecStart=\/usr\/local\/sbin\/ngcp-fleet-backup$/m);
    assert.match(units.service.content, /^SuccessExitStatus=75$/m);
    assert.ok(
      units.timer.content.startsWith(BACKUP_MARKER) && units.service.content.startsWith(BACKUP_MARKER),
    );
  });

  it("the install plan writes the script 0755 and the schedule, and removes the other scheduler's files", () => {
    const cron = planBackupInstall(inputs());
    assert.deepEqual(
      cron.files.map((f) => [f.path, f.mode.toString(8)]),
      [
        ["/usr/local/sbin/ngcp-fleet-backup", "755"],
        ["/etc/cron.d/ngcp-fleet-backup", "644"],
      ],
    );
    assert.ok(cron.remove.includes("/etc/systemd/system/ngcp-fleet-backup.timer"));
    assert.ok(cron.remove.includes("/etc/ngcp-fleet/backup_known_hosts"));
    const systemd = planBackupInstall(
      inputs({ scheduler: "systemd", offNode: { host: "b.example", path: "/srv/b", hostKey: HOST_KEY } }),
    );
    assert.ok(systemd.remove.includes("/etc/cron.d/ngcp-fleet-backup"));
    assert.ok(systemd.files.some((f) => f.path === "/etc/ngcp-fleet/backup_known_hosts"));
    assert.deepEqual(systemd.commands[1], ["systemctl", "enable", "--now", "ngcp-fleet-backup.timer"]);
  });

  it("pins the backup host's key under the name ssh looks up (plain on port 22, [host]:port otherwise)", () => {
    const base = {
      host: "b.example",
      user: "root",
      path: "/srv/b",
      hostKey: `${HOST_KEY} comment`,
      privateKeyPath: "/k",
    };
    assert.equal(renderKnownHosts({ ...base, port: 22 }), `b.example ${HOST_KEY}\n`);
    assert.equal(renderKnownHosts({ ...base, port: 2222 }), `[b.example]:2222 ${HOST_KEY}\n`);
  });

  it("writes an option file whose values survive quotes, backslashes and comment characters", () => {
    const text = renderMysqlOptionsFile({ user: "backup", password: `p"a\\s's #;x` });
    assert.match(text, /^\[client\]$/m);
    assert.match(text, /^password="p\\"a\\\\s's #;x"$/m);
  });
});

describe("backup rendering: the script's inputs reach it only as quoted shell words", () => {
  it("GIVEN hostile paths WHEN the script is rendered THEN bash parses it and every value is a single word", () => {
    const hostile = '/opt/it\'s $(reboot) `id` \\ "q"';
    const text = renderBackupScript(
      inputs({ customPaths: [hostile], destination: "/srv/back ups/ngcp", includeCdrExport: true }),
    );
    // Only the header assigns values; evaluate it and print the arrays back.
    const header = text.slice(0, text.indexOf("# table_stats"));
    const out = execFileSync("bash", [
      "-c",
      `${header}\nprintf '%s\\n' "$DEST" "\${CUSTOM_PATHS[@]}" "$CUSTOM_JSON"`,
    ])
      .toString()
      .split("\n");
    assert.equal(out[0], "/srv/back ups/ngcp");
    assert.equal(out[1], hostile);
    assert.deepEqual(JSON.parse(`[${out[2]}]`), [hostile]);
    execFileSync("bash", ["-n"], { input: text });
  });

  it("never puts a password into the script: only the option file's path", () => {
    const text = renderBackupScript(inputs({ mysqlOptionsFile: "/etc/mysql/ngcp-fleet-backup.cnf" }));
    assert.match(text, /--defaults-extra-file=\$MYSQL_OPTIONS/);
    assert.doesNotMatch(text, /--password|-p\S/);
  });

  it("counts one progress step per part of the run", () => {
    assert.equal(backupStepCount(inputs()), 8);
    assert.equal(
      backupStepCount(
        inputs({
          includeCdrExport: true,
          customPaths: ["/opt/x"],
          offNode: { host: "b", path: "/srv/b", hostKey: HOST_KEY },
        }),
      ),
      11,
    );
    assert.match(renderBackupScript(inputs()), /^STEP_TOTAL=8$/m);
  });

  it("reads the scripts' progress lines for the CLI", () => {
    assert.deepEqual(parseProgressLine("ngcp-fleet-backup: [3/8] dumping all databases\n"), {
      script: "backup",
      step: 3,
      of: 8,
      title: "dumping all databases",
    });
    assert.equal(
      parseProgressLine("ngcp-fleet-restore: [6/6] ngcpcfg apply (handbook 15.5.2)")?.script,
      "restore",
    );
    assert.equal(parseProgressLine("gzip: stdout: No space left on device"), undefined);
  });

  it("keeps the last success next to the status file", () => {
    assert.equal(
      lastSuccessFile("/var/lib/ngcp-fleet/backup-status.json"),
      "/var/lib/ngcp-fleet/backup-status.last-success.json",
    );
  });
});

describe("backup status and drift (read, refresh)", () => {
  const now = new Date("2026-11-23T12:00:00Z");

  it("every status fixture parses", () => {
    for (const name of ["status-ok.json", "status-failed.json", "status-running-first.json"]) {
      assert.ok(parseStatus(fixture(name)).ok, name);
    }
  });

  it("GIVEN a recent success WHEN checked THEN there is no drift and the outputs name it", () => {
    const drift = backupDrift(status("status-ok.json"), now, 26);
    assert.equal(drift.drifted, false);
    assert.equal(drift.lastResult, "ok");
    assert.deepEqual(drift.lastSuccess, {
      id: "20261123T033000Z",
      finishedAt: "2026-11-23T03:31:15Z",
      ageHours: 8.5,
    });
  });

  it("GIVEN the last success older than maxAgeHours WHEN checked THEN it is drift naming the age", () => {
    const drift = backupDrift(status("status-ok.json"), new Date("2026-11-25T12:00:00Z"), 26);
    assert.equal(drift.drifted, true);
    assert.match(drift.reasons[0], /is 56\.5 h old, more than maxAgeHours \(26 h\)/);
  });

  it("GIVEN a failed last run (full disk) WHEN checked THEN it is drift carrying the error, and the last success is kept", () => {
    const drift = backupDrift(status("status-failed.json"), new Date("2026-11-24T04:00:00Z"), 26);
    assert.equal(drift.drifted, true);
    assert.equal(drift.lastResult, "failed");
    assert.match(drift.reasons.join("\n"), /failed: step dump failed.*No space left on device/);
    assert.equal(drift.lastSuccess?.id, "20261123T033000Z");
  });

  it("GIVEN no status file WHEN checked THEN it is drift, except within maxAgeHours of the install", () => {
    assert.match(backupDrift(undefined, now, 26).reasons[0], /no backup has run/);
    assert.equal(
      backupDrift(undefined, now, 26, { installedAt: new Date("2026-11-23T00:00:00Z") }).drifted,
      false,
    );
    assert.equal(
      backupDrift(undefined, now, 26, { installedAt: new Date("2026-11-20T00:00:00Z") }).drifted,
      true,
    );
  });

  it("GIVEN a run stuck in running for longer than maxAgeHours WHEN checked THEN it is drift", () => {
    const running = status("status-running-first.json");
    assert.deepEqual(
      backupDrift(running, new Date("2026-11-23T04:00:00Z"), 26, {
        installedAt: new Date("2026-11-23T03:00:00Z"),
      }).reasons,
      [],
    );
    const stuck = backupDrift(running, new Date("2026-11-24T12:00:00Z"), 26);
    assert.match(stuck.reasons.join("\n"), /has not finished after 32\.5 h/);
  });

  it("GIVEN a running status WHEN nobody holds the lock THEN the run was killed: drift at once; held THEN it runs", () => {
    const running = status("status-running-first.json");
    const at = new Date("2026-11-23T04:00:00Z");
    const grace = { installedAt: new Date("2026-11-23T03:00:00Z") };
    assert.deepEqual(backupDrift(running, at, 26, { ...grace, runAlive: true }).reasons, []);
    const killed = backupDrift(running, at, 26, { ...grace, runAlive: false });
    assert.equal(killed.drifted, true);
    assert.match(
      killed.reasons.join("\n"),
      /is not running any more and did not finish: it was killed or crashed/,
    );
  });

  it("probes the lock on a real file: free, held by flock, free again", () => {
    const dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-lock-"));
    try {
      const lock = join(dir, "it's.lock");
      const probe = () =>
        execFileSync("sh", ["-c", lockProbeScript(lock)])
          .toString()
          .trim();
      assert.equal(probe(), "free", "no file: nobody's");
      writeFileSync(lock, "");
      assert.equal(probe(), "free");
      // Its own process group: the lock is on an open file that flock's child (sleep) shares.
      const holder = spawn("flock", [lock, "sleep", "30"], { detached: true, stdio: "ignore" });
      try {
        const deadline = Date.now() + 5000;
        while (probe() !== "held") {
          assert.ok(Date.now() < deadline, "flock never took the lock");
        }
      } finally {
        if (holder.pid !== undefined) {
          process.kill(-holder.pid, "SIGKILL");
        }
      }
      const after = Date.now() + 5000;
      while (probe() !== "free") {
        assert.ok(Date.now() < after, "a killed holder's lock is released");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("GIVEN garbage or another format WHEN parsed THEN the error names the problem", () => {
    const notJson = parseStatus("{");
    assert.ok(!notJson.ok && /not JSON/.test(notJson.error));
    const wrong = parseStatus(JSON.stringify({ ...JSON.parse(fixture("status-ok.json")), result: "maybe" }));
    assert.ok(!wrong.ok && /result/.test(wrong.error));
  });
});

describe("backup manifest and table statistics", () => {
  it("the manifest fixture parses, names with quotes and backticks included", () => {
    const parsed = parseManifest(fixture("manifest.json"));
    assert.ok(parsed.ok, !parsed.ok ? parsed.error : "");
    assert.equal(parsed.manifest.tables[3].table, 'we`ird "t"');
    assert.equal(parsed.manifest.tables[0].stable, false);
  });

  it("GIVEN a manifest with a bad SHA-256 WHEN parsed THEN the error names the field", () => {
    const raw = JSON.parse(fixture("manifest.json"));
    raw.artifacts[0].sha256 = "abc";
    const parsed = parseManifest(JSON.stringify(raw));
    assert.ok(!parsed.ok && /artifacts\.0\.sha256/.test(parsed.error));
  });

  it("undoes the client's batch escapes", () => {
    assert.equal(unescapeBatch("a\\tb\\nc\\\\d\\0"), "a\tb\nc\\d\0");
    const rows = parseTableStatsTsv("billing\tcontracts\t3\t3408350374\nx\\ty\tz\t0\tNULL\nnoise\n");
    assert.deepEqual(rows, [
      { schema: "billing", table: "contracts", rows: 3, checksum: "3408350374" },
      { schema: "x\ty", table: "z", rows: 0, checksum: null },
    ]);
  });

  it("leaves the server's own schemas out of the statistics", () => {
    assert.match(
      tableStatsListSql(),
      /NOT IN \('mysql', 'information_schema', 'performance_schema', 'sys'\)/,
    );
  });
});

describe("backup retention (count and/or days)", () => {
  const now = new Date("2026-11-23T12:00:00Z");
  const daily = (n: number) =>
    Array.from({ length: n }, (_, i) => backupIdOf(new Date(now.getTime() - i * 86_400_000)));

  it("ids round-trip with their UTC time", () => {
    assert.equal(backupIdOf(new Date("2026-11-23T03:30:00.123Z")), "20261123T033000Z");
    assert.equal(backupIdTime("20261123T033000Z").toISOString(), "2026-11-23T03:30:00.000Z");
    assert.throws(() => backupIdTime("latest"), /not a backup id/);
  });

  it("GIVEN count 3 WHEN 10 daily backups exist THEN the newest 3 are kept", () => {
    const plan = planRetention(daily(10), now, { count: 3 });
    assert.deepEqual(plan.keep, daily(3).reverse());
    assert.equal(plan.prune.length, 7);
  });

  it("GIVEN days 5 WHEN 10 daily backups exist THEN those younger than 5 days are kept", () => {
    assert.equal(planRetention(daily(10), now, { days: 5 }).keep.length, 5);
  });

  it("GIVEN both rules THEN a backup either rule keeps is kept", () => {
    assert.equal(planRetention(daily(10), now, { count: 2, days: 5 }).keep.length, 5);
    assert.equal(planRetention(daily(10), now, { count: 7, days: 1 }).keep.length, 7);
  });

  it("never prunes the backup just made, nor anything that is not a backup id", () => {
    const plan = planRetention(
      ["20200101T000000Z", "pre-restore-x", "lost+found"],
      now,
      { count: 1, days: 1 },
      "20200101T000000Z",
    );
    assert.deepEqual(plan.keep, ["20200101T000000Z"]);
    assert.deepEqual(plan.prune, []);
  });

  it("properties: keep and prune split the ids; the newest `count` are kept; adding a rule never prunes more", () => {
    const id = fc
      .date({
        min: new Date("2020-01-01T00:00:00Z"),
        max: new Date("2026-11-23T11:59:59Z"),
        noInvalidDate: true,
      })
      .map(backupIdOf);
    fc.assert(
      fc.property(
        fc.uniqueArray(id, { maxLength: 40 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 400 }),
        (ids, count, days) => {
          const byCount = planRetention(ids, now, { count });
          const both = planRetention(ids, now, { count, days });
          assert.equal(byCount.keep.length + byCount.prune.length, ids.length);
          assert.deepEqual(byCount.keep, [...ids].sort().slice(-count));
          for (const pruned of both.prune) {
            assert.ok(byCount.prune.includes(pruned));
          }
        },
      ),
    );
  });

  it("selects latest or a named backup, and says what exists when the name is wrong", () => {
    const ids = ["20261121T033000Z", "20261123T033000Z", "20261122T033000Z", "pre-restore-20261120T000000Z"];
    assert.deepEqual(selectBackup(ids, "latest"), { ok: true, id: "20261123T033000Z" });
    assert.deepEqual(selectBackup(ids, "20261122T033000Z"), { ok: true, id: "20261122T033000Z" });
    const missing = selectBackup(ids, "20261101T000000Z");
    assert.ok(!missing.ok && /the newest are: 20261123T033000Z, 20261122T033000Z/.test(missing.reason));
    const bad = selectBackup(ids, "yesterday");
    assert.ok(!bad.ok && /"latest" or a backup id/.test(bad.reason));
    assert.ok(!selectBackup([], "latest").ok);
  });
});
