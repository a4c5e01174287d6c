import { strict as assert } from "node:assert";
import { drillResultOf, type TableComparison } from "../../operations/recovery/drill";
import {
  DRILL_RECORD_PATH,
  drillRecordOf,
  parseDrillRecord,
  renderDrillRecord,
  type DrillRecord,
} from "../../operations/recovery/drillRecord";

/** The restore drill's record on the node: what `restore-drill` writes and the audit reads (pure). */

const STARTED = new Date("2026-11-23T04:00:00Z");
const FINISHED = new Date("2026-11-23T04:00:12.5Z");

function table(name: string, result: TableComparison["result"], reason: string): TableComparison {
  return { schema: "billing", table: name, result, reason };
}

const PASSING = drillResultOf([
  table("cdr", "pass", "rows 10 and checksum equal"),
  table("contracts", "pass", "rows 3 and checksum equal"),
  table("tmp", "unverified", "not in the manifest"),
]);

describe("restore drill record", () => {
  it("records a passing drill with its counts, times and backup id", () => {
    const record = drillRecordOf(
      "ngcp5",
      "20261123T033000Z",
      { kind: "compared", result: PASSING },
      STARTED,
      FINISHED,
    );
    assert.deepEqual(record, {
      version: 1,
      node: "ngcp5",
      backupId: "20261123T033000Z",
      startedAt: "2026-11-23T04:00:00.000Z",
      finishedAt: "2026-11-23T04:00:12.500Z",
      result: "pass",
      tables: { passed: 2, failed: 0, unverified: 1 },
      evidence: "2 table(s) passed, 0 failed, 1 unverified",
    });
  });

  it("records a failed comparison naming the first failed tables", () => {
    const failing = drillResultOf([
      ...PASSING.tables,
      table("a", "fail", "rows 9 ≠ 10"),
      table("b", "fail", "missing after the restore"),
      table("c", "fail", "checksum 1 ≠ 2"),
      table("d", "fail", "rows 0 ≠ 1"),
    ]);
    const record = drillRecordOf(
      "ngcp5",
      "20261123T033000Z",
      { kind: "compared", result: failing },
      STARTED,
      FINISHED,
    );
    assert.equal(record.result, "fail");
    assert.deepEqual(record.tables, { passed: 2, failed: 4, unverified: 1 });
    assert.equal(
      record.evidence,
      "2 table(s) passed, 4 failed, 1 unverified (billing.a: rows 9 ≠ 10; billing.b: missing after the restore; billing.c: checksum 1 ≠ 2; …)",
    );
  });

  it("records a drill that never compared (no backup, damaged backup, script failure) as failed, on one line", () => {
    const long = `backup 20261123T033000Z: ${"x".repeat(600)}\nsecond line`;
    const record = drillRecordOf("ngcp5", null, { kind: "failed", reason: long }, STARTED, FINISHED);
    assert.equal(record.result, "fail");
    assert.equal(record.backupId, null);
    assert.deepEqual(record.tables, { passed: 0, failed: 0, unverified: 0 });
    assert.equal(record.evidence.length, 400);
    assert.ok(record.evidence.endsWith("…"));
    assert.doesNotMatch(record.evidence, /second line/);
  });

  it("round-trips through the file's text", () => {
    const record = drillRecordOf(
      "ngcp5",
      "20261123T033000Z",
      { kind: "compared", result: PASSING },
      STARTED,
      FINISHED,
    );
    const text = renderDrillRecord(record);
    assert.ok(text.endsWith("}\n"));
    assert.deepEqual(parseDrillRecord(text), { ok: true, record });
  });

  const GOOD: DrillRecord = drillRecordOf(
    "ngcp5",
    "20261123T033000Z",
    { kind: "compared", result: PASSING },
    STARTED,
    FINISHED,
  );
  const BAD: [string, unknown, RegExp][] = [
    ["not JSON", "{", /is not JSON/],
    ["an array", [], /the document must be an object/],
    ["another version", { ...GOOD, version: 2 }, /version must be 1, got: 2/],
    ["no node", { ...GOOD, node: "" }, /node must be a node name/],
    ["a junk backup id", { ...GOOD, backupId: "../../etc" }, /backupId must be a backup id/],
    ["an unknown result", { ...GOOD, result: "ok" }, /result must be pass or fail, got: "ok"/],
    ["a bad time", { ...GOOD, finishedAt: "yesterday" }, /finishedAt must be an ISO 8601 time/],
    ["negative counts", { ...GOOD, tables: { passed: -1, failed: 0, unverified: 0 } }, /tables must be/],
    [
      "a pass with failed tables",
      { ...GOOD, tables: { passed: 1, failed: 1, unverified: 0 } },
      /result must be fail when tables\.failed is 1/,
    ],
  ];
  for (const [what, doc, error] of BAD) {
    it(`refuses a record with ${what}, naming the file and the field`, () => {
      const parsed = parseDrillRecord(typeof doc === "string" ? doc : JSON.stringify(doc));
      assert.equal(parsed.ok, false);
      assert.ok(!parsed.ok && parsed.error.startsWith(DRILL_RECORD_PATH), !parsed.ok ? parsed.error : "");
      assert.match(!parsed.ok ? parsed.error : "", error);
    });
  }
});
