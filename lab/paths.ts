import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Where the lab keeps its files. The project root is found from this module's own location (it runs from
 * lab/ under ts-node and from dist/lab/ when compiled), never from the caller's working directory.
 */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        const name = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: unknown }).name;
        if (name === "ngcp-fleet") {
          return dir;
        }
      } catch {
        // Not ours; keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the ngcp-fleet project root above ${__dirname}`);
    }
    dir = parent;
  }
}

export interface LabPaths {
  readonly root: string;
  readonly labDir: string;
  readonly stateFile: string;
  readonly lockFile: string;
  readonly deployerKey: string;
  readonly knownHosts: string;
  /** Per-node host keys, generated at a node's first up and kept across `lab down`. */
  readonly hostKeysDir: string;
  /** Key pairs of the "VM image" and of Sipwise support, generated once. */
  readonly keysDir: string;
  /** The default self-signed certificate every node ships (15.4), generated once. */
  readonly sslDir: string;
  /** MariaDB template datadirs, keyed by the hash of what they contain. */
  readonly cacheDir: string;
  readonly imageDir: string;
  readonly runtimeDir: string;
  readonly nodesDir: string;
  readonly logsDir: string;
  readonly stackFile: string;
}

/** The lab's paths: `.lab/` in the project, or $NGCP_FLEET_LAB_DIR. */
export function labPaths(): LabPaths {
  const root = projectRoot();
  const labDir = path.resolve(process.env.NGCP_FLEET_LAB_DIR || path.join(root, ".lab"));
  return {
    root,
    labDir,
    stateFile: path.join(labDir, "state.json"),
    lockFile: path.join(labDir, "lock"),
    deployerKey: path.join(labDir, "deployer_ed25519"),
    knownHosts: path.join(labDir, "known_hosts"),
    hostKeysDir: path.join(labDir, "hostkeys"),
    keysDir: path.join(labDir, "keys"),
    sslDir: path.join(labDir, "ssl"),
    cacheDir: path.join(labDir, "cache"),
    imageDir: path.join(labDir, "image"),
    runtimeDir: path.join(labDir, "runtime"),
    nodesDir: path.join(labDir, "nodes"),
    logsDir: path.join(labDir, "logs"),
    stackFile: path.join(root, "stacks", "Pulumi.lab.yaml"),
  };
}
