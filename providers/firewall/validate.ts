/**
 * Validation of the firewall inputs, for the provider's `check`: every failure names the key (a property
 * path such as `adminSources.ipv4[1]` or `ports.rtp`), the value and what is allowed, so that `pulumi
 * preview` fails before anything touches a node.
 *
 * The inputs may come from untyped stack config, so every field is checked at runtime even where the
 * TypeScript type already says what it must be.
 */
import { parseAddress, parseNetwork } from "./address";
import {
  EXTRA_ACTIONS,
  EXTRA_PROTOCOLS,
  FAMILIES,
  type ExtraRule,
  type Family,
  type FirewallInputs,
  type PortRange,
  type ServicePorts,
} from "./inputs";
import {
  evaluateProbe,
  extraRuleSources,
  formatPortRange,
  planUnchecked,
  type FamilyRuleset,
  type PlannedRule,
} from "./model";

/** One problem with the inputs, in the shape a dynamic provider's `check` returns. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

const FAMILY_NAME: Record<Family, string> = { ipv4: "IPv4", ipv6: "IPv6" };
const OTHER: Record<Family, Family> = { ipv4: "ipv6", ipv6: "ipv4" };

/** Port keys and the config.yml key they come from, for messages. */
const PORT_KEYS: readonly (keyof ServicePorts)[] = [
  "csc",
  "sip",
  "sipTls",
  "rtp",
  "xcap",
  "xmppClient",
  "xmppServer",
  "ssh",
  "admin",
  "provisioning",
];

/**
 * Returns every problem with the inputs; an empty list means `planFirewall` will succeed. The checks on the
 * plan as a whole (SSH closed to everyone, to the deployer, extra rules repeating a service rule) only run
 * when every field is valid on its own.
 */
export function validateFirewall(inputs: FirewallInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  checkSourceLists("subscriberSources", inputs.subscriberSources, failures);
  checkSourceLists("adminSources", inputs.adminSources, failures);
  checkBoolean("restrictSsh", inputs.restrictSsh, failures);
  checkBoolean("allowPing", inputs.allowPing, failures);
  checkBoolean("allowLockout", inputs.allowLockout, failures);
  if (typeof inputs.services !== "object" || inputs.services === null) {
    failures.push({ property: "services", reason: "must be an object { sipTls, xcap, xmpp } of booleans" });
  } else {
    checkBoolean("services.sipTls", inputs.services.sipTls, failures);
    checkBoolean("services.xcap", inputs.services.xcap, failures);
    checkBoolean("services.xmpp", inputs.services.xmpp, failures);
  }
  if (inputs.policy !== "ACCEPT" && inputs.policy !== "DROP") {
    failures.push({
      property: "policy",
      reason: `must be one of ACCEPT, DROP (the INPUT chain's policy), got: ${show(inputs.policy)}`,
    });
  }
  const portsValid = checkPorts(inputs, failures);
  checkRtpengine(inputs, failures);
  const extrasValid = checkExtraRules(inputs.extraRules, failures);
  if (inputs.deployerAddress !== undefined) {
    const parsed = parseAddress(inputs.deployerAddress);
    if (!parsed.ok) {
      failures.push({ property: "deployerAddress", reason: parsed.reason });
    }
  }
  if (failures.length > 0 || !portsValid || !extrasValid) {
    return failures;
  }
  const plan = planUnchecked(inputs);
  checkSshReachable(inputs, failures);
  checkDeployerLockout(inputs, plan[deployerFamily(inputs)], failures);
  checkExtrasAgainstServices(inputs, [plan.ipv4, plan.ipv6], failures);
  return failures;
}

function show(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
}

function checkBoolean(property: string, value: unknown, failures: CheckFailure[]): void {
  if (typeof value !== "boolean") {
    failures.push({ property, reason: `must be true or false, got: ${show(value)}` });
  }
}

/** Checks one family's list of networks; returns the normalized networks of the valid entries. */
function checkNetworkList(
  property: string,
  family: Family,
  list: unknown,
  failures: CheckFailure[],
): string[] {
  if (!Array.isArray(list)) {
    failures.push({
      property,
      reason: `must be a list of ${FAMILY_NAME[family]} networks, got: ${show(list)}`,
    });
    return [];
  }
  const seen: string[] = [];
  list.forEach((entry: unknown, index) => {
    const entryProperty = `${property}[${index}]`;
    const parsed = parseNetwork(entry);
    if (!parsed.ok) {
      failures.push({ property: entryProperty, reason: parsed.reason });
      return;
    }
    if (parsed.network.family !== family) {
      const otherProperty = property.replace(new RegExp(`\\.${family}$`), `.${OTHER[family]}`);
      failures.push({
        property: entryProperty,
        reason: `must be an ${FAMILY_NAME[family]} network, got: ${show(entry)}, an ${FAMILY_NAME[parsed.network.family]} network; put it in ${otherProperty}`,
      });
      return;
    }
    const previous = seen.indexOf(parsed.network.saved);
    if (previous >= 0) {
      failures.push({
        property: entryProperty,
        reason: `duplicates ${property}[${list.findIndex((other) => sameNetwork(other, parsed.network.saved))}] (${parsed.network.saved}); list each network once`,
      });
      return;
    }
    seen.push(parsed.network.saved);
  });
  return seen;
}

function sameNetwork(text: unknown, saved: string): boolean {
  const parsed = parseNetwork(text);
  return parsed.ok && parsed.network.saved === saved;
}

function checkSourceLists(property: string, lists: unknown, failures: CheckFailure[]): void {
  if (typeof lists !== "object" || lists === null || Array.isArray(lists)) {
    failures.push({
      property,
      reason: `must be an object { ipv4: [...], ipv6: [...] } of networks per family, got: ${show(lists)}`,
    });
    return;
  }
  for (const family of FAMILIES) {
    checkNetworkList(`${property}.${family}`, family, (lists as Record<string, unknown>)[family], failures);
  }
}

function isPort(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function portReason(value: unknown): string {
  return `must be an integer port 1..65535, got: ${show(value)}`;
}

/** Checks a port range; returns whether it is valid. */
function checkRange(
  property: string,
  range: unknown,
  names: { from: string; to: string },
  failures: CheckFailure[],
): range is PortRange {
  if (typeof range !== "object" || range === null) {
    failures.push({ property, reason: `must be a port range { from, to }, got: ${show(range)}` });
    return false;
  }
  const { from, to } = range as Record<string, unknown>;
  let valid = true;
  if (!isPort(from)) {
    failures.push({ property: `${property}.from`, reason: portReason(from) });
    valid = false;
  }
  if (!isPort(to)) {
    failures.push({ property: `${property}.to`, reason: portReason(to) });
    valid = false;
  }
  if (valid && (from as number) > (to as number)) {
    failures.push({
      property,
      reason: `is an inverted range ${show(from)}-${show(to)}: ${names.from} must be ≤ ${names.to}; write { from: ${show(to)}, to: ${show(from)} } if the bounds are swapped`,
    });
    valid = false;
  }
  return valid;
}

interface Endpoint {
  readonly key: keyof ServicePorts;
  readonly protocol: "tcp" | "udp";
  readonly range: PortRange;
}

/** Checks every port, the RTP range and collisions between enabled services; returns whether all are valid. */
function checkPorts(inputs: FirewallInputs, failures: CheckFailure[]): boolean {
  const ports = inputs.ports as unknown;
  if (typeof ports !== "object" || ports === null) {
    failures.push({
      property: "ports",
      reason: `must be an object with the service ports (${PORT_KEYS.join(", ")}), got: ${show(ports)}`,
    });
    return false;
  }
  const before = failures.length;
  for (const key of PORT_KEYS) {
    const value = (ports as Record<string, unknown>)[key];
    if (key === "rtp") {
      checkRange(
        "ports.rtp",
        value,
        { from: "rtpproxy.minport (from)", to: "rtpproxy.maxport (to)" },
        failures,
      );
    } else if (!isPort(value)) {
      failures.push({ property: `ports.${key}`, reason: portReason(value) });
    }
  }
  if (failures.length > before) {
    return false;
  }
  const services =
    typeof inputs.services === "object" && inputs.services !== null
      ? inputs.services
      : { sipTls: false, xcap: false, xmpp: false };
  const p = inputs.ports;
  const one = (port: number): PortRange => ({ from: port, to: port });
  const endpoints: Endpoint[] = [
    { key: "sip", protocol: "udp", range: one(p.sip) },
    { key: "sip", protocol: "tcp", range: one(p.sip) },
    ...(services.sipTls ? [{ key: "sipTls", protocol: "tcp", range: one(p.sipTls) } as Endpoint] : []),
    { key: "csc", protocol: "tcp", range: one(p.csc) },
    ...(services.xcap ? [{ key: "xcap", protocol: "tcp", range: one(p.xcap) } as Endpoint] : []),
    ...(services.xmpp
      ? [
          { key: "xmppClient", protocol: "tcp", range: one(p.xmppClient) } as Endpoint,
          { key: "xmppServer", protocol: "tcp", range: one(p.xmppServer) } as Endpoint,
        ]
      : []),
    { key: "ssh", protocol: "tcp", range: one(p.ssh) },
    { key: "admin", protocol: "tcp", range: one(p.admin) },
    { key: "provisioning", protocol: "tcp", range: one(p.provisioning) },
  ];
  // The RTP range is rtpengine's: any other service inside it (either protocol) competes for its ports
  // or is mistaken for media by the rules.
  const overlapping: string[] = [];
  for (const endpoint of endpoints) {
    if (
      endpoint.range.from >= p.rtp.from &&
      endpoint.range.from <= p.rtp.to &&
      !overlapping.includes(endpoint.key)
    ) {
      overlapping.push(endpoint.key);
      const protocols = endpoints
        .filter((other) => other.key === endpoint.key)
        .map((other) => other.protocol);
      failures.push({
        property: "ports.rtp",
        reason: `range ${formatPortRange(p.rtp)} overlaps ports.${endpoint.key} ${endpoint.range.from}/${protocols.join("+")}; move the RTP range (rtpproxy.minport/maxport) or the service port`,
      });
    }
  }
  for (let later = 0; later < endpoints.length; later += 1) {
    for (let earlier = 0; earlier < later; earlier += 1) {
      const a = endpoints[earlier];
      const b = endpoints[later];
      if (a.key !== b.key && a.protocol === b.protocol && a.range.from === b.range.from) {
        failures.push({
          property: `ports.${b.key}`,
          reason: `port ${b.range.from}/${b.protocol} is also ports.${a.key}; two services cannot share a port`,
        });
      }
    }
  }
  return failures.length === before;
}

function checkRtpengine(inputs: FirewallInputs, failures: CheckFailure[]): void {
  const rule = inputs.rtpengine as unknown;
  if (typeof rule !== "object" || rule === null) {
    failures.push({
      property: "rtpengine",
      reason: `must be an object { kind, id, families }, got: ${show(rule)}`,
    });
    return;
  }
  const { kind, id, families } = rule as Record<string, unknown>;
  if (kind !== "target" && kind !== "userChain") {
    failures.push({
      property: "rtpengine.kind",
      reason: `must be one of target (the kernel's xt_RTPENGINE), userChain (a user chain named RTPENGINE, the lab), got: ${show(kind)}`,
    });
  } else if (kind === "target" && !(typeof id === "number" && Number.isInteger(id) && id >= 0 && id <= 63)) {
    failures.push({
      property: "rtpengine.id",
      reason: `must be an integer 0..63 (rtpengine's kernel table; xt_RTPENGINE refuses 64 and up), got: ${show(id)}`,
    });
  } else if (kind === "userChain" && id !== null) {
    failures.push({
      property: "rtpengine.id",
      reason: `must be null for kind userChain (a jump to a user chain takes no --id), got: ${show(id)}`,
    });
  }
  if (!Array.isArray(families) || families.some((family) => !FAMILIES.includes(family as Family))) {
    failures.push({
      property: "rtpengine.families",
      reason: `must be a list of ipv4, ipv6, got: ${show(families)}`,
    });
  } else if (new Set(families).size !== families.length) {
    failures.push({ property: "rtpengine.families", reason: `lists a family twice: ${show(families)}` });
  }
}

/** What one expanded extra rule matches, for duplicate and conflict detection. */
interface ExtraKey {
  readonly index: number;
  readonly family: Family;
  readonly protocol: string;
  readonly port: string;
  readonly source: string;
  readonly action: string;
}

/** Checks the extra rules one by one, then against each other; returns whether all are valid. */
function checkExtraRules(rules: unknown, failures: CheckFailure[]): boolean {
  if (!Array.isArray(rules)) {
    failures.push({ property: "extraRules", reason: `must be a list of rules, got: ${show(rules)}` });
    return false;
  }
  const before = failures.length;
  const names: string[] = [];
  const keys: ExtraKey[] = [];
  rules.forEach((candidate: unknown, index) => {
    const property = `extraRules[${index}]`;
    if (typeof candidate !== "object" || candidate === null) {
      failures.push({
        property,
        reason: `must be a rule { name, protocol, port?, sources?, action }, got: ${show(candidate)}`,
      });
      return;
    }
    const rule = candidate as ExtraRule;
    const start = failures.length;
    if (typeof rule.name !== "string" || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(rule.name)) {
      failures.push({
        property: `${property}.name`,
        reason: `must be 1..32 lower-case letters, digits or '-', starting with a letter or digit, got: ${show(rule.name)}`,
      });
    } else if (names.includes(rule.name)) {
      failures.push({
        property: `${property}.name`,
        reason: `duplicates the name of extraRules[${names.indexOf(rule.name)}] (${rule.name}); names must be unique`,
      });
    }
    names.push(typeof rule.name === "string" ? rule.name : "");
    if (!EXTRA_PROTOCOLS.includes(rule.protocol)) {
      failures.push({
        property: `${property}.protocol`,
        reason: `unknown protocol ${show(rule.protocol)}; allowed: ${EXTRA_PROTOCOLS.join(", ")}`,
      });
    }
    if (!EXTRA_ACTIONS.includes(rule.action)) {
      failures.push({
        property: `${property}.action`,
        reason: `must be one of ${EXTRA_ACTIONS.join(", ")}, got: ${show(rule.action)}`,
      });
    }
    if (rule.port !== undefined) {
      if (rule.protocol !== "tcp" && rule.protocol !== "udp") {
        failures.push({
          property: `${property}.port`,
          reason: `needs protocol tcp or udp (${show(rule.protocol)} has no ports); remove port or change protocol`,
        });
      } else if (typeof rule.port === "number" || typeof rule.port !== "object") {
        if (!isPort(rule.port)) {
          failures.push({
            property: `${property}.port`,
            reason: `${portReason(rule.port)}, or a range { from, to }`,
          });
        }
      } else {
        checkRange(`${property}.port`, rule.port, { from: "from", to: "to" }, failures);
      }
    }
    if (rule.sources !== undefined) {
      if (typeof rule.sources !== "object" || rule.sources === null || Array.isArray(rule.sources)) {
        failures.push({
          property: `${property}.sources`,
          reason: `must be an object { ipv4?: [...], ipv6?: [...] }, got: ${show(rule.sources)}`,
        });
      } else {
        for (const family of FAMILIES) {
          const list = rule.sources[family];
          if (list !== undefined) {
            checkNetworkList(`${property}.sources.${family}`, family, list, failures);
          }
        }
        if (rule.protocol === "icmp" && (rule.sources.ipv6?.length ?? 0) > 0) {
          failures.push({
            property: `${property}.sources.ipv6`,
            reason: "protocol icmp is IPv4 only; write a separate rule with protocol icmpv6 for IPv6 sources",
          });
        }
        if (rule.protocol === "icmpv6" && (rule.sources.ipv4?.length ?? 0) > 0) {
          failures.push({
            property: `${property}.sources.ipv4`,
            reason: "protocol icmpv6 is IPv6 only; write a separate rule with protocol icmp for IPv4 sources",
          });
        }
      }
    }
    if (failures.length > start) {
      return;
    }
    const expanded = FAMILIES.flatMap((family) =>
      extraRuleSources(rule, family).map((source) => ({ family, source })),
    );
    if (expanded.length === 0) {
      failures.push({
        property: `${property}.sources`,
        reason: "matches no source in any family; list at least one network, or omit sources for everyone",
      });
      return;
    }
    const port =
      rule.port === undefined
        ? "any"
        : typeof rule.port === "number"
          ? String(rule.port)
          : formatPortRange(rule.port);
    for (const { family, source } of expanded) {
      keys.push({
        index,
        family,
        protocol: rule.protocol,
        port,
        source: source ?? "any",
        action: rule.action,
      });
    }
  });
  // Two rules with the same match: the first one always wins, so the second is either dead weight
  // (same action) or a contradiction the operator has to resolve (different action).
  const reported = new Set<number>();
  for (let later = 0; later < keys.length; later += 1) {
    for (let earlier = 0; earlier < later; earlier += 1) {
      const a = keys[earlier];
      const b = keys[later];
      if (a.index === b.index || reported.has(b.index)) {
        continue;
      }
      if (a.family === b.family && a.protocol === b.protocol && a.port === b.port && a.source === b.source) {
        const what = `${a.protocol}${a.port === "any" ? "" : ` port ${a.port}`} from ${a.source === "any" ? "everyone" : a.source} (${a.family})`;
        failures.push(
          a.action === b.action
            ? {
                property: `extraRules[${b.index}]`,
                reason: `duplicates extraRules[${a.index}]: both ${a.action} ${what}; remove one`,
              }
            : {
                property: `extraRules[${b.index}]`,
                reason: `conflicts with extraRules[${a.index}]: ${a.action} and ${b.action} for the same traffic, ${what}; the first would always win, remove one`,
              },
        );
        reported.add(b.index);
      }
    }
  }
  return failures.length === before;
}

/** The family whose SSH the deployer uses. */
function deployerFamily(inputs: FirewallInputs): Family {
  if (inputs.deployerAddress === undefined) {
    return "ipv4";
  }
  const parsed = parseAddress(inputs.deployerAddress);
  return parsed.ok ? parsed.family : "ipv4";
}

/** SSH restricted to admin networks, but no admin network and no extra rule opening it: closed to all. */
function checkSshReachable(inputs: FirewallInputs, failures: CheckFailure[]): void {
  if (
    !inputs.restrictSsh ||
    inputs.allowLockout ||
    inputs.adminSources.ipv4.length > 0 ||
    inputs.adminSources.ipv6.length > 0
  ) {
    return;
  }
  const ssh = inputs.ports.ssh;
  const opened = inputs.extraRules.some(
    (rule) =>
      rule.action === "ACCEPT" &&
      (rule.protocol === "tcp" || rule.protocol === "all") &&
      (rule.port === undefined ||
        (typeof rule.port === "number" ? rule.port === ssh : rule.port.from <= ssh && ssh <= rule.port.to)),
  );
  if (!opened) {
    failures.push({
      property: "adminSources",
      reason: `is empty while restrictSsh is true: SSH (${ssh}/tcp) would be closed to everyone, the deployer included. Add the admin networks (adminSources.ipv4 / adminSources.ipv6), set restrictSsh: false, or set allowLockout: true`,
    });
  }
}

/** The planned ruleset must let the deployer's own SSH connection in. */
function checkDeployerLockout(
  inputs: FirewallInputs,
  ruleset: FamilyRuleset,
  failures: CheckFailure[],
): void {
  if (inputs.deployerAddress === undefined || inputs.allowLockout) {
    return;
  }
  const deployer = parseAddress(inputs.deployerAddress);
  if (!deployer.ok) {
    return;
  }
  const ssh = inputs.ports.ssh;
  const result = evaluateProbe(ruleset, { source: deployer.address, protocol: "tcp", port: ssh });
  if (result.verdict === "ACCEPT") {
    return;
  }
  const family = deployer.family;
  const closedBy = describeDecision(result.decidedBy, ruleset.policy);
  if (
    result.decidedBy !== null &&
    result.decidedBy.chain !== "NGCP-FLEET-ADMIN" &&
    result.decidedBy.label.startsWith("extra ")
  ) {
    const name = result.decidedBy.label.slice("extra ".length);
    const index = inputs.extraRules.findIndex((rule) => rule.name === name);
    failures.push({
      property: `extraRules[${index}]`,
      reason: `would close SSH (${ssh}/tcp) to the deployer's own address ${deployer.address} (${closedBy}); narrow the rule, or set allowLockout: true`,
    });
    return;
  }
  const networks = inputs.adminSources[family];
  failures.push({
    property: inputs.restrictSsh ? `adminSources.${family}` : `subscriberSources.${family}`,
    reason: `would close SSH (${ssh}/tcp) to the deployer's own address ${deployer.address}: it is in none of ${
      inputs.restrictSsh ? `adminSources.${family}` : `subscriberSources.${family}`
    } [${(inputs.restrictSsh ? networks : inputs.subscriberSources[family]).join(", ")}] (${closedBy}); add its network, or set allowLockout: true`,
  });
}

function describeDecision(rule: PlannedRule | null, policy: string): string {
  return rule === null
    ? `then the INPUT policy ${policy}`
    : `decided by "${rule.label}" in ${rule.chain}: ${rule.target}`;
}

/** An extra ACCEPT rule that repeats a service rule the plan already has. */
function checkExtrasAgainstServices(
  inputs: FirewallInputs,
  rulesets: readonly FamilyRuleset[],
  failures: CheckFailure[],
): void {
  const reported = new Set<number>();
  for (const ruleset of rulesets) {
    const extras = ruleset.chains.find((chain) => chain.name === "NGCP-FLEET-EXTRA")?.rules ?? [];
    const services = ruleset.chains
      .filter((chain) => chain.name === "NGCP-FLEET-SUBSCRIBERS" || chain.name === "NGCP-FLEET-ADMIN")
      .flatMap((chain) => chain.rules)
      .filter((rule) => rule.target === "ACCEPT");
    for (const extra of extras) {
      if (extra.target !== "ACCEPT") {
        continue;
      }
      const twin = services.find(
        (service) =>
          service.match.source === extra.match.source &&
          service.match.protocol === extra.match.protocol &&
          service.match.dport?.from === extra.match.dport?.from &&
          service.match.dport?.to === extra.match.dport?.to,
      );
      const index = inputs.extraRules.findIndex((rule) => `extra ${rule.name}` === extra.label);
      if (twin !== undefined && !reported.has(index)) {
        reported.add(index);
        failures.push({
          property: `extraRules[${index}]`,
          reason: `duplicates the ${twin.label} rule the firewall already plans (${twin.match.protocol} ${twin.match.dport === undefined ? "" : formatPortRange(twin.match.dport)} from ${
            twin.match.source ?? "everyone"
          }, ${ruleset.family}); remove it`,
        });
      }
    }
  }
}
