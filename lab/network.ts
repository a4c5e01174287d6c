import * as fs from "node:fs";
import { run, runRaw } from "./exec";
import { macFor } from "./core/seed/system";
import type { NodeSpec, OutsiderSpec } from "./core/topology";
import { BRIDGE_NAME, DEPLOYER, NETNS_PREFIX, PREFIX4, PREFIX6 } from "./core/topology";

/**
 * The lab's network, in the root namespace: one bridge with the deployer's addresses, and per node (and for
 * the outsider) a named network namespace joined to the bridge by a veth pair. Nodes get no default route:
 * the only route they have is the connected lab subnet, so nothing from a node can leave the lab.
 */

const ip = (args: readonly string[]): Promise<unknown> => run("ip", args);

export async function linkExists(name: string): Promise<boolean> {
  return (await runRaw("ip", ["link", "show", "dev", name])).code === 0;
}

export function netnsExists(namespace: string): boolean {
  return fs.existsSync(`/run/netns/${namespace}`);
}

/** Named namespaces that belong to the lab (found by name, so `lab down` works without a state file). */
export async function labNamespaces(): Promise<string[]> {
  const r = await runRaw("ip", ["netns", "list"]);
  return r.stdout
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(NETNS_PREFIX));
}

/** Whether /run/netns is a mount point now (`ip netns add` turns it into one if it is not). */
export function runNetnsIsMountPoint(): boolean {
  const mountinfo = fs.readFileSync("/proc/self/mountinfo", "utf8");
  return mountinfo.split("\n").some((l) => l.split(" ")[4] === "/run/netns");
}

export async function ensureBridge(): Promise<void> {
  if (await linkExists(BRIDGE_NAME)) {
    return;
  }
  // No STP and no forwarding delay: ports forward as soon as they are up.
  await ip(["link", "add", BRIDGE_NAME, "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
  await ip(["addr", "add", `${DEPLOYER.ipv4}/${PREFIX4}`, "dev", BRIDGE_NAME]);
  // nodad: the address is usable at once instead of after duplicate address detection (~2 s).
  await ip(["-6", "addr", "add", `${DEPLOYER.ipv6}/${PREFIX6}`, "dev", BRIDGE_NAME, "nodad"]);
  await ip(["link", "set", BRIDGE_NAME, "up"]);
}

/** Creates (or completes) the namespace of a node or of the outsider and its veth pair on the bridge. */
export async function ensureNamespaceLink(spec: NodeSpec | OutsiderSpec): Promise<void> {
  if (!netnsExists(spec.namespace)) {
    // A veth of that name without the namespace is a leftover whose peer is elsewhere (or gone): replace it.
    if (await linkExists(spec.vethHost)) {
      await runRaw("ip", ["link", "del", spec.vethHost]);
    }
    await ip(["netns", "add", spec.namespace]);
  }
  if (!(await linkExists(spec.vethHost))) {
    const mac = "index" in spec ? macFor(spec.index) : macFor(0xfa);
    await ip([
      "link",
      "add",
      spec.vethHost,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "address",
      mac,
      "netns",
      spec.namespace,
    ]);
  }
  await ip(["link", "set", spec.vethHost, "master", BRIDGE_NAME, "up"]);
  const inNs = [
    "link set lo up",
    `addr replace ${spec.ipv4}/${PREFIX4} dev eth0`,
    `addr replace ${spec.ipv6}/${PREFIX6} dev eth0 nodad`,
    "link set eth0 up",
  ].join("\n");
  await run("ip", ["-n", spec.namespace, "-batch", "-"], { input: inNs + "\n" });
}

export async function deleteNamespace(namespace: string, vethHost?: string): Promise<void> {
  // The veth goes first, explicitly: deleting one end removes the pair at once, whereas a pair left to the
  // namespace's deletion dies later in the kernel's cleanup work queue, where a `lab up` right after
  // `lab down` would trip over a dying interface of the same name.
  if (vethHost && (await linkExists(vethHost))) {
    const r = await runRaw("ip", ["link", "del", vethHost]);
    if (r.code !== 0 && (await linkExists(vethHost))) {
      throw new Error(`cannot delete ${vethHost}: ${r.stderr.trim()}`);
    }
  }
  if (netnsExists(namespace)) {
    await ip(["netns", "del", namespace]);
  }
}

export async function deleteBridge(): Promise<void> {
  if (await linkExists(BRIDGE_NAME)) {
    await ip(["link", "del", BRIDGE_NAME]);
  }
}
