import type { Edition } from "../editions";
import { shmMemForRam } from "../performance";

/** Default certificate and key that every installation ships ("common for every installation", 15.4). */
export const DEFAULT_CERT = "/etc/ngcp-config/ssl/myserver.crt";
export const DEFAULT_KEY = "/etc/ngcp-config/ssl/myserver.key";

export interface ConfigYmlInput {
  readonly edition: Edition;
  /** The node's RAM in MB; the installer writes 1/16 of it into both shm_mem keys. */
  readonly memTotalMb: number;
}

/**
 * The seeded /etc/ngcp-config/config.yml (pure): every key handbook chapter 15 names, with the handbook's
 * defaults and comments that say what each key does, in the alphabetical order ngcpcfg files use. Values
 * that read as booleans are quoted ('yes'/'no') as in Sipwise's own files, so YAML 1.1 and 1.2 readers agree.
 */
export function renderConfigYml(input: ConfigYmlInput): string {
  const shm = shmMemForRam(input.memTotalMb);
  const cert = (indent: string, what: string): string[] => [
    `${indent}# Certificate and key of ${what}; the default self-signed pair is the same on every`,
    `${indent}# installation and is to be replaced before production (15.4).`,
    `${indent}sslcertfile: ${DEFAULT_CERT}`,
    `${indent}sslcertkeyfile: ${DEFAULT_KEY}`,
  ];
  const current = input.edition === "001";
  const lines: string[] = [
    "---",
    "# /etc/ngcp-config/config.yml: main configuration of this sip:provider CE node.",
    `# Seeded by the ngcp-fleet lab with the keys and defaults of handbook chapter 15 (edition ${input.edition}).`,
    '# After editing run: ngcpcfg apply "<summary of changes>"',
    "",
    "cleanuptools:",
    "  # Days of MySQL binary logs kept. Heavy impact on the disk space MySQL logs need; they help to restore",
    "  # the database from backups or a broken replication (15.7, table 10).",
    "  binlog_days: 15",
    "",
    "database:",
    "  # InnoDB buffer pool. Lowering it is one of the most effective ways of releasing RAM on test or low-RAM",
    "  # systems; on production aim for an InnoDB buffer hit rate above 99% (table 10).",
    "  bufferpoolsize: 64MB",
    "",
    "kamailio:",
    "  lb:",
    "    # Private memory of each kamailio-lb worker in MB. Down to 8 releases RAM, but the lb may then run",
    "    # out of memory: use with caution (table 10).",
    "    pkg_mem: 16",
    "    # SIP signalling port, UDP and TCP, subscriber-facing (15.2, table 8).",
    "    port: 5060",
    "    # Shared memory in MB. The installer sets 1/16 of the system RAM and does not follow later RAM changes;",
    '    # 1024 suits 50,000 subscribers, 64 a test system; "Out of memory" in the kamailio log asks for more (table 10).',
    `    shm_mem: ${shm}`,
    "    # TCP workers per listening socket. 1 or 2 are always needed; 2 suits a test or pure-UDP system (table 10).",
    "    tcp_children: 8",
    "    tls:",
    "      # SIP over TLS (15.2 table 8, 15.4), disabled by default; 'no' also keeps kamailio from spawning",
    "      # TLS listening workers (table 10).",
    "      enable: 'no'",
    "      port: 5061",
    ...cert("      ", "SIP over TLS"),
    "    # UDP workers per listening socket, see tcp_children (table 10).",
    "    udp_children: 8",
    "  proxy:",
    "    # Proxy workers; the proxy listens on UDP only, 2 is enough for a test system (table 10).",
    "    children: 8",
    "    # Registration intervals in seconds (default, maximum, minimum). Lower values mean more REGISTER",
    "    # requests for the lb and the proxy: network traffic, RAM and CPU (table 10).",
    "    default_expires: 3600",
    "    max_expires: 43200",
    "    min_expires: 60",
    "    # Seconds between the NAT keepalive OPTIONS sent to each NATed subscriber (table 10).",
    "    natping_interval: 30",
    "    # Keepalive sender processes, about 250 messages per second each:",
    "    # nated_subscribers / natping_interval / 250, e.g. 50,000 / 30 / 250 = 6.66 -> 7.",
    "    # 7 is the maximum: kamailio does not start above it (table 10).",
    "    natping_processes: 7",
  ];
  if (current) {
    lines.push(
      "    presence:",
      "      # Presence; with 'yes' XCAP is served on nginx→xcap_port (15.2, table 8).",
      "      enable: 'no'",
    );
  }
  lines.push(
    "    # Shared memory of the proxy in MB, 1/16 of the system RAM as for the lb (table 10).",
    `    shm_mem: ${shm}`,
    "",
  );
  if (current) {
    lines.push(
      "nginx:",
      "  # XCAP port, subscriber-facing, used when kamailio→proxy→presence→enable is 'yes' (15.2, table 8).",
      "  xcap_port: 1080",
      "",
    );
  }
  lines.push(
    "ossbss:",
    "  apache:",
    "    autoprov:",
    ...cert("      ", "the provisioning interface"),
    "    # Provisioning interfaces, admin-facing (15.2, table 9).",
    "    port: 2443",
    "    restapi:",
    ...cert("      ", "the REST interface"),
    "",
    "rateomat:",
    "  # Rating of CDRs; 'no' saves CPU on systems that do not rate calls (table 10).",
    "  enable: 'yes'",
    "",
    "rsyslog:",
    "  # Remote syslog server used when external_log is enabled.",
    "  external_address: ''",
    "  # 1 sends the log messages to an external server too; depending on external_loglevel this can",
    "  # increase network traffic dramatically (table 10).",
    "  external_log: 0",
    "  external_loglevel: warning",
    "  # Days the logs under /var/log/ngcp are kept; lowering it frees a lot of disk space (table 10).",
    "  ngcp_logs_preserve_days: 93",
    "",
    "rtpproxy:",
    "  # RTP media port range (UDP) of rtpengine, subscriber-facing (15.2, table 8).",
    "  maxport: 40000",
    "  minport: 30000",
    "",
  );
  if (current) {
    lines.push(
      "www_admin:",
      "  http_admin:",
      "    # Administrator interface, admin-facing (15.2, table 9).",
      "    port: 1443",
      ...cert("    ", "the administrator interface"),
      "  http_csc:",
      "    # Customer self-care interface, subscriber-facing (15.2, table 8). Its certificate should be signed",
      "    # by a certification authority to avoid browser warnings (15.4).",
      "    port: 443",
      ...cert("    ", "the customer self-care interface"),
    );
  } else {
    lines.push(
      "www_admin:",
      "  apache:",
      "    # Administrator interface, admin-facing (table 5).",
      "    port: 1443",
      ...cert("    ", "the administrator interface"),
      "",
      "www_csc:",
      "  apache:",
      "    # Customer self-care interface, subscriber-facing (table 4).",
      "    port: 443",
      ...cert("    ", "the customer self-care interface"),
    );
  }
  return lines.join("\n") + "\n";
}
