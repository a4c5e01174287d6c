/**
 * The planned ruleset: which chains the firewall owns, which rules go into them, and how each rule is
 * spelled so that it compares equal to what iptables-save prints back.
 *
 * Chain layout (per family, filter table):
 *
 *     INPUT (policy from the inputs; foreign rules untouched)
 *       -p udp -j RTPENGINE --id 0                   rtpengine's rule, kept or put back
 *       -m comment --comment "ngcp-fleet: jump" -j NGCP-FLEET-INPUT     exactly one, after RTPENGINE
 *     NGCP-FLEET-INPUT        loopback, established/related, ICMP(v6), then the three chains below
 *     NGCP-FLEET-EXTRA        operator rules, in order (may ACCEPT, DROP or REJECT)
 *     NGCP-FLEET-SUBSCRIBERS  table 8 services, ACCEPT from subscriberSources
 *     NGCP-FLEET-ADMIN        table 9 services, ACCEPT from adminSources, then DROP for everyone else
 *
 * Nothing in our chains ends in a catch-all: a packet none of our rules decides returns to INPUT, where
 * the rules of other tools after our jump and then the policy decide.
 */
import { networkContains, parseNetwork } from "./address";
import type { ExtraRule, Family, FirewallInputs, Policy, PortRange, RtpengineRule } from "./inputs";
import { COMMENT_PREFIX } from "./save";

/** Prefix of every chain the firewall owns; a chain with this prefix that the plan lacks is removed. */
export const CHAIN_PREFIX = "NGCP-FLEET-";

/** The chains the firewall owns, in the order they are declared. */
export const CHAINS = {
  main: "NGCP-FLEET-INPUT",
  extra: "NGCP-FLEET-EXTRA",
  subscribers: "NGCP-FLEET-SUBSCRIBERS",
  admin: "NGCP-FLEET-ADMIN",
} as const;

/** What a rule matches, kept next to its words so that validation can reason about the plan. */
export interface RuleMatch {
  /** Source network in iptables-save form; absent: any source. */
  readonly source?: string;
  readonly inInterface?: string;
  /** As iptables-save prints it: `tcp`, `udp`, `icmp`, `ipv6-icmp`; absent: any protocol. */
  readonly protocol?: "tcp" | "udp" | "icmp" | "ipv6-icmp";
  readonly dport?: PortRange;
  readonly icmpType?: number;
  /** Connection states, as iptables-save prints them (`RELATED,ESTABLISHED`). */
  readonly ctstate?: string;
}

/** One rule: the chain it is in and its words after `-A <chain>`. */
export interface Rule {
  readonly family: Family;
  readonly chain: string;
  /** The words after `-A <chain>`, exactly as iptables-save prints them, unquoted. */
  readonly args: readonly string[];
  /** The service or purpose (`ssh`, `rtp`, `jump`, `rtpengine`, `extra snmp`), shown in previews. */
  readonly label: string;
}

/** A rule of the plan: its words, and what it matches and does. */
export interface PlannedRule extends Rule {
  readonly match: RuleMatch;
  /** `ACCEPT`, `DROP`, `REJECT`, `RTPENGINE` or one of our chains. */
  readonly target: string;
}

/** One of our chains with its rules in order. */
export interface PlannedChain {
  readonly name: string;
  readonly rules: readonly PlannedRule[];
}

/** Everything the firewall wants in one family's filter table. */
export interface FamilyRuleset {
  readonly family: Family;
  /** Policy of INPUT. */
  readonly policy: Policy;
  /** Our chains, main chain first. */
  readonly chains: readonly PlannedChain[];
  /** The one jump from INPUT to our main chain. */
  readonly jump: PlannedRule;
  /** rtpengine's rule in INPUT, or null when the inputs do not keep it in this family. */
  readonly rtpengine: PlannedRule | null;
  /** Create the user chain RTPENGINE when it is missing (the lab variant); never flushed. */
  readonly rtpengineUserChain: boolean;
}

/** The planned rulesets of both families. */
export interface DesiredRuleset {
  readonly ipv4: FamilyRuleset;
  readonly ipv6: FamilyRuleset;
}

/** The words of a rule, in the order iptables-save prints them. */
export function ruleArgs(
  family: Family,
  match: RuleMatch,
  label: string | null,
  target: string,
  targetArgs: readonly string[] = [],
): string[] {
  const args: string[] = [];
  if (match.source !== undefined) {
    args.push("-s", match.source);
  }
  if (match.inInterface !== undefined) {
    args.push("-i", match.inInterface);
  }
  if (match.protocol !== undefined) {
    args.push("-p", match.protocol);
    // iptables-save names the protocol's match module after -p whenever one of its options is used.
    if (match.dport !== undefined) {
      args.push("-m", match.protocol, "--dport", formatPortRange(match.dport));
    }
    if (match.icmpType !== undefined) {
      args.push(
        ...(family === "ipv4" ? ["-m", "icmp", "--icmp-type"] : ["-m", "icmp6", "--icmpv6-type"]),
        String(match.icmpType),
      );
    }
  }
  if (match.ctstate !== undefined) {
    args.push("-m", "conntrack", "--ctstate", match.ctstate);
  }
  if (label !== null) {
    args.push("-m", "comment", "--comment", `${COMMENT_PREFIX}${label}`);
  }
  args.push("-j", target, ...targetArgs);
  return args;
}

/** `30000:40000`, or a single port when the range is one port (iptables-save prints `5060`, not `5060:5060`). */
export function formatPortRange(range: PortRange): string {
  return range.from === range.to ? String(range.from) : `${range.from}:${range.to}`;
}

/** The arguments of the RTPENGINE rule, as rtpengine installs it and iptables-save prints it. */
export function rtpengineArgs(rule: RtpengineRule): string[] {
  return ["-p", "udp", "-j", "RTPENGINE", ...(rule.id === null ? [] : ["--id", String(rule.id)])];
}

function planned(
  family: Family,
  chain: string,
  label: string,
  match: RuleMatch,
  target: string,
  targetArgs: readonly string[] = [],
): PlannedRule {
  return { family, chain, label, match, target, args: ruleArgs(family, match, label, target, targetArgs) };
}

/** `--reject-with` is always printed by iptables-save, with the family's default when none was given. */
function rejectArgs(family: Family): string[] {
  return ["--reject-with", family === "ipv4" ? "icmp-port-unreachable" : "icmp6-port-unreachable"];
}

function single(port: number): PortRange {
  return { from: port, to: port };
}

/** Source networks of one family in iptables-save form; `undefined` stands for "any" (a `/0`). */
function sourcesOf(list: readonly string[]): (string | undefined)[] {
  return list.map((text) => {
    const parsed = parseNetwork(text);
    if (!parsed.ok) {
      throw new Error(`planner called with an invalid network (validate first): ${parsed.reason}`);
    }
    return parsed.network.everyone ? undefined : parsed.network.saved;
  });
}

/** One service endpoint of tables 8 and 9. */
interface Service {
  readonly label: string;
  readonly protocol: "tcp" | "udp";
  readonly ports: PortRange;
}

/** The subscriber-facing services (table 8) the inputs enable, most packets first. */
export function subscriberServices(inputs: FirewallInputs): Service[] {
  const { ports, services } = inputs;
  const list: Service[] = [
    { label: "sip", protocol: "udp", ports: single(ports.sip) },
    { label: "sip", protocol: "tcp", ports: single(ports.sip) },
  ];
  if (services.sipTls) {
    list.push({ label: "sip-tls", protocol: "tcp", ports: single(ports.sipTls) });
  }
  list.push(
    { label: "rtp", protocol: "udp", ports: ports.rtp },
    { label: "csc", protocol: "tcp", ports: single(ports.csc) },
  );
  if (services.xcap) {
    list.push({ label: "xcap", protocol: "tcp", ports: single(ports.xcap) });
  }
  if (services.xmpp) {
    list.push(
      { label: "xmpp-client", protocol: "tcp", ports: single(ports.xmppClient) },
      { label: "xmpp-server", protocol: "tcp", ports: single(ports.xmppServer) },
    );
  }
  if (!inputs.restrictSsh) {
    list.push({ label: "ssh", protocol: "tcp", ports: single(ports.ssh) });
  }
  return list;
}

/** The admin-facing services (table 9): SSH unless opened to subscribers, admin and provisioning. */
export function adminServices(inputs: FirewallInputs): Service[] {
  const list: Service[] = [];
  if (inputs.restrictSsh) {
    list.push({ label: "ssh", protocol: "tcp", ports: single(inputs.ports.ssh) });
  }
  list.push(
    { label: "admin", protocol: "tcp", ports: single(inputs.ports.admin) },
    { label: "provisioning", protocol: "tcp", ports: single(inputs.ports.provisioning) },
  );
  return list;
}

/** ICMP a VoIP host needs; echo only when ping is allowed. */
function icmpRules(family: Family, allowPing: boolean): PlannedRule[] {
  const chain = CHAINS.main;
  if (family === "ipv4") {
    const types: [string, number][] = [
      ...(allowPing ? [["echo-request", 8] as [string, number]] : []),
      // Type 3 includes code 4, fragmentation needed: path-MTU discovery depends on it.
      ["destination-unreachable", 3],
      ["time-exceeded", 11],
    ];
    return types.map(([name, type]) =>
      planned(family, chain, `icmp ${name}`, { protocol: "icmp", icmpType: type }, "ACCEPT"),
    );
  }
  // RFC 4890, section 4.4: error messages that must not be dropped, and neighbour discovery. NDP needs no
  // hop-limit match here: the kernel itself discards NDP packets whose hop limit is not 255.
  const types: [string, number][] = [
    ...(allowPing ? [["icmpv6 echo-request", 128] as [string, number]] : []),
    ["icmpv6 destination-unreachable", 1],
    ["icmpv6 packet-too-big", 2],
    ["icmpv6 time-exceeded", 3],
    ["icmpv6 parameter-problem", 4],
    ["ndp router-solicitation", 133],
    ["ndp router-advertisement", 134],
    ["ndp neighbour-solicitation", 135],
    ["ndp neighbour-advertisement", 136],
  ];
  return types.map(([label, type]) =>
    planned(family, chain, label, { protocol: "ipv6-icmp", icmpType: type }, "ACCEPT"),
  );
}

/** The families an extra rule applies to, with its sources there (`undefined`: any source). */
export function extraRuleSources(rule: ExtraRule, family: Family): (string | undefined)[] {
  if ((rule.protocol === "icmp" && family !== "ipv4") || (rule.protocol === "icmpv6" && family !== "ipv6")) {
    return [];
  }
  if (rule.sources === undefined) {
    return [undefined];
  }
  return sourcesOf(rule.sources[family] ?? []);
}

function extraRules(family: Family, rules: readonly ExtraRule[]): PlannedRule[] {
  return rules.flatMap((rule) =>
    extraRuleSources(rule, family).map((source) => {
      const protocol =
        rule.protocol === "all" ? undefined : rule.protocol === "icmpv6" ? "ipv6-icmp" : rule.protocol;
      const dport =
        rule.port === undefined ? undefined : typeof rule.port === "number" ? single(rule.port) : rule.port;
      const match: RuleMatch = {
        ...(source === undefined ? {} : { source }),
        ...(protocol === undefined ? {} : { protocol }),
        ...(dport === undefined ? {} : { dport }),
      };
      return planned(
        family,
        CHAINS.extra,
        `extra ${rule.name}`,
        match,
        rule.action,
        rule.action === "REJECT" ? rejectArgs(family) : [],
      );
    }),
  );
}

function serviceRules(
  family: Family,
  chain: string,
  services: readonly Service[],
  sources: readonly (string | undefined)[],
): PlannedRule[] {
  return services.flatMap((service) =>
    sources.map((source) =>
      planned(
        family,
        chain,
        service.label,
        { ...(source === undefined ? {} : { source }), protocol: service.protocol, dport: service.ports },
        "ACCEPT",
      ),
    ),
  );
}

/**
 * Plans one family without validating: callers go through `planFirewall` (or validate first). Throws on an
 * invalid network, which validation reports properly.
 */
export function planFamily(inputs: FirewallInputs, family: Family): FamilyRuleset {
  const main = CHAINS.main;
  const admin = adminServices(inputs);
  const mainRules: PlannedRule[] = [
    planned(family, main, "loopback", { inInterface: "lo" }, "ACCEPT"),
    planned(family, main, "established", { ctstate: "RELATED,ESTABLISHED" }, "ACCEPT"),
    ...icmpRules(family, inputs.allowPing),
    planned(family, main, "extra rules", {}, CHAINS.extra),
    planned(family, main, "subscribers", {}, CHAINS.subscribers),
    planned(family, main, "admin", {}, CHAINS.admin),
  ];
  const adminRules = [
    ...serviceRules(family, CHAINS.admin, admin, sourcesOf(inputs.adminSources[family])),
    // Closed to everyone else under either policy: with policy ACCEPT these are what keeps them closed.
    ...admin.map((service) =>
      planned(
        family,
        CHAINS.admin,
        `${service.label} closed`,
        { protocol: service.protocol, dport: service.ports },
        "DROP",
      ),
    ),
  ];
  const keepsRtpengine = inputs.rtpengine.families.includes(family);
  return {
    family,
    policy: inputs.policy,
    chains: [
      { name: main, rules: mainRules },
      { name: CHAINS.extra, rules: extraRules(family, inputs.extraRules) },
      {
        name: CHAINS.subscribers,
        rules: serviceRules(
          family,
          CHAINS.subscribers,
          subscriberServices(inputs),
          sourcesOf(inputs.subscriberSources[family]),
        ),
      },
      { name: CHAINS.admin, rules: adminRules },
    ],
    jump: planned(family, "INPUT", "jump", {}, main),
    rtpengine: keepsRtpengine
      ? {
          family,
          chain: "INPUT",
          label: "rtpengine",
          match: { protocol: "udp" },
          target: "RTPENGINE",
          args: rtpengineArgs(inputs.rtpengine),
        }
      : null,
    rtpengineUserChain: keepsRtpengine && inputs.rtpengine.kind === "userChain",
  };
}

/** Plans both families without validating (see {@link planFamily}). */
export function planUnchecked(inputs: FirewallInputs): DesiredRuleset {
  return { ipv4: planFamily(inputs, "ipv4"), ipv6: planFamily(inputs, "ipv6") };
}

/** A new connection arriving from the network (not on loopback), as the lockout check imagines it. */
export interface Probe {
  /** Source address, iptables-save form, of the ruleset's family. */
  readonly source: string;
  readonly protocol: "tcp" | "udp";
  readonly port: number;
}

/** How our chains treat a probe: the deciding rule, or null when it falls through to the INPUT policy. */
export interface ProbeVerdict {
  readonly verdict: "ACCEPT" | "DROP" | "REJECT";
  readonly decidedBy: PlannedRule | null;
}

/**
 * Follows a new connection through our chains. A packet that no rule of ours decides is judged by the
 * INPUT policy: rules of other tools after our jump are not known to the planner and not counted on.
 */
export function evaluateProbe(ruleset: FamilyRuleset, probe: Probe): ProbeVerdict {
  const walk = (chainName: string, depth: number): ProbeVerdict | null => {
    const chain = ruleset.chains.find((candidate) => candidate.name === chainName);
    if (chain === undefined || depth > ruleset.chains.length) {
      return null;
    }
    for (const rule of chain.rules) {
      if (!matches(rule.match, probe)) {
        continue;
      }
      if (rule.target === "ACCEPT" || rule.target === "DROP" || rule.target === "REJECT") {
        return { verdict: rule.target, decidedBy: rule };
      }
      const inner = walk(rule.target, depth + 1);
      if (inner !== null) {
        return inner;
      }
    }
    return null;
  };
  return walk(CHAINS.main, 0) ?? { verdict: ruleset.policy, decidedBy: null };
}

function matches(match: RuleMatch, probe: Probe): boolean {
  if (match.inInterface !== undefined || match.ctstate !== undefined || match.icmpType !== undefined) {
    // Loopback, established/related and ICMP rules never see a new TCP/UDP connection from the network.
    return false;
  }
  if (match.protocol !== undefined && match.protocol !== probe.protocol) {
    return false;
  }
  if (match.dport !== undefined && (probe.port < match.dport.from || probe.port > match.dport.to)) {
    return false;
  }
  return match.source === undefined || networkContains(match.source, probe.source);
}
