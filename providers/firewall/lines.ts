/**
 * The firewall as the preview shows it: one entry per rule, keyed by the rule as a person reads it
 * (`v4 NGCP-FLEET-ADMIN -s 198.18.0.1/32 -p tcp --dport 22 -j ACCEPT`), valued by its purpose (`ssh`).
 *
 * Why a map and not a list: the dynamic-provider host of @pulumi/pulumi 3.248 cannot return a detailed
 * diff, so the engine shows the difference between the old and the new inputs. For a list, one inserted
 * rule shifts every later index and the preview shows all of them as changed; for a map, the preview shows
 * exactly the rules added (`+ "v4 … --dport 5070 …": "sip"`) and removed. Order matters to iptables and a
 * map has none, so `rulesOrder` (a digest of the ordered entries) goes next to it.
 *
 * The planned map comes from the plan; the live map from the node's `iptables-save`, built the same way,
 * so equal maps mean "nothing to apply". Pure.
 */
import { createHash } from "node:crypto";

import { describeRule } from "./diff";
import { FAMILIES, type Family } from "./inputs";
import { CHAIN_PREFIX, type DesiredRuleset, type FamilyRuleset, type Rule } from "./model";
import { planInputFixups } from "./render";
import { findChain, findTable, sameArgs, type LiveRuleset } from "./save";

/** Rule entries of both families: rule text → purpose. */
export type RuleMap = Record<string, string>;

/** The boot files a family's ruleset is persisted to. */
export const PERSISTENCE_FILES: Record<Family, string> = {
  ipv4: "/etc/iptables/rules.v4",
  ipv6: "/etc/iptables/rules.v6",
};

const SHORT: Record<Family, string> = { ipv4: "v4", ipv6: "v6" };

/** `v4 INPUT policy`: the key of the INPUT policy entry. */
export function policyKey(family: Family): string {
  return `${SHORT[family]} INPUT policy`;
}

/** `v4 boot file /etc/iptables/rules.v4`: the key of the persistence entry. */
export function bootFileKey(family: Family): string {
  return `${SHORT[family]} boot file ${PERSISTENCE_FILES[family]}`;
}

/** The value of a boot-file entry whose file would bring the firewall back at boot. */
export const BOOT_FILE_IN_SYNC = "holds this ruleset";

/** The rule as a person reads it: family, chain, words without the repeated match modules and the comment. */
export function ruleKey(rule: Rule): string {
  const words: string[] = [];
  for (let index = 0; index < rule.args.length; index += 1) {
    if (
      rule.args[index] === "-m" &&
      rule.args[index + 1] === "comment" &&
      rule.args[index + 2] === "--comment"
    ) {
      index += 3;
      continue;
    }
    words.push(rule.args[index]);
  }
  // describeRule drops `-m tcp` and friends and quotes odd words; without a label it adds no suffix.
  return describeRule("+", { ...rule, args: words, label: "" }).slice(2);
}

/** Adds entries to a map; a rule present twice (a duplicated jump, a hand-made copy) shows as `label ×2`. */
function adder(map: RuleMap): (key: string, value: string) => void {
  const seen: Record<string, { value: string; count: number }> = {};
  return (key, value) => {
    const entry = seen[key] ?? { value, count: 0 };
    entry.count += 1;
    seen[key] = entry;
    map[key] = entry.count === 1 ? entry.value : `${entry.value} ×${entry.count}`;
  };
}

/** What the plan wants, per family: policy, the RTPENGINE rule, the jump, every rule of our chains. */
export function plannedRules(desired: DesiredRuleset, persist: boolean): RuleMap {
  const map: RuleMap = {};
  const add = adder(map);
  for (const family of FAMILIES) {
    const ruleset = desired[family];
    map[policyKey(family)] = ruleset.policy;
    if (ruleset.rtpengine !== null) {
      add(ruleKey(ruleset.rtpengine), "rtpengine");
    }
    add(ruleKey(ruleset.jump), "jump");
    for (const chain of ruleset.chains) {
      for (const rule of chain.rules) {
        add(ruleKey(rule), rule.label);
      }
    }
    if (persist) {
      map[bootFileKey(family)] = BOOT_FILE_IN_SYNC;
    }
  }
  return map;
}

/**
 * What the node has, in the same terms: its INPUT policy, the RTPENGINE rule and our jump when present
 * (a misplaced jump says so), every rule of every chain of ours (stale ones included), and whether the boot
 * file would restore the firewall. `bootFiles` null: persistence is not managed, no entry.
 */
export function liveRules(
  desired: DesiredRuleset,
  live: { readonly ipv4: LiveRuleset; readonly ipv6: LiveRuleset },
  bootFiles: { readonly ipv4: boolean; readonly ipv6: boolean } | null,
): RuleMap {
  const map: RuleMap = {};
  const add = adder(map);
  for (const family of FAMILIES) {
    const ruleset = desired[family];
    const filter = findTable(live[family], "filter");
    map[policyKey(family)] = findChain(filter, "INPUT")?.policy ?? "ACCEPT";
    const fixups = planInputFixups(ruleset, live[family]);
    if (ruleset.rtpengine !== null && !fixups.rtpengineMissing) {
      add(ruleKey(ruleset.rtpengine), "rtpengine");
    }
    if (!fixups.jumpMissing) {
      add(ruleKey(ruleset.jump), fixups.jumpMisplaced ? "jump (misplaced or repeated)" : "jump");
    }
    // Planned chains in the plan's order (iptables-save sorts them by name), then stale ones of ours.
    const wanted = ruleset.chains.map((chain) => chain.name);
    const ours = [
      ...wanted.flatMap((name) => findChain(filter, name) ?? []),
      ...(filter?.chains ?? []).filter(
        (chain) => chain.name.startsWith(CHAIN_PREFIX) && !wanted.includes(chain.name),
      ),
    ];
    for (const chain of ours) {
      if (!wanted.includes(chain.name)) {
        add(`${SHORT[family]} chain ${chain.name}`, "stale chain");
      }
      for (const rule of chain.rules) {
        add(
          ruleKey({ family, chain: chain.name, args: rule.args, label: "" }),
          rule.label ?? "not ngcp-fleet's",
        );
      }
    }
    if (bootFiles !== null) {
      map[bootFileKey(family)] = bootFiles[family] ? BOOT_FILE_IN_SYNC : "missing or different";
    }
  }
  return map;
}

/** Digest of the rule order, so that a rule moved within its chain is a change although the map is equal. */
export function rulesOrder(map: RuleMap): string {
  return `sha256:${createHash("sha256").update(Object.keys(map).join("\n")).digest("hex").slice(0, 16)}`;
}

/** True when two maps have the same entries (key order ignored, never JSON.stringify). */
export function sameRules(a: RuleMap | undefined, b: RuleMap | undefined): boolean {
  if (a === undefined || b === undefined) {
    return a === b;
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && a[key] === b[key]);
}

/** Rules in the map: every entry but the policies and the boot files. */
export function countRules(map: RuleMap): number {
  return Object.keys(map).filter(
    (key) => !FAMILIES.some((family) => key === policyKey(family) || key === bootFileKey(family)),
  ).length;
}

/**
 * True when a boot file would bring the firewall back: its filter table holds our chains, our jump and the
 * policy. The RTPENGINE rule is left out of boot files on purpose (rtpengine inserts it when it starts).
 */
export function bootFileHolds(ruleset: FamilyRuleset, file: LiveRuleset | null): boolean {
  if (file === null) {
    return false;
  }
  const withoutRtpengine: FamilyRuleset = { ...ruleset, rtpengine: null, rtpengineUserChain: false };
  const filter = findTable(file, "filter");
  if (filter === undefined) {
    return false;
  }
  const fixups = planInputFixups(withoutRtpengine, file);
  if (fixups.jumpMissing || fixups.jumpMisplaced || findChain(filter, "INPUT")?.policy !== ruleset.policy) {
    return false;
  }
  return ruleset.chains.every((chain) => {
    const present = findChain(filter, chain.name)?.rules ?? [];
    return (
      present.length === chain.rules.length &&
      chain.rules.every((rule, index) => sameArgs(rule.args, present[index].args))
    );
  });
}
