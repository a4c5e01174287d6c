import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SUPPORT_KEY_FROM } from "../../lab/artifacts";
import { labStatus } from "../../lab";
import {
  NGCPSOAP_PASSWORD_FILE,
  parseWebAdmins,
  renderWebAdmins,
  seedWebAdmins,
  setWebAdminPassword,
  WEB_ADMINS_FILE,
  WEB_SALT_BYTES,
  type WebAdmin,
} from "../../lab/core/webAdmins";
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

/** The lab's admin interface (`www_admin→http_admin→port`), which carries the two REST calls (lab/README.md). */
export const WEB_PORT = 1443;

/**
 * Whether ngcp6's admin interface answers the REST API (401 to a call without credentials). A services
 * daemon started before the lab had the API answers 404: it is restarted once (ngcp6's only, with
 * `ngcp-lab-services restart`, which runs the lab's current runtime).
 */
export function ensureLabRestApi(): void {
  const probe = (): string =>
    nodeShell(
      NODE,
      `curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:${WEB_PORT}/api/admins/ || true`,
    ).trim();
  if (probe() === "401") {
    return;
  }
  nodeShell(NODE, "ngcp-lab-services restart >/dev/null");
  const now = probe();
  if (now !== "401") {
    throw new Error(
      `${NODE}'s admin port answers ${now} to GET /api/admins/ without credentials, not 401: the lab's runtime ` +
        "predates the REST API; rebuild it (npm run build, then lab up on a fresh lab)",
    );
  }
}

/** The password `lab up` generated for ngcpsoap on the node (lab/README.md: /var/lib/ngcp-lab/ngcpsoap.password). */
export function seededNgcpsoapPassword(): string {
  const password = nodeShell(NODE, `cat ${NGCPSOAP_PASSWORD_FILE}`).trim();
  if (!password) {
    throw new Error(
      `${NODE} has no ${NGCPSOAP_PASSWORD_FILE}: restart its services daemon (ngcp-lab-services restart) to seed it`,
    );
  }
  return password;
}

function readWebAdmins(): WebAdmin[] {
  return parseWebAdmins(nodeShell(NODE, `cat ${WEB_ADMINS_FILE}`));
}

/** Replaces the node's admins file (0600 root, atomically); the text (hashes only) goes on stdin. */
function writeWebAdmins(admins: readonly WebAdmin[]): void {
  const tmp = `${WEB_ADMINS_FILE}.e2e.tmp`;
  nodeShell(NODE, `umask 077 && cat > ${tmp} && mv -f ${tmp} ${WEB_ADMINS_FILE}`, renderWebAdmins(admins));
}

/**
 * Puts the node's web accounts back to what `lab up` seeded: administrator/administrator, ngcpsoap with the
 * node's generated password (which it returns). Makes sure the admin interface serves the API first.
 */
export function resetWebAdmins(): string {
  ensureLabRestApi();
  const soap = seededNgcpsoapPassword();
  writeWebAdmins(
    seedWebAdmins(soap, {
      administrator: randomBytes(WEB_SALT_BYTES),
      ngcpsoap: randomBytes(WEB_SALT_BYTES),
    }),
  );
  return soap;
}

/** A web password changed "in the web interface", as an operator would: the node's admins file rewritten. */
export function setWebPasswordByHand(login: string, password: string): void {
  writeWebAdmins(setWebAdminPassword(readWebAdmins(), login, password, randomBytes(WEB_SALT_BYTES)));
}

/**
 * Whether the lab's REST API on `port` accepts `login` with `password` (the node's own curl, credentials on
 * stdin: independent of the provider's HTTP code).
 */
export function webPasswordIs(login: string, password: string, port = WEB_PORT): boolean {
  const status = nodeShell(
    NODE,
    `curl -sk -o /dev/null -w '%{http_code}' -K - 'https://127.0.0.1:${port}/api/admins/?login=${login}'`,
    `user = "${login}:${password.replace(/(["\\])/g, "\\$1")}"\n`,
  ).trim();
  return status === "200";
}
