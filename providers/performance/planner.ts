/**
 * The performance profile of a node (handbook 15.7, table 10) as a pure planner: inputs and node facts
 * in, config.yml values out, with the formulas that produced them and every warning.
 *
 * Three ways to set values, applied in this order, each overriding the one before:
 * 1. a named profile, `low` or `high`, with the meaning of `ngcp-toggle-performance-config
 *    --low-performance / --high-performance` (see {@link PROFILE_SETTINGS});
 * 2. sizing from subscribers, NATed subscribers and RAM: `shm_mem` = RAM/16 and
 *    `natping_processes` = ceil(NATed / natping_interval / 250);
 * 3. explicit values, one input per table-10 option.
 * Only keys that one of the three sets are written: the resource owns exactly those keys and leaves the
 * node's other values alone.
 *
 * Validation happens in `check` through {@link validatePerformance}, which returns Pulumi
 * `CheckFailure`s naming the input, the config key, the value and the limit. Every object here is plain
 * data and the zod schema is built inside a function: dynamic providers serialize local modules by
 * value, and class instances at module level do not survive that.
 */
import { FleetError } from "../common/fleetError";
import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import { z } from "zod";
import type { ScalarValue } from "../ngcpConfig/document";
import { noatimeWarning } from "./noatime";

export const PERFORMANCE_PROFILES = ["high", "low"] as const;
export type PerformanceProfileName = (typeof PERFORMANCE_PROFILES)[number];

/** Level names rsyslog accepts for a severity filter. */
export const SYSLOG_LEVELS = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const;
export type SyslogLevel = (typeof SYSLOG_LEVELS)[number];

/**
 * The tunables of handbook table 10, one input each. Memory sizes are in MB, as config.yml holds them.
 * Unset inputs are not written (unless a profile or sizing sets them).
 */
export interface PerformanceSettings {
  /**
   * Days of MySQL binary logs kept: `cleanuptools.binlog_days`. Heavy impact on disk; binlogs help to
   * restore from backups or repair replication. Must be at least 1. (handbook 15.7, table 10)
   * @default 15
   */
  readonly binlogDays?: number;
  /**
   * InnoDB buffer pool: `database.bufferpoolsize`, a size string such as `"64MB"` (K, M or G, optional B).
   * Lowering it is one of the most effective ways to release RAM; production wants a hit rate over 99%.
   * Must fit the node's RAM. (handbook 15.7, table 10)
   * @default "64MB"
   */
  readonly bufferPoolSize?: string;
  /**
   * Private memory per kamailio-lb worker in MB: `kamailio.lb.pkg_mem`. Can be lowered to 8 to release
   * RAM, at the risk of workers running out of memory. Error below 8, warning below 16. (handbook 15.7,
   * table 10)
   * @default 16
   */
  readonly lbPkgMem?: number;
  /**
   * Shared memory of kamailio-lb in MB: `kamailio.lb.shm_mem`. The installer sets 1/16 of the RAM and
   * never updates it; 1024 suits 50,000 subscribers, 64 a test system. Must fit the node's RAM.
   * (handbook 15.7, table 10)
   * @default RAM/16 (set by the installer)
   */
  readonly lbShmMem?: number;
  /**
   * TCP workers per listening socket of kamailio-lb: `kamailio.lb.tcp_children`. 2 suits a test or
   * pure-UDP system; 1 or 2 are always needed. Error below 1, warning below 2. (handbook 15.7, table 10)
   * @default 8
   */
  readonly lbTcpChildren?: number;
  /**
   * UDP workers per listening socket of kamailio-lb: `kamailio.lb.udp_children`. Same limits as
   * `lbTcpChildren`. (handbook 15.7, table 10)
   * @default 8
   */
  readonly lbUdpChildren?: number;
  /**
   * SIP over TLS: `kamailio.lb.tls.enable`, written `yes` / `no`. Off frees the RAM of the TLS workers.
   * (handbook 15.7 table 10 says `yes`; 15.4 says "disabled by default")
   * @default true (table 10)
   */
  readonly lbTlsEnable?: boolean;
  /**
   * UDP workers of kamailio-proxy: `kamailio.proxy.children`. 2 suits a test system. Error below 1,
   * warning below 2. (handbook 15.7, table 10)
   * @default 8
   */
  readonly proxyChildren?: number;
  /**
   * Registration interval in seconds granted when a client asks for none: `kamailio.proxy.default_expires`.
   * Must lie between `proxyMinExpires` and `proxyMaxExpires`. Lower means more REGISTER traffic.
   * (handbook 15.7, table 10)
   * @default none printed by the handbook: the node's value is kept
   */
  readonly proxyDefaultExpires?: number;
  /**
   * Shortest registration interval in seconds: `kamailio.proxy.min_expires`. (handbook 15.7, table 10)
   * @default none printed by the handbook: the node's value is kept
   */
  readonly proxyMinExpires?: number;
  /**
   * Longest registration interval in seconds: `kamailio.proxy.max_expires`. (handbook 15.7, table 10)
   * @default none printed by the handbook: the node's value is kept
   */
  readonly proxyMaxExpires?: number;
  /**
   * Seconds between NAT keepalive OPTIONS to a NATed subscriber: `kamailio.proxy.natping_interval`.
   * Lower means more pings and more natping processes. At least 1. (handbook 15.7, table 10)
   * @default 30
   */
  readonly natpingInterval?: number;
  /**
   * Processes sending NAT keepalives: `kamailio.proxy.natping_processes`, about 250 pings/s each. Must be
   * 1..7: kamailio does not start above 7. Sizing computes it from the NATed subscribers. (handbook 15.7,
   * table 10)
   * @default 7
   */
  readonly natpingProcesses?: number;
  /**
   * Shared memory of kamailio-proxy in MB: `kamailio.proxy.shm_mem`. As `lbShmMem`. (handbook 15.7,
   * table 10)
   * @default RAM/16 (set by the installer)
   */
  readonly proxyShmMem?: number;
  /**
   * Rating of CDRs: `rateomat.enable`, written `yes` / `no`. Off saves CPU. (handbook 15.7, table 10)
   * @default true
   */
  readonly rateomatEnable?: boolean;
  /**
   * Send log messages to an external server: `rsyslog.external_log`, written `1` / `0`. Can raise network
   * traffic a lot, depending on the level. (handbook 15.7, table 10)
   * @default false (0)
   */
  readonly externalLog?: boolean;
  /**
   * Lowest severity sent to the external server: `rsyslog.external_loglevel`, one of
   * {@link SYSLOG_LEVELS}. (handbook 15.7, table 10 names the key, not its values)
   * @default none: the node's value is kept
   */
  readonly externalLogLevel?: SyslogLevel;
  /**
   * Host name or address of the external log server: `rsyslog.external_address`. (not in the handbook;
   * the key NGCP's rsyslog template reads)
   * @default none: the node's value is kept
   */
  readonly externalAddress?: string;
  /**
   * Days the logs under /var/log/ngcp are kept: `rsyslog.ngcp_logs_preserve_days`. Lowering it frees a lot
   * of disk. At least 1. (handbook 15.7, table 10)
   * @default 93
   */
  readonly logsPreserveDays?: number;
}

/** Sizing from the load the node carries (handbook 15.7). */
export interface SizingInputs {
  /**
   * Subscribers the node serves. Checks `shm_mem` against the handbook's guide of 1024 MB per 50,000
   * subscribers and warns above the 50,000 the default configuration is built for.
   * @default none: no subscriber checks
   */
  readonly subscribers?: number;
  /**
   * Subscribers behind NAT. Sets `natping_processes` = ceil(natedSubscribers / natping_interval /
   * pingsPerSecondPerProcess), at least 1. At most `subscribers` when both are given.
   * @default none: natping_processes is not computed
   */
  readonly natedSubscribers?: number;
  /**
   * RAM in MB to size `shm_mem` (RAM/16) for, instead of the RAM read from the node.
   * @default the node's MemTotal
   */
  readonly ramMb?: number;
  /**
   * Keepalives one natping process sends per second: "about 250 messages/second (depends on the
   * hardware)" (handbook 15.7).
   * @default 250
   */
  readonly pingsPerSecondPerProcess?: number;
}

/** What the PerformanceProfile provider receives and stores (plain values; `PerformanceArgs` wraps them). */
export interface PerformanceInputs extends PerformanceSettings {
  /**
   * Named profile, as `ngcp-toggle-performance-config`: `low` for test systems and small VMs, `high` for
   * normal/high performance. See {@link PROFILE_SETTINGS}. Explicit inputs override it.
   * @default none: no profile values
   */
  readonly profile?: PerformanceProfileName;
  /** Size `shm_mem` and `natping_processes` from the node's load and RAM (handbook 15.7). @default none */
  readonly sizing?: SizingInputs;
  /**
   * Table-10 keys this resource must not write even though the profile sets them, so that another
   * resource can own them (e.g. `kamailio.lb.tls.enable` when the TLS resource turns on SIP over TLS).
   * @default none
   */
  readonly excludeKeys?: readonly string[];
  /**
   * Add `noatime` to the root entry of /etc/fstab and remount / with it (handbook 15.7 note). Without it,
   * a missing `noatime` is only a preview warning.
   * @default false
   */
  readonly enforceNoatime?: boolean;
}

/** What the planner needs to know about the node (see NodeFacts). */
export interface NodeFacts {
  /** MemTotal in MB; 0 or absent when unknown. */
  readonly ramMb?: number;
  /** Mount options of the root filesystem, for the noatime warning. */
  readonly rootMountOptions?: readonly string[];
}

export interface PerformancePlan {
  /** config.yml values by dotted key, in table-10 order: exactly the keys the resource owns. */
  readonly values: Readonly<Record<string, string | number>>;
  /** Where each value comes from: `profile low`, `sizing` or `input <name>`. */
  readonly sources: Readonly<Record<string, string>>;
  /** The formulas behind computed values, with their numbers. */
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
}

/** How a table-10 value is written in config.yml. */
type Encoding = "integer" | "yesNo" | "zeroOne" | "size" | "string";

export interface PerformanceOption {
  readonly input: keyof PerformanceSettings;
  /** Dotted config.yml key. */
  readonly key: string;
  readonly encoding: Encoding;
  /** Table 10's default as config.yml spells it, where the table prints a fixed one. */
  readonly handbookDefault?: string | number;
}

/** Table 10, in the handbook's order: input name, config key, encoding, default. */
export const PERFORMANCE_OPTIONS: readonly PerformanceOption[] = [
  { input: "binlogDays", key: "cleanuptools.binlog_days", encoding: "integer", handbookDefault: 15 },
  { input: "bufferPoolSize", key: "database.bufferpoolsize", encoding: "size", handbookDefault: "64MB" },
  { input: "lbPkgMem", key: "kamailio.lb.pkg_mem", encoding: "integer", handbookDefault: 16 },
  { input: "lbShmMem", key: "kamailio.lb.shm_mem", encoding: "integer" },
  { input: "lbTcpChildren", key: "kamailio.lb.tcp_children", encoding: "integer", handbookDefault: 8 },
  { input: "lbTlsEnable", key: "kamailio.lb.tls.enable", encoding: "yesNo", handbookDefault: "yes" },
  { input: "lbUdpChildren", key: "kamailio.lb.udp_children", encoding: "integer", handbookDefault: 8 },
  { input: "proxyChildren", key: "kamailio.proxy.children", encoding: "integer", handbookDefault: 8 },
  { input: "proxyDefaultExpires", key: "kamailio.proxy.default_expires", encoding: "integer" },
  { input: "proxyMinExpires", key: "kamailio.proxy.min_expires", encoding: "integer" },
  { input: "proxyMaxExpires", key: "kamailio.proxy.max_expires", encoding: "integer" },
  {
    input: "natpingInterval",
    key: "kamailio.proxy.natping_interval",
    encoding: "integer",
    handbookDefault: 30,
  },
  {
    input: "natpingProcesses",
    key: "kamailio.proxy.natping_processes",
    encoding: "integer",
    handbookDefault: 7,
  },
  { input: "proxyShmMem", key: "kamailio.proxy.shm_mem", encoding: "integer" },
  { input: "rateomatEnable", key: "rateomat.enable", encoding: "yesNo", handbookDefault: "yes" },
  { input: "externalLog", key: "rsyslog.external_log", encoding: "zeroOne", handbookDefault: 0 },
  { input: "externalLogLevel", key: "rsyslog.external_loglevel", encoding: "string" },
  { input: "externalAddress", key: "rsyslog.external_address", encoding: "string" },
  {
    input: "logsPreserveDays",
    key: "rsyslog.ngcp_logs_preserve_days",
    encoding: "integer",
    handbookDefault: 93,
  },
];

/**
 * The named profiles. Both set the same keys, so switching between them changes values, not ownership.
 *
 * `low` takes the handbook's test-system values: shm_mem 64 for lb and proxy ("for a test environment,
 * setting the value to 64 should be enough"), 2 TCP/UDP/proxy children ("for a test system ... 2 is a good
 * value"), TLS off ("free some RAM"), and a buffer pool of 24MB. The handbook only says "lowering this
 * setting"; 24MB is our choice: the same order of saving as the other test values (it frees 40MB, close
 * to the shm saved on a 1-2 GB VM), far above InnoDB's 5MB floor, and a test node's databases fit it.
 *
 * `high` restores table 10's defaults: shm_mem = RAM/16 for lb and proxy (what the installer sets), 8
 * children each, TLS on, 64MB buffer pool. pkg_mem, natping and retention keys are not part of either
 * profile: they depend on the load and the operator's policy, not on the machine's size.
 */
export const PROFILE_SETTINGS: Readonly<Record<PerformanceProfileName, PerformanceSettings>> = {
  low: {
    bufferPoolSize: "24MB",
    lbShmMem: 64,
    lbTcpChildren: 2,
    lbTlsEnable: false,
    lbUdpChildren: 2,
    proxyChildren: 2,
    proxyShmMem: 64,
  },
  high: {
    bufferPoolSize: "64MB",
    lbTcpChildren: 8,
    lbTlsEnable: true,
    lbUdpChildren: 8,
    proxyChildren: 8,
    // lbShmMem and proxyShmMem: RAM/16, computed from the node's RAM.
  },
};

/** Keepalives per second one natping process sends (handbook 15.7: "about 250"). */
export const PINGS_PER_SECOND_PER_PROCESS = 250;
/** kamailio does not start with more natping processes (handbook 15.7). */
export const MAX_NATPING_PROCESSES = 7;
/** natping_interval when the inputs give none: table 10's default. */
const PERFORMANCE_DEFAULT_NATPING_INTERVAL = 30;
/** The handbook's guide for shm_mem: 1024 MB for 50,000 subscribers (15.7). */
const SHM_MB_PER_50K_SUBSCRIBERS = 1024;
const DEFAULT_CONFIG_SUBSCRIBERS = 50000;

/**
 * natping processes needed for a NATed population: ceil(nated / interval / pings per process), at least
 * 1. Computed as one division, nated / (interval × pings), so exact quotients are not pushed over an
 * integer by rounding. Handbook example: 50,000 / 30 / 250 = 6.67 → 7.
 */
export function natpingProcessesFor(
  natedSubscribers: number,
  natpingIntervalSeconds: number,
  pingsPerSecondPerProcess: number = PINGS_PER_SECOND_PER_PROCESS,
): number {
  return Math.max(1, Math.ceil(natedSubscribers / (natpingIntervalSeconds * pingsPerSecondPerProcess)));
}

/** The installer's shm_mem for a RAM size: 1/16 of it, in whole MB. */
export function shmMemForRam(ramMb: number): number {
  return Math.floor(ramMb / 16);
}

/** MB in a size string such as `64MB`, `1G`, `512K`; `undefined` when it is not one. */
export function parseSizeMb(size: string): number | undefined {
  const match = /^([1-9][0-9]*)\s*([KMG])B?$/i.exec(size.trim());
  if (match === null) {
    return undefined;
  }
  const amount = Number(match[1]);
  const unit = match[2].toUpperCase();
  return unit === "K" ? amount / 1024 : unit === "G" ? amount * 1024 : amount;
}

/** Thrown by {@link planPerformance} for inputs that fail validation; carries the failures. */
export class PerformanceValidationError extends FleetError {
  constructor(readonly failures: readonly CheckFailure[]) {
    super(
      `invalid performance profile: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
      "PerformanceValidationError",
    );
  }
}

/**
 * Checks raw provider inputs (as `check` receives them) against the node, returning one failure per
 * problem: wrong types, unknown inputs or profile names, and every limit of table 10. Without node facts
 * (RAM unknown yet) the RAM checks and the RAM-based values are left to {@link planPerformance}.
 */
export function validatePerformance(inputs: unknown, nodeFacts?: NodeFacts): CheckFailure[] {
  return evaluate(inputs, nodeFacts).failures;
}

/**
 * The values to write, where they come from, the formulas and the warnings. Throws a
 * PerformanceValidationError when {@link validatePerformance} would fail for these inputs and facts.
 */
export function planPerformance(inputs: PerformanceInputs, nodeFacts: NodeFacts): PerformancePlan {
  const result = evaluate(inputs, nodeFacts);
  if (result.failures.length > 0 || result.plan === undefined) {
    throw new PerformanceValidationError(result.failures);
  }
  return result.plan;
}

/**
 * Table-10 values as they are in a node's config.yml (dotted key → value) back as inputs: what the node
 * runs with, for `read` and drift. Values that do not fit their key (`enable: maybe`) are failures naming
 * the key.
 */
export function settingsFromConfigValues(values: Readonly<Record<string, ScalarValue | undefined>>): {
  readonly settings: PerformanceSettings;
  readonly failures: CheckFailure[];
} {
  const settings: Record<string, SettingValue> = {};
  const failures: CheckFailure[] = [];
  for (const option of PERFORMANCE_OPTIONS) {
    const raw = values[option.key];
    if (raw === undefined) {
      continue;
    }
    const decoded = decode(option, raw);
    if (decoded === undefined) {
      failures.push({
        property: option.key,
        reason: `${option.key} ${encodingRule(option.encoding)}, got: ${JSON.stringify(raw)}`,
      });
    } else {
      settings[option.input] = decoded;
    }
  }
  return { settings: settings as PerformanceSettings, failures };
}

/**
 * Checks table-10 values as they are in a node's config.yml against the same limits as the inputs, e.g.
 * for the posture audit. Failures name the config key as their property.
 */
export function validateConfigValues(
  values: Readonly<Record<string, ScalarValue | undefined>>,
  nodeFacts?: NodeFacts,
): CheckFailure[] {
  const { settings, failures } = settingsFromConfigValues(values);
  const keyOf = Object.fromEntries(PERFORMANCE_OPTIONS.map((o) => [o.input, o.key]));
  return [
    ...failures,
    ...evaluate(settings, nodeFacts).failures.map((f) => ({
      property: keyOf[f.property] ?? f.property,
      reason: f.reason,
    })),
  ];
}

// ---------------------------------------------------------------------------------------------------

type SettingValue = number | string | boolean;

/** A value the plan will write, with who set it (for failures) and why (for the preview). */
interface Planned {
  readonly value: SettingValue;
  /** The input a failure should name: a setting, `profile`, or `sizing.<field>`. */
  readonly property: string;
  readonly source: string;
  /** The formula with its numbers, when computed. */
  readonly formula?: string;
}

type Plan = Partial<Record<keyof PerformanceSettings, Planned>>;

function inputsSchema() {
  const int = () => z.number().int().optional();
  return z.strictObject({
    profile: z.enum(PERFORMANCE_PROFILES).optional(),
    sizing: z
      .strictObject({
        subscribers: int(),
        natedSubscribers: int(),
        ramMb: int(),
        pingsPerSecondPerProcess: z.number().optional(),
      })
      .optional(),
    excludeKeys: z.array(z.enum(PERFORMANCE_OPTIONS.map((o) => o.key) as [string, ...string[]])).optional(),
    enforceNoatime: z.boolean().optional(),
    binlogDays: int(),
    bufferPoolSize: z.string().optional(),
    lbPkgMem: int(),
    lbShmMem: int(),
    lbTcpChildren: int(),
    lbTlsEnable: z.boolean().optional(),
    lbUdpChildren: int(),
    proxyChildren: int(),
    proxyDefaultExpires: int(),
    proxyMinExpires: int(),
    proxyMaxExpires: int(),
    natpingInterval: int(),
    natpingProcesses: int(),
    proxyShmMem: int(),
    rateomatEnable: z.boolean().optional(),
    externalLog: z.boolean().optional(),
    externalLogLevel: z.enum(SYSLOG_LEVELS).optional(),
    externalAddress: z.string().optional(),
    logsPreserveDays: int(),
  });
}

/** Names an input for a failure: its config key too, when it has one. */
function label(property: string): string {
  const option = PERFORMANCE_OPTIONS.find((o) => o.input === property);
  return option === undefined ? property : `${option.key} (${property})`;
}

function shapeFailures(inputs: unknown): { failures: CheckFailure[]; data?: PerformanceInputs } {
  const parsed = inputsSchema().safeParse(inputs, { reportInput: true });
  if (parsed.success) {
    return { failures: [], data: parsed.data };
  }
  const allowedInputs = Object.keys(inputsSchema().shape).join(", ");
  const failures = parsed.error.issues.flatMap((issue): CheckFailure[] => {
    const property = issue.path.map(String).join(".");
    const got = `got: ${JSON.stringify(issue.input)}`;
    switch (issue.code) {
      case "unrecognized_keys":
        return issue.keys.map((key) => ({
          property: property === "" ? key : `${property}.${key}`,
          reason: `is not an input of the performance profile; allowed: ${property === "" ? allowedInputs : "subscribers, natedSubscribers, ramMb, pingsPerSecondPerProcess"}`,
        }));
      case "invalid_value":
        return [
          {
            property,
            reason: `${label(property)} must be one of: ${issue.values.map(String).join(", ")}, ${got}`,
          },
        ];
      case "invalid_type": {
        const expected = issue.expected === "int" ? "integer" : issue.expected;
        const article = /^[aeiou]/.test(expected) ? "an" : "a";
        return [
          {
            property: property || "inputs",
            reason: `${label(property) || "inputs"} must be ${article} ${expected}, ${got}`,
          },
        ];
      }
      default:
        return [{ property: property || "inputs", reason: `${label(property)}: ${issue.message}` }];
    }
  });
  return { failures };
}

function evaluate(
  raw: unknown,
  facts: NodeFacts | undefined,
): { failures: CheckFailure[]; plan?: PerformancePlan } {
  const shape = shapeFailures(raw);
  if (shape.data === undefined) {
    return { failures: shape.failures };
  }
  const inputs = shape.data;
  const failures: CheckFailure[] = [];
  const warnings: string[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });

  const nodeRam = facts?.ramMb !== undefined && facts.ramMb > 0 ? facts.ramMb : undefined;
  const sizing = inputs.sizing;
  checkSizing(sizing, fail);
  const sizingRam = sizing?.ramMb !== undefined && sizing.ramMb > 0 ? sizing.ramMb : nodeRam;
  // Without facts (check before the node was read) RAM-based values wait for the plan.
  const ramDeferred = facts === undefined && sizingRam === undefined;

  const plan: Plan = {};
  const set = (field: keyof PerformanceSettings, planned: Planned) => {
    plan[field] = planned;
  };

  // 1. profile
  if (inputs.profile !== undefined) {
    const name = inputs.profile;
    for (const [field, value] of Object.entries(PROFILE_SETTINGS[name]) as [
      keyof PerformanceSettings,
      SettingValue,
    ][]) {
      set(field, { value, property: "profile", source: `profile ${name}` });
    }
    if (name === "high") {
      if (sizingRam !== undefined) {
        const shm = shmMemForRam(sizingRam);
        const formula = `floor(${sizingRam} MB RAM / 16) = ${shm}`;
        set("lbShmMem", { value: shm, property: "profile", source: "profile high", formula });
        set("proxyShmMem", { value: shm, property: "profile", source: "profile high", formula });
      } else if (!ramDeferred) {
        fail(
          "profile",
          "profile high sets kamailio.lb.shm_mem and kamailio.proxy.shm_mem to RAM/16 and needs the node's RAM: none was read from the node; give sizing.ramMb",
        );
      }
    }
  }

  // 2. sizing
  if (sizing !== undefined) {
    if (sizingRam !== undefined) {
      const shm = shmMemForRam(sizingRam);
      const formula = `floor(${sizingRam} MB RAM / 16) = ${shm}`;
      const property = sizing.ramMb !== undefined ? "sizing.ramMb" : "sizing";
      set("lbShmMem", { value: shm, property, source: "sizing", formula });
      set("proxyShmMem", { value: shm, property, source: "sizing", formula });
    } else if (!ramDeferred) {
      fail(
        "sizing",
        "sizing sets kamailio.lb.shm_mem and kamailio.proxy.shm_mem to RAM/16 and needs the node's RAM: none was read from the node; give sizing.ramMb",
      );
    }
    const nated = sizing.natedSubscribers;
    const interval = inputs.natpingInterval ?? PERFORMANCE_DEFAULT_NATPING_INTERVAL;
    const pps = sizing.pingsPerSecondPerProcess ?? PINGS_PER_SECOND_PER_PROCESS;
    if (nated !== undefined && nated >= 0 && interval >= 1 && pps > 0) {
      const processes = natpingProcessesFor(nated, interval, pps);
      const quotient = nated / (interval * pps);
      const formula =
        `ceil(${nated} NATed / ${interval} s interval / ${pps} pings/s per process) = ceil(${quotient.toFixed(2)}) = ` +
        `${Math.ceil(quotient)}${processes !== Math.ceil(quotient) ? `, at least 1 = ${processes}` : ""}`;
      set("natpingProcesses", {
        value: processes,
        property: "sizing.natedSubscribers",
        source: "sizing",
        formula,
      });
    }
  }

  // 3. explicit inputs
  for (const option of PERFORMANCE_OPTIONS) {
    const value = inputs[option.input];
    if (value !== undefined) {
      const computed = plan[option.input];
      if (
        option.input === "natpingProcesses" &&
        computed?.formula !== undefined &&
        typeof value === "number" &&
        value < Number(computed.value)
      ) {
        warnings.push(
          `kamailio.proxy.natping_processes is set to ${value}, below the ${computed.value} the sizing needs: ${computed.formula}`,
        );
      }
      set(option.input, { value, property: option.input, source: `input ${option.input}` });
    }
  }

  for (const key of inputs.excludeKeys ?? []) {
    const option = PERFORMANCE_OPTIONS.find((o) => o.key === key);
    if (option !== undefined) {
      delete plan[option.input];
    }
  }

  checkLimits(plan, nodeRam ?? sizingRam, sizing, fail, warnings);
  if (inputs.externalLog === true && inputs.externalAddress === undefined) {
    warnings.push(
      "rsyslog.external_log is turned on without externalAddress: logs go to the address already in config.yml",
    );
  }
  if (sizing?.ramMb !== undefined && nodeRam !== undefined && sizing.ramMb > nodeRam) {
    warnings.push(
      `sizing.ramMb is ${sizing.ramMb} MB but the node has ${nodeRam} MB: values are sized for RAM it does not have`,
    );
  }
  if (facts?.rootMountOptions !== undefined && inputs.enforceNoatime !== true) {
    const warning = noatimeWarning(facts.rootMountOptions);
    if (warning !== undefined) {
      warnings.push(warning);
    }
  }

  if (failures.length > 0) {
    return { failures };
  }
  const values: Record<string, string | number> = {};
  const sources: Record<string, string> = {};
  const notes: string[] = [];
  for (const option of PERFORMANCE_OPTIONS) {
    const planned = plan[option.input];
    if (planned !== undefined) {
      values[option.key] = encode(option.encoding, planned.value);
      sources[option.key] = planned.source;
      if (planned.formula !== undefined) {
        notes.push(`${option.key} = ${planned.formula} (${planned.source})`);
      }
    }
  }
  return { failures, plan: { values, sources, notes, warnings } };
}

function checkSizing(
  sizing: SizingInputs | undefined,
  fail: (property: string, reason: string) => void,
): void {
  if (sizing === undefined) {
    return;
  }
  const { subscribers, natedSubscribers, ramMb, pingsPerSecondPerProcess } = sizing;
  if (subscribers !== undefined && subscribers < 0) {
    fail("sizing.subscribers", `sizing.subscribers must be 0 or more, got: ${subscribers}`);
  }
  if (natedSubscribers !== undefined && natedSubscribers < 0) {
    fail("sizing.natedSubscribers", `sizing.natedSubscribers must be 0 or more, got: ${natedSubscribers}`);
  }
  if (natedSubscribers !== undefined && subscribers !== undefined && natedSubscribers > subscribers) {
    fail(
      "sizing.natedSubscribers",
      `sizing.natedSubscribers must not exceed sizing.subscribers (${subscribers}): NATed subscribers are a part of all subscribers, got: ${natedSubscribers}`,
    );
  }
  if (ramMb !== undefined && ramMb < 1) {
    fail("sizing.ramMb", `sizing.ramMb must be at least 1 MB, got: ${ramMb}`);
  }
  if (
    pingsPerSecondPerProcess !== undefined &&
    !(pingsPerSecondPerProcess > 0 && Number.isFinite(pingsPerSecondPerProcess))
  ) {
    fail(
      "sizing.pingsPerSecondPerProcess",
      `sizing.pingsPerSecondPerProcess must be above 0 (handbook: about 250), got: ${pingsPerSecondPerProcess}`,
    );
  }
}

function checkLimits(
  plan: Plan,
  ramMb: number | undefined,
  sizing: SizingInputs | undefined,
  fail: (property: string, reason: string) => void,
  warnings: string[],
): void {
  const num = (field: keyof PerformanceSettings) => {
    const value = plan[field]?.value;
    return typeof value === "number" ? value : undefined;
  };
  const keyOf = (field: keyof PerformanceSettings) =>
    PERFORMANCE_OPTIONS.find((o) => o.input === field)?.key ?? field;
  const property = (field: keyof PerformanceSettings) => plan[field]?.property ?? field;
  const formulaOf = (field: keyof PerformanceSettings) => {
    const formula = plan[field]?.formula;
    return formula === undefined ? "" : ` (computed: ${formula})`;
  };

  const natping = num("natpingProcesses");
  if (natping !== undefined && (natping < 1 || natping > MAX_NATPING_PROCESSES)) {
    const computed = plan.natpingProcesses?.formula !== undefined;
    const interval = num("natpingInterval") ?? PERFORMANCE_DEFAULT_NATPING_INTERVAL;
    const pps = sizing?.pingsPerSecondPerProcess ?? PINGS_PER_SECOND_PER_PROCESS;
    const fix =
      computed && sizing?.natedSubscribers !== undefined
        ? `; raise natpingInterval to at least ${Math.ceil(sizing.natedSubscribers / (MAX_NATPING_PROCESSES * pps))} s (now ${interval} s) or split the NATed subscribers over more nodes`
        : "";
    fail(
      property("natpingProcesses"),
      `kamailio.proxy.natping_processes must be 1..${MAX_NATPING_PROCESSES} (kamailio does not start above ${MAX_NATPING_PROCESSES}), got: ${natping}${formulaOf("natpingProcesses")}${fix}`,
    );
  }
  const interval = num("natpingInterval");
  if (interval !== undefined && interval < 1) {
    fail(
      property("natpingInterval"),
      `kamailio.proxy.natping_interval must be at least 1 second, got: ${interval}`,
    );
  }

  const pkg = num("lbPkgMem");
  if (pkg !== undefined && pkg < 8) {
    fail(
      property("lbPkgMem"),
      `kamailio.lb.pkg_mem must be at least 8 MB (the handbook's lowest; lb workers run out of memory below it), got: ${pkg}`,
    );
  } else if (pkg !== undefined && pkg < 16) {
    warnings.push(
      `kamailio.lb.pkg_mem ${pkg} MB is below the default 16: lb workers may run out of memory (handbook 15.7: "use with caution")`,
    );
  }

  for (const field of ["lbTcpChildren", "lbUdpChildren", "proxyChildren"] as const) {
    const children = num(field);
    if (children !== undefined && children < 1) {
      fail(
        property(field),
        `${keyOf(field)} must be at least 1 (1 or 2 workers are always needed), got: ${children}`,
      );
    } else if (children !== undefined && children < 2) {
      warnings.push(
        `${keyOf(field)} is ${children}: the handbook's lowest recommended value is 2 (test systems)`,
      );
    }
  }

  let memoryTotal = 0;
  const memoryKeys: string[] = [];
  for (const field of ["lbShmMem", "proxyShmMem"] as const) {
    const shm = num(field);
    if (shm === undefined) {
      continue;
    }
    memoryTotal += shm;
    memoryKeys.push(keyOf(field));
    if (shm < 1) {
      fail(property(field), `${keyOf(field)} must be at least 1 MB, got: ${shm}${formulaOf(field)}`);
    } else if (ramMb !== undefined && shm > ramMb) {
      fail(
        property(field),
        `${keyOf(field)} must not exceed the node's RAM (${ramMb} MB), got: ${shm}${formulaOf(field)}`,
      );
    } else if (shm < 64) {
      warnings.push(
        `${keyOf(field)} is ${shm} MB, below the 64 the handbook gives for a test environment: watch for "Out of memory" in the kamailio log`,
      );
    }
    const subscribers = sizing?.subscribers;
    if (subscribers !== undefined && subscribers > 0) {
      const guide = Math.ceil((subscribers / DEFAULT_CONFIG_SUBSCRIBERS) * SHM_MB_PER_50K_SUBSCRIBERS);
      if (shm < guide) {
        warnings.push(
          `${keyOf(field)} is ${shm} MB, below the handbook's guide of 1024 MB per 50000 subscribers (${guide} MB for ${subscribers})`,
        );
      }
    }
  }

  const pool = plan.bufferPoolSize?.value;
  if (typeof pool === "string") {
    const poolMb = parseSizeMb(pool);
    if (poolMb === undefined) {
      fail(
        property("bufferPoolSize"),
        `database.bufferpoolsize must be a size such as "64MB" (a whole number with K, M or G, optionally followed by B), got: ${JSON.stringify(pool)}`,
      );
    } else {
      memoryTotal += poolMb;
      memoryKeys.push("database.bufferpoolsize");
      if (ramMb !== undefined && poolMb > ramMb) {
        fail(
          property("bufferPoolSize"),
          `database.bufferpoolsize must not exceed the node's RAM (${ramMb} MB), got: ${pool}`,
        );
      }
    }
  }
  // The sum only adds information when no single value already exceeds the RAM (that failed above).
  if (
    ramMb !== undefined &&
    memoryKeys.length > 1 &&
    memoryTotal > ramMb &&
    !anyMemoryValueAbove(plan, ramMb)
  ) {
    const first =
      (["lbShmMem", "proxyShmMem", "bufferPoolSize"] as const).find((f) => plan[f] !== undefined) ??
      "lbShmMem";
    fail(
      property(first),
      `${memoryKeys.join(" + ")} = ${memoryTotal} MB must not exceed the node's RAM (${ramMb} MB) together`,
    );
  }

  const [dflt, min, max] = [num("proxyDefaultExpires"), num("proxyMinExpires"), num("proxyMaxExpires")];
  for (const field of ["proxyDefaultExpires", "proxyMinExpires", "proxyMaxExpires"] as const) {
    const seconds = num(field);
    if (seconds !== undefined && seconds < 1) {
      fail(property(field), `${keyOf(field)} must be at least 1 second, got: ${seconds}`);
    }
  }
  const order = "kamailio.proxy.min_expires <= default_expires <= max_expires must hold";
  if (min !== undefined && max !== undefined && min > max) {
    fail(property("proxyMinExpires"), `${order}, got: min_expires ${min} above max_expires ${max}`);
  }
  if (dflt !== undefined && min !== undefined && dflt < min) {
    fail(property("proxyDefaultExpires"), `${order}, got: default_expires ${dflt} below min_expires ${min}`);
  }
  if (dflt !== undefined && max !== undefined && dflt > max) {
    fail(property("proxyDefaultExpires"), `${order}, got: default_expires ${dflt} above max_expires ${max}`);
  }

  for (const field of ["binlogDays", "logsPreserveDays"] as const) {
    const days = num(field);
    if (days !== undefined && days < 1) {
      fail(property(field), `${keyOf(field)} must be at least 1 day, got: ${days}`);
    }
  }

  const address = plan.externalAddress?.value;
  if (typeof address === "string" && !/^[A-Za-z0-9.:_[\]-]+$/.test(address)) {
    fail(
      property("externalAddress"),
      `rsyslog.external_address must be a host name or IP address, got: ${JSON.stringify(address)}`,
    );
  }

  const subscribers = sizing?.subscribers;
  if (subscribers !== undefined && subscribers > DEFAULT_CONFIG_SUBSCRIBERS) {
    warnings.push(
      `sizing.subscribers is ${subscribers}: the default configuration serves up to 50000; review every value of table 10 (handbook 15.7)`,
    );
  }
}

function anyMemoryValueAbove(plan: Plan, ramMb: number): boolean {
  const shmAbove = (["lbShmMem", "proxyShmMem"] as const).some((f) => Number(plan[f]?.value ?? 0) > ramMb);
  const pool = plan.bufferPoolSize?.value;
  const poolMb = typeof pool === "string" ? parseSizeMb(pool) : undefined;
  return shmAbove || (poolMb !== undefined && poolMb > ramMb);
}

function encode(encoding: Encoding, value: SettingValue): string | number {
  switch (encoding) {
    case "yesNo":
      return value === true ? "yes" : "no";
    case "zeroOne":
      return value === true ? 1 : 0;
    default:
      return typeof value === "boolean" ? String(value) : value;
  }
}

/** A config.yml value back to an input value; `undefined` when it does not fit the key's encoding. */
function decode(option: PerformanceOption, raw: ScalarValue): SettingValue | undefined {
  switch (option.encoding) {
    case "integer": {
      const n = typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
      return typeof n === "number" && Number.isInteger(n) ? n : undefined;
    }
    case "yesNo":
      return raw === "yes" || raw === true ? true : raw === "no" || raw === false ? false : undefined;
    case "zeroOne":
      return raw === 1 || raw === "1" || raw === true
        ? true
        : raw === 0 || raw === "0" || raw === false
          ? false
          : undefined;
    case "size":
    case "string":
      return typeof raw === "string"
        ? raw
        : typeof raw === "number" && option.encoding === "string"
          ? String(raw)
          : undefined;
  }
}

function encodingRule(encoding: Encoding): string {
  switch (encoding) {
    case "integer":
      return "must be an integer";
    case "yesNo":
      return "must be yes or no";
    case "zeroOne":
      return "must be 0 or 1";
    case "size":
      return 'must be a size such as "64MB"';
    case "string":
      return "must be a string";
  }
}
