import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { parseManifest, type BackupManifest, type TableStat } from "../../providers/backup/manifest";
import {
  confirmationMatches,
  planResetDb,
  resetDbWarning,
  RESET_DB_ARGV,
} from "../../operations/recovery/confirm";
import {
  compareTableStats,
  parseDrillOutput,
  renderDrillReport,
  renderDrillScript,
} from "../../operations/recovery/drill";
import {
  parseSha256sums,
  planRestore,
  renderDryRun,
  restoreTargetPaths,
  restoreWarning,
  verifyManifest,
} from "../../operations/recovery/restore";
import { renderRestoreScript } from "../../operations/recovery/restoreScript";
import { fixturePath } from "../support/fixtures";

function manifest(): BackupManifest {
  const parsed = parseManifest(readFileSync(fixturePath("backup", "manifest.json"), "utf8"));
  assert.ok(parsed.ok);
  return parsed.manifest;
}

const options = { node: "ngcp1", destination: "/var/backups/ngcp-fleet", timestamp: "20261124T101500Z" };

describe("recovery: planning a restore (handbook 15.5.2)", () => {
  it("GIVEN a node with every file WHEN planned THEN the steps follow the handbook: verify first, files, dump, ngcpcfg apply", () => {
    const m = manifest();
    const live = [
      "/etc/ngcp-config/config.yml",
      "/etc/ngcp-config/constants.yml",
      "/etc/ngcp-config/network.yml",
      "/etc/mysql/sipwise.cnf",
    ];
    const plan = planRestore(m, live, options);
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(
      plan.steps.map((s) => s.id),
      ["verify", "stage", "keep-aside", "restore-files", "restore-database", "apply"],
    );
    assert.deepEqual(
      plan.steps.filter((s) => s.handbook).map((s) => s.handbook),
      ["15.5.2 step 2", "15.5.2 step 3", "15.5.2 step 4"],
    );
    assert.deepEqual(
      plan.files.map((f) => [f.target, f.member, f.exists]),
      [
        ["/etc/ngcp-config/config.yml", "etc/ngcp-config/config.yml", true],
        ["/etc/ngcp-config/constants.yml", "etc/ngcp-config/constants.yml", true],
        ["/etc/ngcp-config/network.yml", "etc/ngcp-config/network.yml", true],
        ["/etc/mysql/sipwise.cnf", "etc/mysql/sipwise.cnf", true],
      ],
    );
    assert.equal(
      plan.files[0].keptAs,
      "/var/backups/ngcp-fleet/pre-restore-20261124T101500Z/etc/ngcp-config/config.yml",
    );
    assert.equal(plan.backupDir, "/var/backups/ngcp-fleet/20261123T033000Z");
    assert.equal(plan.applyMessage, "ngcp-fleet: restore of backup 20261123T033000Z on ngcp1");
    // Only the artifacts the restore uses are verified (not the CDR archive).
    assert.deepEqual(
      plan.checksums.map((c) => c.name),
      ["databases.sql.gz", "ngcp-config.tar.gz", "mysql-config.tar.gz"],
    );
    assert.deepEqual(
      restoreTargetPaths(m, options),
      plan.files.map((f) => f.target),
    );
  });

  it("GIVEN a freshly installed node without network.yml WHEN dry-run THEN it lists what is overwritten and what is created", () => {
    const plan = planRestore(
      manifest(),
      ["/etc/ngcp-config/config.yml", "/etc/ngcp-config/constants.yml", "/etc/mysql/sipwise.cnf"],
      options,
    );
    const text = renderDryRun(plan, manifest());
    assert.match(text, /dry run, nothing changed/);
    assert.match(
      text,
      /Would overwrite[^]*\/etc\/ngcp-config\/config\.yml {2}→ kept as \/var\/backups\/ngcp-fleet\/pre-restore-20261124T101500Z\/etc\/ngcp-config\/config\.yml/,
    );
    assert.match(text, /Would create[^]*\/etc\/ngcp-config\/network\.yml/);
    assert.match(text, /Would replace EVERY database .*databases\.sql\.gz \(4 table\(s\) in the manifest\)/);
    assert.match(text, /Would run: ngcpcfg apply "ngcp-fleet: restore of backup 20261123T033000Z on ngcp1"/);
    assert.match(text, /NGCP mr11\.5\.1/);
  });

  it("GIVEN an older-edition backup with debian.cnf WHEN planned THEN debian.cnf is restored too, unless turned off", () => {
    const m = manifest();
    const older: BackupManifest = {
      ...m,
      edition: "older",
      artifacts: m.artifacts.map((a) =>
        a.kind === "mysql-config" ? { ...a, paths: ["/etc/mysql/sipwise.cnf", "/etc/mysql/debian.cnf"] } : a,
      ),
    };
    assert.ok(planRestore(older, [], options).files.some((f) => f.target === "/etc/mysql/debian.cnf"));
    assert.ok(
      !planRestore(older, [], { ...options, restoreDebianCnf: false }).files.some(
        (f) => f.target === "/etc/mysql/debian.cnf",
      ),
    );
    assert.match(
      planRestore(m, [], { ...options, restoreDebianCnf: true }).problems.join(),
      /no debian\.cnf/,
    );
  });

  it("GIVEN other target paths WHEN planned THEN members map from the backup's paths to the new ones", () => {
    const plan = planRestore(manifest(), [], {
      ...options,
      targets: { ngcpConfigDir: "/srv/ngcp-config", sipwiseCnf: "/srv/sipwise.cnf" },
    });
    assert.deepEqual(
      plan.files.map((f) => f.target),
      [
        "/srv/ngcp-config/config.yml",
        "/srv/ngcp-config/constants.yml",
        "/srv/ngcp-config/network.yml",
        "/srv/sipwise.cnf",
      ],
    );
    assert.equal(plan.files[3].member, "etc/mysql/sipwise.cnf");
  });

  const broken: [string, (m: BackupManifest) => BackupManifest, RegExp][] = [
    [
      "no dump",
      (m) => ({ ...m, artifacts: m.artifacts.filter((a) => a.kind !== "databases") }),
      /no database dump/,
    ],
    [
      "no config archive",
      (m) => ({ ...m, artifacts: m.artifacts.filter((a) => a.kind !== "ngcp-config") }),
      /no \/etc\/ngcp-config archive/,
    ],
    [
      "no sipwise.cnf",
      (m) => ({ ...m, artifacts: m.artifacts.filter((a) => a.kind !== "mysql-config") }),
      /no sipwise\.cnf/,
    ],
    [
      "no config.yml",
      (m) => ({
        ...m,
        artifacts: m.artifacts.map((a) =>
          a.kind === "ngcp-config" ? { ...a, files: ["constants.yml"] } : a,
        ),
      }),
      /holds no config\.yml/,
    ],
  ];
  for (const [name, damage, reason] of broken) {
    it(`GIVEN a backup with ${name} WHEN planned THEN the plan has a problem and no script is rendered`, () => {
      const plan = planRestore(damage(manifest()), [], options);
      assert.match(plan.problems.join("\n"), reason);
      assert.match(renderDryRun(plan), /Cannot restore:/);
      assert.throws(() => renderRestoreScript(plan, { sipwiseCnf: "/etc/mysql/sipwise.cnf" }), /cannot run/);
    });
  }

  it("renders a restore script bash accepts, with the manifest's checksums and no password", () => {
    const plan = planRestore(manifest(), [], { ...options, applyMessage: "it's $(restored)" });
    const text = renderRestoreScript(plan, { sipwiseCnf: "/etc/mysql/sipwise.cnf" });
    execFileSync("bash", ["-n"], { input: text });
    assert.match(text, /^APPLY_MESSAGE='it'\\''s \$\(restored\)'$/m);
    assert.ok(text.includes(`${manifest().artifacts[0].sha256}  databases.sql.gz`));
    assert.match(text, /^STEP_TOTAL=6$/m);
    assert.match(restoreWarning(plan), /Type the node name \(ngcp1\)/);
  });
});

describe("recovery: verifying a backup against its manifest", () => {
  it("parses sha256sum output in both modes", () => {
    const a = "a".repeat(64);
    const b = "B".repeat(64);
    assert.deepEqual(
      parseSha256sums(`${a}  databases.sql.gz\n${b} */x/ngcp-config.tar.gz\nsha256sum: x: No such file\n`),
      {
        "databases.sql.gz": a,
        "ngcp-config.tar.gz": "b".repeat(64),
      },
    );
  });

  it("GIVEN matching sums THEN ok; GIVEN one changed or missing THEN that artifact is named", () => {
    const m = manifest();
    const sums = Object.fromEntries(m.artifacts.map((a) => [a.name, a.sha256]));
    assert.equal(verifyManifest(m, sums).ok, true);
    const changed = verifyManifest(m, { ...sums, "databases.sql.gz": "0".repeat(64) });
    assert.equal(changed.ok, false);
    assert.deepEqual(
      changed.artifacts.filter((a) => a.result !== "ok").map((a) => [a.name, a.result]),
      [["databases.sql.gz", "mismatch"]],
    );
    const { ["cdrexport.tar.gz"]: _gone, ...rest } = sums;
    assert.deepEqual(
      verifyManifest(m, rest)
        .artifacts.filter((a) => a.result !== "ok")
        .map((a) => [a.name, a.result]),
      [["cdrexport.tar.gz", "missing"]],
    );
  });
});

describe("recovery: restore drill comparison", () => {
  const stats = () => manifest().tables;
  const restoredFrom = (tables: readonly TableStat[]) =>
    tables.map((t) => ({ schema: t.schema, table: t.table, rows: t.rows, checksum: t.checksum }));

  it("GIVEN a faithful restore THEN every table passes; the table that changed during the dump passes on its row range", () => {
    const result = compareTableStats(stats(), restoredFrom(stats()));
    assert.equal(result.ok, true);
    assert.equal(result.passed, 4);
    assert.match(result.tables[0].reason, /changed during the dump: rows 1200 within \[1200, 1203\]/);
    assert.match(renderDrillReport(result, "20261123T033000Z"), /PASS — 4 passed, 0 failed, 0 unverified/);
  });

  it("GIVEN a lost row, a changed checksum or a missing table THEN that table fails and the drill fails", () => {
    const restored = restoredFrom(stats());
    restored[1] = { ...restored[1], rows: 2 };
    restored[2] = { ...restored[2], checksum: "1" };
    restored.splice(3, 1);
    const result = compareTableStats(stats(), restored);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.tables.map((t) => [t.table, t.result]),
      [
        ["cdr", "pass"],
        ["contracts", "fail"],
        ["voip_subscribers", "fail"],
        ['we`ird "t"', "fail"],
      ],
    );
    assert.match(result.tables[1].reason, /rows 2 ≠ 3/);
    assert.match(result.tables[2].reason, /checksum 1 ≠ 2946402071/);
    assert.match(result.tables[3].reason, /missing after the restore/);
    assert.match(renderDrillReport(result, "x"), /FAIL — 1 passed, 3 failed/);
  });

  it("GIVEN a changed table restored outside its row range THEN it fails; an extra table is unverified, not failed", () => {
    const restored = [...restoredFrom(stats()), { schema: "new", table: "t", rows: 1, checksum: "5" }];
    restored[0] = { ...restored[0], rows: 1300 };
    const result = compareTableStats(stats(), restored);
    assert.equal(result.tables[0].result, "fail");
    assert.equal(result.tables[4].result, "unverified");
    assert.equal(result.failed, 1);
  });

  it("property: a restore equal to the manifest always passes; changing one stable table's rows always fails it", () => {
    const name = fc.string({ minLength: 1, maxLength: 8 });
    const stat = fc.record({
      schema: name,
      table: name,
      rows: fc.nat({ max: 1_000_000 }),
      checksum: fc.option(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), { nil: null }),
      stable: fc.constant(true),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(stat, { selector: (s) => `${s.schema}\u0000${s.table}`, minLength: 1, maxLength: 20 }),
        fc.nat(),
        (tables, pick) => {
          assert.equal(compareTableStats(tables, restoredFrom(tables)).ok, true);
          const broken = restoredFrom(tables);
          const i = pick % broken.length;
          broken[i] = { ...broken[i], rows: broken[i].rows + 1 };
          const result = compareTableStats(tables, broken);
          assert.equal(result.ok, false);
          assert.equal(result.tables[i].result, "fail");
        },
      ),
    );
  });

  it("reads the drill's measurements between its markers, and refuses an output without them", () => {
    const out =
      "ngcp-fleet-drill: [4/5] x\n--- ngcp-fleet table stats begin ---\nbilling\tcontracts\t3\t3408350374\n--- ngcp-fleet table stats end ---\n";
    assert.deepEqual(parseDrillOutput(out), [
      { schema: "billing", table: "contracts", rows: 3, checksum: "3408350374" },
    ]);
    assert.throws(() => parseDrillOutput("killed"), /no table statistics/);
  });

  it("renders a drill script bash accepts, and refuses a bad checksum or work dir", () => {
    const ok = {
      dumpFile: "/var/backups/ngcp-fleet/x/databases.sql.gz",
      dumpSha256: "a".repeat(64),
      compression: "gzip" as const,
      workDir: "/var/tmp/drill x",
    };
    execFileSync("bash", ["-n"], { input: renderDrillScript(ok) });
    assert.throws(() => renderDrillScript({ ...ok, dumpSha256: "nope" }), /dumpSha256/);
    assert.throws(() => renderDrillScript({ ...ok, workDir: "/" }), /workDir/);
    assert.throws(() => renderDrillScript({ ...ok, bufferPool: "1; rm" }), /bufferPool/);
  });
});

describe("recovery: typed confirmations (restore, reset-db handbook 15.6)", () => {
  const cases: [string, string, boolean][] = [
    ["ngcp1", "ngcp1", true],
    ["  ngcp1\n", "ngcp1", true],
    ["NGCP1", "ngcp1", false],
    ["ngcp2", "ngcp1", false],
    ["yes", "ngcp1", false],
    ["", "ngcp1", false],
    ["ngcp", "ngcp1", false],
    ["ngcp1 ngcp1", "ngcp1", false],
    ["", "", false],
  ];
  for (const [typed, node, expected] of cases) {
    it(`typing ${JSON.stringify(typed)} for node ${JSON.stringify(node)} ${expected ? "confirms" : "refuses"}`, () => {
      assert.equal(confirmationMatches(typed, node), expected);
    });
  }

  it("reset-db warns that all data is wiped with no way back, and runs ngcp-reset-db only when confirmed", () => {
    const warning = resetDbWarning("ngcp1");
    assert.match(warning, /ALL existing data is wiped/);
    assert.match(warning, /NO way to restore it/);
    assert.match(warning, /new unique passwords/);
    assert.match(warning, /Type the node name \(ngcp1\)/);
    assert.deepEqual(planResetDb("ngcp1", "ngcp1\n"), { ok: true, argv: RESET_DB_ARGV });
    const refused = planResetDb("ngcp1", "ngcp2");
    assert.ok(!refused.ok && /does not name the node ngcp1: nothing was run/.test(refused.reason));
  });
});
