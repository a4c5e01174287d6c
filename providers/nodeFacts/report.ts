/**
 * What NodeFacts reads from a node, in one round trip: a POSIX sh script
 * prints each source under a marker line, and `parseFactsReport` (pure) turns
 * the text into facts.
 */

import { parseMountOptions } from "../performance/noatime";

const MARKER = "@@ngcp-fleet:";

const SOURCES: Record<string, string> = {
  hostname: "hostname",
  osRelease: "cat /etc/os-release",
  ngcpVersion: "cat /etc/ngcp_version",
  meminfo: "cat /proc/meminfo",
  mounts: "cat /proc/mounts",
  kernel: "uname -r",
};

/** The read script. Missing sources print nothing under their marker. */
export function factsScript(): string {
  return Object.entries(SOURCES)
    .map(([name, command]) => `echo '${MARKER}${name}'; ${command} 2>/dev/null || true`)
    .join("\n");
}

export interface NodeFactsValues {
  /** The node's hostname (UTS name). */
  readonly hostname: string;
  /** `PRETTY_NAME` of /etc/os-release, e.g. "Debian GNU/Linux 12 (bookworm)". */
  readonly os: string;
  /** Contents of /etc/ngcp_version, e.g. "mr11.5.1"; empty when the node is not an NGCP node. */
  readonly ngcpVersion: string;
  /** MemTotal in MiB: the base of the handbook's shm_mem = RAM/16 (15.7). */
  readonly ramMb: number;
  /** Mount options of the root filesystem (15.7 recommends `noatime`). */
  readonly rootMountOptions: string[];
  readonly kernel: string;
}

export function splitSections(report: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (current !== undefined) {
      sections.set(current, lines.join("\n"));
    }
  };
  for (const line of report.split("\n")) {
    if (line.startsWith(MARKER)) {
      flush();
      current = line.slice(MARKER.length).trim();
      lines = [];
    } else {
      lines.push(line);
    }
  }
  flush();
  return sections;
}

function osPrettyName(osRelease: string): string {
  const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease);
  return match ? match[1] : "";
}

function ramMbFromMeminfo(meminfo: string): number {
  const match = /^MemTotal:\s+(\d+)\s+kB$/m.exec(meminfo);
  return match ? Math.floor(Number(match[1]) / 1024) : 0;
}

export function parseFactsReport(report: string): NodeFactsValues {
  const sections = splitSections(report);
  const get = (name: string) => (sections.get(name) ?? "").trim();
  return {
    hostname: get("hostname"),
    os: osPrettyName(get("osRelease")),
    ngcpVersion: get("ngcpVersion"),
    ramMb: ramMbFromMeminfo(get("meminfo")),
    rootMountOptions: parseMountOptions(get("mounts")) ?? [],
    kernel: get("kernel"),
  };
}
