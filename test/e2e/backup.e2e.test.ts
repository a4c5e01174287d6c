import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../engine/automation";
import { projectRoot } from "../../engine/paths";
import { labStatus } from "../../lab";
import { parseManifest, type BackupManifest } from "../../providers/backup/manifest";
import { disposeStack } from "../support/stacks";
import { ensureLab } from "../support/lab";
import { nodeShell } from "../support/labTargets";

/**
 * Handbook 15.5 and 15.6 on the real engine, the real CLI and a lab node's real cron and MariaDB: the
 * schedule fires and produces verified artifacts (copied off the node and verified there), retention
 * prunes, the drill proves a backup restores and catches a corrupted one, restore after a reset-db
 * brings back every row and the config files, a full disk fails loudly and shows up in refresh, bad
 * inputs stop preview. Only ngcp5 is used: the lab is shared.
 */

const NODE = "ngcp5";
const PASSPHRASE = "e2e-only";
const DEST = "/var/backups/ngcp-fleet";
const OFFNODE_PATH = "/var/backups/ngcp-fleet-offnode";
const OFFNODE_KEY = "/root/.ssh/ngcp-fleet-e2e-offnode";
const STATUS = "/var/lib/ngcp-fleet/backup-status.json";
const SCRIPT = "/usr/local/sbin/ngcp-fleet-backup";
const CRON_FILE = "/etc/cron.d/ngcp-fleet-backup";
const OPTION_FILE = "/etc/mysql/ngcp-fleet-backup.cnf";
const HANDBOOK_FILES = [
  "/etc/ngcp-config/config.yml",
  "/etc/ngcp-config/constants.yml",
  "/etc/ngcp-config/network.yml",
  "/etc/mysql/sipwise.cnf",
];

interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `ngcp-fleet` command line, as an operator would. */
function cli(args: readonly string[]): CliResult {
  const result = spawnSync(process.execPath, [join(projectRoot(), "bin", "ngcp-fleet"), ...args], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
    input: "",
    timeout: 300_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function status(): {
  result: string;
  id: string;
  error: string | null;
  step: string;
  pruned: string[];
  offNode: string;
} {
  return JSON.parse(nodeShell(NODE, `cat ${STATUS}`));
}

/** Finished backups (id directories holding a manifest.json), oldest first. */
function backupIds(dir = DEST): string[] {
  return nodeShell(
    NODE,
    `cd ${dir} 2>/dev/null && ls -d 2*Z 2>/dev/null | while read d; do [ -f "$d/manifest.json" ] && echo "$d"; done || true`,
  )
    .split("\n")
    .filter(Boolean)
    .sort();
}

function manifestOf(id: string): BackupManifest {
  const parsed = parseManifest(nodeShell(NODE, `cat ${DEST}/${id}/manifest.json`));
  assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
  return parsed.manifest;
}

function sha256s(paths: readonly string[]): string[] {
  return nodeShell(NODE, `sha256sum ${paths.join(" ")}`)
    .trim()
    .split("\n")
    .map((l) => l.split(" ")[0]);
}

/** Rows and CHECKSUM TABLE of every table the manifest lists, measured on the live server now. */
function liveTableStats(manifest: BackupManifest): Map<string, { rows: number; checksum: string | null }> {
  const sql = manifest.tables
    .map(
      (t) =>
        `SELECT '${t.schema}.${t.table}', COUNT(*) FROM \`${t.schema}\`.\`${t.table}\`; CHECKSUM TABLE \`${t.schema}\`.\`${t.table}\`;`,
    )
    .join(" ");
  const lines = nodeShell(NODE, `mariadb -N -B`, sql).trim().split("\n");
  const stats = new Map<string, { rows: number; checksum: string | null }>();
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [name, rows] = lines[i].split("\t");
    const checksum = lines[i + 1].split("\t").pop() ?? null;
    stats.set(name, { rows: Number(rows), checksum: checksum === "NULL" ? null : checksum });
  }
  return stats;
}

function waitFor<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const value = probe();
      if (value !== undefined) {
        resolve(value);
      } else if (Date.now() > deadline) {
        reject(new Error(`timed out after ${seconds} s waiting for ${what}`));
      } else {
        setTimeout(tick, 2000);
      }
    };
    tick();
  });
}

describe("e2e: backup schedule, restore, restore drill and reset-db on a lab node", function () {
  this.timeout(600_000);
  const stackName = `e2e-backup-${process.pid}`;
  let stack: Stack;
  let offNode: Record<string, unknown>;
  let installed = 0;

  async function configure(backup: Record<string, unknown>): Promise<void> {
    const lab = labStatus();
    const node = lab.nodes.find((n) => n.name === NODE)!;
    const config: Record<string, unknown> = {
      environment: "lab",
      ssh: { user: "root", privateKeyPath: lab.deployerKey },
      nodes: [{ name: NODE, host: node.address, hostKey: node.hostKey }],
      adminSources: [`${lab.deployer?.address ?? "198.18.0.1"}/32`],
      backup,
    };
    for (const [key, value] of Object.entries(config)) {
      await stack.setConfig(`ngcp-fleet:${key}`, { value: JSON.stringify(value) });
    }
  }

  function cleanNode(): void {
    nodeShell(
      NODE,
      `umount ${DEST} 2>/dev/null; rm -rf ${DEST} ${OFFNODE_PATH} /var/lib/ngcp-fleet/backup-status*.json ${OFFNODE_KEY} ${OFFNODE_KEY}.pub; ` +
        "sed -i '/ngcp-fleet-e2e-offnode/d' /root/.ssh/authorized_keys",
    );
  }

  before(async () => {
    const lab = await ensureLab(5);
    cleanNode();
    // The off-node copy goes from ngcp5 to itself at its lab address (no other node is touched): a key
    // of the node's own, allowed to log in as root, and the node's pinned host key.
    nodeShell(
      NODE,
      `ssh-keygen -q -t ed25519 -N '' -C ngcp-fleet-e2e-offnode -f ${OFFNODE_KEY} && cat ${OFFNODE_KEY}.pub >> /root/.ssh/authorized_keys`,
    );
    const node = lab.nodes.find((n) => n.name === NODE)!;
    offNode = { host: node.address, path: OFFNODE_PATH, hostKey: node.hostKey, privateKeyPath: OFFNODE_KEY };
    stack = await openStack(stackName, { passphrase: PASSPHRASE });
  });

  after(async function () {
    this.timeout(300_000);
    await disposeStack(stack, stackName);
    cleanNode();
  });

  it("installs the script, a per-minute cron file with its marker and the 0600 option file", async () => {
    await configure({ schedule: "* * * * *", retention: { count: 2 }, offNode });
    installed = Date.now();
    await stack.up({});
    assert.equal(
      nodeShell(NODE, `stat -c '%a %U' ${SCRIPT} ${CRON_FILE} ${OPTION_FILE}`),
      "755 root\n644 root\n600 root\n",
    );
    assert.match(nodeShell(NODE, `head -n 1 ${CRON_FILE}`), /^# managed by ngcp-fleet/);
    // The dump logs in as its own read-only account, made on the node (issue 16): not root.
    assert.equal(
      nodeShell(NODE, `mariadb --defaults-extra-file=${OPTION_FILE} -N -e 'SELECT CURRENT_USER()'`).trim(),
      "ngcp_fleet_backup@localhost",
    );
    assert.match(
      nodeShell(NODE, "mariadb -N -e \"SHOW GRANTS FOR 'ngcp_fleet_backup'@'localhost'\""),
      /^GRANT SELECT, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER ON \*\.\* TO `ngcp_fleet_backup`@`localhost`/m,
    );
    assert.match(
      nodeShell(NODE, `cat ${CRON_FILE}`),
      /^\* \* \* \* \* root \/usr\/local\/sbin\/ngcp-fleet-backup$/m,
    );
  });

  it("refuses bad inputs in preview, naming each key, with nothing changed on the node", async () => {
    const files = sha256s([SCRIPT, CRON_FILE, OPTION_FILE]);
    await configure({
      schedule: "61 * * * *",
      retention: { count: 0 },
      destination: "/var/lib/mysql/backups",
      customPaths: ["etc/custom", "/proc/self"],
    });
    await assert.rejects(stack.preview({}), (err: Error) => {
      for (const key of [
        "backup.schedule",
        "backup.retention.count",
        "backup.destination",
        "backup.customPaths[0]",
        "backup.customPaths[1]",
      ]) {
        assert.match(err.message, new RegExp(`ngcp-fleet:${key.replace(/[.[\]]/g, "\\$&")}: \\S`), key);
      }
      assert.match(err.message, /backup\.destination: .*live MariaDB datadir/);
      assert.match(err.message, /backup\.customPaths\[0\]: .*must be an absolute path/);
      return true;
    });
    await configure({ offNode: { host: "192.0.2.1", path: "/srv/backups" } });
    await assert.rejects(stack.preview({}), (err: Error) => {
      assert.match(
        err.message,
        /ngcp-fleet:backup\.offNode\.hostKey: is required: pin the backup host's key/,
      );
      return true;
    });
    // A newline would split the cron line: Debian's cron then ignores the whole file and backups stop.
    await configure({ schedule: "0 3 * * *\n* * * * * root true" });
    await assert.rejects(stack.preview({}), (err: Error) => {
      assert.match(
        err.message,
        /ngcp-fleet:backup\.schedule: must not contain control characters .*U\+000A \(line feed\)/,
      );
      return true;
    });
    assert.deepEqual(sha256s([SCRIPT, CRON_FILE, OPTION_FILE]), files);
  });

  it("lets real cron fire it within ~70 s, producing verified artifacts, copied off the node and verified there", async () => {
    // WHEN cron reaches the next minute (the previews above ran meanwhile)
    const id = await waitFor("a backup made by cron", 75, () => {
      const out = nodeShell(NODE, `cat ${STATUS} 2>/dev/null || true`);
      return out.includes('"result":"ok"') ? (JSON.parse(out).id as string) : undefined;
    });
    console.log(
      `      cron backup ${id} done ${((Date.now() - installed) / 1000).toFixed(0)} s after up started`,
    );

    // THEN every artifact matches SHA256SUMS, the manifest names every seeded table, and the copy verifies
    assert.match(nodeShell(NODE, `cd ${DEST}/${id} && sha256sum -c SHA256SUMS`), /databases\.sql\.gz: OK/);
    const manifest = manifestOf(id);
    assert.deepEqual(
      manifest.artifacts.map((a) => a.name),
      ["databases.sql.gz", "ngcp-config.tar.gz", "mysql-config.tar.gz"],
    );
    const subscribers = manifest.tables.find(
      (t) => t.schema === "provisioning" && t.table === "voip_subscribers",
    );
    assert.equal(subscribers?.rows, 250);
    assert.equal(manifest.tables.length, 14);
    assert.match(
      nodeShell(NODE, `tar -tzf ${DEST}/${id}/ngcp-config.tar.gz`),
      /^etc\/ngcp-config\/network\.yml$/m,
    );
    assert.equal(status().offNode, "ok");
    assert.match(
      nodeShell(NODE, `cd ${OFFNODE_PATH}/${id} && sha256sum -c SHA256SUMS`),
      /manifest\.json: OK/,
    );
  });

  it("goes back to a daily schedule showing the cron backup as the last one, then a second up changes nothing", async () => {
    const id = status().id;
    await configure({ schedule: "30 3 * * *", retention: { count: 2 }, offNode });
    await stack.up({});
    assert.match(nodeShell(NODE, `cat ${CRON_FILE}`), /^30 3 \* \* \* root /m);
    const nodes = (await stack.outputs()).nodes.value as Record<string, { backup: Record<string, unknown> }>;
    assert.deepEqual(
      [nodes[NODE].backup.lastBackupId, nodes[NODE].backup.lastResult, nodes[NODE].backup.drifted],
      [id, "ok", false],
    );
    await stack.up({ expectNoChanges: true });
  });

  it("runs a backup now with progress lines, and retention keeps the newest two", async () => {
    const before = backupIds();
    const runs = [
      cli(["backup", "run", "--stack", stackName, "--node", NODE]),
      cli(["backup", "run", "--stack", stackName, "--node", NODE]),
    ];
    for (const run of runs) {
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /ngcp5: \[1\/9\] checking the sources/);
      assert.match(run.stdout, /ngcp5: \[3\/9\] dumping all databases/);
      assert.match(run.stdout, /ngcp5: \[8\/9\] copying .* and verifying it there/);
      assert.match(run.stdout, /ngcp5: backup \d{8}T\d{6}Z ok in [\d.]+ s: \d+ bytes/);
    }
    const after = backupIds();
    assert.equal(after.length, 2, after.join());
    assert.ok(!after.includes(before[0]), `${before[0]} pruned`);
    assert.match(runs[1].stdout, /pruned \d{8}T\d{6}Z/);
    assert.deepEqual(status().pruned.length, 1);
  });

  it("passes the restore drill on a good backup, table by table, in a scratch MariaDB", async () => {
    const liveServer = nodeShell(
      NODE,
      "mariadb -N -e 'SELECT @@pid_file, UNIX_TIMESTAMP() - VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = \"UPTIME\"'",
    );
    const drill = cli(["restore-drill", "--stack", stackName, "--node", NODE]);
    assert.equal(drill.status, 0, drill.stdout + drill.stderr);
    assert.match(drill.stdout, /\[2\/5\] initialising a scratch MariaDB in \/var\/tmp\/ngcp-fleet-drill-/);
    assert.match(drill.stdout, /provisioning\.voip_subscribers\s*│ PASS/);
    assert.match(drill.stdout, /PASS — 14 passed, 0 failed, 0 unverified/);
    // The live server was never restarted, and the scratch directory is gone.
    const [pidFile, startedAt] = liveServer.trim().split("\t");
    const now = nodeShell(
      NODE,
      "mariadb -N -e 'SELECT @@pid_file, UNIX_TIMESTAMP() - VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = \"UPTIME\"'",
    );
    assert.equal(now.trim().split("\t")[0], pidFile);
    assert.ok(
      Math.abs(Number(now.trim().split("\t")[1]) - Number(startedAt)) <= 2,
      "live MariaDB not restarted",
    );
    assert.equal(nodeShell(NODE, "ls -d /var/tmp/ngcp-fleet-drill-* 2>/dev/null | wc -l").trim(), "0");
  });

  it("fails the restore drill on a corrupted backup: per table when rows are lost, at once when a byte flipped", async () => {
    const good = backupIds().pop()!;
    // GIVEN a backup whose dump lost 10 subscribers but whose checksums were recomputed (a bad dump tool)
    const lossy = "20000101T000000Z";
    nodeShell(
      NODE,
      `set -e; cd ${DEST}; rm -rf ${lossy}; cp -a ${good} ${lossy}; cd ${lossy}; ` +
        `old=$(sha256sum databases.sql.gz | cut -d ' ' -f 1); ` +
        `{ gzip -dc databases.sql.gz; echo 'DELETE FROM provisioning.voip_subscribers LIMIT 10;'; } | gzip -c > d.tmp; mv d.tmp databases.sql.gz; ` +
        `new=$(sha256sum databases.sql.gz | cut -d ' ' -f 1); sed -i "s/$old/$new/; s/${good}/${lossy}/" manifest.json; ` +
        `sha256sum databases.sql.gz ngcp-config.tar.gz mysql-config.tar.gz manifest.json > SHA256SUMS`,
    );
    const lossyDrill = cli(["restore-drill", "--stack", stackName, "--node", NODE, "--backup", lossy]);
    assert.equal(lossyDrill.status, 1, lossyDrill.stdout + lossyDrill.stderr);
    assert.match(lossyDrill.stdout, /provisioning\.voip_subscribers\s*│ FAIL\s*│ 250\s*│ 240/);
    assert.match(lossyDrill.stdout, /billing\.voip_subscribers\s*│ PASS/);
    // voip_usr_preferences loses the 20 preferences of those subscribers too (ON DELETE CASCADE).
    assert.match(lossyDrill.stdout, /provisioning\.voip_usr_preferences\s*│ FAIL\s*│ 500\s*│ 480/);
    assert.match(lossyDrill.stdout, /FAIL — 12 passed, 2 failed, 0 unverified/);

    // GIVEN a backup with one byte of its dump flipped
    const flipped = "20000102T000000Z";
    nodeShell(
      NODE,
      `set -e; cd ${DEST}; rm -rf ${flipped}; cp -a ${good} ${flipped}; cd ${flipped}; ` +
        `printf 'X' | dd of=databases.sql.gz bs=1 seek=4000 conv=notrunc status=none; sed -i "s/${good}/${flipped}/" manifest.json; ` +
        `sha256sum manifest.json > SHA256SUMS`,
    );
    const flippedDrill = cli(["restore-drill", "--stack", stackName, "--node", NODE, "--backup", flipped]);
    assert.equal(flippedDrill.status, 1);
    assert.match(
      flippedDrill.stdout,
      /FAIL — .*does not match the manifest's SHA-256: the backup is damaged/s,
    );
    nodeShell(NODE, `rm -rf ${DEST}/${lossy} ${DEST}/${flipped}`);
  });

  it("lists the node's backups as an operator chooses one: id, time, age, size, result, and the drill's verdict", async () => {
    const ids = backupIds();
    const listed = cli(["backup", "list", "--stack", stackName, "--json"]);
    assert.equal(listed.status, 0, listed.stderr);
    const { backups, problems } = JSON.parse(listed.stdout) as {
      backups: {
        node: string;
        id: string;
        bytes: number;
        ageSeconds: number;
        result: string;
        drill: string | null;
      }[];
      problems: string[];
    };
    assert.deepEqual(problems, []);
    const ok = backups.filter((b) => b.result === "ok");
    assert.deepEqual(
      ok.map((b) => b.id),
      ids,
    );
    for (const b of ok) {
      assert.equal(b.node, NODE);
      assert.equal(
        b.bytes,
        manifestOf(b.id).artifacts.reduce((sum, a) => sum + a.bytes, 0),
        b.id,
      );
      assert.ok(b.ageSeconds >= 0 && b.ageSeconds < 3600, `${b.id} is ${b.ageSeconds} s old`);
    }
    // The node keeps its last drill's verdict: the backup it drilled carries it, no other does.
    const drill = JSON.parse(nodeShell(NODE, "cat /var/lib/ngcp-fleet/restore-drill.json")) as {
      backupId: string;
      result: string;
    };
    assert.deepEqual(
      backups.filter((b) => b.drill !== null).map((b) => [b.id, b.drill]),
      ids.includes(drill.backupId) ? [[drill.backupId, drill.result]] : [],
    );
    // The table an operator reads, and --node narrowing it.
    const table = cli(["backup", "list", "--stack", stackName, "--node", NODE]);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /node .* backup id .* started \(UTC\) .* age .* size .* result .* drill/);
    for (const id of ids) {
      assert.match(table.stdout, new RegExp(`${NODE} .* ${id} .* \\d+(\\.\\d)? (B|KiB|MiB) .* ok `));
    }
    const unknown = cli(["backup", "list", "--stack", stackName, "--node", "ngcp99"]);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /has no node ngcp99/);
  });

  it("backs up every node of the stack with --stack alone, with a summary table", async () => {
    const run = cli(["backup", "run", "--stack", stackName]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /ngcp5: \[1\/9\] checking the sources/);
    assert.match(run.stdout, /node .* result .* backup id .* size .* seconds .* detail/);
    assert.match(run.stdout, new RegExp(`${NODE} .* ok .* ${status().id} `));
    assert.match(run.stdout, /^1 of 1 node\(s\) backed up$/m);
  });

  it("restores every row and the config files after reset-db wiped the node, behind typed confirmations", async () => {
    const id = backupIds().pop()!;
    const manifest = manifestOf(id);
    const files = sha256s(HANDBOOK_FILES);

    // GIVEN reset-db, refused for a confirmation naming another node, then run
    const refused = cli(["reset-db", "--stack", stackName, "--node", NODE, "--yes-i-typed", "ngcp4"]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /ALL existing data is wiped out/);
    assert.match(refused.stderr, /does not name the node ngcp5: nothing was run/);
    assert.equal(liveTableStats(manifest).get("provisioning.voip_subscribers")?.rows, 250);
    const notTyped = cli(["reset-db", "--stack", stackName, "--node", NODE]);
    assert.match(notTyped.stderr, /stdin is not a terminal/);
    const reset = cli(["reset-db", "--stack", stackName, "--node", NODE, "--yes-i-typed", NODE]);
    assert.equal(reset.status, 0, reset.stderr);
    assert.match(reset.stdout, /Database reset done: all existing data has been wiped out/);
    // ... and a hand edit of config.yml and network.yml on top
    nodeShell(
      NODE,
      "echo '# e2e: destroyed' >> /etc/ngcp-config/config.yml; echo 'hosts: {}' > /etc/ngcp-config/network.yml",
    );
    assert.equal(liveTableStats(manifest).get("provisioning.voip_subscribers")?.rows, 0);
    assert.notDeepEqual(sha256s(HANDBOOK_FILES), files);

    // WHEN a dry run lists what would be overwritten, a wrong confirmation stops, then the restore runs
    const dry = cli(["restore", "--stack", stackName, "--node", NODE, "--backup", "latest", "--dry-run"]);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /dry run, nothing changed/);
    for (const file of HANDBOOK_FILES) {
      assert.match(dry.stdout, new RegExp(`^  ${file}  → kept as`, "m"));
    }
    assert.equal(liveTableStats(manifest).get("provisioning.voip_subscribers")?.rows, 0);
    const wrong = cli([
      "restore",
      "--stack",
      stackName,
      "--node",
      NODE,
      "--backup",
      id,
      "--yes-i-typed",
      "ngcp-5",
    ]);
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /does not name the node ngcp5: nothing was changed/);
    const applies = Number(
      nodeShell(NODE, "cat /var/log/ngcp-lab/ngcpcfg-apply.jsonl 2>/dev/null | wc -l").trim(),
    );
    const restored = cli([
      "restore",
      "--stack",
      stackName,
      "--node",
      NODE,
      "--backup",
      id,
      "--yes-i-typed",
      NODE,
    ]);
    assert.equal(restored.status, 0, restored.stdout + restored.stderr);
    for (const step of [
      "1/6] verifying",
      "4/6] restoring config.yml",
      "5/6] restoring the database dump",
      "6/6] ngcpcfg apply",
    ]) {
      assert.match(restored.stdout, new RegExp(`ngcp5: \\[${step.replace(/[.[\]]/g, "\\$&")}`));
    }

    // THEN every table has the backup's rows and checksum, the files are the backup's, one apply ran
    const live = liveTableStats(manifest);
    for (const table of manifest.tables) {
      const name = `${table.schema}.${table.table}`;
      assert.deepEqual(live.get(name), { rows: table.rows, checksum: table.checksum }, name);
    }
    assert.deepEqual(sha256s(HANDBOOK_FILES), files);
    assert.equal(
      Number(nodeShell(NODE, "cat /var/log/ngcp-lab/ngcpcfg-apply.jsonl 2>/dev/null | wc -l").trim()),
      applies + 1,
    );
    assert.match(
      nodeShell(NODE, "tail -n 1 /var/log/ngcp-lab/ngcpcfg-apply.jsonl"),
      new RegExp(`restore of backup ${id} on ngcp5.*"status":"ok"`),
    );
    // The wiped state was kept aside before anything was overwritten.
    assert.match(nodeShell(NODE, `ls ${DEST}/pre-restore-*/etc/ngcp-config/`), /network\.yml/);
  });

  it("fails loudly on a full disk, keeps the older backups, records the failure that refresh shows; up repairs it once there is room", async () => {
    // GIVEN the destination is a 2 MB tmpfs (in the node's own mount namespace) holding one good backup
    nodeShell(NODE, `mkdir -p ${DEST} && mount -t tmpfs -o size=2m,mode=0700 ngcp-fleet-e2e ${DEST}`);
    const first = cli(["backup", "run", "--stack", stackName, "--node", NODE]);
    assert.equal(first.status, 0, first.stderr);
    const older = backupIds();
    assert.equal(older.length, 1);
    // ... and then almost full
    nodeShell(
      NODE,
      `dd if=/dev/zero of=${DEST}/filler bs=64k status=none 2>/dev/null; truncate -s -16K ${DEST}/filler`,
    );

    // WHEN the backup runs
    const full = cli(["backup", "run", "--stack", stackName, "--node", NODE]);

    // THEN it fails with the cause, leaves no partial backup, keeps the older one intact, and records it
    assert.notEqual(full.status, 0);
    assert.match(full.stderr, /backup FAILED/);
    assert.match(full.stdout, /^0 of 1 node\(s\) backed up; 1 FAILED$/m);
    assert.match(full.stderr, /No space left on device/);
    assert.deepEqual(backupIds(), older);
    assert.equal(nodeShell(NODE, `ls -d ${DEST}/*.partial 2>/dev/null | wc -l`).trim(), "0");
    assert.match(
      nodeShell(NODE, `cd ${DEST}/${older[0]} && sha256sum -c SHA256SUMS`),
      /databases\.sql\.gz: OK/,
    );
    const failed = status();
    assert.equal(failed.result, "failed");
    assert.match(failed.error ?? "", /No space left on device/);

    // THEN refresh shows the failure, preview shows the way back, and up fails while the disk is full
    const refresh = await stack.refresh({});
    assert.equal(refresh.summary.resourceChanges?.update, 1, JSON.stringify(refresh.summary.resourceChanges));
    const nodes = (await stack.exportStack()).deployment.resources as {
      urn: string;
      outputs: Record<string, unknown>;
    }[];
    const schedule = nodes.find((r) => r.urn.endsWith("::ngcp5-backup"))!.outputs;
    assert.equal(schedule.lastResult, "failed");
    assert.equal(schedule.drifted, true);
    assert.match(
      String(schedule.health),
      /the last run \(\d{8}T\d{6}Z.*\) failed: step .* No space left on device/,
    );
    await assert.rejects(stack.up({ diff: true }), (err: Error) => {
      assert.match(err.message, /health: +"the last run .*failed.*" => "ok"/);
      assert.match(err.message, /the backup run to repair them failed[\s\S]*No space left on device/);
      return true;
    });

    // WHEN space is back, up runs the backup and the drift is gone
    nodeShell(NODE, `umount ${DEST}`);
    await stack.up({});
    assert.equal(status().result, "ok");
    const repaired = (await stack.exportStack()).deployment.resources as {
      urn: string;
      outputs: Record<string, unknown>;
    }[];
    assert.equal(repaired.find((r) => r.urn.endsWith("::ngcp5-backup"))!.outputs.health, "ok");
  });

  it("destroy removes the script, the cron file, the option file and its MariaDB account, and keeps the backups", async () => {
    const kept = backupIds();
    await stack.destroy({});
    assert.equal(nodeShell(NODE, `ls ${SCRIPT} ${CRON_FILE} ${OPTION_FILE} 2>/dev/null | wc -l`).trim(), "0");
    assert.equal(
      nodeShell(
        NODE,
        "mariadb -N -e \"SELECT COUNT(*) FROM mysql.user WHERE User = 'ngcp_fleet_backup'\"",
      ).trim(),
      "0",
      "the backup's account goes with it",
    );
    assert.deepEqual(backupIds(), kept);
    assert.ok(kept.length >= 1);
  });
});
