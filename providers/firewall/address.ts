/**
 * Networks and addresses: parsed and checked with ipaddr.js, printed the way iptables-save prints them, so a
 * planned `-s` compares equal to what the kernel reports back.
 */
import ipaddr from "ipaddr.js";

import type { Family } from "./inputs";

/** A network as planned: its family, its iptables-save form, and whether it is the whole family (`/0`). */
export interface Network {
  readonly family: Family;
  /** As iptables-save prints it after `-s`: `10.0.0.0/8`, `198.18.0.1/32`, `2001:db8::/32`. */
  readonly saved: string;
  /** `0.0.0.0/0` or `::/0`: iptables-save omits such a `-s`, so the planner does too. */
  readonly everyone: boolean;
}

/** The result of reading one network from the inputs. */
export type NetworkParse =
  { readonly ok: true; readonly network: Network } | { readonly ok: false; readonly reason: string };

const EXAMPLES = "a network in CIDR notation (198.18.0.0/24, 2001:db8::/32) or a single address";

/**
 * Reads a network (`a.b.c.d/len`, `x:y::/len`) or one address (a host: `/32`, `/128`). Refuses what
 * iptables would silently change: host bits set below the prefix (iptables masks `10.1.2.3/8` to
 * `10.0.0.0/8`), IPv4 shorthand such as `10.1` (inet_aton accepts it), and IPv6 zone ids.
 */
export function parseNetwork(text: unknown): NetworkParse {
  if (typeof text !== "string" || text.trim() !== text || text.length === 0) {
    return { ok: false, reason: `must be ${EXAMPLES}, got: ${JSON.stringify(text)}` };
  }
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? null : text.slice(slash + 1);
  if (/^::(\d{1,3}\.){3}\d{1,3}$/.test(addressText)) {
    // ipaddr.js reads this deprecated IPv4-compatible form (RFC 4291, 2.5.5.1) as IPv4-mapped, iptables as
    // ::c612:1 and so on: the two would disagree on which address is meant.
    return {
      ok: false,
      reason: `uses the deprecated IPv4-compatible form ::a.b.c.d, which tools read differently; write ::ffff:${addressText.slice(2)} for an IPv4-mapped address, or the address in hex, got: ${text}`,
    };
  }
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(addressText)) {
    address = ipaddr.IPv4.parse(addressText);
  } else if (ipaddr.IPv6.isValid(addressText) && !addressText.includes("%")) {
    address = ipaddr.IPv6.parse(addressText);
  } else {
    return { ok: false, reason: `must be ${EXAMPLES}, got: ${text}` };
  }
  const family: Family = address.kind() === "ipv4" ? "ipv4" : "ipv6";
  const maxPrefix = family === "ipv4" ? 32 : 128;
  let prefix = maxPrefix;
  if (prefixText !== null) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      return {
        ok: false,
        reason: `prefix length must be 0..${maxPrefix} for an ${family === "ipv4" ? "IPv4" : "IPv6"} network, got: ${text}`,
      };
    }
    prefix = Number(prefixText);
  }
  const networkBytes = maskBytes(address.toByteArray(), prefix);
  const network = ipaddr.fromByteArray(networkBytes);
  if (!sameBytes(networkBytes, address.toByteArray())) {
    return {
      ok: false,
      reason: `has host bits set below /${prefix}: iptables would silently use ${formatAddress(network)}/${prefix}; write that, or the intended prefix, got: ${text}`,
    };
  }
  return {
    ok: true,
    network: { family, saved: `${formatAddress(network)}/${prefix}`, everyone: prefix === 0 },
  };
}

/** Reads one address (no prefix) such as the deployer's; an IPv4-mapped IPv6 address counts as IPv4. */
export function parseAddress(
  text: unknown,
):
  | { readonly ok: true; readonly family: Family; readonly address: string }
  | { readonly ok: false; readonly reason: string } {
  if (typeof text !== "string" || !ipaddr.isValid(text) || text.includes("/") || text.includes("%")) {
    return {
      ok: false,
      reason: `must be one IPv4 or IPv6 address (no prefix), got: ${JSON.stringify(text)}`,
    };
  }
  if (ipaddr.IPv4.isValid(text) && !ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return { ok: false, reason: `must be a dotted-quad IPv4 address, got: ${text}` };
  }
  const address = ipaddr.process(text);
  return { ok: true, family: address.kind() === "ipv4" ? "ipv4" : "ipv6", address: formatAddress(address) };
}

/** True when `address` lies inside `network` (both in iptables-save form, same family). */
export function networkContains(network: string, address: string): boolean {
  const [base, prefix] = ipaddr.parseCIDR(network);
  const candidate = ipaddr.parse(address);
  return candidate.kind() === base.kind() && candidate.match(base, prefix);
}

/** True when the two networks (iptables-save form) have at least one address in common. */
export function networksOverlap(a: string, b: string): boolean {
  const [baseA, prefixA] = ipaddr.parseCIDR(a);
  const [baseB, prefixB] = ipaddr.parseCIDR(b);
  if (baseA.kind() !== baseB.kind()) {
    return false;
  }
  // Two prefixes overlap exactly when the shorter one contains the other's base.
  return prefixA <= prefixB ? baseB.match(baseA, prefixA) : baseA.match(baseB, prefixB);
}

function maskBytes(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((byte, index) => {
    const bits = Math.max(0, Math.min(8, prefix - index * 8));
    return byte & ((0xff << (8 - bits)) & 0xff);
  });
}

function sameBytes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/**
 * Prints an address exactly as glibc's inet_ntop does, which is what iptables-save uses. ipaddr.js's
 * RFC 5952 form differs for IPv4-mapped and IPv4-compatible addresses (`::ffff:c612:1` against glibc's
 * `::ffff:198.18.0.1`), so the IPv6 case follows inet_ntop6: the longest run of at least two zero groups
 * (the first one on a tie) becomes `::`, and an address whose first 96 bits are zero, or that is
 * `::ffff:0:0/96`-mapped, ends in dotted IPv4.
 */
function formatAddress(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (address.kind() === "ipv4") {
    return address.toString();
  }
  const bytes = address.toByteArray();
  const words: number[] = [];
  for (let index = 0; index < 16; index += 2) {
    words.push((bytes[index] << 8) | bytes[index + 1]);
  }
  let bestBase = -1;
  let bestLength = 0;
  let runBase = -1;
  let runLength = 0;
  for (let index = 0; index <= 8; index += 1) {
    if (index < 8 && words[index] === 0) {
      if (runBase < 0) {
        runBase = index;
        runLength = 0;
      }
      runLength += 1;
    } else if (runBase >= 0) {
      if (runLength > bestLength) {
        bestBase = runBase;
        bestLength = runLength;
      }
      runBase = -1;
    }
  }
  if (bestLength < 2) {
    bestBase = -1;
  }
  let text = "";
  for (let index = 0; index < 8; index += 1) {
    if (bestBase >= 0 && index >= bestBase && index < bestBase + bestLength) {
      if (index === bestBase) {
        text += ":";
      }
      continue;
    }
    if (index !== 0) {
      text += ":";
    }
    if (index === 6 && bestBase === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
      text += bytes.slice(12).join(".");
      return text;
    }
    text += words[index].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLength === 8) {
    text += ":";
  }
  return text;
}
