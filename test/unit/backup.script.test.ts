/**
 * The node-side scripts run for real: a throwaway MariaDB (its own datadir, a private socket, no network)
 * stands in for the node's server, temporary directories for /etc/ngcp-config, /etc/mysql and the backup
 * destination. What the lab tests later over SSH, cron and the real engine, this proves on one machine in
 * seconds: the dump, the manifest, retention, the lock, failures (a full disk), the off-node copy, the
 * restore and the drill.
 */
import { strict as assert } from "node:assert";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { parseBackupInputs, type BackupInputs } from "../../providers/backup/inputs";
import { type BackupManifest, parseManifest } from "../../providers/backup/manifest";
import { planRetention } from "../../providers/backup/retention";
import {
  BACKUP_MYSQL_USER,
  renderBackupLoginRemovalScript,
  renderBackupLoginScript,
  SIPWISE_DB_PASSWORD_SED,
  renderBackupScript,
  renderKnownHosts,
  renderMysqlOptionsFile,
} from "../../providers/backup/script";
import { backupDrift, type BackupStatus, parseStatus } from "../../providers/backup/status";
import { compareTableStats, parseDrillOutput, renderDrillScript } from "../../operations/recovery/drill";
import { planRestore } from "../../operations/recovery/restore";
import { renderRestoreScript } from "../../operations/recovery/restoreScript";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKSVL0SxxA3SpWh4uMZ7yiKceXTWITc1sj1dGFazJrzi";
/** The backup user's password: everything an option file must escape. */
const BACKUP_PASSWORD = `b4ck"up\\'s #pass;word`;

function have(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command} || test -x /usr/sbin/${command}`]).status === 0;
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("backup script, restore and drill on a real MariaDB (scratch server, private socket)", function () {
  this.timeout(120_000);
  let root = "";
  let server: ChildProcess | undefined;
  let socket = "";
  let tmpfsMounted = "";
  const node = {
    config: "",
    sipwise: "",
    cdr: "",
    custom: "",
    dest: "",
    state: "",
    backupOptions: "",
    bin: "",
  };

  const sql = (statement: string) =>
    execFileSync("mariadb", [
      "--no-defaults",
      `--socket=${socket}`,
      "-uroot",
      "-N",
      "-B",
      "-e",
      statement,
    ]).toString();

  function backupInputs(raw: Record<string, unknown> = {}): BackupInputs {
    const parsed = parseBackupInputs({
      destination: node.dest,
      mysqlOptionsFile: node.backupOptions,
      includeCdrExport: true,
      customPaths: [node.custom],
      retention: { count: 2 },
      ...raw,
      paths: {
        ngcpConfigDir: node.config,
        sipwiseCnf: node.sipwise,
        cdrExportDir: node.cdr,
        statusFile: join(node.state, "backup-status.json"),
        lockFile: join(node.state, "backup.lock"),
        knownHostsFile: join(node.state, "known_hosts"),
        ngcpVersionFile: join(root, "ngcp_version"),
        ...(raw.paths as Record<string, string> | undefined),
      },
    });
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.failures));
    return parsed.inputs;
  }

  /** Renders the script for `inputs` and runs it; returns exit status and output. */
  function runBackup(inputs: BackupInputs, wrap: string[] = [], env: NodeJS.ProcessEnv = {}) {
    const script = join(root, `backup-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`);
    writeFileSync(script, renderBackupScript(inputs), { mode: 0o755 });
    const argv = [...wrap, "bash", script];
    const result = spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...env } });
    return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
  }

  function readStatus(inputs: BackupInputs): BackupStatus {
    const parsed = parseStatus(readFileSync(inputs.paths.statusFile, "utf8"));
    assert.ok(parsed.ok, !parsed.ok ? parsed.error : "");
    return parsed.status;
  }

  function manifestOf(dir: string): BackupManifest {
    const parsed = parseManifest(readFileSync(join(dir, "manifest.json"), "utf8"));
    assert.ok(parsed.ok, !parsed.ok ? parsed.error : "");
    return parsed.manifest;
  }

  const finished = (dest = node.dest) =>
    readdirSync(dest)
      .filter((name) => /^\d{8}T\d{6}Z$/.test(name))
      .sort();

  before(function () {
    if (!have("mariadbd") || !have("mariadb-install-db") || !have("mariadb-dump") || !have("flock")) {
      this.skip();
    }
    root = mkdtempSync("/tmp/ngcp-fleet-backup-test-");
    socket = join(root, "s");
    execFileSync(
      "mariadb-install-db",
      [
        "--no-defaults",
        `--datadir=${root}/data`,
        "--user=root",
        "--skip-test-db",
        "--auth-root-authentication-method=normal",
        "--innodb-log-file-size=8M",
        // The kernel's AIO contexts are shared with the lab's 14 servers and the other test runs.
        "--innodb-use-native-aio=0",
      ],
      { stdio: "ignore" },
    );
    // Never port 3306: no networking at all, a socket of our own; stopped by PID in after().
    server = spawn(
      "mariadbd",
      [
        "--no-defaults",
        `--datadir=${root}/data`,
        `--socket=${socket}`,
        "--skip-networking",
        `--pid-file=${root}/mariadbd.pid`,
        `--log-error=${root}/error.log`,
        "--innodb-buffer-pool-size=32M",
        "--innodb-use-native-aio=0",
        "--innodb-log-file-size=8M",
        "--user=root",
      ],
      { stdio: "ignore" },
    );
    const deadline = Date.now() + 30_000;
    while (
      spawnSync("mariadb", ["--no-defaults", `--socket=${socket}`, "-uroot", "-e", "SELECT 1"]).status !== 0
    ) {
      if (Date.now() > deadline) {
        assert.fail(`the scratch mariadbd did not start: ${readFileSync(`${root}/error.log`, "utf8")}`);
      }
      spawnSync("sleep", ["0.1"]);
    }
    const escaped = BACKUP_PASSWORD.replace(/\\/g, "\\\\").replace(/'/g, "\\'");
    sql(`
      -- The help tables make up most of a fresh server's dump; empty them to keep the test fast.
      TRUNCATE mysql.help_topic; TRUNCATE mysql.help_keyword; TRUNCATE mysql.help_relation; TRUNCATE mysql.help_category;
      CREATE DATABASE billing; CREATE DATABASE provisioning; CREATE DATABASE accounting; USE billing;
      CREATE TABLE billing.contracts (id INT PRIMARY KEY, name VARCHAR(64), amount DECIMAL(10,2)) ENGINE=InnoDB;
      INSERT INTO billing.contracts SELECT seq, CONCAT('contract ', seq), seq * 1.5 FROM seq_1_to_200;
      CREATE TABLE provisioning.voip_subscribers (id INT PRIMARY KEY, username VARCHAR(64)) ENGINE=InnoDB;
      INSERT INTO provisioning.voip_subscribers SELECT seq, CONCAT('sub', seq) FROM seq_1_to_50;
      CREATE TABLE provisioning.\`we\`\`ird "t"\` (id INT PRIMARY KEY, v TEXT) ENGINE=InnoDB;
      INSERT INTO provisioning.\`we\`\`ird "t"\` VALUES (1, 'it''s\\na "line"');
      CREATE TABLE accounting.cdr (id INT AUTO_INCREMENT PRIMARY KEY, duration INT) ENGINE=InnoDB;
      INSERT INTO accounting.cdr (duration) SELECT seq FROM seq_1_to_30;
      CREATE TRIGGER billing.contracts_bi BEFORE INSERT ON billing.contracts FOR EACH ROW SET NEW.name = UPPER(NEW.name);
      CREATE PROCEDURE billing.total() SELECT SUM(amount) FROM billing.contracts;
      CREATE EVENT accounting.cleanup ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM accounting.cdr WHERE duration < 0;
      CREATE USER backup@localhost IDENTIFIED BY '${escaped}';
      GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT ON *.* TO backup@localhost;
      -- The CE's main service user (handbook 15.3): every privilege; its password is in sipwise.cnf.
      CREATE USER sipwise@localhost IDENTIFIED BY 's3cret';
      GRANT ALL PRIVILEGES ON *.* TO sipwise@localhost WITH GRANT OPTION;
    `);

    node.config = join(root, "node/etc/ngcp-config");
    node.sipwise = join(root, "node/etc/mysql/sipwise.cnf");
    node.cdr = join(root, "node/home/jail/home/cdrexport");
    node.custom = join(root, "node/opt/it's custom");
    node.dest = join(root, "node/var/backups/ngcp-fleet");
    node.state = join(root, "node/var/lib/ngcp-fleet");
    node.bin = join(root, "bin");
    for (const dir of [
      node.config,
      join(node.config, "templates"),
      join(root, "node/etc/mysql"),
      node.cdr,
      node.custom,
      node.state,
      node.bin,
    ]) {
      mkdirSync(dir, { recursive: true });
    }
    writeFileSync(join(node.config, "config.yml"), "kamailio:\n  lb:\n    port: 5060\n");
    writeFileSync(join(node.config, "constants.yml"), "constants: {}\n");
    writeFileSync(join(node.config, "network.yml"), "hosts: {}\n");
    writeFileSync(join(node.config, "templates/custom.tt2"), "custom template\n");
    writeFileSync(node.sipwise, "SIPWISE_DB_PASSWORD='s3cret'\n", { mode: 0o600 });
    writeFileSync(join(node.cdr, "cdr-20261123.csv"), "1,2,3\n");
    writeFileSync(join(node.custom, "service.conf"), "x=1\n");
    writeFileSync(join(root, "ngcp_version"), "mr11.5.1\n");
    node.backupOptions = join(root, "node/etc/mysql/ngcp-fleet-backup.cnf");
    writeFileSync(
      node.backupOptions,
      renderMysqlOptionsFile({ user: "backup", password: BACKUP_PASSWORD, socket }),
      { mode: 0o600 },
    );
  });

  after(function () {
    if (tmpfsMounted) {
      spawnSync("umount", [tmpfsMounted]);
    }
    if (server?.pid !== undefined && server.exitCode === null) {
      // Stop our own server by its PID; it removes its pid file once shut down (the child stays a zombie
      // until the event loop reaps it, so "kill -0" cannot tell).
      process.kill(server.pid, "SIGTERM");
      const deadline = Date.now() + 20_000;
      while (existsSync(`${root}/mariadbd.pid`) && Date.now() < deadline) {
        spawnSync("sleep", ["0.1"]);
      }
      if (existsSync(`${root}/mariadbd.pid`)) {
        process.kill(server.pid, "SIGKILL");
      }
    }
    if (root) {
      rmSync(root, { recursive: true, force: true });
    }
  });

  let first: BackupManifest;

  it("GIVEN a node WHEN the script runs THEN every database, the config, sipwise.cnf, CDRs and custom paths are saved with a manifest that verifies", () => {
    const inputs = backupInputs();
    const run = runBackup(inputs);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /\[1\/10\] checking the sources/);
    assert.match(run.stdout, /\[10\/10\] applying retention/);
    const [id] = finished();
    const dir = join(node.dest, id);
    first = manifestOf(dir);
    assert.equal(first.id, id);
    assert.equal(first.ngcpVersion, "mr11.5.1");
    assert.deepEqual(
      first.artifacts.map((a) => a.name),
      ["databases.sql.gz", "ngcp-config.tar.gz", "mysql-config.tar.gz", "cdrexport.tar.gz", "custom.tar.gz"],
    );
    for (const artifact of first.artifacts) {
      assert.equal(sha256(join(dir, artifact.name)), artifact.sha256, artifact.name);
      assert.equal(statSync(join(dir, artifact.name)).size, artifact.bytes);
    }
    execFileSync("sha256sum", ["-c", "--quiet", "SHA256SUMS"], { cwd: dir });
    assert.equal(
      (statSync(dir).mode & 0o777).toString(8),
      "700",
      "backups hold secrets: only root reads them",
    );
    assert.deepEqual(first.artifacts[1].files, ["config.yml", "constants.yml", "network.yml"]);
    assert.deepEqual(first.artifacts[4].paths, [node.custom]);

    // The dump is consistent and complete: routines, events and triggers included.
    const dump = gunzipSync(readFileSync(join(dir, "databases.sql.gz"))).toString();
    assert.match(dump, /TRIGGER \S*contracts_bi BEFORE INSERT/);
    assert.match(dump, /PROCEDURE `total`/);
    assert.match(dump, /EVENT `cleanup`/);
    assert.match(dump, /-- Dump completed/);

    // The archives hold the whole /etc/ngcp-config (templates too), sipwise.cnf and the rest.
    const members = (name: string) => execFileSync("tar", ["-tzf", join(dir, name)]).toString();
    assert.match(members("ngcp-config.tar.gz"), /etc\/ngcp-config\/templates\/custom\.tt2/);
    assert.match(members("mysql-config.tar.gz"), /etc\/mysql\/sipwise\.cnf/);
    assert.match(members("cdrexport.tar.gz"), /cdr-20261123\.csv/);
    assert.match(members("custom.tar.gz"), /it's custom\/service\.conf/);

    // Table statistics equal the live server's numbers, weird names included.
    const stat = (schema: string, table: string) =>
      first.tables.find((t) => t.schema === schema && t.table === table);
    assert.deepEqual(stat("billing", "contracts")?.rows, 200);
    assert.equal(stat("billing", "contracts")?.stable, true);
    assert.equal(
      stat("billing", "contracts")?.checksum,
      sql("CHECKSUM TABLE billing.contracts").trim().split("\t")[1],
    );
    assert.equal(stat("provisioning", 'we`ird "t"')?.rows, 1);
    assert.equal(first.tables.filter((t) => t.schema === "mysql").length, 0);

    const status = readStatus(inputs);
    assert.equal(status.result, "ok");
    assert.equal(status.id, id);
    assert.equal(status.lastSuccess?.id, id);
    assert.equal(
      status.bytes,
      first.artifacts.reduce((sum, a) => sum + a.bytes, 0),
    );
    assert.equal(backupDrift(status, new Date(), 26).drifted, false);
  });

  it("GIVEN older and foreign directories WHEN a run succeeds THEN retention prunes exactly what planRetention says, nothing else", () => {
    const inputs = backupInputs();
    for (const old of ["20200101T000000Z", "20200102T000000Z"]) {
      mkdirSync(join(node.dest, old));
      writeFileSync(join(node.dest, old, "manifest.json"), "{}");
    }
    mkdirSync(join(node.dest, "20200103T000000Z")); // no manifest: not a finished backup of ours
    mkdirSync(join(node.dest, "notes"));
    const before = finished().filter((id) => existsSync(join(node.dest, id, "manifest.json")));
    const run = runBackup(inputs);
    assert.equal(run.status, 0, run.stderr);
    const status = readStatus(inputs);
    const expected = planRetention([...before, status.id], new Date(), inputs.retention, status.id);
    assert.deepEqual(
      finished().filter((id) => existsSync(join(node.dest, id, "manifest.json"))),
      expected.keep,
    );
    assert.deepEqual([...status.pruned].sort(), [...expected.prune]);
    assert.deepEqual(expected.keep, [first.id, status.id]);
    assert.ok(existsSync(join(node.dest, "20200103T000000Z")) && existsSync(join(node.dest, "notes")));
  });

  it("GIVEN a run in progress WHEN another starts THEN it exits 75 and touches nothing", () => {
    const inputs = backupInputs();
    const statusBefore = readFileSync(inputs.paths.statusFile, "utf8");
    const backups = finished();
    const run = runBackup(inputs, ["flock", inputs.paths.lockFile]);
    assert.equal(run.status, 75);
    assert.match(run.stderr, /another backup run holds/);
    assert.equal(readFileSync(inputs.paths.statusFile, "utf8"), statusBefore);
    assert.deepEqual(finished(), backups);
  });

  it("GIVEN an option file readable by others WHEN the script runs THEN it fails loudly, records why, and keeps the older backups", () => {
    const inputs = backupInputs();
    const backups = finished();
    const lastOk = readStatus(inputs).id;
    chmodSync(node.backupOptions, 0o644);
    try {
      const run = runBackup(inputs);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /FAILED: step prepare failed \(exit 1\): .*mode 644; it must be 0600/);
    } finally {
      chmodSync(node.backupOptions, 0o600);
    }
    const status = readStatus(inputs);
    assert.equal(status.result, "failed");
    assert.equal(status.step, "prepare");
    assert.equal(status.lastSuccess?.id, lastOk);
    assert.deepEqual(finished(), backups);
    assert.deepEqual(
      readdirSync(node.dest).filter((n) => n.endsWith(".partial")),
      [],
    );
    const drift = backupDrift(status, new Date(), 26);
    assert.equal(drift.drifted, true);
    assert.match(drift.reasons.join(), /must be 0600/);
  });

  it("GIVEN a full disk WHEN the script runs THEN it fails loudly, removes its partial backup, keeps the older one and records the failure", function () {
    if (process.getuid?.() !== 0 || spawnSync("mount", ["--version"]).status !== 0) {
      this.skip();
    }
    const small = join(root, "small");
    mkdirSync(small);
    if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", small]).status !== 0) {
      this.skip();
    }
    tmpfsMounted = small;
    const inputs = backupInputs({ destination: join(small, "ngcp-fleet") });
    const ok = runBackup(inputs);
    assert.equal(ok.status, 0, ok.stderr);
    const [kept] = finished(inputs.destination);
    const keptSums = execFileSync("sha256sum", ["-c", "SHA256SUMS"], {
      cwd: join(inputs.destination, kept),
    }).toString();
    // Leave a few kilobytes: the next dump cannot fit.
    const fs = statfsSync(small);
    writeFileSync(join(small, "ballast"), Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - 8 * 1024)));
    const full = runBackup(inputs);
    assert.notEqual(full.status, 0);
    assert.match(full.stderr, /No space left on device/);
    assert.match(full.stderr, /FAILED: step \w+ failed/);
    const status = readStatus(inputs);
    assert.equal(status.result, "failed");
    assert.match(status.error ?? "", /No space left on device/);
    assert.equal(status.lastSuccess?.id, kept);
    assert.deepEqual(finished(inputs.destination), [kept]);
    assert.deepEqual(
      readdirSync(inputs.destination).filter((n) => n.endsWith(".partial")),
      [],
    );
    assert.equal(
      execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: join(inputs.destination, kept) }).toString(),
      keptSums,
    );
    spawnSync("umount", [small]);
    tmpfsMounted = "";
  });

  it("GIVEN an off-node target WHEN the script runs THEN the copy goes through ssh with the pinned key only and verifies on the remote", () => {
    const remote = join(root, "backup host/ngcp backups");
    const log = join(root, "ssh.log");
    // A stand-in for ssh: records its argv, then runs the remote command locally (a real sshd is the lab's job).
    writeFileSync(
      join(node.bin, "ssh"),
      `#!/bin/bash\nprintf '%s\\n' "$@" >> '${log}'\nwhile [ $# -gt 0 ]; do case $1 in -o|-i|-p|-l) shift 2;; --) shift; break;; *) break;; esac; done\nshift\nexec sh -c "$*"\n`,
      { mode: 0o755 },
    );
    const key = join(root, "id_ed25519");
    writeFileSync(key, "not a real key\n", { mode: 0o600 });
    const offNode = {
      host: "backup.example.net",
      port: 2222,
      user: "ngcp-backup",
      path: remote,
      hostKey: HOST_KEY,
      privateKeyPath: key,
    };
    const inputs = backupInputs({ offNode, destination: join(root, "node/var/backups/offnode") });
    writeFileSync(inputs.paths.knownHostsFile, renderKnownHosts(inputs.offNode!));
    const run = runBackup(inputs, [], { PATH: `${node.bin}:${process.env.PATH}` });
    assert.equal(run.status, 0, run.stderr);
    const status = readStatus(inputs);
    assert.equal(status.offNode, "ok");
    execFileSync("sha256sum", ["-c", "--quiet", "SHA256SUMS"], { cwd: join(remote, status.id) });
    assert.deepEqual(readdirSync(remote), [status.id]);
    const argv = readFileSync(log, "utf8");
    for (const expected of [
      "StrictHostKeyChecking=yes",
      `UserKnownHostsFile=${inputs.paths.knownHostsFile}`,
      "BatchMode=yes",
      "2222",
      "ngcp-backup",
      "backup.example.net",
    ]) {
      assert.ok(argv.includes(expected), `ssh argv lacks ${expected}`);
    }

    // The backup host refuses: the run fails, the local backup stays, nothing is pruned.
    writeFileSync(join(node.bin, "ssh"), "#!/bin/sh\necho 'Host key verification failed.' >&2\nexit 255\n", {
      mode: 0o755,
    });
    const backups = finished(inputs.destination);
    const refused = runBackup(inputs, [], { PATH: `${node.bin}:${process.env.PATH}` });
    assert.equal(refused.status, 255);
    const failed = readStatus(inputs);
    assert.equal(failed.result, "failed");
    assert.equal(failed.offNode, "failed");
    assert.match(failed.error ?? "", /step offnode failed \(exit 255\): Host key verification failed/);
    assert.deepEqual(finished(inputs.destination), [...backups, failed.id].sort());
    rmSync(join(node.bin, "ssh"));
  });

  it("GIVEN a destructive change WHEN the backup is restored THEN every row and the config files come back, the previous ones kept aside", () => {
    const dir = join(node.dest, first.id);
    sql(
      "DELETE FROM billing.contracts WHERE id > 10; DROP TABLE provisioning.voip_subscribers; DROP USER backup@localhost",
    );
    writeFileSync(join(node.config, "config.yml"), "broken: true\n");
    rmSync(join(node.config, "network.yml"));
    const ngcpcfgLog = join(root, "ngcpcfg.log");
    const ngcpcfg = join(node.bin, "ngcpcfg");
    writeFileSync(ngcpcfg, `#!/bin/sh\nprintf '%s|' "$@" >> '${ngcpcfgLog}'\n`, { mode: 0o755 });
    const options = {
      node: "ngcp1",
      destination: node.dest,
      timestamp: "20991231T000000Z",
      targets: { ngcpConfigDir: node.config, sipwiseCnf: node.sipwise },
    };
    const live = [join(node.config, "config.yml"), join(node.config, "constants.yml"), node.sipwise];
    const plan = planRestore(first, live, options);
    assert.deepEqual(plan.problems, []);
    const run = spawnSync("bash", ["-s"], {
      input: renderRestoreScript(plan, { sipwiseCnf: node.sipwise, mysqlSocket: socket, ngcpcfg }),
    });
    assert.equal(run.status, 0, run.stderr.toString());
    assert.match(run.stdout.toString(), /\[6\/6\] ngcpcfg apply/);

    assert.equal(sql("SELECT COUNT(*) FROM billing.contracts").trim(), "200");
    assert.equal(sql("SELECT COUNT(*) FROM provisioning.voip_subscribers").trim(), "50");
    assert.equal(
      sql("SELECT COUNT(*) FROM mysql.user WHERE User = 'backup'").trim(),
      "1",
      "users come back with the dump",
    );
    assert.equal(readFileSync(join(node.config, "config.yml"), "utf8"), "kamailio:\n  lb:\n    port: 5060\n");
    assert.equal(readFileSync(join(node.config, "network.yml"), "utf8"), "hosts: {}\n");
    assert.equal(readFileSync(join(plan.preRestoreDir, node.config, "config.yml"), "utf8"), "broken: true\n");
    assert.ok(existsSync(join(plan.preRestoreDir, "databases.sql.gz")));
    assert.ok(!existsSync(plan.stagingDir));
    assert.equal(readFileSync(ngcpcfgLog, "utf8"), `apply|${plan.applyMessage}|`);
    assert.ok(existsSync(dir));
  });

  it("GIVEN the CE's sipwise.cnf WHEN the login script runs THEN the dump gets its own read-only account, born on the node, 0600, kept while it works and rotated when it does not", () => {
    const optionFile = join(root, "node/etc/mysql/ngcp-fleet-login.cnf");
    const inputs = backupInputs({ mysqlOptionsFile: optionFile });
    const login = () => {
      const run = spawnSync("sh", ["-s"], {
        input: renderBackupLoginScript(inputs, { mysqlSocket: socket }),
      });
      assert.equal(run.status, 0, run.stderr.toString());
      return run.stdout.toString().trim();
    };
    const asBackup = (statement: string) =>
      spawnSync("mariadb", [`--defaults-extra-file=${optionFile}`, "-N", "-B", "-e", statement]);
    const passwordOf = () => /^password=(.*)$/m.exec(readFileSync(optionFile, "utf8"))?.[1] ?? "";

    assert.equal(login(), "created");
    assert.equal((statSync(optionFile).mode & 0o777).toString(8), "600");
    assert.equal(
      asBackup("SELECT CURRENT_USER()").stdout.toString().trim(),
      `${BACKUP_MYSQL_USER}@localhost`,
    );
    const grants = sql(`SHOW GRANTS FOR '${BACKUP_MYSQL_USER}'@'localhost'`);
    assert.match(grants, /GRANT SELECT, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER ON \*\.\* TO/);
    assert.doesNotMatch(grants, /INSERT|UPDATE|DELETE|DROP|SUPER|RELOAD|GRANT OPTION|ALL PRIVILEGES/);
    // Least privilege, for real: the account can read but not write or grant.
    assert.equal(asBackup("SELECT COUNT(*) FROM billing.contracts").status, 0);
    assert.notEqual(asBackup("DELETE FROM billing.contracts WHERE id = 1").status, 0);
    assert.notEqual(asBackup("CREATE USER intruder@localhost").status, 0);
    assert.equal(sql("SELECT COUNT(*) FROM billing.contracts").trim(), "200");
    const first = passwordOf();
    assert.ok(first.length >= 24, "a long random password");

    assert.equal(login(), "kept", "a working login is left alone");
    assert.equal(passwordOf(), first);

    writeFileSync(optionFile, readFileSync(optionFile, "utf8").replace(first, "wrong"), { mode: 0o600 });
    assert.equal(login(), "rotated");
    assert.notEqual(passwordOf(), first);
    assert.equal(asBackup("SELECT 1").status, 0);

    // A grant added by hand is taken away again.
    sql(`GRANT INSERT ON *.* TO '${BACKUP_MYSQL_USER}'@'localhost'`);
    assert.equal(login(), "kept");
    assert.doesNotMatch(sql(`SHOW GRANTS FOR '${BACKUP_MYSQL_USER}'@'localhost'`), /INSERT/);
    // The dump runs as this account (the same grants as the test's `backup` user, which the backups above used).
    const dump = spawnSync("mariadb-dump", [
      `--defaults-extra-file=${optionFile}`,
      "--single-transaction",
      "--routines",
      "--events",
      "--triggers",
      "--all-databases",
    ]);
    assert.equal(dump.status, 0, dump.stderr.toString());
    assert.match(dump.stdout.toString(), /PROCEDURE `total`/);
  });

  it("GIVEN a destroyed schedule WHEN the removal script runs THEN the account is gone; run again THEN it is still fine", () => {
    const optionFile = join(root, "node/etc/mysql/ngcp-fleet-login.cnf");
    const inputs = backupInputs({ mysqlOptionsFile: optionFile });
    const remove = () => {
      const run = spawnSync("sh", ["-s"], {
        input: renderBackupLoginRemovalScript(inputs, { mysqlSocket: socket }),
      });
      assert.equal(run.status, 0, run.stderr.toString());
      return run.stdout.toString().trim();
    };
    assert.equal(remove(), "dropped");
    assert.equal(sql(`SELECT COUNT(*) FROM mysql.user WHERE User = '${BACKUP_MYSQL_USER}'`).trim(), "0");
    assert.equal(remove(), "dropped", "idempotent");
    const broken = backupInputs({
      mysqlOptionsFile: optionFile,
      paths: { sipwiseCnf: join(root, "absent.cnf") },
    });
    const run = spawnSync("sh", ["-s"], {
      input: renderBackupLoginRemovalScript(broken, { mysqlSocket: socket }),
    });
    assert.equal(run.status, 0);
    assert.match(run.stdout.toString(), /^kept: cannot log in/m);
  });

  it("reads sipwise.cnf's password in the forms Sipwise writes it", () => {
    for (const line of [
      "SIPWISE_DB_PASSWORD='a1b2'",
      'SIPWISE_DB_PASSWORD="a1b2"',
      "SIPWISE_DB_PASSWORD=a1b2",
      "export SIPWISE_DB_PASSWORD='a1b2'  ",
    ]) {
      const out = execFileSync("bash", [
        "-c",
        `printf '%s\\n' "$1" | sed -n "${SIPWISE_DB_PASSWORD_SED}"`,
        "-",
        `# c\n${line}`,
      ]);
      assert.equal(out.toString(), "a1b2\n", line);
    }
  });

  it("GIVEN a damaged backup WHEN a restore starts THEN the checksums stop it before anything is touched", () => {
    const damagedId = "20991230T000000Z";
    cpSync(join(node.dest, first.id), join(node.dest, damagedId), { recursive: true });
    const archive = join(node.dest, damagedId, "ngcp-config.tar.gz");
    const bytes = readFileSync(archive);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(archive, bytes);
    writeFileSync(join(node.config, "config.yml"), "changed after the backup\n");
    const plan = planRestore({ ...first, id: damagedId }, [join(node.config, "config.yml")], {
      node: "ngcp1",
      destination: node.dest,
      timestamp: "20991231T000001Z",
      targets: { ngcpConfigDir: node.config, sipwiseCnf: node.sipwise },
    });
    const run = spawnSync("bash", ["-s"], {
      input: renderRestoreScript(plan, { sipwiseCnf: node.sipwise, mysqlSocket: socket, ngcpcfg: "false" }),
    });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr.toString(), /checksum mismatch .* nothing was changed/);
    assert.match(run.stderr.toString(), /FAILED in step verify/);
    assert.equal(readFileSync(join(node.config, "config.yml"), "utf8"), "changed after the backup\n");
    assert.ok(!existsSync(plan.preRestoreDir));
    rmSync(join(node.dest, damagedId), { recursive: true });
  });

  it("GIVEN a good backup WHEN drilled in a scratch MariaDB THEN every table passes; GIVEN a dump missing a row THEN that table fails", () => {
    const dump = join(node.dest, first.id, "databases.sql.gz");
    const drill = (file: string, digest: string, work: string) => {
      const run = spawnSync("bash", ["-s"], {
        input: renderDrillScript({
          dumpFile: file,
          dumpSha256: digest,
          compression: "gzip",
          workDir: join(root, work),
          bufferPool: "16M",
        }),
      });
      assert.equal(run.status, 0, run.stderr.toString());
      assert.ok(!existsSync(join(root, work)), "the scratch directory is removed");
      return compareTableStats(first.tables, parseDrillOutput(run.stdout.toString()));
    };
    const good = drill(dump, first.artifacts[0].sha256, "drill-good");
    assert.equal(good.ok, true, JSON.stringify(good.tables.filter((t) => t.result !== "pass")));
    assert.equal(good.passed, first.tables.length);

    // A dump that lost a row (consistent checksums, wrong content): the table statistics catch it.
    const text = gunzipSync(readFileSync(dump)).toString();
    const lossy = text.replace(/\(7,'contract 7','?10\.50'?\),/, "");
    assert.notEqual(lossy, text, "the test removes one row of billing.contracts");
    const lossyFile = join(root, "lossy.sql.gz");
    writeFileSync(lossyFile, gzipSync(lossy));
    const bad = drill(lossyFile, sha256(lossyFile), "drill-bad");
    assert.equal(bad.ok, false);
    assert.deepEqual(
      bad.tables
        .filter((t) => t.result === "fail")
        .map((t) => [`${t.schema}.${t.table}`, t.reason.startsWith("rows 199 ≠ 200")]),
      [["billing.contracts", true]],
    );

    // A dump that does not match the manifest never reaches the scratch server.
    const refused = spawnSync("bash", ["-s"], {
      input: renderDrillScript({
        dumpFile: lossyFile,
        dumpSha256: first.artifacts[0].sha256,
        compression: "gzip",
        workDir: join(root, "drill-refused"),
      }),
    });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr.toString(), /does not match the manifest's SHA-256/);
  });
});
