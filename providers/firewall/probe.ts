/**
 * Probes from the deployer (the machine the provider runs on) to a node's TCP service ports, the last check
 * before an apply is confirmed. Not a node command: plain TCP connects from here, so they see exactly what
 * the deployer's own packets see.
 *
 * A connection that is refused (RST) counts as reachable: the firewall let the SYN through and nothing
 * listens (a service that is stopped is not the firewall's business). Only silence, the signature of a
 * DROP, is a failure.
 */
import { Socket } from "node:net";

/** One port the plan says the deployer can reach. */
export interface PortProbe {
  readonly label: string;
  readonly port: number;
}

/** What a probe saw. */
export interface ProbeResult extends PortProbe {
  readonly outcome: "open" | "refused" | "silent" | "error";
  readonly detail?: string;
}

/** True when the packets got through the firewall. */
export function reachable(result: ProbeResult): boolean {
  return result.outcome === "open" || result.outcome === "refused";
}

/** Connects to `host:port` once; `silent` after `timeoutMs` without any answer. */
export function probeTcp(host: string, probe: PortProbe, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let settled = false;
    const finish = (outcome: ProbeResult["outcome"], detail?: string): void => {
      if (!settled) {
        settled = true;
        socket.destroy();
        resolve({ ...probe, outcome, ...(detail === undefined ? {} : { detail }) });
      }
    };
    socket.setTimeout(timeoutMs, () => finish("silent", `no answer within ${timeoutMs} ms`));
    socket.once("connect", () => finish("open"));
    socket.once("error", (error: NodeJS.ErrnoException) =>
      error.code === "ECONNREFUSED" ? finish("refused") : finish("error", error.code ?? error.message),
    );
    socket.connect(probe.port, host);
  });
}

/** Probes every port at once. */
export function probeAll(
  host: string,
  probes: readonly PortProbe[],
  timeoutMs: number,
): Promise<ProbeResult[]> {
  return Promise.all(probes.map((probe) => probeTcp(host, probe, timeoutMs)));
}

/** `ssh 22/tcp (silent: no answer within 3000 ms)` */
export function describeProbe(result: ProbeResult): string {
  return `${result.label} ${result.port}/tcp (${result.outcome}${result.detail === undefined ? "" : `: ${result.detail}`})`;
}
