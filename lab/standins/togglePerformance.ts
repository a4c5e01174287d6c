import * as fs from "node:fs";
import * as path from "node:path";
import { isScalar, parseDocument, type Document } from "yaml";
import { parseMemTotalMb } from "../core/capacity";
import { highPerformance, LOW_PERFORMANCE, togglePerformanceUsage, type KeyValue } from "../core/performance";
import { atomicWrite, CONFIG_DIR, die, out } from "./common";

/**
 * Stand-in for `ngcp-toggle-performance-config` (handbook 15.7): sets the table 10 values of a low- or a
 * high-performance system in config.yml, keeping every comment and every other key as it is. Like
 * editing config.yml by hand, the change takes effect with `ngcpcfg apply`. Contract: lab/README.md.
 */

const CONFIG = path.join(CONFIG_DIR, "config.yml");

/** Sets a key, keeping the existing scalar's quoting style ('no' stays quoted). Returns whether it changed. */
function setKeepingStyle(doc: Document, kv: KeyValue): boolean {
  const node = doc.getIn(kv.path, true);
  if (isScalar(node)) {
    if (node.value === kv.value) {
      return false;
    }
    node.value = kv.value;
    return true;
  }
  doc.setIn(kv.path, kv.value);
  return true;
}

export function main(argv: string[]): void {
  const argv0 = process.env.NGCP_LAB_ARGV0 || "ngcp-toggle-performance-config";
  const usage = togglePerformanceUsage(argv0);
  const mode = argv[0];
  if (mode === "--help") {
    process.stdout.write(usage);
    return;
  }
  if (mode !== "--high-performance" && mode !== "--low-performance") {
    process.stdout.write(usage);
    process.exit(1);
  }
  const values =
    mode === "--low-performance"
      ? LOW_PERFORMANCE
      : highPerformance(parseMemTotalMb(fs.readFileSync("/proc/meminfo", "utf8")));
  const doc = parseDocument(fs.readFileSync(CONFIG, "utf8"));
  if (doc.errors.length > 0) {
    die(`Error: Invalid file syntax in ${CONFIG}: ${doc.errors[0].message}`);
  }
  const changed = values.filter((kv) => setKeepingStyle(doc, kv));
  if (changed.length > 0) {
    atomicWrite(CONFIG, doc.toString());
  }
  out(`Adjusting configuration for ${mode === "--low-performance" ? "low" : "normal/high"} performance:`);
  for (const kv of values) {
    out(`  ${kv.path.join(".")}: ${kv.value}${changed.includes(kv) ? "" : " (unchanged)"}`);
  }
  out("Execute 'ngcpcfg apply \"<message>\"' to apply the changes.");
}

if (require.main === module) {
  main(process.argv.slice(2));
}
