import { NODE_BIN, NODE_RUNTIME } from "../layout";

/** A vendor command stand-in: the name installed in the node's /usr/local/sbin and its compiled entry point. */
export interface StandinEntry {
  readonly command: string;
  /** Module under lab/standins/, without extension. */
  readonly module: string;
  /**
   * Installed with the node's image. `ngcp-support-access` is not when the `ngcp-support-noaccess` package
   * replaced it: the apt-get stand-in installs and removes that wrapper, as dpkg would the real tool.
   */
  readonly preinstalled: boolean;
}

export const STANDINS: readonly StandinEntry[] = [
  { command: "ngcpcfg", module: "ngcpcfg", preinstalled: true },
  { command: "ngcp-support-access", module: "supportAccess", preinstalled: true },
  { command: "apt-get", module: "aptGet", preinstalled: true },
  { command: "ngcp-reset-db", module: "resetDb", preinstalled: true },
  { command: "ngcp-toggle-performance-config", module: "togglePerformance", preinstalled: true },
  { command: "ngcp-lab-services", module: "labServices", preinstalled: true },
];

/** Path inside the node of a stand-in's compiled entry point. */
export function standinScript(module: string): string {
  return `${NODE_RUNTIME}/lab/standins/${module}.js`;
}

/**
 * The wrapper script installed as /usr/local/sbin/<command> (pure text). It runs the compiled TypeScript
 * stand-in on the deployer's own Node.js binary, bound into the node; `$0` is passed on so usage texts
 * name the command the way the real tools do.
 */
export function renderWrapper(entry: StandinEntry): string {
  return (
    "#!/bin/sh\n" +
    `# ngcp-fleet lab stand-in for ${entry.command}; contract: lab/README.md, "Stand-in contract".\n` +
    'NGCP_LAB_ARGV0="$0"\n' +
    "export NGCP_LAB_ARGV0\n" +
    `exec ${NODE_BIN} ${standinScript(entry.module)} "$@"\n`
  );
}
