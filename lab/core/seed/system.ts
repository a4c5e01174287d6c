import type { NodeSpec } from "../topology";
import { PREFIX4, PREFIX6 } from "../topology";

/** /etc/ngcp-config/network.yml of a lab node (pure): one CE host, `self`, with its loopback and eth0. */
export function renderNetworkYml(node: NodeSpec): string {
  return [
    "---",
    "# /etc/ngcp-config/network.yml: interfaces and addresses of this node and the services bound to them.",
    '# Edit, then run: ngcpcfg apply "<summary of changes>"',
    "hosts:",
    "  self:",
    "    eth0:",
    `      hwaddr: '${macFor(node.index)}'`,
    `      ip: ${node.ipv4}`,
    `      netmask: ${netmaskFromPrefix(PREFIX4)}`,
    "      type:",
    "        - web_ext",
    "        - sip_ext",
    "        - rtp_ext",
    "        - ssh_ext",
    "        - mon_ext",
    "        - web_int",
    `      v6ip: '${node.ipv6}'`,
    `      v6netmask: ${PREFIX6}`,
    "    interfaces:",
    "      - lo",
    "      - eth0",
    "    lo:",
    "      cluster_sets:",
    "        - default",
    "      ip: 127.0.0.1",
    "      netmask: 255.0.0.0",
    "      shared_ip: []",
    "      shared_v6ip: []",
    "      type:",
    "        - sip_int",
    "        - ha_int",
    "        - aux_ext",
    "        - ssh_ext",
    "        - api_int",
    "        - rtp_int",
    "      v6ip: '::1'",
    "    role:",
    "      - proxy",
    "      - lb",
    "      - mgmt",
    "      - rtp",
    "      - db",
    "",
  ].join("\n");
}

/** A locally administered MAC address, stable per node so network.yml and the veth agree across ups. */
export function macFor(index: number): string {
  const hi = (index >> 8) & 0xff;
  const lo = index & 0xff;
  return ["02", "00", "c6", "12", hi.toString(16).padStart(2, "0"), lo.toString(16).padStart(2, "0")].join(
    ":",
  );
}

export function netmaskFromPrefix(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join(".");
}

/**
 * /etc/hosts of a node: itself by name, as Debian's installer writes it. Other nodes are left out on
 * purpose: a node's disk must not depend on how many nodes the lab has.
 */
export function renderHosts(node: NodeSpec): string {
  return (
    [
      "127.0.0.1\tlocalhost",
      `${node.ipv4}\t${node.name}`,
      "",
      "# The following lines are desirable for IPv6 capable hosts",
      "::1     localhost ip6-localhost ip6-loopback",
      "ff02::1 ip6-allnodes",
      "ff02::2 ip6-allrouters",
    ].join("\n") + "\n"
  );
}
