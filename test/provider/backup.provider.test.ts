import { strict as assert } from "node:assert";
import { execWithProgress } from "../../providers/backup/progress";
import {
  backupScheduleProvider,
  type BackupScheduleInputs,
  type BackupScheduleOutputs,
} from "../../providers/backup/provider";
import { closeAll, sessionFor } from "../../providers/transport";
import { ensureLab } from "../support/lab";
import { labTarget, nodeShell } from "../support/labTargets";

/**
 * The BackupSchedule provider's methods against a real lab node (ngcp5 only: the lab is shared), without
 * the engine: check names keys, read reports hand edits, delete is idempotent and keeps the backups;
 * and the progress stream delivers lines while the command still runs.
 */
describe("BackupSchedule provider on a lab node (real sshd, cron, MariaDB)", function () {
  this.timeout(180_000);
  const NODE = "ngcp5";
  const DEST = "/var/backups/ngcp-fleet-provider-test";
  const STATUS = "/var/lib/ngcp-fleet/provider-test-status.json";
  const provider = backupScheduleProvider as Required<typeof backupScheduleProvider>;

  function raw(backup: Record<string, unknown>): BackupScheduleInputs {
    return { target: labTarget(NODE), backup: backup as never };
  }

  async function checked(backup: Record<string, unknown>): Promise<BackupScheduleInputs> {
    const result = await provider.check({} as never, raw(backup));
    assert.deepEqual(result.failures, []);
    return result.inputs as BackupScheduleInputs;
  }

  const settings = {
    destination: DEST,
    retention: { count: 1 },
    paths: {
      statusFile: STATUS,
      cronFile: "/etc/cron.d/ngcp-fleet-provider-test",
      script: "/usr/local/sbin/ngcp-fleet-provider-test",
    },
    mysqlOptionsFile: "/etc/mysql/ngcp-fleet-provider-test.cnf",
  };

  before(async () => {
    await ensureLab(5);
    nodeShell(NODE, `rm -rf ${DEST} ${STATUS} /var/lib/ngcp-fleet/provider-test-status.last-success.json`);
  });
  after(async () => {
    nodeShell(NODE, `rm -rf ${DEST} ${STATUS} /var/lib/ngcp-fleet/provider-test-status.last-success.json`);
    await closeAll();
  });

  it("check names every bad key as backup.<key> and fills in the defaults of a good one", async () => {
    const bad = await provider.check(
      {} as never,
      raw({ schedule: "* * *", retention: { days: 0 }, destination: "/tmp/x" }),
    );
    assert.deepEqual(
      bad.failures?.map((f) => f.property),
      ["backup.schedule", "backup.retention.days", "backup.destination"],
    );
    const good = await checked({});
    assert.equal(good.backup.schedule, "30 3 * * *");
    assert.equal(good.backup.destination, "/var/backups/ngcp-fleet");
    assert.equal(good.health, "ok");
    assert.deepEqual(Object.keys(good.files ?? {}).sort(), [
      "/etc/cron.d/ngcp-fleet-backup",
      "/etc/mysql/ngcp-fleet-backup.cnf",
      "/usr/local/sbin/ngcp-fleet-backup",
    ]);
  });

  it("diff ignores key order and reports a file edited by hand", async () => {
    const inputs = await checked(settings);
    // GIVEN the stored inputs with every object's keys in reverse order (as a state round trip may give them)
    const reversed = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversed)
        : typeof value === "object" && value !== null
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reversed(v)]),
            )
          : value;
    const olds = { ...inputs, backup: reversed(inputs.backup) as BackupScheduleInputs["backup"] };
    assert.notDeepEqual(Object.keys(olds.backup), Object.keys(inputs.backup));
    const same = await provider.diff("id", { ...olds, files: inputs.files } as BackupScheduleOutputs, inputs);
    assert.equal(same.changes, false);
    const edited = await provider.diff(
      "id",
      {
        ...inputs,
        files: { ...inputs.files, [settings.paths.cronFile]: "changed" },
      } as BackupScheduleOutputs,
      inputs,
    );
    assert.equal(edited.changes, true);
    // A new SSH port or login is the same machine reached another way: an update, never a replacement (whose
    // delete would take the node's backups down before the new way in is proven).
    const outputs = { ...inputs } as BackupScheduleOutputs;
    const moved = await provider.diff("id", outputs, { ...inputs, target: { ...inputs.target, port: 2222 } });
    assert.deepEqual([moved.changes, moved.replaces], [true, []]);
    const other = await provider.diff("id", outputs, {
      ...inputs,
      target: { ...inputs.target, host: "198.18.9.9" },
    });
    assert.deepEqual(other.replaces, ["target"]);
  });

  it("creates, reads a removed cron file as drift, and deletes twice while keeping the backups", async () => {
    const inputs = await checked(settings);
    const created = await provider.create(inputs);
    const outs = created.outs as BackupScheduleOutputs;
    assert.equal(outs.mysqlLogin, "ok");
    assert.equal(outs.health, "ok", "a fresh install is within its grace period");
    nodeShell(NODE, settings.paths.script);
    const done = await provider.read(created.id, outs);
    assert.equal((done.props as BackupScheduleOutputs).lastResult, "ok");

    nodeShell(NODE, `rm ${settings.paths.cronFile}; chmod 0644 ${settings.mysqlOptionsFile}`);
    const drifted = await provider.read(created.id, done.props as BackupScheduleOutputs);
    const props = drifted.props as BackupScheduleOutputs;
    assert.equal(props.files[settings.paths.cronFile], "missing");
    assert.equal(props.files[settings.mysqlOptionsFile], "wrong mode");
    assert.equal((drifted.inputs as BackupScheduleInputs).files?.[settings.paths.cronFile], "missing");
    assert.equal(props.drifted, true);

    await provider.delete(created.id, props);
    await provider.delete(created.id, props);
    assert.equal(
      nodeShell(NODE, `ls ${settings.paths.script} ${settings.mysqlOptionsFile} 2>/dev/null | wc -l`).trim(),
      "0",
    );
    assert.match(nodeShell(NODE, `ls ${DEST}`), /^\d{8}T\d{6}Z$/m);
  });

  it("streams a command's stdout lines while it still runs, and keeps stderr for the error", async () => {
    const session = await sessionFor(labTarget(NODE));
    const seen: { line: string; at: number }[] = [];
    const started = Date.now();
    const result = await execWithProgress(session, ["sh", "-c", "echo one; sleep 2; echo two"], {
      pollMs: 200,
      onLine: (line) => seen.push({ line, at: Date.now() - started }),
    });
    assert.deepEqual(
      seen.map((s) => s.line),
      ["one", "two"],
    );
    assert.ok(
      seen[0].at < seen[1].at - 1000,
      `"one" arrived before the command ended: ${JSON.stringify(seen)}`,
    );
    assert.equal(result.stdout, "one\ntwo\n");
    await assert.rejects(
      execWithProgress(session, ["sh", "-c", "echo partial; echo broken >&2; exit 3"], {
        onLine: () => undefined,
      }),
      /exit code 3[\s\S]*broken/,
    );
    assert.equal(nodeShell(NODE, "ls /run/ngcp-fleet-progress-* 2>/dev/null | wc -l").trim(), "0");
  });
});
