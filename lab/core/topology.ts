/**
 * Names and addresses of the lab (pure). Everything the lab creates on the host is named from here, so
 * `lab down` can find leftovers by name even when the state file is lost.
 *
 * Addresses come from the benchmarking ranges (RFC 2544 198.18.0.0/15, RFC 5180 2001:2::/48): they are never
 * routed on the internet, so a misdirected probe cannot leave the machine.
 */

/** Prefix of every network namespace the lab creates (`ngcplab-ngcp1`, `ngcplab-outsider`). */
export const NETNS_PREFIX = "ngcplab-";
/** The bridge in the root namespace that joins the deployer, the nodes and the outsider. */
export const BRIDGE_NAME = "ngcplab0";
/** Prefix of the host side of each veth pair (kept under the 15-character interface-name limit). */
export const VETH_PREFIX = "ngcplab-v";

export const LAB_SUBNET4 = "198.18.0.0/24";
export const LAB_SUBNET6 = "2001:2::/64";
export const PREFIX4 = 24;
export const PREFIX6 = 64;

/** The deployer (this machine, on the bridge): the only admin network of the lab stack. */
export const DEPLOYER = { ipv4: "198.18.0.1", ipv6: "2001:2::1" } as const;

/** Host part of node 1; node i gets .(10+i), so ngcp1 is 198.18.0.11. */
export const NODE_HOST_OFFSET = 10;
/** Host part of the outsider, a vantage point outside the admin networks. */
export const OUTSIDER_HOST = 250;
/** Nodes fit between .11 and .249 (the outsider holds .250). */
export const MAX_NODES_BY_ADDRESS = OUTSIDER_HOST - NODE_HOST_OFFSET - 1;

export interface NodeSpec {
  /** 1-based position in the lab. */
  readonly index: number;
  /** `ngcp<index>`: hostname, directory name and Pulumi node name. */
  readonly name: string;
  /** Named network namespace (`ip netns exec <namespace> …`). */
  readonly namespace: string;
  readonly ipv4: string;
  readonly ipv6: string;
  /** Host side of the node's veth pair, enslaved to the bridge. */
  readonly vethHost: string;
}

export interface OutsiderSpec {
  readonly name: "outsider";
  readonly namespace: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly vethHost: string;
}

/** The node at a 1-based position. */
export function nodeSpec(index: number): NodeSpec {
  if (!Number.isInteger(index) || index < 1 || index > MAX_NODES_BY_ADDRESS) {
    throw new Error(`node index must be an integer between 1 and ${MAX_NODES_BY_ADDRESS}, got: ${index}`);
  }
  const host = NODE_HOST_OFFSET + index;
  const name = `ngcp${index}`;
  return {
    index,
    name,
    namespace: `${NETNS_PREFIX}${name}`,
    ipv4: `198.18.0.${host}`,
    // Written with the same digits as the IPv4 host part (2001:2::11 for .11) so the two are easy to pair.
    ipv6: `2001:2::${host}`,
    vethHost: `${VETH_PREFIX}${index}`,
  };
}

/** Nodes 1..count. */
export function nodeSpecs(count: number): NodeSpec[] {
  return Array.from({ length: count }, (_, i) => nodeSpec(i + 1));
}

export function outsiderSpec(): OutsiderSpec {
  return {
    name: "outsider",
    namespace: `${NETNS_PREFIX}outsider`,
    ipv4: `198.18.0.${OUTSIDER_HOST}`,
    ipv6: `2001:2::${OUTSIDER_HOST}`,
    vethHost: `${VETH_PREFIX}o`,
  };
}

/** Parses `ngcp7` into 7; undefined for anything else. */
export function nodeIndexFromName(name: string): number | undefined {
  const m = /^ngcp([1-9][0-9]*)$/.exec(name);
  if (!m) {
    return undefined;
  }
  const index = Number(m[1]);
  return index <= MAX_NODES_BY_ADDRESS ? index : undefined;
}
