/**
 * From the stack key `firewall` (cluster-wide, with per-node overrides) and the node's applied config.yml
 * values (NgcpConfig's `effective`) to the complete {@link FirewallInputs} the planner takes. Pure: the
 * provider passes in what it read; nothing here talks to a node.
 *
 * Why the ports are not settings: handbook 15.2 names, for every service of tables 8 and 9, the config.yml
 * key that sets its port. The node's config is the truth, so a port changed in config.yml moves its rule in
 * the same `up`. Only what the handbook gives no key for (SSH, the XMPP ports) can be set here.
 */
import { firewallKeyHint, firewallSchema, type FirewallSpecSettings } from "../../spec/features/firewall";
import { describeZodIssue } from "../../spec/resolve";
import {
  DEFAULT_SERVICE_PORTS,
  SERVICE_PORT_KEYS,
  SERVICE_TOGGLE_KEYS,
  firewallInputsWithDefaults,
  type FirewallInputs,
  type HandbookEdition,
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
 * The `firewall` stack-config object (`ngcp-fleet:firewall`, per node `nodes[].firewall`), typed by its one
 * schema (spec/features/firewall.ts, which documents every key with its default). Every field is optional.
 */
export type FirewallSettings = FirewallSpecSettings;

/** What the apply protocol needs beyond the ruleset. */
export interface FirewallOptions {
  readonly rollbackSeconds: number;
  readonly probe: boolean;
  readonly persist: boolean;
}

/** Defaults of {@link FirewallOptions}. */
export const DEFAULT_OPTIONS: FirewallOptions = { rollbackSeconds: 30, probe: true, persist: true };

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
  /**
   * The node's merged `firewall` settings, with `adminSources` as the node resolved them (spec/resolve.ts:
   * its own, else the cluster's list split by family). @default none: SSH closed unless restrictSsh is false
   */
  readonly settings: FirewallSettings;
  /** The node's config.yml values of {@link FIREWALL_WATCH_KEYS}; null while unknown (preview). */
  readonly effective: Readonly<Record<string, ConfigScalar>> | null;
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

/**
 * The provider's boundary: its inputs come back from the engine untyped, so the spec's schema decodes them
 * (the stack's own pass has run the same schema; this only guards the provider against a hand-made input).
 */
export function decodeFirewallSettings(value: unknown): {
  settings?: FirewallSettings;
  failures: CheckFailure[];
  /** Where each failure is in `value` (an unknown key's path ends with the key). */
  paths?: readonly (readonly PropertyKey[])[];
} {
  const parsed = firewallSchema.safeParse(value ?? {}, { reportInput: true });
  if (parsed.success) {
    return { settings: parsed.data, failures: [] };
  }
  const paths = parsed.error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key]) : [issue.path],
  );
  const failures = parsed.error.issues.flatMap((issue): CheckFailure[] => {
    const at = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        property: [STACK_KEY, ...at, key].join("."),
        reason:
          firewallKeyHint([...at, key].join(".")) ??
          "is not a firewall setting (a typo?); see spec/features/firewall.ts",
      }));
    }
    const property = issue.path.reduce<string>(
      (key, part) => (typeof part === "number" ? `${key}[${part}]` : `${key}.${String(part)}`),
      STACK_KEY,
    );
    return [{ property, reason: describeZodIssue(issue) }];
  });
  return { failures, paths };
}

/**
 * Merges the typed settings, config.yml values and defaults, then checks the whole with `validateFirewall`.
 * Every failure names the key to fix: `firewall.<field>` for stack settings, and for a port read from
 * config.yml `firewall.ports.<service>` with the config key in the reason.
 */
export function resolveFirewall(request: ResolveRequest): ResolveResult {
  const failures: CheckFailure[] = [];
  const settings = request.settings;
  const options: FirewallOptions = {
    rollbackSeconds: settings.rollbackSeconds ?? DEFAULT_OPTIONS.rollbackSeconds,
    probe: settings.probe ?? DEFAULT_OPTIONS.probe,
    persist: settings.persist ?? DEFAULT_OPTIONS.persist,
  };
  const edition = request.edition ?? detectEdition(request.effective);
  const config =
    request.effective === null
      ? { ports: {}, services: {}, sources: {} as Record<string, string> }
      : fromConfig(request.effective, edition, failures);
  if (failures.length > 0) {
    return { failures };
  }
  const rtp: Partial<RtpengineRule> = settings.rtpengine ?? {};
  const inputs = firewallInputsWithDefaults({
    ...(settings.subscriberSources === undefined ? {} : { subscriberSources: settings.subscriberSources }),
    ...(settings.adminSources === undefined ? {} : { adminSources: settings.adminSources }),
    ...(settings.restrictSsh === undefined ? {} : { restrictSsh: settings.restrictSsh }),
    services: {
      ...config.services,
      ...(settings.services?.xmpp === undefined ? {} : { xmpp: settings.services.xmpp }),
    },
    ports: { ...config.ports, ...settings.ports },
    ...(settings.extraRules === undefined ? {} : { extraRules: settings.extraRules }),
    ...(settings.policy === undefined ? {} : { policy: settings.policy }),
    ...(settings.allowPing === undefined ? {} : { allowPing: settings.allowPing }),
    // A user chain takes no --id: `{ kind: userChain }` alone means the lab variant.
    rtpengine: rtp.kind === "userChain" && !("id" in rtp) ? { ...rtp, id: null } : rtp,
    ...(settings.allowLockout === undefined ? {} : { allowLockout: settings.allowLockout }),
    ...(request.deployerAddress === undefined ? {} : { deployerAddress: request.deployerAddress }),
  });
  const portSources = Object.fromEntries(
    (Object.keys(DEFAULT_SERVICE_PORTS) as (keyof ServicePorts)[]).map((service) => [
      service,
      settings.ports?.[service as "ssh"] !== undefined
        ? `${STACK_KEY}.ports.${service}`
        : (config.sources[service] ?? "default"),
    ]),
  ) as { [S in keyof ServicePorts]: string };

  for (const failure of validateFirewall(inputs)) {
    failures.push(renameFailure(failure, portSources));
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
  if (failure.property === "deployerAddress") {
    return failure;
  }
  return { property: `${STACK_KEY}.${failure.property}`, reason: failure.reason };
}
