/**
 * The iptables-save / iptables-restore text format: reading what the kernel prints, and writing argument
 * lists back the way iptables-restore reads them.
 *
 * Rules are kept as normalized argument lists (the words after `-A CHAIN`, quotes removed), compared word by
 * word. The planner produces its rules in the exact form iptables-save prints (`-m tcp` after `-p tcp`,
 * `/32` on hosts, `--dport 30000:40000`, `--reject-with` spelled out), so "equal" means "what the kernel
 * would print back"; the fixtures in test/fixtures/firewall are real iptables-save output that proves it.
 */

import { FleetError } from "../common/fleetError";

/** One rule of a live chain. */
export interface LiveRule {
  /** The chain the rule is appended to (`-A <chain>`). */
  readonly chain: string;
  /** The words after `-A <chain>`, unquoted. */
  readonly args: readonly string[];
  /** The service named in an `ngcp-fleet: <label>` comment, or null for a rule without one. */
  readonly label: string | null;
}

/** One chain of a live table; counters are dropped. */
export interface LiveChain {
  readonly name: string;
  /** The policy of a built-in chain (`ACCEPT`, `DROP`), or null for a user chain (`-`). */
  readonly policy: string | null;
  readonly rules: readonly LiveRule[];
}

/** One table (`*filter`, `*nat`, ...) in the order iptables-save printed its chains. */
export interface LiveTable {
  readonly name: string;
  readonly chains: readonly LiveChain[];
}

/** Everything one `iptables-save` (or `ip6tables-save`) printed. No table at all when none is loaded. */
export interface LiveRuleset {
  readonly tables: readonly LiveTable[];
}

/** The prefix of the comment on every rule the firewall plans: `-m comment --comment "ngcp-fleet: ssh"`. */
export const COMMENT_PREFIX = "ngcp-fleet: ";

/** A line of iptables-save text that cannot be read; names the line so the error can be acted on. */
export class SaveParseError extends FleetError {
  constructor(
    readonly lineNumber: number,
    readonly lineText: string,
    readonly problem: string,
  ) {
    super(`iptables-save output, line ${lineNumber}: ${problem}: ${lineText}`, "SaveParseError");
  }
}

/**
 * Splits a rule into words the way iptables-restore does: whitespace separates words, double quotes group
 * them, and inside quotes a backslash takes the next character literally (iptables-save escapes `"`, `\`
 * and `'` that way in comments).
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let quoted = false;
  let escaped = false;
  for (const char of text) {
    if (quoted) {
      if (escaped) {
        current += char;
        escaped = false;
      } else if (char === "\\") {
        escaped = true;
      } else if (char === '"') {
        quoted = false;
      } else {
        current += char;
      }
      continue;
    }
    if (char === '"') {
      quoted = true;
      inWord = true;
    } else if (char === " " || char === "\t") {
      if (inWord) {
        words.push(current);
        current = "";
        inWord = false;
      }
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quoted) {
    throw new Error(`unterminated double quote in: ${text}`);
  }
  if (inWord) {
    words.push(current);
  }
  return words;
}

/** Writes one word for iptables-restore: bare when plain, else in double quotes with `"` and `\` escaped. */
export function formatWord(word: string): string {
  if (word.length > 0 && /^[^\s"'\\]+$/.test(word)) {
    return word;
  }
  return `"${word.replace(/[\\"']/g, (char) => `\\${char}`)}"`;
}

/** Writes an argument list as one line for iptables-restore. */
export function formatArgs(args: readonly string[]): string {
  return args.map(formatWord).join(" ");
}

/** The label of an `ngcp-fleet: <label>` comment in an argument list, or null. */
export function labelOf(args: readonly string[]): string | null {
  for (let index = 0; index + 1 < args.length; index += 1) {
    if (args[index] === "--comment" && args[index + 1].startsWith(COMMENT_PREFIX)) {
      return args[index + 1].slice(COMMENT_PREFIX.length);
    }
  }
  return null;
}

/** The target of an argument list (the word after `-j`), or null for a rule without one. */
export function targetOf(args: readonly string[]): string | null {
  const index = args.indexOf("-j");
  return index >= 0 && index + 1 < args.length ? args[index + 1] : null;
}

/** True when two argument lists are the same words in the same order. */
export function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((word, index) => word === b[index]);
}

interface MutableTable {
  name: string;
  chains: { name: string; policy: string | null; rules: LiveRule[] }[];
}

/**
 * Reads iptables-save / ip6tables-save output (with or without `-c` counters). Comments and blank lines
 * are skipped; counters are dropped. Throws {@link SaveParseError} on anything else it does not know, rather
 * than guess: a misread ruleset must never be applied.
 */
export function parseSave(text: string): LiveRuleset {
  const tables: MutableTable[] = [];
  let table: MutableTable | null = null;
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index += 1) {
    const lineNumber = index + 1;
    const line = lines[index].replace(/\r$/, "").trim();
    if (line.length === 0 || line.startsWith("#")) {
      continue;
    }
    if (line.startsWith("*")) {
      if (table !== null) {
        throw new SaveParseError(
          lineNumber,
          line,
          `table *${table.name} has no COMMIT before the next table`,
        );
      }
      const name = line.slice(1);
      if (!/^[a-z_]+$/.test(name)) {
        throw new SaveParseError(lineNumber, line, "not a table name");
      }
      table = { name, chains: [] };
      continue;
    }
    if (table === null) {
      throw new SaveParseError(lineNumber, line, "outside of a table (no *table line before it)");
    }
    if (line === "COMMIT") {
      tables.push(table);
      table = null;
      continue;
    }
    if (line.startsWith(":")) {
      const match = /^:(\S+)\s+(\S+)(?:\s+\[\d+:\d+\])?$/.exec(line);
      if (match === null) {
        throw new SaveParseError(lineNumber, line, "not a chain line (:NAME POLICY [packets:bytes])");
      }
      const chainName = match[1];
      if (table.chains.some((chain) => chain.name === chainName)) {
        throw new SaveParseError(lineNumber, line, `chain ${chainName} declared twice`);
      }
      table.chains.push({ name: chainName, policy: match[2] === "-" ? null : match[2], rules: [] });
      continue;
    }
    const withoutCounters = line.replace(/^\[\d+:\d+\]\s+/, "");
    if (withoutCounters.startsWith("-A ")) {
      let words: string[];
      try {
        words = splitWords(withoutCounters);
      } catch (error) {
        throw new SaveParseError(lineNumber, line, (error as Error).message);
      }
      const chainName = words[1];
      const chain = table.chains.find((candidate) => candidate.name === chainName);
      if (chain === undefined) {
        throw new SaveParseError(
          lineNumber,
          line,
          `rule for chain ${chainName}, which the table does not declare`,
        );
      }
      const args = words.slice(2);
      chain.rules.push({ chain: chainName, args, label: labelOf(args) });
      continue;
    }
    throw new SaveParseError(lineNumber, line, "not an iptables-save line");
  }
  if (table !== null) {
    throw new SaveParseError(lines.length, "", `table *${table.name} has no COMMIT`);
  }
  return { tables };
}

/** A table of a parsed ruleset, or undefined when the kernel has not loaded it. */
export function findTable(live: LiveRuleset, name: string): LiveTable | undefined {
  return live.tables.find((table) => table.name === name);
}

/** A chain of a parsed table, or undefined. */
export function findChain(table: LiveTable | undefined, name: string): LiveChain | undefined {
  return table?.chains.find((chain) => chain.name === name);
}

/**
 * The policy of INPUT in the filter table. A node whose filter table is not loaded at all (nothing ever
 * touched iptables) accepts everything: that is the kernel's default, and the policy to restore on removal.
 */
export function inputPolicy(live: LiveRuleset): string {
  return findChain(findTable(live, "filter"), "INPUT")?.policy ?? "ACCEPT";
}
