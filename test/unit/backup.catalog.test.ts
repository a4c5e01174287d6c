import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { boundedParallel, renderRunSummary, timeoutOption } from "../../cli/backup";
import {
  catalogOf,
  catalogScript,
  humanAge,
  humanBytes,
  parseCatalogOutput,
  renderBackupList,
} from "../../operations/recovery/catalog";
import { fixturePath } from "../support/fixtures";

/** `backup list` and `backup run --stack` (issue 17 item 4): what an operator sees, from the node's files. */

const MANIFEST = readFileSync(fixturePath("backup", "manifest.json"), "utf8");
const ID = (JSON.parse(MANIFEST) as { id: string }).id;

function manifestWithId(id: string): string {
  return MANIFEST.replace(new RegExp(ID, "g"), id);
}

describe("backup list: a node's backups from one read", () => {
  it("GIVEN two backups, a failed later run and a drill WHEN listed THEN the rows say id, age, size, result and drill", () => {
    const later = "20991231T000000Z";
    const status = {
      format: "ngcp-fleet-backup-status/1",
      id: later,
      result: "failed",
      startedAt: "2099-12-31T00:00:00Z",
      finishedAt: "2099-12-31T00:01:00Z",
      error: "step dump: No space left on device",
      step: "dump",
      bytes: 0,
      artifacts: {},
      offNode: "skipped",
      pruned: [],
      destination: "/var/backups/ngcp-fleet",
      hostname: "sp1",
      lastSuccess: null,
    };
    const drill = {
      version: 1,
      node: "ngcp1",
      backupId: ID,
      result: "pass",
      startedAt: "2026-11-24T00:00:00Z",
      finishedAt: "2026-11-24T00:01:00Z",
      tables: { passed: 3, failed: 0, unverified: 0 },
      evidence: "3 table(s) passed, 0 failed, 0 unverified",
    };
    const second = "20261124T033000Z";
    const text = [
      "@@manifest",
      manifestWithId(second),
      "@@manifest",
      MANIFEST,
      "@@status",
      JSON.stringify(status),
      "@@drill",
      JSON.stringify(drill),
    ].join("\n");
    const read = parseCatalogOutput(text);
    assert.deepEqual(read.problems, []);
    const now = new Date(
      Date.parse(`${(JSON.parse(MANIFEST) as { startedAt: string }).startedAt}`) + 2 * 86_400_000,
    );
    const rows = catalogOf("ngcp1", read, now);
    assert.deepEqual(
      rows.map((r) => [r.id, r.result, r.drill]),
      [
        [ID, "ok", "pass"],
        [second, "ok", null],
        [later, "failed", null],
      ],
    );
    const bytes = (JSON.parse(MANIFEST) as { artifacts: { bytes: number }[] }).artifacts.reduce(
      (s, a) => s + a.bytes,
      0,
    );
    assert.equal(rows[0].bytes, bytes);
    assert.equal(rows[0].ageSeconds, 2 * 86_400);
    assert.equal(rows[2].error, "step dump: No space left on device");
    const table = renderBackupList(rows);
    assert.match(table, new RegExp(`ngcp1 .* ${ID} .* 2d 0h .* ok .* pass`));
    assert.match(table, /failed: step dump: No space left on device/);
  });

  it("GIVEN a damaged manifest WHEN listed THEN it is named as a problem, not hidden", () => {
    const read = parseCatalogOutput(`@@manifest\n{"format": 1, "id": "x"}\n@@manifest\n${MANIFEST}`);
    assert.equal(read.manifests.length, 1);
    assert.equal(read.problems.length, 1);
  });

  it("reads a real destination with the node-side script (sh), a quote in the path included", () => {
    const dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-catalog-"));
    try {
      const dest = join(dir, "it's backups");
      mkdirSync(join(dest, ID), { recursive: true });
      mkdirSync(join(dest, "20261124T000000Z.partial"), { recursive: true });
      writeFileSync(join(dest, ID, "manifest.json"), MANIFEST);
      const out = execFileSync("sh", ["-s"], {
        input: catalogScript(dest, join(dir, "absent.json")),
      }).toString();
      const read = parseCatalogOutput(out);
      assert.deepEqual(
        read.manifests.map((m) => m.id),
        [ID],
      );
      assert.equal(read.status, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says ages and sizes the way an operator reads them", () => {
    assert.equal(humanAge(40), "40s");
    assert.equal(humanAge(125), "2m");
    assert.equal(humanAge(7_500), "2h 5m");
    assert.equal(humanAge(3 * 86_400 + 4 * 3600), "3d 4h");
    assert.equal(humanBytes(512), "512 B");
    assert.equal(humanBytes(1536), "1.5 KiB");
    assert.equal(humanBytes(5 * 1024 * 1024), "5.0 MiB");
  });
});

describe("backup run --stack: many nodes, bounded", () => {
  it("never runs more than the width at once, and keeps the nodes' order in the results", async () => {
    let running = 0;
    let peak = 0;
    const results = await boundedParallel([5, 1, 4, 2, 3, 1, 2], 3, async (ms) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, ms * 5));
      running -= 1;
      return ms * 10;
    });
    assert.equal(peak, 3);
    assert.deepEqual(results, [50, 10, 40, 20, 30, 10, 20]);
  });

  it("summarizes each node and counts the failures", () => {
    const text = renderRunSummary([
      {
        node: "ngcp1",
        result: "ok",
        id: ID,
        bytes: 2048,
        seconds: 12.3,
        detail: `/var/backups/ngcp-fleet/${ID}`,
      },
      { node: "ngcp2", result: "failed", seconds: 1.5, detail: "step dump: No space left on device" },
    ]);
    assert.match(text, new RegExp(`ngcp1 .* ok .* ${ID} .* 2\\.0 KiB .* 12\\.3`));
    assert.match(text, /ngcp2 .* failed .* No space left on device/);
    assert.match(text, /^1 of 2 node\(s\) backed up; 1 FAILED$/m);
  });

  it("shows --timeout's default in minutes, and keeps milliseconds as the value", () => {
    const option = timeoutOption(120, "give up after this many minutes");
    assert.equal(option.defaultValue, 120 * 60_000);
    assert.equal(option.defaultValueDescription, "120");
  });
});
