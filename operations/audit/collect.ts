/**
 * Takes a node's {@link NodeSnapshot} through the one transport. Reads only: two `sh` read scripts, the
 * password verifier (`perl -e`, which prints one word), one MySQL login attempt that runs a SELECT and one
 * login attempt on the admin interface as `administrator` with its default password (a GET the panel
 * answers with 200 or 401). Nothing here writes a file, a rule, a row or a package on the node.
 */
import { withMysql } from "../../providers/transport/mysql";
import { sessionFor, type NodeSession } from "../../providers/transport/session";
import type { NodeTarget } from "../../providers/transport/target";
import { backupIdTime } from "../../providers/backup/retention";
import { parseStatus } from "../../providers/backup/status";
import { KNOWN_DEFAULT_PASSWORDS } from "../../providers/systemAccounts/passwordStrength";
import { parseVerifyOutput, renderVerifyStdin, verifyCommand } from "../../providers/systemAccounts/shadow";
import { VM_IMAGE_ROOT_PASSWORD } from "../../providers/systemAccounts/inputs";
import { VENDOR_DEFAULT_PASSWORDS } from "../../providers/webCredentials/planner";
import {
  adminInterfacePort,
  certificatePairs,
  certsArgv,
  parseCertsRead,
  parseFirstRead,
  parsedConfig,
  renderSnapshotScript,
  type MysqlRootProbe,
  type NodeSnapshot,
  type PasswordProbe,
  type WebLoginProbe,
} from "./snapshot";

/**
 * One login attempt on the node's admin interface (HTTPS on 127.0.0.1:`port`, reached through the node's
 * pooled SSH connection): `accepted` or `rejected`; throws when the answer is neither (it names the port and
 * the status, never the password).
 */
export type WebLoginProber = (
  session: NodeSession,
  port: number,
  login: "administrator",
  password: string,
) => Promise<"accepted" | "rejected">;

/** How {@link collectSnapshot} reaches what is not a shell command. */
export interface CollectOptions {
  /** The admin interface's port (`webCredentials.port`). @default config.yml's, else 1443 */
  readonly webAdminPort?: number;
  /** The web login probe. @default none: the web check reports "not probed" */
  readonly probeWebLogin?: WebLoginProber;
}

/** The vendor default of the web `administrator` (handbook 15.3: "user administrator with password administrator"). */
const WEB_ADMIN_DEFAULT = VENDOR_DEFAULT_PASSWORDS.administrator ?? "administrator";

/** Exactly one login attempt as `administrator` with the default password: a read, as the panel sees it. */
async function probeWebAdministrator(
  session: NodeSession,
  port: number,
  prober: WebLoginProber | undefined,
): Promise<WebLoginProbe> {
  if (prober === undefined) {
    return { result: "unknown", port, reason: "no web login probe available in this build" };
  }
  try {
    return { result: await prober(session, port, "administrator", WEB_ADMIN_DEFAULT), port };
  } catch (err) {
    const message = (err as Error).message.split("\n")[0].split(WEB_ADMIN_DEFAULT).join("***");
    return { result: "unknown", port, reason: message };
  }
}

/** Does any of `passwords` open `hash`? Verified on the node, the password on stdin only. */
async function probePassword(
  session: NodeSession,
  hash: string | undefined,
  passwords: readonly string[],
): Promise<PasswordProbe> {
  if (hash === undefined) {
    return { result: "noHash" };
  }
  const { argv, okExitCodes } = verifyCommand();
  for (const password of passwords) {
    try {
      const out = await session.exec(argv, {
        stdin: renderVerifyStdin(hash, password),
        okExitCodes,
        secrets: [password, hash],
      });
      const answer = parseVerifyOutput(out.stdout);
      if (answer === "match") {
        return { result: "default" };
      }
      if (answer === "unsupported") {
        return { result: "unknown", reason: "the node's crypt(3) cannot hash with this password's scheme" };
      }
    } catch (err) {
      // The error is already redacted by the transport; keep only its first line.
      return { result: "unknown", reason: (err as Error).message.split("\n")[0] };
    }
  }
  return { result: "changed" };
}

/** An empty-password login as MySQL root over 127.0.0.1 (handbook 15.3: "no default password"). */
async function probeMysqlRoot(target: NodeTarget): Promise<MysqlRootProbe> {
  try {
    const accounts = await withMysql(target, { user: "root", password: "" }, async (db) => {
      // Read-only: which root accounts have no password at all (evidence).
      const [rows] = await db.query(
        "SELECT CONCAT(User, '@', Host) AS account FROM mysql.user WHERE User = 'root' AND authentication_string = '' AND COALESCE(plugin, '') NOT IN ('unix_socket', 'auth_socket')",
      );
      return (rows as { account: string }[]).map((r) => r.account);
    });
    return { result: "accepted", passwordlessRootAccounts: accounts };
  } catch (err) {
    const message = (err as Error).message;
    if (/access denied/i.test(message)) {
      return { result: "rejected", reason: "MySQL refused root with an empty password (access denied)" };
    }
    return { result: "unknown", reason: message.split("\n")[0] };
  }
}

/** The manifest of the last successful backup, from the status file (null when none). */
function manifestPath(statusJson: string | null): string | undefined {
  if (statusJson === null) {
    return undefined;
  }
  const parsed = parseStatus(statusJson);
  const last = parsed.ok ? parsed.status.lastSuccess : null;
  if (!last || !/^[0-9]{8}T[0-9]{6}Z$/.test(last.id) || !last.destination.startsWith("/")) {
    return undefined;
  }
  backupIdTime(last.id); // throws on an impossible id: never build a path from junk
  return `${last.destination.replace(/\/+$/, "")}/${last.id}/manifest.json`;
}

/** Reads everything the checks need from one node: round 1 and the MySQL probe, then the rest, in parallel. */
export async function collectSnapshot(
  target: NodeTarget,
  now: Date = new Date(),
  options: CollectOptions = {},
): Promise<NodeSnapshot> {
  const session = await sessionFor(target);
  const [first, mysqlRoot] = await Promise.all([
    session.script(renderSnapshotScript()).then((r) => parseFirstRead(r.stdout)),
    probeMysqlRoot(target),
  ]);
  const config = parsedConfig(first.configYml);
  const pairs = config.ok ? certificatePairs(config.doc) : [];
  const cdrexportCandidates = [...new Set([...KNOWN_DEFAULT_PASSWORDS, "cdrexport"])];
  const webPort = options.webAdminPort ?? adminInterfacePort(first.configYml);
  const [certs, rootPassword, cdrexportPassword, webAdministrator] = await Promise.all([
    session
      .exec(certsArgv(manifestPath(first.statusJson), pairs))
      .then((r) => parseCertsRead(r.stdout, pairs)),
    probePassword(session, first.shadowHashes.root, [VM_IMAGE_ROOT_PASSWORD]),
    probePassword(session, first.shadowHashes.cdrexport, cdrexportCandidates),
    probeWebAdministrator(session, webPort, options.probeWebLogin),
  ]);
  return {
    node: target.name,
    takenAt: now.toISOString(),
    hostname: first.hostname,
    ngcpVersion: first.ngcpVersion,
    ramMb: first.ramMb,
    ...(first.rootMountOptions !== undefined ? { rootMountOptions: first.rootMountOptions } : {}),
    configYml: first.configYml,
    support: first.support,
    iptables: first.iptables,
    accounts: first.accounts,
    authorizedKeys: first.authorizedKeys,
    rootPassword,
    cdrexportPassword,
    mysqlRoot,
    webAdministrator,
    certificates: certs.certificates,
    backup: {
      cronFiles: first.cronFiles,
      timers: first.timers,
      statusJson: first.statusJson,
      runAlive: first.runAlive,
      manifestJson: certs.manifestJson,
      scriptPaths: first.scriptPaths,
      drillRecordJson: first.drillRecordJson,
    },
  };
}
