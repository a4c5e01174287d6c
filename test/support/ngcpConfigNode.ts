/**
 * What a lab node's config layer did, read with the node's own tools (independent of the code under test):
 * the stand-in ngcpcfg's apply journal, config.yml's hash, one of its values.
 */
import { nodeShell } from "./labTargets";

const APPLY_JOURNAL = "/var/log/ngcp-lab/ngcpcfg-apply.jsonl";

/** How many `ngcpcfg apply` runs ended "ok" on the node. */
export function appliesOn(node: string): number {
  return Number(
    nodeShell(node, `cat ${APPLY_JOURNAL} 2>/dev/null | grep -c '"status":"ok"' || true`).trim() || "0",
  );
}

/** The SHA-256 of the node's /etc/ngcp-config/config.yml. */
export function configSha(node: string): string {
  return nodeShell(node, "sha256sum /etc/ngcp-config/config.yml").split(" ")[0];
}

/** A dotted key of the node's config.yml, as Python's YAML prints it. */
export function configValue(node: string, key: string): string {
  const script = `python3 -c 'import sys,yaml; d=yaml.safe_load(open("/etc/ngcp-config/config.yml"))\nfor k in sys.argv[1].split("."): d=d[k]\nprint(d)' ${key}`;
  return nodeShell(node, script).trim();
}
