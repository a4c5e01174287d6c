/**
 * Layout of a node's disk and of the lab state directory (pure constants and path helpers).
 *
 * A node's disk is `<labDir>/nodes/<name>/`; each entry of NODE_MOUNTS is one of its sub-directories,
 * bind-mounted over the listed path inside the node's private mount namespace. Everything else (/usr, /bin,
 * /lib, /opt, /srv, /dev, /proc, /sys) is the host's, shared read-write: see lab/README.md.
 */

export interface NodeMount {
  /** Directory under the node's disk. */
  readonly dir: string;
  /** Path it covers inside the node. */
  readonly target: string;
  /** Recursive bind (carries the read-only runtime and node binary mounted below it). */
  readonly recursive?: boolean;
}

export const NODE_MOUNTS: readonly NodeMount[] = [
  { dir: "etc", target: "/etc" },
  { dir: "root", target: "/root" },
  { dir: "home", target: "/home" },
  { dir: "var", target: "/var", recursive: true },
  { dir: "run", target: "/run" },
  { dir: "tmp", target: "/tmp" },
  { dir: "usr-local-sbin", target: "/usr/local/sbin" },
];

/** Inside a node: the lab's compiled stand-ins (read-only bind of `<labDir>/runtime`). */
export const NODE_RUNTIME = "/var/lib/ngcp-lab/runtime";
/** Inside a node: the Node.js binary the stand-ins run on (a bind of the deployer's own `node`). */
export const NODE_BIN = "/var/lib/ngcp-lab/bin/node";
/** Inside a node: state of the stand-ins (support access, installed packages…). */
export const NODE_LAB_STATE = "/var/lib/ngcp-lab";
/** Inside a node: logs and journals of the stand-ins. */
export const NODE_LAB_LOG = "/var/log/ngcp-lab";
/** Inside a node: run-time files of the stand-ins (pid files, daemon status). */
export const NODE_LAB_RUN = "/run/ngcp-lab";
/** Inside a node: what `ngcpcfg build` generates for the services stand-in (its "service configs"). */
export const SERVICES_BUILD = "/etc/ngcp-lab/services.json";
/** Inside a node: the services stand-in's pid file and status. */
export const SERVICES_PID = "/run/ngcp-lab/services.pid";
export const SERVICES_STATUS = "/run/ngcp-lab/services.status.json";
/** Inside a node: services stopped on purpose with `ngcp-lab-services stop` (fault injection). */
export const SERVICES_STOPPED = "/var/lib/ngcp-lab/services.stopped";
/** Inside a node: the ngcpcfg apply journal. */
export const APPLY_JOURNAL = "/var/log/ngcp-lab/ngcpcfg-apply.jsonl";
/** Inside a node: marker the holder writes once its mounts are in place. */
export const HOLDER_READY = "/run/ngcp-lab/holder.ready";

/** Host path of a path inside a node (only for paths under one of NODE_MOUNTS). */
export function hostPathOf(nodeDir: string, nodePath: string): string {
  for (const m of NODE_MOUNTS) {
    if (nodePath === m.target || nodePath.startsWith(m.target + "/")) {
      return `${nodeDir}/${m.dir}${nodePath.slice(m.target.length)}`;
    }
  }
  throw new Error(`${nodePath} is not on a node's own disk (it is the host's)`);
}
