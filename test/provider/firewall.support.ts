/**
 * Shared by the firewall tests: real packets from the lab's outsider namespace and from the deployer, a
 * clean slate on the test node, and a foreign tool's chain. Independent of the code under test: packets go
 * through bash's /dev/tcp and socat, node state is read with the node's own iptables-save over OpenSSH.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

import { labStatus, parseCommandLog } from "../../lab";
import type { CommandRecord } from "../../lab/core/commandLog";
import { nodeShell } from "../support/labTargets";

const run = promisify(execFile);

/** The only node the firewall tests touch (the lab is shared; other engineers use the other nodes). */
export const NODE = "ngcp3";

/** The deployer's addresses on the lab bridge. */
export const DEPLOYER = { ipv4: "198.18.0.1", ipv6: "2001:2::1" } as const;

/** ngcp3's addresses. */
export function nodeAddresses(): { ipv4: string; ipv6: string } {
  const node = labStatus().nodes.find((candidate) => candidate.name === NODE);
  if (node === undefined) {
    throw new Error(`lab node ${NODE} is not up`);
  }
  return { ipv4: node.address, ipv6: node.address6 };
}

const OUTSIDER = "ngcplab-outsider";

/** argv that runs `argv` in the outsider's namespace, or as is from the deployer. */
function from(where: "outsider" | "deployer", argv: string[]): string[] {
  return where === "outsider" ? ["ip", "netns", "exec", OUTSIDER, ...argv] : argv;
}

/**
 * UDP has no retransmission of its own: a lost datagram is retried, three tries in all, as a SIP user agent
 * retransmits an unanswered request (RFC 3261 timer A). A firewall DROP loses all three. Needed on the lab:
 * under a burst of parallel probes the first IPv4 datagram is sometimes lost even with no firewall at all.
 */
async function udpAttempt(argv: string[], input: string): Promise<string | null> {
  for (let tries = 0; tries < 3; tries += 1) {
    const out = await attempt(argv, input);
    if (out !== null && out.length > 0) {
      return out;
    }
  }
  return null;
}

async function attempt(argv: string[], input?: string): Promise<string | null> {
  try {
    const child = run(argv[0], argv.slice(1), { timeout: 6_000, encoding: "utf8" });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    const { stdout } = await child;
    return stdout;
  } catch {
    return null;
  }
}

/** True when a TCP connection from `where` to `host:port` is accepted within 2 s (bash /dev/tcp). */
export async function tcpOpen(where: "outsider" | "deployer", host: string, port: number): Promise<boolean> {
  const out = await attempt(
    from(where, ["timeout", "2", "bash", "-c", `exec 3<>/dev/tcp/${host}/${port} && echo connected`]),
  );
  return out?.trim() === "connected";
}

function sipOptions(host: string, transport: "UDP" | "TCP"): string {
  const via = "198.18.0.250:5099";
  return [
    `OPTIONS sip:probe@${host.includes(":") ? `[${host}]` : host} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${via};branch=z9hG4bK-fw-${Date.now()};rport`,
    "Max-Forwards: 70",
    "From: <sip:firewall-test@lab.invalid>;tag=fw1",
    `To: <sip:probe@${host.includes(":") ? `[${host}]` : host}>`,
    `Call-ID: fw-${Date.now()}@lab.invalid`,
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
}

/** The status line a SIP OPTIONS over UDP or TCP gets from `host:port`, or null (no answer in 2 s). */
export async function sipStatus(
  where: "outsider" | "deployer",
  transport: "UDP" | "TCP",
  host: string,
  port: number,
): Promise<string | null> {
  const address = host.includes(":") ? `[${host}]` : host;
  const kind = `${transport}${host.includes(":") ? "6" : "4"}`;
  const out = await (transport === "UDP" ? udpAttempt : attempt)(
    from(where, ["timeout", "3", "socat", "-T", "2", "-t", "2", "-", `${kind}:${address}:${port}`]),
    sipOptions(host, transport),
  );
  const first = out?.split("\r\n")[0] ?? "";
  return first.startsWith("SIP/2.0") ? first : null;
}

/** True when a UDP datagram to `host:port` comes back (the lab's RTP stand-in echoes). */
export async function udpEchoes(
  where: "outsider" | "deployer",
  host: string,
  port: number,
): Promise<boolean> {
  const address = host.includes(":") ? `[${host}]` : host;
  const out = await udpAttempt(
    from(where, [
      "timeout",
      "3",
      "socat",
      "-T",
      "2",
      "-t",
      "2",
      "-",
      `UDP${host.includes(":") ? "6" : "4"}:${address}:${port}`,
    ]),
    "rtp-probe\n",
  );
  return out?.includes("rtp-probe") ?? false;
}

/** The node's `iptables-save` / `ip6tables-save` without counters and timestamps. */
export function saveOf(family: "ipv4" | "ipv6"): string {
  return nodeShell(NODE, `${family === "ipv4" ? "iptables" : "ip6tables"}-save`)
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .map((line) => line.replace(/ \[\d+:\d+\]$/, ""))
    .join("\n");
}

/** The foreign tool's rules as its own lines (`-A f2b-test …` and its jump from INPUT). */
export function foreignLines(save: string): string[] {
  return save.split("\n").filter((line) => line.includes("f2b-test"));
}

/**
 * A clean slate on the test node: filter tables flushed with ACCEPT policies, no boot files, no state of
 * the firewall; config.yml's SIP port back at 5060. Then a foreign tool's chain (fail2ban-like) with two
 * rules and a jump from INPUT, in both families.
 */
export function resetNode(): void {
  openNode();
  nodeShell(
    NODE,
    [
      "set -e",
      "rm -rf /etc/iptables /var/lib/ngcp-fleet/firewall /run/ngcp-fleet/firewall",
      "if grep -q '^    port: 5070$' /etc/ngcp-config/config.yml; then sed -i 's/^    port: 5070$/    port: 5060/' /etc/ngcp-config/config.yml && ngcpcfg apply 'firewall test: SIP port back to 5060' >/dev/null; fi",
      "iptables -N f2b-test",
      "iptables -A f2b-test -s 203.0.113.7/32 -j REJECT --reject-with icmp-port-unreachable",
      "iptables -A f2b-test -j RETURN",
      "iptables -A INPUT -p tcp -m tcp --dport 22 -j f2b-test",
      "ip6tables -N f2b-test",
      "ip6tables -A f2b-test -s 2001:db8::7/128 -j REJECT --reject-with icmp6-port-unreachable",
      "ip6tables -A f2b-test -j RETURN",
      "ip6tables -A INPUT -p tcp -m tcp --dport 22 -j f2b-test",
    ].join("\n"),
  );
}

/**
 * Opens the test node's filter tables from the host side (its network namespace, no SSH needed): ACCEPT
 * policies, no rules, no user chains. The way back from a test that left the node locked.
 */
export function openNode(): void {
  for (const tool of ["iptables", "ip6tables"]) {
    for (const args of [["-P", "INPUT", "ACCEPT"], ["-F"], ["-X"]]) {
      execFileSync("ip", ["netns", "exec", `ngcplab-${NODE}`, tool, ...args], { timeout: 10_000 });
    }
  }
}

/** Commands sshd ran on the node since `since` (epoch seconds), from the lab's command logger. */
export function commandsSince(since: number): CommandRecord[] {
  const read = "cat /var/log/ngcp-lab/commands.log";
  return parseCommandLog(nodeShell(NODE, read)).filter(
    (record) => record.time >= since && record.command !== read,
  );
}

/** The node's clock, epoch seconds with fractions (the command log's timebase). */
export function nodeNow(): number {
  return Number(nodeShell(NODE, "date +%s.%N").trim());
}

/** Sets `kamailio.lb.port` in config.yml by hand and applies it, as an operator would. */
export function setSipPortByHand(port: number): void {
  nodeShell(
    NODE,
    `sed -i 's/^\\(    port:\\) 50[67]0$/\\1 ${port}/' /etc/ngcp-config/config.yml && ngcpcfg apply 'firewall test: SIP port ${port}' >/dev/null && ngcpcfg values kamailio.lb.port`,
  );
}
