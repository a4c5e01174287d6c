import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SUPPORT_KEY_FROM } from "../../lab/artifacts";
import { labStatus } from "../../lab";
import { withMysql } from "../../providers/transport/mysql";
import { closeAll } from "../../providers/transport/session";
import { labTarget, nodeShell } from "../support/labTargets";

/**
 * The credentials tests' node and its "VM image" state (lab/README.md, "Accounts and keys"). Other engineers
 * share the lab: these tests touch ngcp6 only, and put it back as the image had it before and after.
 */
export const NODE = "ngcp6";

/** Extra MariaDB accounts the tests may create. */
export const TEST_MYSQL_USERS = ["e2e_backup", "e2e_report", "e2e_probe"];

function keyText(file: string): string {
  return readFileSync(file, "utf8").trim();
}

/** The lab's key lines: the deployer's, the VM image's, Sipwise support's (with its `from=`). */
export function labKeys(): { deployer: string; image: string; support: string } {
  const status = labStatus();
  const keys = join(status.labDir, "keys");
  return {
    deployer: keyText(`${status.deployerKey}.pub`),
    image: keyText(join(keys, "vm_image_ed25519.pub")),
    support: `from="${SUPPORT_KEY_FROM}" ${keyText(join(keys, "sipwise_support_ed25519.pub"))}`,
  };
}

/**
 * Puts the node's MariaDB back to a fresh CE's: root without a password, none of the tests' accounts, no
 * option file. Logs in through the transport (mysql2 over SSH) with each password a test may have left, so
 * no password ever reaches a command line (the leak test reads the node's command log).
 */
export async function resetMysql(passwords: readonly string[]): Promise<void> {
  const target = labTarget(NODE);
  let done = false;
  for (const password of ["", ...passwords]) {
    try {
      await withMysql(target, { user: "root", password }, async (db) => {
        for (const user of TEST_MYSQL_USERS) {
          await db.query(`DROP USER IF EXISTS \`${user}\`@\`localhost\``);
        }
        await db.query("ALTER USER `root`@`localhost` IDENTIFIED BY ''");
      });
      done = true;
      break;
    } catch (err) {
      if (!/Access denied/.test((err as Error).message)) {
        throw err;
      }
    }
  }
  await closeAll();
  if (!done) {
    throw new Error(
      `${NODE}: cannot log in as MariaDB root with any password the tests use; reset it by hand`,
    );
  }
  nodeShell(NODE, "rm -f /etc/mysql/ngcp-fleet-root.cnf");
}

/** Root's password back to the image's `sipwise`, cdrexport locked without keys, the image's key files. */
export function resetSystemAccounts(): void {
  const keys = labKeys();
  nodeShell(
    NODE,
    [
      "set -e",
      "chpasswd",
      "usermod -p '!' cdrexport",
      "rm -rf /home/jail/home/cdrexport/.ssh",
      "rm -f /root/.ssh/authorized_keys2 /home/sipwise/.ssh/authorized_keys2",
      `printf '%s\\n%s\\n' '${keys.deployer}' '${keys.image}' > /root/.ssh/authorized_keys`,
      `printf '%s\\n%s\\n' '${keys.image}' '${keys.support}' > /home/sipwise/.ssh/authorized_keys`,
      "chown sipwise:sipwise /home/sipwise/.ssh/authorized_keys",
      "chmod 600 /root/.ssh/authorized_keys /home/sipwise/.ssh/authorized_keys",
    ].join("\n"),
    // chpasswd reads the line from stdin (the image's own, documented default: not a secret of any test).
    "root:sipwise\n",
  );
}

/** Support access back to the image's: enabled, package installed. */
export function resetSupportAccess(): void {
  nodeShell(
    NODE,
    "apt-get install -y ngcp-support-access >/dev/null && ngcp-support-access --enable >/dev/null",
  );
}

/**
 * The NGCP service users' stored authentication (plugin and hash), read with the node's own `mysql` client
 * (through root's option file once the stack has written it): the evidence that they are never changed.
 */
export function serviceUserAuth(): string {
  const query =
    "SELECT User, Host, plugin, authentication_string FROM mysql.user " +
    "WHERE User IN ('sipwise','kamailio','soap','mediator','rateomat','exporter','mariadb.sys') ORDER BY User, Host";
  return nodeShell(
    NODE,
    `if [ -f /etc/mysql/ngcp-fleet-root.cnf ]; then set -- --defaults-extra-file=/etc/mysql/ngcp-fleet-root.cnf; fi; mysql "$@" -N -e "${query}"`,
  );
}

/** Runs SQL on the node as root through the option file the stack wrote (the node's own client). */
export function mysqlAsRoot(sql: string): string {
  return nodeShell(NODE, `mysql --defaults-extra-file=/etc/mysql/ngcp-fleet-root.cnf -N -e "${sql}"`);
}

/** The node's shadow hash of a user. */
export function shadowHash(user: string): string {
  return nodeShell(NODE, `getent shadow ${user} | cut -d: -f2`).trim();
}

/** Size of the node's sshd command log, to read only what a step added. */
export function commandLogSize(): number {
  return Number(nodeShell(NODE, "stat -c %s /var/log/ngcp-lab/commands.log").trim());
}

/** What the node's sshd logged from byte `offset` on: every command line run over SSH. */
export function commandLogSince(offset: number): string {
  return nodeShell(NODE, `tail -c +${offset + 1} /var/log/ngcp-lab/commands.log`);
}

/** Whether `password` is the node's password of `user` (the node's own crypt(3); the password on stdin). */
export function systemPasswordIs(user: string, password: string): boolean {
  const script =
    'my $h = (getpwnam(shift))[1]; my $p = <STDIN>; chomp $p; print((defined $h && crypt($p, $h) eq $h) ? "yes" : "no")';
  return nodeShell(NODE, `perl -e '${script}' ${user}`, `${password}\n`).trim() === "yes";
}

/** Whether a private key logs in as `user` on the node (the real OpenSSH client). */
export function keyLogsIn(user: string, privateKeyPath: string): boolean {
  const status = labStatus();
  const node = status.nodes.find((n) => n.name === NODE);
  try {
    execFileSync(
      "ssh",
      [
        "-i",
        privateKeyPath,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        `UserKnownHostsFile=${status.knownHosts}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        `${user}@${node?.address}`,
        "true",
      ],
      { stdio: "ignore", timeout: 30_000, env: { ...process.env, SSH_AUTH_SOCK: "" } },
    );
    return true;
  } catch {
    return false;
  }
}

/** A fresh ed25519 key pair on the deployer: `{ path, publicKey }`. */
export function newKeyPair(comment: string): { path: string; publicKey: string } {
  const dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-e2e-key-"));
  const path = join(dir, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path]);
  return { path, publicKey: readFileSync(`${path}.pub`, "utf8").trim() };
}

/**
 * A test-local stand-in of the NGCP REST calls the web credentials resource uses (providers/webCredentials,
 * README "The REST calls"), run on the node until the lab's services daemon carries them: exactly
 * `GET /api/admins/?login=` and `PATCH /api/admins/<id>` (own password only, json-patch), HTTP basic auth,
 * HTTPS with the node's default certificate, on 127.0.0.1 only. Its admins live in a 0600 JSON file re-read
 * on every request, so a test changes a password "in the web interface" by rewriting that file.
 */
const REST_STANDIN = `"use strict";
const https = require("https");
const fs = require("fs");
const [port, stateFile] = process.argv.slice(2);
const load = () => JSON.parse(fs.readFileSync(stateFile, "utf8"));
const json = (res, status, body) => {
  res.writeHead(status, body === undefined ? {} : { "Content-Type": "application/hal+json" });
  res.end(body === undefined ? undefined : JSON.stringify(body));
};
const server = https.createServer(
  { cert: fs.readFileSync("/etc/ngcp-config/ssl/myserver.crt"), key: fs.readFileSync("/etc/ngcp-config/ssl/myserver.key") },
  (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const state = load();
      const basic = /^Basic (.+)$/.exec(req.headers.authorization || "");
      const pair = basic ? Buffer.from(basic[1], "base64").toString("utf8") : "";
      const colon = pair.indexOf(":");
      const who = colon < 0 ? undefined : state.admins.find((a) => a.login === pair.slice(0, colon) && a.password === pair.slice(colon + 1));
      if (!who) return json(res, 401, { code: 401, message: "Invalid user or password" });
      const url = new URL(req.url, "https://localhost");
      if (req.method === "GET" && url.pathname === "/api/admins/") {
        const like = url.searchParams.get("login") || "";
        const items = state.admins.filter((a) => a.login.includes(like)).map((a) => ({ id: a.id, login: a.login }));
        return json(res, 200, { _embedded: { "ngcp:admins": items.length === 1 ? items[0] : items }, total_count: items.length });
      }
      const target = /^\\/api\\/admins\\/(\\d+)$/.exec(url.pathname);
      if (req.method === "PATCH" && target) {
        if (req.headers["content-type"] !== "application/json-patch+json") return json(res, 415, { code: 415, message: "Unsupported media type" });
        if (Number(target[1]) !== who.id) return json(res, 403, { code: 403, message: "Only own user can change password" });
        let ops;
        try { ops = JSON.parse(Buffer.concat(chunks).toString("utf8")); } catch { return json(res, 400, { code: 400, message: "Malformed JSON" }); }
        const op = Array.isArray(ops) && ops.length === 1 ? ops[0] : undefined;
        if (!op || op.op !== "replace" || op.path !== "/password" || typeof op.value !== "string" || op.value === "") {
          return json(res, 422, { code: 422, message: "Only a replace of /password is supported" });
        }
        who.password = op.value;
        fs.writeFileSync(stateFile, JSON.stringify(state), { mode: 0o600 });
        return req.headers.prefer === "return=minimal" ? json(res, 204) : json(res, 200, { id: who.id, login: who.login });
      }
      json(res, 404, { code: 404, message: "Not found" });
    });
  },
);
server.listen(Number(port), "127.0.0.1");
`;

/** Where the test REST stand-in keeps its code and its admins on the node. */
const REST_DIR = "/var/lib/ngcp-fleet-e2e";
export const REST_PORT = 18443;

/** Starts the REST stand-in on the node with these admins; returns its PID (stop it with {@link stopRestStandin}). */
export function startRestStandin(admins: { id: number; login: string; password: string }[]): number {
  nodeShell(NODE, `install -d -m 700 ${REST_DIR} && cat > ${REST_DIR}/rest.js`, REST_STANDIN);
  nodeShell(NODE, `umask 077 && cat > ${REST_DIR}/admins.json`, JSON.stringify({ admins }));
  const pid = Number(
    nodeShell(
      NODE,
      `nohup /var/lib/ngcp-lab/bin/node ${REST_DIR}/rest.js ${REST_PORT} ${REST_DIR}/admins.json >${REST_DIR}/rest.log 2>&1 </dev/null & echo $!`,
    ).trim(),
  );
  nodeShell(
    NODE,
    `for i in $(seq 50); do ss -ltn | grep -q '127.0.0.1:${REST_PORT} ' && exit 0; sleep 0.1; done; cat ${REST_DIR}/rest.log; exit 1`,
  );
  return pid;
}

/** Stops the REST stand-in this test started (by its PID) and removes its files. */
export function stopRestStandin(pid: number | undefined): void {
  if (pid) {
    nodeShell(NODE, `kill ${pid} 2>/dev/null; rm -rf ${REST_DIR}; true`);
  }
}

/** A web password changed "in the web interface" (the stand-in's admins file), as an operator would. */
export function setWebPasswordByHand(login: string, password: string): void {
  const script = `const fs=require("fs");const f=process.argv[1];const s=JSON.parse(fs.readFileSync(f,"utf8"));s.admins.find(a=>a.login===process.argv[2]).password=require("fs").readFileSync(0,"utf8").trim();fs.writeFileSync(f,JSON.stringify(s))`;
  nodeShell(
    NODE,
    `/var/lib/ngcp-lab/bin/node -e '${script}' ${REST_DIR}/admins.json ${login}`,
    `${password}\n`,
  );
}

/** Whether the REST stand-in accepts `login` with `password` (curl on the node, credentials on stdin). */
export function webPasswordIs(login: string, password: string): boolean {
  const status = nodeShell(
    NODE,
    `curl -sk -o /dev/null -w '%{http_code}' -K - 'https://127.0.0.1:${REST_PORT}/api/admins/?login=${login}'`,
    `user = "${login}:${password.replace(/(["\\])/g, "\\$1")}"\n`,
  ).trim();
  return status === "200";
}
