/**
 * The Firewall dynamic provider (handbook 15.2): reads the node, calls the pure core (settings.ts,
 * planner.ts, render.ts, diff.ts, lines.ts, rollback.ts) and applies what it returns, under the node-side
 * rollback switch. See README.md, "Apply protocol" and "The provider".
 *
 * SSH round trips of an apply that changes rules: read (pooled connection), apply (pooled), confirm and
 * persist (a new connection, which is the point of the confirmation). An `up` with nothing to change costs
 * one (the read). `check` adds one per node and process: the deployer's address as the node sees it.
 */
import { isKnown, UNKNOWN } from "../common/unknown";
import type * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";

import { checkTarget } from "../common/checkTarget";
import { nodeSnapshot, SECTIONS } from "../common/nodeReads";
import { connect, sessionFor, type NodeSession } from "../transport/session";
import type { NodeTarget } from "../transport/target";
import { parseAddress } from "./address";
import { diffFirewall } from "./diff";
import { FAMILIES, type Family, type FirewallInputs, type HandbookEdition, type Policy } from "./inputs";
import {
  bootFileHolds,
  countRules,
  liveRules,
  plannedRules,
  rulesOrder,
  sameRules,
  type RuleMap,
} from "./lines";
import {
  CHAIN_PREFIX,
  adminServices,
  evaluateProbe,
  planUnchecked,
  subscriberServices,
  type DesiredRuleset,
} from "./model";
import {
  applyCommand,
  applyPaths,
  confirmCommand,
  filterTable,
  parseRead,
  parseSections,
  readArgv,
  type ApplyPaths,
  type BootFileMode,
  type NodeRead,
} from "./nodeScripts";
import { planFirewall } from "./planner";
import { describeProbe, probeAll, reachable, type PortProbe, type ProbeResult } from "../transport/probe";
import { renderPersistence, renderRemoval, renderRestore } from "./render";
import { renderConfirm, renderRollbackNow, renderRollbackScript, rollbackSnapshot } from "./rollback";
import { findChain, findTable, inputPolicy, parseSave, targetOf, type LiveRuleset } from "./save";
import {
  decodeFirewallSettings,
  resolveFirewall,
  type ConfigScalar,
  type FirewallSettings,
  type ResolvedFirewall,
  type ResolveRequest,
  type ResolveResult,
} from "./settings";
import type { CheckFailure } from "./validate";

/** What the provider receives and stores as inputs (plain values). */
export interface FirewallResourceInputs {
  readonly target: NodeTarget;
  /** The merged `firewall` stack object, validated in `check`. */
  readonly firewall: FirewallSettings;
  /** The node's applied config.yml values of the firewall's keys (NgcpConfig's `effective`). */
  readonly effective: Readonly<Record<string, ConfigScalar>>;
  /** `ngcp-fleet:adminSources`, the default admin networks. */
  /** Handbook edition from the stack; detected from config.yml otherwise. */
  readonly edition?: HandbookEdition;
  /** The planner's inputs and the protocol's options: outputs only (set by create and update). */
  readonly resolved?: ResolvedFirewall;
  /** Set by `check`: the planned rules, one entry per rule (what the preview shows). */
  readonly rules?: RuleMap;
  /** Set by `check`: digest of the planned rule order. */
  readonly rulesOrder?: string;
}

/** Drift found by `read`, per family. */
export interface FamilyDrift {
  /** A third party flushed the RTPENGINE rule (handbook 15.2 caution box). */
  readonly rtpengineMissing: boolean;
  readonly jumpMissing: boolean;
  readonly jumpMisplaced: boolean;
  /** Rules added to or removed from our chains, and policy changes: the preview lines of the repair. */
  readonly changes: readonly string[];
}

export interface FirewallDrift {
  readonly ipv4: FamilyDrift;
  readonly ipv6: FamilyDrift;
  /** The boot files would not bring this firewall back (missing or changed). */
  readonly bootFiles: boolean;
}

/** Measurements of the last apply, for the operator and the benchmarks. */
export interface ApplyReport {
  readonly token: string | null;
  /** Rules were changed on the node (false: only read, or only the boot files written). */
  readonly changed: boolean;
  readonly milliseconds: number;
  /** Commands run over SSH (each one round trip), the read included. */
  readonly sshCommands: number;
  /** Connections opened besides the pooled one (the confirmation's). */
  readonly newConnections: number;
  /** From starting the apply to the node's confirmation. */
  readonly confirmedAfterMs: number | null;
}

export interface FirewallOutputs extends FirewallResourceInputs {
  readonly resolved: ResolvedFirewall;
  /** The node's rules, one entry per rule, as of the last apply or refresh. */
  readonly rules: RuleMap;
  readonly rulesOrder: string;
  /** Rules of both families (ours, the jump and the RTPENGINE rule). */
  readonly ruleCount: number;
  readonly drift: FirewallDrift;
  /** INPUT policies before ngcp-fleet first changed the node: what destroy puts back. */
  readonly originalPolicy: Readonly<Record<Family, Policy>>;
  /** The deployer as the node sees it (first field of `$SSH_CONNECTION`). */
  readonly deployerAddress: string | null;
  readonly lastApply: ApplyReport | null;
}

/** Seconds past the switch's deadline the provider keeps trying to reach a node that cut it off. */
const ROLLBACK_SLACK_MS = 20_000;
/** How long a TCP probe from the deployer waits for any answer. */
const PROBE_TIMEOUT_MS = 3_000;
const READ_TIMEOUT_MS = 60_000;
const APPLY_TIMEOUT_MS = 90_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A thrown value as a real Error with a message. The transport's error classes (RemoteCommandError,
 * NodeUnreachableError, …) extend Error; serialized by value into a dynamic provider they come back as
 * plain objects without `message` (the engine then prints "Unknown Error"), so their own fields are spelled
 * out here.
 */
export function asError(thrown: unknown): Error {
  if (thrown instanceof Error) {
    return thrown;
  }
  if (!isRecord(thrown)) {
    return new Error(String(thrown));
  }
  const field = (key: string): string | undefined =>
    typeof thrown[key] === "string" || typeof thrown[key] === "number" ? String(thrown[key]) : undefined;
  const parts = [
    field("message"),
    field("address") === undefined ? undefined : `unreachable at ${field("address")}`,
    field("command") === undefined
      ? undefined
      : `\`${field("command")}\` failed with exit code ${field("exitCode") ?? "none"}`,
    field("timeoutMs") === undefined ? undefined : `no answer within ${field("timeoutMs")} ms`,
    field("expected") === undefined
      ? undefined
      : `host key mismatch: pinned ${field("expected")}, presented ${field("presented")}`,
    field("stderr")?.trim().split("\n").slice(-10).join("\n") || undefined,
  ].filter((part): part is string => part !== undefined && part.length > 0);
  const node = field("node");
  return new Error(
    `${node === undefined ? "" : `node ${node}: `}${field("name") ?? "error"}${parts.length > 0 ? `: ${parts.join(": ")}` : ""}`,
  );
}

/**
 * The fields of a failed remote command (the transport's RemoteCommandError), found by shape: class
 * identity does not survive the provider's serialization reliably.
 */
function commandFailure(thrown: unknown): { exitCode: number | null; stdout: string; stderr: string } | null {
  if (!isRecord(thrown) || typeof thrown.stdout !== "string" || typeof thrown.stderr !== "string") {
    return null;
  }
  const exitCode = typeof thrown.exitCode === "number" ? thrown.exitCode : null;
  return { exitCode, stdout: thrown.stdout, stderr: thrown.stderr };
}

/** Runs a provider method so that whatever it throws reaches the engine as an Error with its message. */
async function clearly<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (thrown) {
    throw asError(thrown);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * What settings.ts needs from the inputs (`effective` null while unknown), or the failures of decoding the
 * `firewall` input with the spec's schema.
 */
function resolveRequest(
  inputs: FirewallResourceInputs,
  deployerAddress?: string,
): { request?: ResolveRequest; failures: CheckFailure[] } {
  const decoded = decodeFirewallSettings(inputs.firewall);
  if (decoded.settings === undefined) {
    return { failures: decoded.failures };
  }
  const effective = isKnown(inputs.effective) && isRecord(inputs.effective) ? inputs.effective : null;
  return {
    request: {
      settings: decoded.settings,
      effective: effective as Readonly<Record<string, ConfigScalar>> | null,
      ...(inputs.edition === "current" || inputs.edition === "older" ? { edition: inputs.edition } : {}),
      ...(deployerAddress === undefined ? {} : { deployerAddress }),
    },
    failures: [],
  };
}

/** {@link resolveFirewall} on the provider's inputs. */
function resolveInputs(inputs: FirewallResourceInputs, deployerAddress?: string): ResolveResult {
  const { request, failures } = resolveRequest(inputs, deployerAddress);
  return request === undefined ? { failures } : resolveFirewall(request);
}

/** The deployer's address as the node sees it, from the node's shared batched read. */
async function deployerAddressOf(target: NodeTarget): Promise<string | undefined> {
  return (await sharedRead(target)).deployerAddress ?? undefined;
}

/** The firewall's part of the node's shared batched read (check and refresh; never before a change). */
async function sharedRead(target: NodeTarget): Promise<NodeRead> {
  const section = (await nodeSnapshot(target)).section(SECTIONS.firewall);
  if (section.exitCode !== 0) {
    throw new Error(
      `node ${target.name}: reading the firewall failed (exit ${section.exitCode}): iptables-save or ip6tables-save refused`,
    );
  }
  return parseRead(target.name, section.stdout);
}

async function readNode(session: NodeSession): Promise<NodeRead> {
  const { stdout } = await session.exec(readArgv(), { timeoutMs: READ_TIMEOUT_MS, readOnly: true });
  return parseRead(session.target.name, stdout);
}

function parseLive(saves: Readonly<Record<Family, string>>): Record<Family, LiveRuleset> {
  return { ipv4: parseSave(saves.ipv4), ipv6: parseSave(saves.ipv6) };
}

function asPolicy(word: string): Policy {
  return word === "DROP" ? "DROP" : "ACCEPT";
}

/** The boot-file content of each family: the full post-apply save without the RTPENGINE rule. */
function bootFiles(inputs: FirewallInputs, saves: Readonly<Record<Family, string>>): Record<Family, string> {
  const rtpengine = (family: Family) =>
    inputs.rtpengine.families.includes(family) ? inputs.rtpengine : null;
  return {
    ipv4: renderPersistence(saves.ipv4, rtpengine("ipv4")),
    ipv6: renderPersistence(saves.ipv6, rtpengine("ipv6")),
  };
}

/** Whether each boot file would bring the planned firewall back. */
function bootFileState(desired: DesiredRuleset, read: NodeRead): Record<Family, boolean> {
  const holds = (family: Family): boolean => {
    const text = read.bootFiles[family];
    if (text === null) {
      return false;
    }
    try {
      return bootFileHolds(desired[family], parseSave(text));
    } catch {
      return false;
    }
  };
  return { ipv4: holds("ipv4"), ipv6: holds("ipv6") };
}

/** TCP ports the plan lets the deployer reach (SSH first): what must answer before the apply is confirmed. */
export function deployerProbes(
  inputs: FirewallInputs,
  desired: DesiredRuleset,
  deployer: string | null,
): PortProbe[] {
  const ssh: PortProbe = { label: "ssh", port: inputs.ports.ssh };
  const parsed = deployer === null ? null : parseAddress(deployer);
  if (parsed === null || !parsed.ok) {
    return [ssh];
  }
  const ruleset = desired[parsed.family];
  const others = [...subscriberServices(inputs), ...adminServices(inputs)]
    .filter((service) => service.protocol === "tcp" && service.label !== "ssh")
    .filter(
      (service) =>
        evaluateProbe(ruleset, { source: parsed.address, protocol: "tcp", port: service.ports.from })
          .verdict === "ACCEPT",
    )
    .map((service) => ({ label: service.label, port: service.ports.from }));
  return [ssh, ...others];
}

/** What one guarded apply needs. */
interface GuardedApply {
  readonly session: NodeSession;
  readonly read: NodeRead;
  /** `--noflush` restore input per family. */
  readonly restore: Readonly<Record<Family, string>>;
  /** INPUT policies to record as "before ngcp-fleet" (first apply only), or null. */
  readonly record: Readonly<Record<Family, Policy>> | null;
  readonly seconds: number;
  /** Problems with the node's rules right after the apply (empty: as planned). */
  readonly verify: (live: Record<Family, LiveRuleset>) => string[];
  /** Ports to probe from the deployer, SSH first; empty: no probes. */
  readonly probes: readonly PortProbe[];
  readonly boot: (saves: Record<Family, string>) => BootFileMode;
  readonly deployer: string | null;
  /** What the apply does, for messages: "apply the firewall", "remove the firewall". */
  readonly what: string;
}

interface GuardedResult {
  readonly saves: Record<Family, string>;
  readonly live: Record<Family, LiveRuleset>;
  readonly token: string;
  readonly sshCommands: number;
  /** SSH connections opened besides the pooled one (1 only when no SSH probe proved new connections). */
  readonly newConnections: number;
  readonly confirmedAfterMs: number;
}

function newToken(node: string): string {
  const name = node.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 32) || "node";
  return `${name}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/**
 * After the deployer lost the node: wait until the switch's time is up, then reconnect (new connections,
 * once a second, up to {@link ROLLBACK_SLACK_MS} past the deadline) and read what the switch decided.
 */
async function waitForRollback(
  target: NodeTarget,
  paths: ApplyPaths,
  armedAt: number,
  seconds: number,
): Promise<{ result: string | null; afterMs: number; lastError: string }> {
  const due = armedAt + seconds * 1000;
  await sleep(Math.max(0, due - Date.now()) + 250);
  let lastError = "";
  for (;;) {
    try {
      const session = await connect({
        ...target,
        connectTimeoutMs: Math.min(target.connectTimeoutMs ?? 10_000, 5_000),
      });
      try {
        const { stdout } = await session.exec(["cat", paths.rollback.result], {
          okExitCodes: [0, 1],
          timeoutMs: 10_000,
        });
        const result = stdout.trim();
        if (result.length > 0) {
          return { result, afterMs: Date.now() - armedAt, lastError };
        }
        lastError = "the switch has not decided yet";
      } finally {
        session.end();
      }
    } catch (error) {
      lastError = asError(error).message;
    }
    if (Date.now() >= due + ROLLBACK_SLACK_MS) {
      return { result: null, afterMs: Date.now() - armedAt, lastError };
    }
    await sleep(1_000);
  }
}

/** The error after the switch restored (or should have restored) the node. */
function rolledBackError(
  target: NodeTarget,
  what: string,
  why: string,
  paths: ApplyPaths,
  seconds: number,
  outcome: { result: string | null; afterMs: number; lastError: string },
): Error {
  const after = `${(outcome.afterMs / 1000).toFixed(1)} s after the apply`;
  const tail =
    outcome.result === "rolled-back"
      ? `The node restored its previous ruleset by itself (rollback switch armed for ${seconds} s: rolled-back; SSH answered again ${after}); nothing was persisted.`
      : outcome.result === "rollback-failed"
        ? `The node's rollback switch FAILED to restore the previous ruleset. On the node's console run: iptables-restore < ${paths.preV4}; ip6tables-restore < ${paths.preV6}`
        : outcome.result === null
          ? `The node did not answer again within ${seconds} s + ${ROLLBACK_SLACK_MS / 1000} s (${outcome.lastError}); its switch should have restored ${paths.preV4} and ${paths.preV6}: check the node's console.`
          : `The node's rollback switch answered "${outcome.result}" ${after}.`;
  return new Error(`node ${target.name}: could not ${what}: ${why}. ${tail}`);
}

/**
 * The lockout-safe apply (README.md, "Apply protocol"): one exec uploads the snapshots, the restore inputs
 * and the switch, dry-runs, arms, applies and prints the result; the deployer probes the ports; a new
 * connection confirms and writes the boot files. Any failure after arming leaves the decision to the
 * switch (or takes it at once over a connection that still works) and throws.
 */
async function guardedApply(request: GuardedApply): Promise<GuardedResult> {
  const { session, read, seconds } = request;
  const target = session.target;
  const token = newToken(target.name);
  const paths = applyPaths(token);
  const saved = { savedV4Path: paths.preV4, savedV6Path: paths.preV6, token };
  const command = applyCommand(
    paths,
    {
      preV4: rollbackSnapshot(filterTable(read.saves.ipv4)),
      preV6: rollbackSnapshot(filterTable(read.saves.ipv6)),
      restoreV4: request.restore.ipv4,
      restoreV6: request.restore.ipv6,
      rollback: renderRollbackScript({ ...saved, seconds }),
      now: renderRollbackNow(saved),
      confirm: renderConfirm({ token }),
    },
    request.record,
  );
  let sshCommands = 0;
  const armedAt = Date.now();
  let stdout: string;
  try {
    sshCommands += 1;
    stdout = (await session.exec(command.argv, { stdin: command.stdin, timeoutMs: APPLY_TIMEOUT_MS })).stdout;
  } catch (error) {
    const failed = commandFailure(error);
    if (failed !== null && !failed.stdout.includes("@@armed")) {
      throw new Error(
        `node ${target.name}: could not ${request.what}; nothing was changed: ${failed.stderr.trim() || asError(error).message}`,
      );
    }
    if (failed !== null && (failed.exitCode === 40 || failed.exitCode === 41)) {
      throw new Error(`node ${target.name}: could not ${request.what}: ${failed.stderr.trim()}`);
    }
    // The switch is (or may be) armed and the outcome of the apply is unknown: the node decides.
    const outcome = await waitForRollback(target, paths, armedAt, seconds);
    throw rolledBackError(
      target,
      request.what,
      `the apply command did not finish (${asError(error).message})`,
      paths,
      seconds,
      outcome,
    );
  }
  const { bodies } = parseSections(stdout);
  const saves = { ipv4: bodies.v4 ?? "", ipv6: bodies.v6 ?? "" };
  const live = parseLive(saves);
  const problems = request.verify(live);
  if (problems.length > 0) {
    sshCommands += 1;
    await session.exec(["sh", paths.now], { timeoutMs: APPLY_TIMEOUT_MS });
    throw new Error(
      `node ${target.name}: could not ${request.what}: the node does not read back as planned (${problems.join("; ")}); the previous ruleset was restored at once`,
    );
  }

  const results: ProbeResult[] =
    request.probes.length > 0 ? await probeAll(target.host, request.probes, PROBE_TIMEOUT_MS) : [];
  const ssh = results.find((result) => result.label === "ssh");
  if (ssh !== undefined && !reachable(ssh)) {
    const outcome = await waitForRollback(target, paths, armedAt, seconds);
    throw rolledBackError(
      target,
      request.what,
      `the new ruleset cut the deployer${request.deployer === null ? "" : ` (${request.deployer})`} off: ${describeProbe(ssh)} from the deployer`,
      paths,
      seconds,
      outcome,
    );
  }
  // The confirmation must prove that the deployer can still open a NEW connection (an established one
  // survives a lockout through conntrack). The SSH port's probe above is such a connection; only without it
  // (firewall.probe off) does the confirmation open a new SSH connection itself.
  const provenBySshProbe = ssh !== undefined && reachable(ssh);
  let fresh: NodeSession;
  try {
    fresh = provenBySshProbe ? session : await connect(target);
  } catch (error) {
    const outcome = await waitForRollback(target, paths, armedAt, seconds);
    throw rolledBackError(
      target,
      request.what,
      `a new SSH connection from the deployer failed after the apply (${asError(error).message})`,
      paths,
      seconds,
      outcome,
    );
  }
  try {
    const silent = results.filter((result) => !reachable(result));
    if (silent.length > 0) {
      sshCommands += 1;
      await fresh.exec(["sh", paths.now], { timeoutMs: APPLY_TIMEOUT_MS });
      throw new Error(
        `node ${target.name}: could not ${request.what}: ports the plan opens to the deployer did not answer: ${silent.map(describeProbe).join(", ")}; the previous ruleset was restored at once`,
      );
    }
    const confirm = confirmCommand(paths, request.boot(saves));
    sshCommands += 1;
    const answer = await fresh.exec(confirm.argv, {
      stdin: confirm.stdin,
      okExitCodes: [0, 3],
      timeoutMs: APPLY_TIMEOUT_MS,
    });
    if (answer.exitCode === 3) {
      const result = /@@lost (\S+)/.exec(answer.stdout)?.[1] ?? "unknown";
      throw new Error(
        `node ${target.name}: could not ${request.what}: the rollback switch (${seconds} s) decided before the confirmation arrived (${result}); the node is back on its previous ruleset. Raise firewall.rollbackSeconds if the node is slow to answer.`,
      );
    }
    return {
      saves,
      live,
      token,
      sshCommands,
      newConnections: fresh === session ? 0 : 1,
      confirmedAfterMs: Date.now() - armedAt,
    };
  } finally {
    if (fresh !== session) {
      fresh.end();
    }
  }
}

function noDrift(): FirewallDrift {
  const clean: FamilyDrift = {
    rtpengineMissing: false,
    jumpMissing: false,
    jumpMisplaced: false,
    changes: [],
  };
  return { ipv4: clean, ipv6: clean, bootFiles: false };
}

/** Re-resolves with the deployer address of this very connection; refuses (nothing touched) on failures. */
function resolveForApply(inputs: FirewallResourceInputs, deployer: string | null): ResolvedFirewall {
  const result = resolveInputs(inputs, deployer ?? undefined);
  if (result.resolved === undefined) {
    throw new Error(
      `node ${inputs.target.name}: firewall not applied, nothing was changed:\n${result.failures
        .map((failure) => `  ${failure.property}: ${failure.reason}`)
        .join("\n")}`,
    );
  }
  return result.resolved;
}

/** create and update: read, plan, and apply only what differs. */
async function converge(
  inputs: FirewallResourceInputs,
  olds: FirewallOutputs | null,
): Promise<FirewallOutputs> {
  const started = Date.now();
  const session = await sessionFor(inputs.target);
  const read = await readNode(session);
  let sshCommands = 1;
  const resolved = resolveForApply(inputs, read.deployerAddress);
  const desired = planFirewall(resolved.inputs);
  const live = parseLive(read.saves);
  const diff = diffFirewall(desired, live);
  const originalPolicy = olds?.originalPolicy ??
    read.before ?? { ipv4: asPolicy(inputPolicy(live.ipv4)), ipv6: asPolicy(inputPolicy(live.ipv6)) };
  const persist = resolved.options.persist;
  let after = live;
  let token: string | null = null;
  let confirmedAfterMs: number | null = null;
  let newConnections = 0;
  if (diff.changed) {
    const applied = await guardedApply({
      session,
      read,
      restore: {
        ipv4: renderRestore(desired, "ipv4", read.saves.ipv4),
        ipv6: renderRestore(desired, "ipv6", read.saves.ipv6),
      },
      record: olds === null ? originalPolicy : null,
      seconds: resolved.options.rollbackSeconds,
      verify: (post) => [...diffFirewall(desired, post).lines],
      probes: resolved.options.probe ? deployerProbes(resolved.inputs, desired, read.deployerAddress) : [],
      boot: (saves) =>
        persist ? { mode: "write", files: bootFiles(resolved.inputs, saves) } : { mode: "none" },
      deployer: read.deployerAddress,
      what: "apply the firewall",
    });
    after = applied.live;
    token = applied.token;
    confirmedAfterMs = applied.confirmedAfterMs;
    sshCommands += applied.sshCommands;
    newConnections = applied.newConnections;
  } else if (persist) {
    const state = bootFileState(desired, read);
    if (!state.ipv4 || !state.ipv6) {
      const write = confirmCommand(null, { mode: "write", files: bootFiles(resolved.inputs, read.saves) });
      sshCommands += 1;
      await session.exec(write.argv, { stdin: write.stdin, timeoutMs: APPLY_TIMEOUT_MS });
    }
  }
  const rules = liveRules(desired, after, persist ? { ipv4: true, ipv6: true } : null);
  return {
    ...inputs,
    resolved,
    rules,
    rulesOrder: rulesOrder(rules),
    ruleCount: countRules(rules),
    drift: noDrift(),
    originalPolicy,
    deployerAddress: read.deployerAddress,
    lastApply: {
      token,
      changed: diff.changed,
      milliseconds: Date.now() - started,
      sshCommands,
      newConnections,
      confirmedAfterMs,
    },
  };
}

/** The provider's own inputs out of stored outputs (for `read`'s refreshed inputs). */
function inputsOf(props: FirewallOutputs): FirewallResourceInputs {
  return {
    target: props.target,
    firewall: props.firewall,
    effective: props.effective,
    ...(props.edition === undefined ? {} : { edition: props.edition }),
  };
}

/** Rules or chains of ours still on the node, or a policy that is not the original one. */
function leftovers(live: Record<Family, LiveRuleset>, original: Readonly<Record<Family, Policy>>): string[] {
  return FAMILIES.flatMap((family) => {
    const filter = findTable(live[family], "filter");
    const chains = (filter?.chains ?? [])
      .filter((chain) => chain.name.startsWith(CHAIN_PREFIX))
      .map((chain) => chain.name);
    const jumps = (findChain(filter, "INPUT")?.rules ?? []).filter((rule) =>
      (targetOf(rule.args) ?? "").startsWith(CHAIN_PREFIX),
    );
    const policy = inputPolicy(live[family]);
    return [
      ...chains.map((name) => `${family} chain ${name} still exists`),
      ...(jumps.length > 0 ? [`${family} INPUT still jumps to ngcp-fleet's chains`] : []),
      ...(policy === original[family]
        ? []
        : [`${family} INPUT policy is ${policy}, not ${original[family]}`]),
    ];
  });
}

/** The switch's window stored at the last apply. */
function rollbackSecondsOf(props: FirewallOutputs): number {
  const seconds = props.resolved?.options?.rollbackSeconds;
  return typeof seconds === "number" ? seconds : 30;
}

/** `check`: validates (every failure names its stack key) and plans; the plan's rules go into the inputs. */
async function check(_olds: FirewallResourceInputs, news: FirewallResourceInputs) {
  const failures = checkTarget(news.target, "target");
  let result = resolveInputs(news);
  if (failures.length === 0 && result.failures.length === 0 && isKnown(news.target)) {
    // The lockout check needs the address the node sees the deployer at: one read, nothing changed.
    const deployer = await deployerAddressOf(news.target).catch(() => undefined);
    if (deployer !== undefined) {
      result = resolveInputs(news, deployer);
    }
  }
  failures.push(...result.failures);
  if (failures.length > 0 || result.resolved === undefined) {
    return { inputs: news, failures };
  }
  if (!isKnown(news.effective) || !isRecord(news.effective)) {
    // config.yml is applied in this very run: the ports are known only then.
    return { inputs: { ...news, rules: UNKNOWN, rulesOrder: UNKNOWN }, failures: [] };
  }
  const rules = plannedRules(planUnchecked(result.resolved.inputs), result.resolved.options.persist);
  return {
    // `resolved` stays out of the inputs (the outputs keep it for refresh and delete): it is recomputed
    // from these very inputs, and the rules are what the preview shows.
    inputs: { ...news, rules, rulesOrder: rulesOrder(rules) },
    failures: [],
  };
}

/** `diff`: the node's rules as of the last apply or refresh against the planned ones, entry by entry. */
async function diff(_id: string, olds: FirewallOutputs, news: FirewallResourceInputs) {
  const moved =
    olds.target?.host !== news.target?.host || (olds.target?.port ?? 22) !== (news.target?.port ?? 22);
  const replaces = moved ? ["target"] : [];
  if (!isKnown(news.rules) || !isKnown(news.rulesOrder) || !isKnown(news.target)) {
    return { changes: true, replaces, deleteBeforeReplace: false };
  }
  const changes = moved || !sameRules(olds.rules, news.rules) || olds.rulesOrder !== news.rulesOrder;
  return { changes, replaces, deleteBeforeReplace: false };
}

/** `read` (refresh): the node's rules in the plan's terms, and the drift. */
async function read(id: string, props: FirewallOutputs) {
  if (!isRecord(props.resolved) || !isRecord(props.resolved.inputs)) {
    return { id, props };
  }
  const found = await sharedRead(props.target);
  const desired = planUnchecked(props.resolved.inputs);
  const live = parseLive(found.saves);
  const difference = diffFirewall(desired, live);
  const boot = props.resolved.options.persist ? bootFileState(desired, found) : null;
  const rules = liveRules(desired, live, boot);
  const family = (name: Family): FamilyDrift => ({
    rtpengineMissing: difference[name].rtpengineMissing,
    jumpMissing: difference[name].jumpMissing,
    jumpMisplaced: difference[name].jumpMisplaced,
    changes: difference[name].lines,
  });
  const drift: FirewallDrift = {
    ipv4: family("ipv4"),
    ipv6: family("ipv6"),
    bootFiles: boot !== null && (!boot.ipv4 || !boot.ipv6),
  };
  const order = rulesOrder(rules);
  return {
    id,
    props: {
      ...props,
      rules,
      rulesOrder: order,
      ruleCount: countRules(rules),
      drift,
      deployerAddress: found.deployerAddress ?? props.deployerAddress,
    },
    // The refreshed inputs carry the live rules, so the next preview lists each drifted rule as added or
    // removed instead of an update with no visible cause.
    inputs: { ...inputsOf(props), rules, rulesOrder: order },
  };
}

/**
 * `delete`: back to the INPUT policy and boot files the node had before ngcp-fleet, our chains and jumps
 * removed under the same switch as an apply. Other tools' chains stay; so does the RTPENGINE rule (it is
 * rtpengine's, and handbook 15.2 requires it whatever firewall runs). Already gone: success.
 */
async function remove(props: FirewallOutputs): Promise<void> {
  const session = await sessionFor(props.target);
  const found = await readNode(session);
  const live = parseLive(found.saves);
  const original: Record<Family, Policy> = {
    ipv4: props.originalPolicy?.ipv4 ?? found.before?.ipv4 ?? "ACCEPT",
    ipv6: props.originalPolicy?.ipv6 ?? found.before?.ipv6 ?? "ACCEPT",
  };
  const boot: BootFileMode = found.before !== null ? { mode: "restore" } : { mode: "none" };
  if (leftovers(live, original).length === 0) {
    // Already gone from the rules; only the boot files may still be ours.
    if (boot.mode === "restore") {
      const restore = confirmCommand(null, boot);
      await session.exec(restore.argv, { timeoutMs: APPLY_TIMEOUT_MS });
    }
    return;
  }
  const probe = props.resolved?.options?.probe !== false;
  await guardedApply({
    session,
    read: found,
    restore: {
      ipv4: renderRemoval(found.saves.ipv4, original.ipv4),
      ipv6: renderRemoval(found.saves.ipv6, original.ipv6),
    },
    record: null,
    seconds: rollbackSecondsOf(props),
    verify: (post) => leftovers(post, original),
    probes: probe ? [{ label: "ssh", port: props.resolved?.inputs?.ports?.ssh ?? 22 }] : [],
    boot: () => boot,
    deployer: found.deployerAddress,
    what: "remove the firewall",
  });
}

/**
 * Handbook 15.2 as a resource: IPv4 and IPv6 INPUT filtering for the services of tables 8 and 9 on the
 * ports the node's config.yml names, the RTPENGINE rule kept in place, other tools' chains untouched, and an
 * apply that the node rolls back by itself when the deployer loses SSH.
 */
export const firewallProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds: FirewallResourceInputs, news: FirewallResourceInputs) => clearly(() => check(olds, news)),
  diff: (id: string, olds: FirewallOutputs, news: FirewallResourceInputs) =>
    clearly(() => diff(id, olds, news)),
  create: (inputs: FirewallResourceInputs) =>
    clearly(async () => ({ id: `${inputs.target.name}:firewall`, outs: await converge(inputs, null) })),
  update: (_id: string, olds: FirewallOutputs, news: FirewallResourceInputs) =>
    clearly(async () => ({ outs: await converge(news, olds) })),
  read: (id: string, props: FirewallOutputs) => clearly(() => read(id, props)),
  delete: (_id: string, props: FirewallOutputs) => clearly(() => remove(props)),
};
