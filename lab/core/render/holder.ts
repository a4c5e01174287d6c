import { HOLDER_READY, NODE_BIN, NODE_MOUNTS, NODE_RUNTIME } from "../layout";

/** Quotes one argument for a POSIX shell (pure): single quotes, with embedded quotes closed and reopened. */
export function shQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) {
    return arg;
  }
  return `'${arg.replace(/'/g, `'"'"'`)}'`;
}

export interface HolderScriptInput {
  readonly name: string;
  /** Host path of the node's disk. */
  readonly nodeDir: string;
  /** Host path of the lab runtime (compiled stand-ins), mounted read-only into the node. */
  readonly runtimeDir: string;
  /** Host path of the Node.js binary the stand-ins run on. */
  readonly nodeBinary: string;
  /** Where the node's disk is staged before the overlays; must not be one of the overlaid paths. */
  readonly stage?: string;
}

/**
 * The script the holder runs inside its fresh mount and UTS namespaces (pure text), before it becomes
 * `sleep infinity` and just keeps the namespaces alive.
 *
 * Every source is first reached through a staging bind of the node's disk (on /mnt): the overlays that
 * follow cover /root, /home, /tmp, /var…, and the lab directory itself may live under one of them (a clone
 * in /root), so no source path may be resolved after the first overlay. The runtime and the node binary
 * are bound onto the staged disk, then carried into /var by a recursive bind.
 */
export function renderHolderScript(input: HolderScriptInput): string {
  const stage = input.stage ?? "/mnt";
  const q = shQuote;
  const lines = [
    "set -e",
    // unshare --propagation private already did this; repeating it costs nothing and makes the script safe alone.
    "mount --make-rprivate /",
    `mount --bind ${q(input.nodeDir)} ${stage}`,
    `mount --bind ${q(input.runtimeDir)} ${stage}${NODE_RUNTIME}`,
    `mount -o remount,bind,ro ${stage}${NODE_RUNTIME}`,
    `mount --bind ${q(input.nodeBinary)} ${stage}${NODE_BIN}`,
  ];
  for (const m of NODE_MOUNTS) {
    lines.push(`mount ${m.recursive ? "--rbind" : "--bind"} ${stage}/${m.dir} ${m.target}`);
  }
  lines.push(
    `umount -l ${stage}`,
    `hostname ${q(input.name)}`,
    `echo "$$" > ${HOLDER_READY}`,
    "exec sleep infinity",
  );
  return lines.join("\n") + "\n";
}
