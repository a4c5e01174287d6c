import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { labStatus } from "../../lab";
import {
  closeAll,
  connect,
  connectionsOpened,
  HostKeyMismatchError,
  NodeUnreachableError,
  RemoteCommandError,
  sessionFor,
  withMysql,
} from "../../providers/transport";
import { ensureLab } from "../support/lab";
import { labTarget, nodeShell } from "../support/labTargets";

describe("transport on lab nodes (real sshd, real MariaDB)", function () {
  this.timeout(120_000);

  before(async () => {
    await ensureLab(2);
    await closeAll();
  });
  after(() => closeAll());

  it("shares one SSH connection per node across many concurrent commands", async () => {
    // GIVEN a fresh pool WHEN 30 commands run at once on each of two nodes
    const before = connectionsOpened();
    const targets = [labTarget("ngcp1"), labTarget("ngcp2")];
    const results = await Promise.all(
      targets.flatMap((target) =>
        Array.from({ length: 30 }, async (_, i) =>
          (await sessionFor(target)).exec(["echo", `${target.name}-${i}`]),
        ),
      ),
    );
    // THEN every command ran on its own node, over exactly one new connection per node
    assert.equal(results.length, 60);
    assert.equal(results[0].stdout.trim(), "ngcp1-0");
    assert.equal(results[59].stdout.trim(), "ngcp2-29");
    const after = connectionsOpened();
    for (const target of targets) {
      const key = Object.keys(after).find((k) => k.includes(`@${target.host}:`));
      assert.ok(key);
      assert.equal(after[key] - (before[key] ?? 0), 1);
    }
  });

  it("fails on exit status with an error naming node, command, code and stderr", async () => {
    const session = await sessionFor(labTarget("ngcp1"));
    await assert.rejects(
      session.exec(["sh", "-c", "echo broken >&2; exit 3"]),
      (err: unknown) =>
        err instanceof RemoteCommandError &&
        err.exitCode === 3 &&
        /node ngcp1: `sh -c 'echo broken >&2; exit 3'` failed with exit code 3:\nbroken/.test(err.message),
    );
  });

  it("does not treat stderr output as failure", async () => {
    const session = await sessionFor(labTarget("ngcp1"));
    const result = await session.exec(["sh", "-c", "echo warning >&2"]);
    assert.equal(result.stderr.trim(), "warning");
  });

  it("redacts raw secrets itself: a failing command that echoes them leaves none in the error", async () => {
    // The secrets go into the session unredacted (argv, stdout, stderr, a longer secret holding a shorter one);
    // only the session's own redaction stands between them and the message.
    const secret = `pw-${randomBytes(6).toString("hex")}`;
    const longer = `${secret}-and-more`;
    const session = await sessionFor(labTarget("ngcp1"));
    await assert.rejects(
      session.exec(["sh", "-c", 'echo "out $1 $2"; echo "err $1 $2" >&2; exit 5', "sh", secret, longer], {
        secrets: [secret, longer],
      }),
      (err: unknown) => {
        assert.ok(err instanceof RemoteCommandError);
        const everything = [err.message, err.stdout, err.stderr, err.command, String(err.stack)].join("\n");
        assert.ok(!everything.includes(secret), everything);
        assert.match(err.message, /`sh -c .* sh \[secret\] \[secret\]` failed with exit code 5/);
        assert.match(err.stderr, /^err \[secret\] \[secret\]$/m);
        assert.match(err.stdout, /^out \[secret\] \[secret\]$/m);
        return true;
      },
    );
    // A timeout names the command redacted too.
    await assert.rejects(
      session.exec(["sh", "-c", "sleep 5", secret], { secrets: [secret], timeoutMs: 300 }),
      (err: unknown) =>
        err instanceof Error && !err.message.includes(secret) && /\[secret\]/.test(err.message),
    );
  });

  it("passes a secret on stdin only: it never appears in the node's command log", async () => {
    const secret = `s3cret-${randomBytes(8).toString("hex")}`;
    const session = await sessionFor(labTarget("ngcp1"));
    const { stdout } = await session.exec(["sha256sum"], { stdin: secret, secrets: [secret] });
    assert.match(stdout, /^[0-9a-f]{64} {2}-/);
    const log = nodeShell("ngcp1", "cat /var/log/ngcp-lab/commands.log");
    assert.ok(log.includes("sha256sum"), "the command log records commands");
    assert.ok(!log.includes(secret), "the secret must not reach the command log");
  });

  it("writes files atomically over SFTP with the requested mode and owner", async () => {
    const session = await sessionFor(labTarget("ngcp1"));
    const path = "/root/ngcp-fleet-transport-test.key";
    await session.writeFileAtomic(path, "first\n", { mode: 0o600 });
    await session.writeFileAtomic(path, "second\n", { mode: 0o600 });
    assert.equal((await session.readFile(path))?.toString(), "second\n");
    assert.equal(nodeShell("ngcp1", `stat -c '%a %U' ${path}`).trim(), "600 root");
    // No temporary file is left beside it.
    assert.equal(nodeShell("ngcp1", "ls -a /root | grep -c ngcp-fleet- || true").trim(), "1");
    assert.equal(await session.readFile("/root/does-not-exist"), undefined);
  });

  it("reaches MariaDB through the SSH tunnel as root without a password (fresh CE)", async () => {
    const version = await withMysql(labTarget("ngcp1"), {}, async (db) => {
      const [rows] = await db.query("SELECT @@hostname AS host, VERSION() AS v");
      return rows as { host: string; v: string }[];
    });
    assert.equal(version[0].host, "ngcp1");
    assert.match(version[0].v, /MariaDB/);
  });

  it("refuses a node whose host key differs from the pinned one, naming both fingerprints", async () => {
    const wrong = { ...labTarget("ngcp1"), hostKey: labTarget("ngcp2").hostKey };
    await assert.rejects(
      connect(wrong),
      (err: unknown) =>
        err instanceof HostKeyMismatchError &&
        /node ngcp1: host key mismatch: the stack pins SHA256:\S+ but the node presented SHA256:\S+/.test(
          err.message,
        ),
    );
  });

  it("reports an unreachable node by name within the connect timeout", async () => {
    // 198.18.0.249 is inside the lab's range and has no host behind it.
    const target = { ...labTarget("ngcp1"), name: "ghost", host: "198.18.0.249", connectTimeoutMs: 2000 };
    const started = Date.now();
    await assert.rejects(
      connect(target),
      (err: unknown) =>
        err instanceof NodeUnreachableError &&
        /node ghost \(root@198\.18\.0\.249:22\) is unreachable/.test(err.message),
    );
    assert.ok(Date.now() - started < 8000);
  });

  it("GIVEN a connection the node dropped WHEN a file is read, stat'ed or written or a command runs on it THEN each fails at once, naming the node", async () => {
    // GIVEN a connection of its own, its SFTP channel open
    const session = await connect(labTarget("ngcp1"));
    assert.equal((await session.readFile("/etc/hostname"))?.toString().trim(), "ngcp1");
    // WHEN the node's sshd process serving it ("sshd: root@notty", the shell's parent) is killed; the
    // listener stays
    const serving = (await session.exec(["sh", "-c", 'ps -o pid=,args= -p "$PPID"'])).stdout.trim();
    assert.match(serving, /^\d+ sshd: root@notty$/);
    nodeShell("ngcp1", `kill -9 ${serving.split(" ")[0]}`);
    for (let waited = 0; !session.closed; waited += 50) {
      assert.ok(waited < 10_000, "the client saw the connection close");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // THEN every request fails with the loss, none waits (ssh2 never answers an SFTP request sent after a close)
    const lost = (err: unknown) =>
      err instanceof NodeUnreachableError &&
      /^node ngcp1 \(root@[0-9.]+:22\) is unreachable: the connection was lost$/.test(err.message);
    const started = Date.now();
    await assert.rejects(session.readFile("/etc/hostname"), lost);
    await assert.rejects(session.stat("/etc/hostname"), lost);
    await assert.rejects(session.writeFileAtomic("/root/ngcp-fleet-lost-test", "x"), lost);
    await assert.rejects(session.exec(["true"]), lost);
    assert.ok(Date.now() - started < 2000, `failed after ${Date.now() - started} ms`);
    assert.equal(nodeShell("ngcp1", "ls -a /root | grep -c ngcp-fleet-lost-test || true").trim(), "0");
  });
});

describe("transport with a non-root login and ssh.sudo (real sudo on a lab node)", function () {
  this.timeout(120_000);
  const NODE = "ngcp1";
  const USER = "fleetdeploy";
  const path = "/etc/ngcp-fleet-sudo-test.conf";

  before(async () => {
    const lab = await ensureLab(1);
    // GIVEN a login user whose only way to root is passwordless sudo
    const publicKey = readFileSync(`${lab.deployerKey}.pub`, "utf8").trim();
    nodeShell(
      NODE,
      [
        `id ${USER} >/dev/null 2>&1 || useradd -m -s /bin/sh ${USER}`,
        `install -d -m 700 -o ${USER} -g ${USER} /home/${USER}/.ssh`,
        `printf '%s\\n' '${publicKey}' > /home/${USER}/.ssh/authorized_keys`,
        `chown ${USER}:${USER} /home/${USER}/.ssh/authorized_keys`,
        `printf '${USER} ALL=(ALL) NOPASSWD: ALL\\n' > /etc/sudoers.d/${USER} && chmod 440 /etc/sudoers.d/${USER}`,
      ].join(" && "),
    );
    await closeAll();
  });

  after(async () => {
    await closeAll();
    nodeShell(NODE, `rm -f /etc/sudoers.d/${USER} ${path}; userdel -r ${USER} 2>/dev/null || true`);
  });

  const target = () => ({ ...labTarget(NODE), user: USER, sudo: true });

  it("runs commands as root and keeps $SSH_CONNECTION (the firewall's lockout guard needs it)", async () => {
    const session = await sessionFor(target());
    assert.equal((await session.exec(["id", "-un"])).stdout.trim(), "root");
    const seen = await session.script('printf "%s\\n" "${SSH_CONNECTION%% *}"\n');
    assert.equal(seen.stdout.trim(), labStatus().deployer?.address ?? "198.18.0.1");
  });

  it("writes a root-owned 0600 file atomically and reads it back, the content only on stdin", async () => {
    const secret = `s3cret-${randomBytes(8).toString("hex")}`;
    const session = await sessionFor(target());
    await session.writeFileAtomic(path, `password = ${secret}\n`, { mode: 0o600 });
    await session.writeFileAtomic(path, `password = ${secret}-2\n`, { mode: 0o600 });
    assert.equal((await session.readFile(path))?.toString(), `password = ${secret}-2\n`);
    assert.equal(nodeShell(NODE, `stat -c '%a %U:%G' ${path}`).trim(), "600 root:root");
    assert.equal(nodeShell(NODE, "ls -a /etc | grep -c 'ngcp-fleet-sudo-test' || true").trim(), "1");
    assert.equal(await session.readFile("/root/does-not-exist"), undefined);
    const log = nodeShell(NODE, "cat /var/log/ngcp-lab/commands.log");
    assert.ok(log.includes(`sudo -n -- env`), "the command log records the sudo commands");
    assert.ok(!log.includes(secret), "the file's content must not reach the command log");
  });
});
