/**
 * The plain inputs of the Firewall resource: what the provider receives, validates (`validate.ts`), plans
 * (`planner.ts`) and stores in the state. The user-facing `FirewallArgs` (`pulumi.Input<>`) map onto these.
 *
 * Handbook references: "15.2" is the Firewalling section of chapter 15; table 8 lists the subscriber
 * services, table 9 the administrator services (seed 001). The older edition (seed 000) calls them
 * tables 4 and 5 and names two config keys differently (see {@link SERVICE_PORT_KEYS}).
 *
 * Everything here is plain data (no Map, Set or class instance): dynamic providers serialize local modules
 * by value, and such objects do not survive that (DESIGN.md, "Facts found so far").
 */

/** An IP family: `ipv4` is driven with iptables, `ipv6` with ip6tables. */
export type Family = "ipv4" | "ipv6";

/** Both families, in the order they are planned, rendered and reported. */
export const FAMILIES: readonly Family[] = ["ipv4", "ipv6"];

/** A policy of the built-in INPUT chain. `REJECT` is not a policy iptables accepts. */
export type Policy = "ACCEPT" | "DROP";

/** An inclusive port range, `from` ≤ `to`, both in 1..65535. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/**
 * Networks per family, in CIDR notation (`198.18.0.0/24`, `2001:db8::/32`); a bare address means that one
 * host (`/32`, `/128`). Separate lists per family (rather than one mixed list) so that "no IPv6 admin
 * access" and "IPv6 open to everyone" are each said explicitly, and a network in the wrong list is an error
 * naming the list it belongs in.
 */
export interface SourceLists {
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

/**
 * The ports of the node's services, as read from the node's config.yml by the provider (see
 * {@link SERVICE_PORT_KEYS} for the keys of each edition). A port changed in config.yml therefore moves its
 * rule in the same `up`.
 */
export interface ServicePorts {
  /** Customer self-care web interface, TCP (table 8). @default 443 */
  readonly csc: number;
  /** SIP, UDP and TCP (table 8, `kamailio.lb.port`). @default 5060 */
  readonly sip: number;
  /** SIP over TLS, TCP (table 8, `kamailio.lb.tls.port`). @default 5061 */
  readonly sipTls: number;
  /** RTP media, UDP (table 8, `rtpproxy.minport` and `rtpproxy.maxport`). @default 30000-40000 */
  readonly rtp: PortRange;
  /** XCAP, TCP (table 8, `nginx.xcap_port`; not in the older edition). @default 1080 */
  readonly xcap: number;
  /** XMPP client-to-server, TCP (table 8: "standard XMPP port", no config key). @default 5222 */
  readonly xmppClient: number;
  /** XMPP server-to-server (federation), TCP (table 8, no config key). @default 5269 */
  readonly xmppServer: number;
  /** SSH/SFTP, TCP (table 9: "NA", no config key). @default 22 */
  readonly ssh: number;
  /** Administrator web interface, TCP (table 9). @default 1443 */
  readonly admin: number;
  /** Provisioning interfaces, TCP (table 9, `ossbss.apache.port`). @default 2443 */
  readonly provisioning: number;
}

/** The services of table 8 that a node may run or not; the others are always on. */
export interface ServiceToggles {
  /** Open SIP over TLS; follows `kamailio.lb.tls.enable` (handbook 15.2, table 8). @default false */
  readonly sipTls: boolean;
  /** Open XCAP; follows `kamailio.proxy.presence.enable` (handbook 15.2, table 8). @default false */
  readonly xcap: boolean;
  /** Open XMPP client and federation ports (handbook 15.2, table 8; no config key). @default false */
  readonly xmpp: boolean;
}

/** Protocols an operator rule may name. `icmp` is IPv4 only, `icmpv6` IPv6 only. */
export type ExtraProtocol = "tcp" | "udp" | "icmp" | "icmpv6" | "all";

/** All protocols an extra rule may name, for validation messages. */
export const EXTRA_PROTOCOLS: readonly ExtraProtocol[] = ["tcp", "udp", "icmp", "icmpv6", "all"];

/** What an operator rule does with a matching packet. */
export type ExtraAction = "ACCEPT" | "DROP" | "REJECT";

/** All actions an extra rule may name, for validation messages. */
export const EXTRA_ACTIONS: readonly ExtraAction[] = ["ACCEPT", "DROP", "REJECT"];

/**
 * An operator-defined rule, evaluated after loopback, established/related and ICMP, and before the
 * subscriber and admin services, in the order given. So an extra rule may drop a network from SIP, or open
 * a monitoring port to one host.
 */
export interface ExtraRule {
  /** Short name, unique among the extra rules; goes into the rule comment `ngcp-fleet: extra <name>`. Lower-case letters, digits and `-`, 1..32 characters. */
  readonly name: string;
  /** Protocol to match. */
  readonly protocol: ExtraProtocol;
  /** Destination port or inclusive range; only with `tcp` or `udp`. @default every port */
  readonly port?: number | PortRange;
  /**
   * Source networks per family. When given, a family without a list gets no rule.
   * @default everyone in every family the protocol exists in
   */
  readonly sources?: { readonly ipv4?: readonly string[]; readonly ipv6?: readonly string[] };
  /** Verdict for a matching packet. */
  readonly action: ExtraAction;
}

/**
 * The rule rtpengine needs in the INPUT chain of the filter table (handbook 15.2, caution box:
 * `-p udp -j RTPENGINE --id 0`). It is kept in place on every apply and put back when a third party
 * flushed it. It carries no comment, on purpose: rtpengine removes it with exactly these arguments when it
 * stops, and a comment would make the rule differ from the one rtpengine manages.
 */
export interface RtpengineRule {
  /**
   * `target`: the kernel's xt_RTPENGINE target with `--id` (a real node).
   * `userChain`: a user chain named RTPENGINE, jumped to without `--id` (the lab, where the kernel module
   * cannot load); the chain is created when missing, never flushed.
   * @default "target"
   */
  readonly kind: "target" | "userChain";
  /** Kernel forwarding table id (rtpengine's `--table`); 0..63 (xt_RTPENGINE's MAX_ID is 64); must be `null` for `userChain`. @default 0 */
  readonly id: number | null;
  /** Families the rule is kept in; rtpengine installs it for iptables and ip6tables alike. @default ["ipv4", "ipv6"] */
  readonly families: readonly Family[];
}

/** The handbook's rule: `-p udp -j RTPENGINE --id 0`, in both families. */
export const DEFAULT_RTPENGINE_RULE: RtpengineRule = { kind: "target", id: 0, families: ["ipv4", "ipv6"] };

/** The lab's stand-in: `-p udp -j RTPENGINE` to a user chain named RTPENGINE, in both families. */
export const LAB_RTPENGINE_RULE: RtpengineRule = { kind: "userChain", id: null, families: ["ipv4", "ipv6"] };

/** The default ports of handbook tables 8 and 9 (identical in both editions). */
export const DEFAULT_SERVICE_PORTS: ServicePorts = {
  csc: 443,
  sip: 5060,
  sipTls: 5061,
  rtp: { from: 30000, to: 40000 },
  xcap: 1080,
  xmppClient: 5222,
  xmppServer: 5269,
  ssh: 22,
  admin: 1443,
  provisioning: 2443,
};

/** Everything the firewall of one node is planned from. */
export interface FirewallInputs {
  /**
   * Networks allowed to reach the subscriber services of table 8 (self-care, SIP, SIP over TLS, RTP, XCAP,
   * XMPP) (handbook 15.2, table 8).
   * @default everyone: { ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] }
   */
  readonly subscriberSources: SourceLists;
  /**
   * Networks allowed to reach SSH, the admin and the provisioning interfaces (handbook 15.2, table 9).
   * @default none: admin ports closed
   */
  readonly adminSources: SourceLists;
  /**
   * Restrict SSH to `adminSources` (table 9). When false SSH is a subscriber-facing service, open to
   * `subscriberSources`.
   * @default true
   */
  readonly restrictSsh: boolean;
  /** Optional services of table 8. @default all off (TLS, presence and XMPP are off on a fresh node) */
  readonly services: ServiceToggles;
  /** Service ports read from the node's config.yml (tables 8 and 9). @default DEFAULT_SERVICE_PORTS */
  readonly ports: ServicePorts;
  /** Operator-defined rules, before the service rules, in order. @default [] */
  readonly extraRules: readonly ExtraRule[];
  /**
   * Policy of the INPUT chain (filter table) of both families. Admin ports are closed to everyone else by
   * explicit DROP rules under either policy; subscriber ports are only restricted under DROP.
   * @default "DROP"
   */
  readonly policy: Policy;
  /**
   * Answer ICMP echo requests (ping). The other ICMP a VoIP host needs (destination unreachable with
   * fragmentation needed, time exceeded; for IPv6 packet too big and neighbour discovery) is always
   * allowed: without it path-MTU discovery and IPv6 break.
   * @default true
   */
  readonly allowPing: boolean;
  /** The RTPENGINE rule kept in INPUT (handbook 15.2 caution box). @default DEFAULT_RTPENGINE_RULE */
  readonly rtpengine: RtpengineRule;
  /**
   * Accept a ruleset that closes SSH to the deployer (or to everyone). Only for deliberate lockout tests;
   * the apply's automatic rollback still protects the node.
   * @default false
   */
  readonly allowLockout: boolean;
  /**
   * The deployer's address as the node sees it (the first field of `$SSH_CONNECTION` on the node), used to
   * refuse a ruleset that closes SSH to it.
   * @default unknown: the check is skipped
   */
  readonly deployerAddress?: string;
}

/** Inputs as a user may give them: everything optional, nested objects merged over the defaults. */
export interface PartialFirewallInputs {
  readonly subscriberSources?: Partial<SourceLists>;
  readonly adminSources?: Partial<SourceLists>;
  readonly restrictSsh?: boolean;
  readonly services?: Partial<ServiceToggles>;
  readonly ports?: Partial<ServicePorts>;
  readonly extraRules?: readonly ExtraRule[];
  readonly policy?: Policy;
  readonly allowPing?: boolean;
  readonly rtpengine?: Partial<RtpengineRule>;
  readonly allowLockout?: boolean;
  readonly deployerAddress?: string;
}

/** Fills every omitted field with its documented default. Pure; does not validate. */
export function firewallInputsWithDefaults(partial: PartialFirewallInputs = {}): FirewallInputs {
  const inputs: FirewallInputs = {
    subscriberSources: {
      ipv4: partial.subscriberSources?.ipv4 ?? ["0.0.0.0/0"],
      ipv6: partial.subscriberSources?.ipv6 ?? ["::/0"],
    },
    adminSources: { ipv4: partial.adminSources?.ipv4 ?? [], ipv6: partial.adminSources?.ipv6 ?? [] },
    restrictSsh: partial.restrictSsh ?? true,
    services: {
      sipTls: partial.services?.sipTls ?? false,
      xcap: partial.services?.xcap ?? false,
      xmpp: partial.services?.xmpp ?? false,
    },
    ports: { ...DEFAULT_SERVICE_PORTS, ...partial.ports },
    extraRules: partial.extraRules ?? [],
    policy: partial.policy ?? "DROP",
    allowPing: partial.allowPing ?? true,
    rtpengine: { ...DEFAULT_RTPENGINE_RULE, ...partial.rtpengine },
    allowLockout: partial.allowLockout ?? false,
  };
  return partial.deployerAddress === undefined
    ? inputs
    : { ...inputs, deployerAddress: partial.deployerAddress };
}

/**
 * Handbook editions that differ in config keys: `current` is seed 001 (tables 8/9, `www_admin→http_csc`,
 * `www_admin→http_admin`, XCAP and XMPP rows), `older` is seed 000 (tables 4/5, `www_csc→apache`,
 * `www_admin→apache`, no XCAP/XMPP rows, "mediaproxy" in the caution box).
 */
export type HandbookEdition = "current" | "older";

/**
 * Where the provider reads each port (and each toggle) in `/etc/ngcp-config/config.yml`, per edition, as
 * dotted paths. `null`: the handbook names no key ("NA" / "standard port"), the default is used.
 */
export const SERVICE_PORT_KEYS: {
  readonly [S in keyof ServicePorts]: {
    readonly [E in HandbookEdition]: S extends "rtp" ? readonly [string, string] | null : string | null;
  };
} = {
  csc: { current: "www_admin.http_csc.port", older: "www_csc.apache.port" },
  sip: { current: "kamailio.lb.port", older: "kamailio.lb.port" },
  sipTls: { current: "kamailio.lb.tls.port", older: "kamailio.lb.tls.port" },
  rtp: { current: ["rtpproxy.minport", "rtpproxy.maxport"], older: ["rtpproxy.minport", "rtpproxy.maxport"] },
  xcap: { current: "nginx.xcap_port", older: null },
  xmppClient: { current: null, older: null },
  xmppServer: { current: null, older: null },
  ssh: { current: null, older: null },
  admin: { current: "www_admin.http_admin.port", older: "www_admin.apache.port" },
  provisioning: { current: "ossbss.apache.port", older: "ossbss.apache.port" },
};

/** Where the provider reads each service toggle in config.yml (same in both editions where present). */
export const SERVICE_TOGGLE_KEYS: { readonly [S in keyof ServiceToggles]: string | null } = {
  sipTls: "kamailio.lb.tls.enable",
  xcap: "kamailio.proxy.presence.enable",
  xmpp: null,
};
