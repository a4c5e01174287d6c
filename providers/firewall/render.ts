/**
 * Text the provider pipes into iptables-restore / ip6tables-restore on a node, and the text it writes for
 * the next boot. Pure: each function takes what the provider read from the node (`iptables-save` output)
 * and returns a string.
 *
 * Why `iptables-restore --noflush` and not a full-table restore: a full restore would re-feed every rule of
 * every other tool (fail2ban, Docker, ...) from a snapshot. Rules those tools add between our read and our
 * write would be lost, their counters reset, and a rule iptables-save prints but cannot read back (nft-only
 * expressions, extensions missing on the node) would make the whole restore fail. With `--noflush` the input
 * names only our chains, the jump, the RTPENGINE rule and the INPUT policy; every other chain and rule is
 * never written, so it stays byte-identical. iptables-restore still commits each table in one transaction
 * (legacy: one table replace; nft: one batch), so the change is atomic; a stale read makes a `-D` fail and
 * then nothing at all is applied (proven by the kernel tests in test/unit/firewall-kernel.test.ts).
 */
import type { Family, Policy, RtpengineRule } from "./inputs";
import { CHAIN_PREFIX, rtpengineArgs, type DesiredRuleset, type FamilyRuleset } from "./model";
import {
  findChain,
  findTable,
  formatArgs,
  parseSave,
  sameArgs,
  splitWords,
  targetOf,
  type LiveRule,
  type LiveRuleset,
} from "./save";

/** What has to change in INPUT: our jump and the RTPENGINE rule; nothing else in INPUT is touched. */
export interface InputFixups {
  /** Argument lists of INPUT rules to delete (`-D INPUT ...`), in order: every jump to one of our chains when the jump is not exactly right. */
  readonly deletes: readonly (readonly string[])[];
  /** Put the RTPENGINE rule back at the top of INPUT, where rtpengine itself inserts it. */
  readonly insertRtpengine: boolean;
  /** Create the user chain RTPENGINE (lab variant) because it is missing. */
  readonly createRtpengineChain: boolean;
  /** 1-based INPUT position for our jump (after the deletes and the RTPENGINE insert), or null: keep it. */
  readonly insertJumpAt: number | null;
  /** The RTPENGINE rule is not in INPUT. */
  readonly rtpengineMissing: boolean;
  /** No INPUT rule is exactly our jump. */
  readonly jumpMissing: boolean;
  /** Our jump is there, but more than once, before the RTPENGINE rule, or next to a stale jump of ours. */
  readonly jumpMisplaced: boolean;
}

/**
 * Decides the INPUT changes. The jump is left where it is when it is the only jump to our chains and comes
 * after the RTPENGINE rule; otherwise every jump of ours is deleted and one is inserted right after the
 * RTPENGINE rule (at the top when the family keeps no RTPENGINE rule).
 */
export function planInputFixups(desired: FamilyRuleset, live: LiveRuleset): InputFixups {
  const filter = findTable(live, "filter");
  const input: readonly LiveRule[] = findChain(filter, "INPUT")?.rules ?? [];
  const rtpengine = desired.rtpengine;
  const rtpIndex = rtpengine === null ? -1 : input.findIndex((rule) => sameArgs(rule.args, rtpengine.args));
  const rtpengineMissing = rtpengine !== null && rtpIndex < 0;
  const jumps = input.flatMap((rule, index) =>
    (targetOf(rule.args) ?? "").startsWith(CHAIN_PREFIX) ? [index] : [],
  );
  const exact = jumps.filter((index) => sameArgs(input[index].args, desired.jump.args));
  const wellPlaced = jumps.length === 1 && exact.length === 1 && (rtpIndex < 0 || jumps[0] > rtpIndex);
  const createRtpengineChain = desired.rtpengineUserChain && findChain(filter, "RTPENGINE") === undefined;
  if (wellPlaced) {
    return {
      deletes: [],
      insertRtpengine: rtpengineMissing,
      createRtpengineChain,
      insertJumpAt: null,
      rtpengineMissing,
      jumpMissing: false,
      jumpMisplaced: false,
    };
  }
  const remaining = input.filter((_, index) => !jumps.includes(index)).map((rule) => rule.args);
  if (rtpengine !== null && rtpengineMissing) {
    remaining.unshift(rtpengine.args);
  }
  const rtpAfter = rtpengine === null ? -1 : remaining.findIndex((args) => sameArgs(args, rtpengine.args));
  return {
    deletes: jumps.map((index) => input[index].args),
    insertRtpengine: rtpengineMissing,
    createRtpengineChain,
    insertJumpAt: rtpAfter < 0 ? 1 : rtpAfter + 2,
    rtpengineMissing,
    jumpMissing: exact.length === 0,
    jumpMisplaced: exact.length > 0,
  };
}

/** Our chains that exist on the node but not in the plan (a chain of an earlier layout): removed. */
export function staleChains(desired: FamilyRuleset, live: LiveRuleset): string[] {
  const wanted = desired.chains.map((chain) => chain.name);
  return (findTable(live, "filter")?.chains ?? [])
    .map((chain) => chain.name)
    .filter((name) => name.startsWith(CHAIN_PREFIX) && !wanted.includes(name));
}

const COMMAND: Record<Family, string> = { ipv4: "iptables-restore", ipv6: "ip6tables-restore" };

/**
 * The `iptables-restore --noflush` (or `ip6tables-restore --noflush`) input that brings one family to the
 * plan, given that family's live `iptables-save` text: (re)creates and fills our chains (declaring an
 * existing user chain flushes it), removes our stale chains, ensures exactly one jump from INPUT after the
 * RTPENGINE rule, puts the RTPENGINE rule back when it is missing, and sets the INPUT policy. No other
 * chain or rule is named.
 */
export function renderRestore(desired: DesiredRuleset, family: Family, liveSave: string): string {
  return renderRestoreFrom(desired[family], parseSave(liveSave));
}

/** {@link renderRestore} from an already parsed live ruleset. */
export function renderRestoreFrom(desired: FamilyRuleset, live: LiveRuleset): string {
  const fixups = planInputFixups(desired, live);
  const stale = staleChains(desired, live);
  const lines = [
    `# ngcp-fleet firewall, ${desired.family}: input for \`${COMMAND[desired.family]} --noflush\`.`,
    "# Names only ngcp-fleet's chains, its jump from INPUT, the RTPENGINE rule and the INPUT policy.",
    "*filter",
    `:INPUT ${desired.policy} [0:0]`,
    ...desired.chains.map((chain) => `:${chain.name} - [0:0]`),
    ...stale.map((name) => `:${name} - [0:0]`),
    ...(fixups.createRtpengineChain ? [":RTPENGINE - [0:0]"] : []),
    ...desired.chains.flatMap((chain) =>
      chain.rules.map((rule) => `-A ${chain.name} ${formatArgs(rule.args)}`),
    ),
    ...fixups.deletes.map((args) => `-D INPUT ${formatArgs(args)}`),
    ...(fixups.insertRtpengine && desired.rtpengine !== null
      ? [`-I INPUT 1 ${formatArgs(desired.rtpengine.args)}`]
      : []),
    ...(fixups.insertJumpAt === null
      ? []
      : [`-I INPUT ${fixups.insertJumpAt} ${formatArgs(desired.jump.args)}`]),
    ...stale.map((name) => `-X ${name}`),
    "COMMIT",
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The `--noflush` restore input that takes the firewall off a node: deletes every jump from INPUT to our
 * chains, flushes and deletes our chains, and puts back the INPUT policy the node had before we managed it
 * (saved by the provider at the first apply; {@link inputPolicy} of that first read). Other chains and rules
 * stay as they are. The RTPENGINE rule (and the lab's RTPENGINE chain) stays too: it is rtpengine's, and
 * the handbook requires it whatever firewall runs.
 */
export function renderRemoval(liveSave: string, originalPolicy: Policy): string {
  const live = parseSave(liveSave);
  const filter = findTable(live, "filter");
  const ours = (filter?.chains ?? [])
    .map((chain) => chain.name)
    .filter((name) => name.startsWith(CHAIN_PREFIX));
  const jumps = (findChain(filter, "INPUT")?.rules ?? []).filter((rule) =>
    (targetOf(rule.args) ?? "").startsWith(CHAIN_PREFIX),
  );
  const lines = [
    "# ngcp-fleet firewall removal: input for `iptables-restore --noflush` / `ip6tables-restore --noflush`.",
    "*filter",
    `:INPUT ${originalPolicy} [0:0]`,
    ...ours.map((name) => `:${name} - [0:0]`),
    ...jumps.map((rule) => `-D INPUT ${formatArgs(rule.args)}`),
    ...ours.map((name) => `-X ${name}`),
    "COMMIT",
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The file a Debian node restores at boot (`/etc/iptables/rules.v4` or `rules.v6`, read by
 * netfilter-persistent's iptables plugin with a full `iptables-restore`): the post-apply `iptables-save`
 * output of all tables, every rule line kept as printed, with two changes that make the file stable from one
 * `up` to the next so that its content can be compared for drift:
 * - timestamps (`# Generated by ... on <date>`) and counters (`[packets:bytes]`) are dropped or zeroed;
 * - the RTPENGINE rule is left out. rtpengine inserts it itself when it starts (handbook 15.2); restoring
 *   it at boot, before rtpengine, would depend on the kernel module loading that early, and one rule
 *   iptables-restore cannot load makes it reject the whole file, leaving the node with no firewall at all.
 */
export function renderPersistence(postApplySave: string, rtpengine: RtpengineRule | null): string {
  // Parsed first so that a truncated or garbled save is refused rather than persisted.
  parseSave(postApplySave);
  const dropped = rtpengine === null ? null : rtpengineArgs(rtpengine);
  const out = [
    "# Written by ngcp-fleet (firewall) from iptables-save; netfilter-persistent restores it at boot.",
    "# The RTPENGINE rule is left out: rtpengine installs it when it starts.",
  ];
  let table = "";
  for (const raw of postApplySave.split("\n")) {
    const line = raw.replace(/\r$/, "").trimEnd();
    if (line.length === 0 || line.startsWith("#")) {
      continue;
    }
    if (line.startsWith("*")) {
      table = line.slice(1);
      out.push(line);
    } else if (line.startsWith(":")) {
      out.push(line.replace(/\s\[\d+:\d+\]$/, " [0:0]"));
    } else {
      const rule = line.replace(/^\[\d+:\d+\]\s+/, "");
      const words = rule.startsWith("-A ") ? splitWords(rule) : [];
      if (
        dropped !== null &&
        table === "filter" &&
        words[1] === "INPUT" &&
        sameArgs(words.slice(2), dropped)
      ) {
        continue;
      }
      out.push(rule);
    }
  }
  return `${out.join("\n")}\n`;
}
