import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { nodeShell } from "../support/labTargets";

/** The audit e2e tests' helpers: the node's state the audit must not change, and the CLI as a child process. */

const BIN = join(__dirname, "..", "..", "..", "bin", "ngcp-fleet");

/**
 * What the audit could change on a node: the managed files (sha256), files under /etc, /root and /home
 * modified since `sinceEpoch`, both rulesets, MySQL's accounts, the ngcp-config commit, the support packages,
 * the backup status and drill record. MySQL is read with the node's own client as OS root: through the
 * option file ngcp-fleet's credentials resource writes once root has a password, else the socket.
 */
export function nodeState(
  node: string,
  sinceEpoch: number,
  ignoreMysqlUsers: readonly string[] = [],
): string {
  const notIgnored =
    ignoreMysqlUsers.length > 0
      ? ` WHERE User NOT IN (${ignoreMysqlUsers.map((u) => `"${u}"`).join(", ")})`
      : "";
  return nodeShell(
    node,
    [
      "cd / && sha256sum etc/shadow etc/passwd etc/ngcp-config/*.yml etc/ngcp-config/ssl/* etc/mysql/sipwise.cnf root/.ssh/authorized_keys home/sipwise/.ssh/authorized_keys 2>&1",
      "sha256sum var/lib/ngcp-fleet/*.json 2>/dev/null || true",
      "echo '-- iptables'; iptables-save | grep -v '^#' | sha256sum; ip6tables-save | grep -v '^#' | sha256sum",
      "echo '-- mysql.user'; if [ -f /etc/mysql/ngcp-fleet-root.cnf ]; then set -- --defaults-extra-file=/etc/mysql/ngcp-fleet-root.cnf; fi",
      `mysql "$@" -N -e 'SELECT User, Host, plugin, authentication_string FROM mysql.user${notIgnored} ORDER BY User, Host' | sha256sum`,
      "echo '-- ngcpcfg'; git -C /etc/ngcp-config rev-parse HEAD; git --no-optional-locks -C /etc/ngcp-config status --porcelain",
      "echo '-- dpkg'; dpkg-query -W -f='${Package} ${Status}\\n' ngcp-support-access ngcp-support-noaccess 2>&1",
      `echo '-- modified since'; find /etc /root /home -newermt @${sinceEpoch} -not -path '/etc/ngcp-config/.git/*' 2>/dev/null | sort`,
    ].join("\n"),
  );
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `ngcp-fleet` command line, as an operator or CI would. */
export function ngcpFleet(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 300_000,
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    input: "",
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
