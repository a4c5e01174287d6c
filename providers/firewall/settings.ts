/**
 * From the stack key `firewall` (cluster-wide, with per-node overrides) and the node's applied config.yml
 * values (NgcpConfig's `effective`) to the complete {@link FirewallInputs} the planner takes. Pure: the
 * provider passes in what it read; nothing here talks to a node.
 *
 * Why the ports are not settings: handbook 15.2 names, for every service of tables 8 and 9, the config.yml
 * key that sets its port. The node's config is the truth, so a port changed in config.yml moves its rule in
 * the same `up`. Only what the handbook gives no key for (SSH, the XMPP ports) can be set here.
 */
import { parseNetwork } from "./address";
import {
  DEFAULT_SERVICE_PORTS,
  FAMILIES,
  SERVICE_PORT_KEYS,
  SERVICE_TOGGLE_KEYS,
  firewallInputsWithDefaults,
  type ExtraRule,
  type Family,
  type FirewallInputs,
  type HandbookEdition,
  type Policy,
  type RtpengineRule,
  type ServicePorts,
  type ServiceToggles,
} from "./inputs";
import { validateFirewall, type CheckFailure } from "./validate";

/** A config.yml value as NgcpConfig publishes it in `effective` (null: the key is absent). */
export type ConfigScalar = string | number | boolean | null;

/** The stack key of this feature: every failure names `firewall.<field>`. */
export const STACK_KEY = "firewall";

/**
 * The `firewall` stack-config object (`ngcp-fleet:firewall`, per node `nodes[].firewall`), as an operator
 * writes it. Every field is optional.
 */
export interface FirewallSettings {
  /**
   * Networks allowed to reach the subscriber services of table 8 (handbook 15.2).
   * @default everyone: { ipv4: ["0.0.0.0/0"], ipv6: ["::/0"] }
   */
  readonly subscriberSources?: { readonly ipv4?: readonly string[]; readonly ipv6?: readonly string[] };
  /**
   * Networks allowed to reach SSH, the admin and the provisioning interfaces (handbook 15.2, table 9).
   * @default the cluster-wide `ngcp-fleet:adminSources`, split by family; none when that is empty too
   */
  readonly adminSources?: { readonly ipv4?: readonly string[]; readonly ipv6?: readonly string[] };
  /** Restrict SSH to `adminSources` (table 9). @default true */
  readonly restrictSsh?: boolean;
  /**
   * Optional services without a config.yml switch. SIP over TLS and XCAP follow `kamailio.lb.tls.enable`
   * and `kamailio.proxy.presence.enable` in config.yml and cannot be set here.
   * @default { xmpp: false }
   */
  readonly services?: { readonly xmpp?: boolean };
  /**
   * Ports the handbook names no config.yml key for (table 8 "standard XMPP ports", table 9 SSH "NA").
   * Every other port is read from the node's config.yml.
   * @default { ssh: 22, xmppClient: 5222, xmppServer: 5269 }
   */
  readonly ports?: { readonly ssh?: number; readonly xmppClient?: number; readonly xmppServer?: number };
  /** Operator rules before the service rules, in order (see FirewallInputs.extraRules). @default [] */
  readonly extraRules?: readonly ExtraRule[];
  /** INPUT policy of both families. @default "DROP" */
  readonly policy?: Policy;
  /** Answer ICMP echo requests. @default true */
  readonly allowPing?: boolean;
  /**
   * The RTPENGINE rule kept in INPUT (handbook 15.2 caution box). The lab, where the kernel's RTPENGINE
   * target cannot load, sets `{ kind: "userChain" }` (a user chain named RTPENGINE, no `--id`).
   * @default { kind: "target", id: 0, families: ["ipv4", "ipv6"] }
   */
  readonly rtpengine?: Partial<RtpengineRule>;
  /** Accept a ruleset that closes SSH to the deployer; the apply's rollback still protects the node. @default false */
  readonly allowLockout?: boolean;
  /** Seconds after which the node restores its previous ruleset unless the apply was confirmed. 5..3600. @default 30 */
  readonly rollbackSeconds?: number;
  /** Probe the service ports from the deployer before confirming an apply. @default true */
  readonly probe?: boolean;
  /** Write the applied ruleset to /etc/iptables/rules.v4 and rules.v6 (restored at boot). @default true */
  readonly persist?: boolean;
}

/** What the apply protocol needs beyond the ruleset. */
export interface FirewallOptions {
  readonly rollbackSeconds: number;
  readonly probe: boolean;
  readonly persist: boolean;
}

/** Defaults of {@link FirewallOptions}. */
export const DEFAULT_OPTIONS: FirewallOptions = { rollbackSeconds: 30, probe: true, persist: true };

/** The fields `firewall` accepts, for the message about an unknown one. */
export const SETTINGS_FIELDS: readonly (keyof FirewallSettings)[] = [
  "subscriberSources",
  "adminSources",
  "restrictSsh",
  "services",
  "ports",
  "extraRules",
  "policy",
  "allowPing",
  "rtpengine",
  "allowLockout",
  "rollbackSeconds",
  "probe",
  "persist",
];

/** Ports that may be set in the stack: the handbook names no config.yml key for them. */
const SETTABLE_PORTS = ["ssh", "xmppClient", "xmppServer"] as const;

/** Every config.yml key the firewall reads, both editions: NgcpConfig's `watchKeys`. Sorted. */
export const FIREWALL_WATCH_KEYS: readonly string[] = [
  ...new Set([
    ...Object.values(SERVICE_PORT_KEYS).flatMap((byEdition) =>
      Object.values(byEdition).flatMap((key: string | readonly string[] | null) =>
        key === null ? [] : typeof key === "string" ? [key] : [...key],
      ),
    ),
    ...Object.values(SERVICE_TOGGLE_KEYS).flatMap((key) => (key === null ? [] : [key])),
  ]),
].sort();

/** Everything resolved for one node: the planner's inputs, the protocol's options, and where ports came from. */
export interface ResolvedFirewall {
  readonly inputs: FirewallInputs;
  readonly options: FirewallOptions;
  readonly edition: HandbookEdition;
  /** Per service: `config.yml <key>`, `firewall.ports.<name>` or `default`. */
  readonly portSources: { readonly [S in keyof ServicePorts]: string };
}

/** What {@link resolveFirewall} reads. */
export interface ResolveRequest {
  /** The merged `firewall` stack object (untyped: it comes from stack config). */
  readonly settings: unknown;
  /** The node's config.yml values of {@link FIREWALL_WATCH_KEYS}; null while unknown (preview). */
  readonly effective: Readonly<Record<string, ConfigScalar>> | null;
  /** `ngcp-fleet:adminSources`, the cluster-wide admin networks (mixed families). @default [] */
  readonly clusterAdminSources?: readonly string[];
  /** Edition from the stack; otherwise detected from which keys config.yml has. */
  readonly edition?: HandbookEdition;
  /** The deployer's address as the node sees it; enables the lockout check. */
  readonly deployerAddress?: string;
}

/** The result: `resolved` only when there is no failure. */
export interface ResolveResult {
  readonly resolved?: ResolvedFirewall;
  readonly failures: CheckFailure[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

/** Detects the handbook edition of a node's config.yml from the keys it has (seed 001 vs seed 000). */
export function detectEdition(effective: Readonly<Record<string, ConfigScalar>> | null): HandbookEdition {
  if (effective === null) {
    return "current";
  }
  const has = (key: string | null): boolean =>
    key !== null && effective[key] !== null && effective[key] !== undefined;
  if (has(SERVICE_PORT_KEYS.csc.current) || has(SERVICE_PORT_KEYS.admin.current)) {
    return "current";
  }
  return has(SERVICE_PORT_KEYS.csc.older) || has(SERVICE_PORT_KEYS.admin.older) ? "older" : "current";
}

/** A config.yml port: an integer, or a string of digits (a quoted YAML value). */
function configPort(value: ConfigScalar): number | null {
  if (typeof value === "number") {
    return value;
  }
  return typeof value === "string" && /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : null;
}

/** A config.yml switch: `yes`/`no` (quoted or not), true/false. Absent: off. */
function configToggle(value: ConfigScalar): boolean | null {
  if (value === null || value === undefined || value === false || value === "no") {
    return false;
  }
  return value === true || value === "yes" ? true : null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Reads the ports and switches of one node from its config.yml values. */
function fromConfig(
  effective: Readonly<Record<string, ConfigScalar>>,
  edition: HandbookEdition,
  failures: CheckFailure[],
): {
  ports: Partial<Mutable<ServicePorts>>;
  services: Partial<Mutable<ServiceToggles>>;
  sources: Record<string, string>;
} {
  const ports: Partial<Mutable<ServicePorts>> = {};
  const sources: Record<string, string> = {};
  const read = (service: keyof ServicePorts, key: string): number | undefined => {
    const value = effective[key] ?? null;
    if (value === null) {
      return undefined;
    }
    const port = configPort(value);
    if (port === null) {
      failures.push({
        property: `${STACK_KEY}.ports.${service}`,
        reason: `is read from config.yml ${key} on the node, which is not a port: got ${show(value)}; fix config.yml`,
      });
      return undefined;
    }
    return port;
  };
  for (const service of Object.keys(SERVICE_PORT_KEYS) as (keyof ServicePorts)[]) {
    const key = SERVICE_PORT_KEYS[service][edition];
    if (key === null) {
      continue;
    }
    if (service === "rtp") {
      const [minKey, maxKey] = key as readonly [string, string];
      const from = read("rtp", minKey);
      const to = read("rtp", maxKey);
      if (from !== undefined || to !== undefined) {
        ports.rtp = { from: from ?? DEFAULT_SERVICE_PORTS.rtp.from, to: to ?? DEFAULT_SERVICE_PORTS.rtp.to };
        sources.rtp = `config.yml ${minKey}/${maxKey}`;
      }
      continue;
    }
    const port = read(service, key as string);
    if (port !== undefined) {
      (ports as Record<string, number>)[service] = port;
      sources[service] = `config.yml ${key as string}`;
    }
  }
  const services: Partial<Mutable<ServiceToggles>> = {};
  for (const service of ["sipTls", "xcap"] as const) {
    const key = SERVICE_TOGGLE_KEYS[service];
    if (key === null) {
      continue;
    }
    const value = effective[key] ?? null;
    const toggle = configToggle(value);
    if (toggle === null) {
      failures.push({
        property: `${STACK_KEY}.services.${service}`,
        reason: `follows config.yml ${key} on the node, which is neither yes nor no: got ${show(value)}; fix config.yml`,
      });
    } else {
      services[service] = toggle;
    }
  }
  return { ports, services, sources };
}

/** The cluster-wide mixed list, split by family; remembers each entry's index for messages. */
function splitClusterSources(list: readonly string[]): {
  lists: Record<Family, string[]>;
  index: Record<Family, number[]>;
} {
  const lists: Record<Family, string[]> = { ipv4: [], ipv6: [] };
  const index: Record<Family, number[]> = { ipv4: [], ipv6: [] };
  list.forEach((entry, position) => {
    const parsed = parseNetwork(entry);
    // An unreadable entry goes to the list its text looks like; validation then names it.
    const family: Family = parsed.ok ? parsed.network.family : String(entry).includes(":") ? "ipv6" : "ipv4";
    lists[family].push(entry);
    index[family].push(position);
  });
  return { lists, index };
}

function checkSourceObject(property: string, value: unknown, failures: CheckFailure[]): boolean {
  if (value === undefined) {
    return true;
  }
  if (!isPlainObject(value)) {
    failures.push({
      property,
      reason: `must be an object { ipv4: [...], ipv6: [...] } of networks per family, got: ${show(value)}`,
    });
    return false;
  }
  const unknown = Object.keys(value).filter((key) => !FAMILIES.includes(key as Family));
  for (const key of unknown) {
    failures.push({ property: `${property}.${key}`, reason: "is not a family; allowed: ipv4, ipv6" });
  }
  return unknown.length === 0;
}

function checkOptions(settings: Record<string, unknown>, failures: CheckFailure[]): FirewallOptions {
  const seconds = settings.rollbackSeconds ?? DEFAULT_OPTIONS.rollbackSeconds;
  if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 5 || seconds > 3600) {
    failures.push({
      property: `${STACK_KEY}.rollbackSeconds`,
      reason: `must be an integer 5..3600 (seconds before the node restores its previous ruleset), got: ${show(seconds)}`,
    });
  }
  for (const key of ["probe", "persist"] as const) {
    const value = settings[key];
    if (value !== undefined && typeof value !== "boolean") {
      failures.push({
        property: `${STACK_KEY}.${key}`,
        reason: `must be true or false, got: ${show(value)}`,
      });
    }
  }
  return {
    rollbackSeconds: typeof seconds === "number" ? seconds : DEFAULT_OPTIONS.rollbackSeconds,
    probe: typeof settings.probe === "boolean" ? settings.probe : DEFAULT_OPTIONS.probe,
    persist: typeof settings.persist === "boolean" ? settings.persist : DEFAULT_OPTIONS.persist,
  };
}

/**
 * Merges settings, config.yml values and defaults, then validates with `validateFirewall`. Every failure
 * names the key to fix: `firewall.<field>` for stack settings, `adminSources[i]` for the cluster-wide
 * list, and for a port read from config.yml `firewall.ports.<service>` with the config key in the reason.
 */
export function resolveFirewall(request: ResolveRequest): ResolveResult {
  const failures: CheckFailure[] = [];
  const settings = request.settings ?? {};
  if (!isPlainObject(settings)) {
    return {
      failures: [
        {
          property: STACK_KEY,
          reason: `must be an object with any of ${SETTINGS_FIELDS.join(", ")}, got: ${show(settings)}`,
        },
      ],
    };
  }
  for (const key of Object.keys(settings)) {
    if (!SETTINGS_FIELDS.includes(key as keyof FirewallSettings)) {
      failures.push({
        property: `${STACK_KEY}.${key}`,
        reason: `is not a firewall setting; allowed: ${SETTINGS_FIELDS.join(", ")}`,
      });
    }
  }
  const options = checkOptions(settings, failures);

  const services = settings.services ?? {};
  if (!isPlainObject(services)) {
    failures.push({
      property: `${STACK_KEY}.services`,
      reason: `must be an object { xmpp }, got: ${show(services)}`,
    });
  } else {
    for (const key of Object.keys(services)) {
      const toggleKey = SERVICE_TOGGLE_KEYS[key as keyof ServiceToggles];
      if (key !== "xmpp") {
        failures.push({
          property: `${STACK_KEY}.services.${key}`,
          reason:
            toggleKey === undefined
              ? "is not a service switch; allowed: xmpp"
              : `follows config.yml ${toggleKey} on the node (handbook 15.2, table 8); set it there, not here`,
        });
      }
    }
  }
  const ports = settings.ports ?? {};
  if (!isPlainObject(ports)) {
    failures.push({
      property: `${STACK_KEY}.ports`,
      reason: `must be an object with any of ${SETTABLE_PORTS.join(", ")}, got: ${show(ports)}`,
    });
  } else {
    for (const key of Object.keys(ports)) {
      if (!(SETTABLE_PORTS as readonly string[]).includes(key)) {
        const configKey = SERVICE_PORT_KEYS[key as keyof ServicePorts]?.current;
        failures.push({
          property: `${STACK_KEY}.ports.${key}`,
          reason:
            configKey === undefined
              ? `is not a service; settable here: ${SETTABLE_PORTS.join(", ")}`
              : `is read from config.yml ${Array.isArray(configKey) ? configKey.join("/") : String(configKey)} on the node (handbook 15.2); change it there; settable here: ${SETTABLE_PORTS.join(", ")}`,
        });
      }
    }
  }
  const rtpengine = settings.rtpengine ?? {};
  if (!isPlainObject(rtpengine)) {
    failures.push({
      property: `${STACK_KEY}.rtpengine`,
      reason: `must be an object { kind, id, families }, got: ${show(rtpengine)}`,
    });
  }
  checkSourceObject(`${STACK_KEY}.subscriberSources`, settings.subscriberSources, failures);
  checkSourceObject(`${STACK_KEY}.adminSources`, settings.adminSources, failures);
  if (settings.extraRules !== undefined && !Array.isArray(settings.extraRules)) {
    failures.push({
      property: `${STACK_KEY}.extraRules`,
      reason: `must be a list of rules { name, protocol, port?, sources?, action }, got: ${show(settings.extraRules)}`,
    });
  }
  const edition = request.edition ?? detectEdition(request.effective);
  const config =
    request.effective === null
      ? { ports: {}, services: {}, sources: {} as Record<string, string> }
      : fromConfig(request.effective, edition, failures);
  if (failures.length > 0) {
    return { failures };
  }

  const clusterSplit =
    settings.adminSources === undefined ? splitClusterSources(request.clusterAdminSources ?? []) : null;
  const rtp = rtpengine as Partial<RtpengineRule>;
  const inputs = firewallInputsWithDefaults({
    subscriberSources: settings.subscriberSources as FirewallSettings["subscriberSources"],
    adminSources:
      clusterSplit === null
        ? (settings.adminSources as FirewallSettings["adminSources"])
        : clusterSplit.lists,
    restrictSsh: settings.restrictSsh as boolean | undefined,
    services: { ...config.services, xmpp: (services as Record<string, unknown>).xmpp as boolean | undefined },
    ports: { ...config.ports, ...(ports as Partial<ServicePorts>) },
    extraRules: settings.extraRules as readonly ExtraRule[] | undefined,
    policy: settings.policy as Policy | undefined,
    allowPing: settings.allowPing as boolean | undefined,
    // A user chain takes no --id: `{ kind: userChain }` alone means the lab variant.
    rtpengine: rtp.kind === "userChain" && !("id" in rtp) ? { ...rtp, id: null } : rtp,
    allowLockout: settings.allowLockout as boolean | undefined,
    ...(request.deployerAddress === undefined ? {} : { deployerAddress: request.deployerAddress }),
  });
  const portSources = Object.fromEntries(
    (Object.keys(DEFAULT_SERVICE_PORTS) as (keyof ServicePorts)[]).map((service) => [
      service,
      (ports as Record<string, unknown>)[service] !== undefined
        ? `${STACK_KEY}.ports.${service}`
        : (config.sources[service] ?? "default"),
    ]),
  ) as { [S in keyof ServicePorts]: string };

  for (const failure of validateFirewall(inputs)) {
    failures.push(renameFailure(failure, portSources, clusterSplit?.index ?? null));
  }
  if (failures.length > 0) {
    return { failures };
  }
  return { resolved: { inputs, options, edition, portSources }, failures };
}

/** Points a planner-level failure at the key the operator has to change. */
function renameFailure(
  failure: CheckFailure,
  portSources: { readonly [S in keyof ServicePorts]: string },
  clusterIndex: Record<Family, number[]> | null,
): CheckFailure {
  const port = /^ports\.(\w+)/.exec(failure.property);
  if (port !== null) {
    const source = portSources[port[1] as keyof ServicePorts];
    return {
      property: `${STACK_KEY}.${failure.property}`,
      reason: source?.startsWith("config.yml")
        ? `${failure.reason} (the port is read from ${source} on the node: change it there)`
        : failure.reason,
    };
  }
  const admin = /^adminSources\.(ipv4|ipv6)\[(\d+)\](.*)$/.exec(failure.property);
  if (admin !== null && clusterIndex !== null) {
    const position = clusterIndex[admin[1] as Family][Number(admin[2])];
    return {
      property: `adminSources[${position}]${admin[3]}`,
      reason: `${failure.reason} (ngcp-fleet:adminSources, used because firewall.adminSources is not set)`,
    };
  }
  if (failure.property === "deployerAddress") {
    return failure;
  }
  return { property: `${STACK_KEY}.${failure.property}`, reason: failure.reason };
}
