/**
 * `firewall` (handbook 15.2, tables 8 and 9): INPUT filtering of every service, the RTPENGINE rule. Ports
 * come from the node's config.yml; unmanaged when absent.
 */
import { z } from "zod";

/** Networks per address family (handbook 15.2 applies to IPv4 and IPv6 alike). */
export const familySourcesSchema = z.strictObject({
  ipv4: z.array(z.string()).optional(),
  ipv6: z.array(z.string()).optional(),
});

const extraRule = z.strictObject({
  /** Unique short name (`a-z0-9-`, 1..32), in the rule comment `ngcp-fleet: extra <name>`. */
  name: z.string(),
  protocol: z.enum(["tcp", "udp", "icmp", "icmpv6", "all"], {
    error: `must be one of "tcp", "udp", "icmp", "icmpv6", "all"`,
  }),
  /** Destination port or inclusive range, with tcp or udp. @default every port */
  port: z
    .union([z.number().int(), z.strictObject({ from: z.number().int(), to: z.number().int() })])
    .optional(),
  /** Source networks per family. @default everyone */
  sources: familySourcesSchema.optional(),
  action: z.enum(["ACCEPT", "DROP", "REJECT"], { error: `must be one of "ACCEPT", "DROP", "REJECT"` }),
});

export const firewallSchema = z.strictObject({
  /** Networks that reach the subscriber services of table 8. @default everyone */
  subscriberSources: familySourcesSchema.optional(),
  /** Networks that reach SSH, admin and provisioning (table 9). @default the cluster's `adminSources` */
  adminSources: familySourcesSchema.optional(),
  /** Restrict SSH to adminSources (table 9). @default true */
  restrictSsh: z.boolean().optional(),
  /** Services without a config.yml switch. @default { xmpp: false } */
  services: z.strictObject({ xmpp: z.boolean().optional() }).optional(),
  /** Ports the handbook names no config key for. @default ssh 22, xmppClient 5222, xmppServer 5269 */
  ports: z
    .strictObject({
      ssh: z.number().int().optional(),
      xmppClient: z.number().int().optional(),
      xmppServer: z.number().int().optional(),
    })
    .optional(),
  /** Operator rules before the service rules. @default [] */
  extraRules: z.array(extraRule).optional(),
  /** INPUT policy of both families. @default "DROP" */
  policy: z.enum(["ACCEPT", "DROP"], { error: `must be one of "ACCEPT", "DROP"` }).optional(),
  /** Answer ICMP echo requests. @default true */
  allowPing: z.boolean().optional(),
  /** The RTPENGINE rule (15.2 caution box). @default { kind: "target", id: 0, families: both } */
  rtpengine: z
    .strictObject({
      kind: z.enum(["target", "userChain"]).optional(),
      id: z.number().int().nullable().optional(),
      families: z.array(z.enum(["ipv4", "ipv6"])).optional(),
    })
    .optional(),
  /** Accept a ruleset that closes SSH to the deployer. @default false */
  allowLockout: z.boolean().optional(),
  /** Seconds before the node restores its previous ruleset unless confirmed, 5..3600. @default 30 */
  rollbackSeconds: z
    .number()
    .int()
    .min(5, { error: "must be 5..3600 (seconds before the node restores its previous ruleset)" })
    .max(3600, { error: "must be 5..3600 (seconds before the node restores its previous ruleset)" })
    .optional(),
  /** Probe the ports from the deployer before confirming. @default true */
  probe: z.boolean().optional(),
  /** Write /etc/iptables/rules.v4 and rules.v6. @default true */
  persist: z.boolean().optional(),
});

export type FirewallSpecSettings = z.output<typeof firewallSchema>;

/**
 * Keys an operator may look for under `firewall` that belong to the node's config.yml instead (handbook 15.2:
 * every port and switch of tables 8 and 9 with a config key is read from the node). The message for such a key
 * says where to set it. Kept beside the schema so the stack check and the provider say the same.
 */
const FROM_CONFIG_YML: Readonly<Record<string, string>> = {
  "services.sipTls": "kamailio.lb.tls.enable",
  "services.xcap": "kamailio.proxy.presence.enable",
  "ports.csc": "www_admin.http_csc.port (older edition: www_csc.apache.port)",
  "ports.sip": "kamailio.lb.port",
  "ports.sipTls": "kamailio.lb.tls.port",
  "ports.rtp": "rtpproxy.minport/rtpproxy.maxport",
  "ports.xcap": "nginx.xcap_port",
  "ports.admin": "www_admin.http_admin.port (older edition: www_admin.apache.port)",
  "ports.provisioning": "ossbss.apache.port",
};

/** Why `firewall.<path>` is not a setting, when it is one of the node's config.yml keys; else undefined. */
export function firewallKeyHint(path: string): string | undefined {
  const configKey = FROM_CONFIG_YML[path];
  if (configKey === undefined) {
    return undefined;
  }
  return path.startsWith("services.")
    ? `follows config.yml ${configKey} on the node (handbook 15.2, table 8); set it there, not here`
    : `is read from config.yml ${configKey} on the node (handbook 15.2); change it there; settable here: ssh, xmppClient, xmppServer`;
}
