/**
 * Rule-level difference between the plan and what a node runs, for `diff` (does anything change?), `read`
 * (drift) and the preview (which rules are added and removed, one line each).
 *
 * Rules are compared as argument lists, word by word, in the form iptables-save prints: never as JSON.
 * Order inside our chains matters to iptables, so each chain is compared as a sequence (longest common
 * subsequence): a moved rule shows as removed at its old place and added at its new one.
 */
import { FAMILIES, type Family, type Policy } from "./inputs";
import { CHAIN_PREFIX, type DesiredRuleset, type FamilyRuleset, type Rule } from "./model";
import { planInputFixups } from "./render";
import { findChain, findTable, sameArgs, type LiveRuleset } from "./save";

/** A rule added or removed, with its one-line description for the preview. */
export interface RuleChange extends Rule {
  /** `+ v4 NGCP-FLEET-ADMIN -s 198.18.0.1/32 -p tcp --dport 22 -j ACCEPT (ssh)` */
  readonly description: string;
}

/** What separates one family of a node from the plan. */
export interface RuleDiff {
  readonly family: Family;
  /** Rules the apply adds, in chain order (the RTPENGINE rule and our jump included when missing). */
  readonly added: readonly RuleChange[];
  /** Rules the apply removes (rules of ours no longer planned, stale or duplicate jumps). */
  readonly removed: readonly RuleChange[];
  /** Our chains the apply creates. */
  readonly chainsAdded: readonly string[];
  /** Our chains the apply deletes (left over from an earlier layout). */
  readonly chainsRemoved: readonly string[];
  /** The RTPENGINE rule is missing from INPUT (a third party flushed it): drift the apply repairs. */
  readonly rtpengineMissing: boolean;
  /** No jump from INPUT to our main chain. */
  readonly jumpMissing: boolean;
  /** Our jump is duplicated or sits before the RTPENGINE rule; the apply moves it. */
  readonly jumpMisplaced: boolean;
  /** The INPUT policy changes. `from` is whatever the node has (ACCEPT when no filter table is loaded). */
  readonly policyChange?: { readonly from: string; readonly to: Policy };
  /** Everything above as preview lines, in apply order. */
  readonly lines: readonly string[];
}

const SHORT: Record<Family, string> = { ipv4: "v4", ipv6: "v6" };

/**
 * The words of a rule as a person reads them: without the match modules iptables-save repeats after `-p`
 * (`-m tcp`), and with the `ngcp-fleet:` comment shown as `(label)` at the end.
 */
export function describeRule(sign: "+" | "-", rule: Rule): string {
  const words: string[] = [];
  let comment: string | null = null;
  for (let index = 0; index < rule.args.length; index += 1) {
    const word = rule.args[index];
    const next = rule.args[index + 1];
    if (word === "-m" && (next === "tcp" || next === "udp" || next === "icmp" || next === "icmp6")) {
      index += 1;
      continue;
    }
    if (word === "-m" && next === "comment" && rule.args[index + 2] === "--comment") {
      comment = rule.args[index + 3] ?? "";
      index += 3;
      continue;
    }
    words.push(/[\s"]/.test(word) || word.length === 0 ? JSON.stringify(word) : word);
  }
  const label = rule.label.length > 0 ? rule.label : comment;
  return `${sign} ${SHORT[rule.family]} ${rule.chain} ${words.join(" ")}${label === null ? "" : ` (${label})`}`;
}

function change(sign: "+" | "-", rule: Rule): RuleChange {
  return { ...rule, description: describeRule(sign, rule) };
}

/** Longest-common-subsequence diff of two rule sequences by their words. */
function sequenceDiff(wanted: readonly Rule[], present: readonly Rule[]): { added: Rule[]; removed: Rule[] } {
  const rows = wanted.length;
  const cols = present.length;
  // lengths[i][j]: LCS length of wanted[i..] and present[j..]
  const lengths: number[][] = Array.from({ length: rows + 1 }, () => new Array<number>(cols + 1).fill(0));
  for (let i = rows - 1; i >= 0; i -= 1) {
    for (let j = cols - 1; j >= 0; j -= 1) {
      lengths[i][j] = sameArgs(wanted[i].args, present[j].args)
        ? lengths[i + 1][j + 1] + 1
        : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const added: Rule[] = [];
  const removed: Rule[] = [];
  let i = 0;
  let j = 0;
  while (i < rows || j < cols) {
    if (i < rows && j < cols && sameArgs(wanted[i].args, present[j].args)) {
      i += 1;
      j += 1;
    } else if (j < cols && (i === rows || lengths[i][j + 1] >= lengths[i + 1][j])) {
      removed.push(present[j]);
      j += 1;
    } else {
      added.push(wanted[i]);
      i += 1;
    }
  }
  return { added, removed };
}

/** Compares one family's plan with that family's parsed `iptables-save` output. */
export function diffRules(desired: FamilyRuleset, live: LiveRuleset): RuleDiff {
  const family = desired.family;
  const filter = findTable(live, "filter");
  const liveRule = (chain: string, args: readonly string[], label: string | null): Rule => ({
    family,
    chain,
    args,
    label: label ?? "",
  });
  const added: RuleChange[] = [];
  const removed: RuleChange[] = [];
  const chainsAdded: string[] = [];
  const chainsRemoved: string[] = [];
  const lines: string[] = [];

  const livePolicy = findChain(filter, "INPUT")?.policy ?? "ACCEPT";
  const policyChange = livePolicy === desired.policy ? undefined : { from: livePolicy, to: desired.policy };
  if (policyChange !== undefined) {
    lines.push(`~ ${SHORT[family]} INPUT policy ${policyChange.from} -> ${policyChange.to}`);
  }

  const fixups = planInputFixups(desired, live);
  if (fixups.createRtpengineChain) {
    lines.push(`+ ${SHORT[family]} chain RTPENGINE (rtpengine user chain)`);
  }
  for (const args of fixups.deletes) {
    const rule = change("-", liveRule("INPUT", args, sameArgs(args, desired.jump.args) ? "jump" : null));
    removed.push(rule);
    lines.push(rule.description);
  }
  if (fixups.insertRtpengine && desired.rtpengine !== null) {
    const rule = change("+", desired.rtpengine);
    added.push(rule);
    lines.push(rule.description);
  }
  if (fixups.insertJumpAt !== null) {
    const rule = change("+", desired.jump);
    added.push(rule);
    lines.push(rule.description);
  }

  for (const chain of desired.chains) {
    const present = findChain(filter, chain.name);
    if (present === undefined) {
      chainsAdded.push(chain.name);
      lines.push(`+ ${SHORT[family]} chain ${chain.name}`);
    }
    const result = sequenceDiff(
      chain.rules,
      (present?.rules ?? []).map((rule) => liveRule(chain.name, rule.args, rule.label)),
    );
    for (const rule of result.removed) {
      const entry = change("-", rule);
      removed.push(entry);
      lines.push(entry.description);
    }
    for (const rule of result.added) {
      const entry = change("+", rule);
      added.push(entry);
      lines.push(entry.description);
    }
  }
  const wanted = desired.chains.map((chain) => chain.name);
  for (const chain of filter?.chains ?? []) {
    if (!chain.name.startsWith(CHAIN_PREFIX) || wanted.includes(chain.name)) {
      continue;
    }
    chainsRemoved.push(chain.name);
    for (const rule of chain.rules) {
      const entry = change("-", liveRule(chain.name, rule.args, rule.label));
      removed.push(entry);
      lines.push(entry.description);
    }
    lines.push(`- ${SHORT[family]} chain ${chain.name}`);
  }
  return {
    family,
    added,
    removed,
    chainsAdded,
    chainsRemoved,
    rtpengineMissing: fixups.rtpengineMissing,
    jumpMissing: fixups.jumpMissing,
    jumpMisplaced: fixups.jumpMisplaced,
    ...(policyChange === undefined ? {} : { policyChange }),
    lines,
  };
}

/** True when applying would change nothing in this family. */
export function isInSync(diff: RuleDiff): boolean {
  return diff.lines.length === 0;
}

/** Both families of a node compared at once. */
export interface FirewallDiff {
  readonly ipv4: RuleDiff;
  readonly ipv6: RuleDiff;
  /** Preview lines of both families, IPv4 first. */
  readonly lines: readonly string[];
  readonly changed: boolean;
}

/** Compares the plan with the parsed `iptables-save` and `ip6tables-save` output of a node. */
export function diffFirewall(
  desired: DesiredRuleset,
  live: { readonly ipv4: LiveRuleset; readonly ipv6: LiveRuleset },
): FirewallDiff {
  const ipv4 = diffRules(desired.ipv4, live.ipv4);
  const ipv6 = diffRules(desired.ipv6, live.ipv6);
  const lines = FAMILIES.flatMap((family) => (family === "ipv4" ? ipv4 : ipv6).lines);
  return { ipv4, ipv6, lines, changed: lines.length > 0 };
}
