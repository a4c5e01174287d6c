/**
 * Probes from the deployer (the machine the provider runs on) to a node's service ports: plain TCP connects
 * and SIP OPTIONS over UDP from here, so they see exactly what the deployer's own packets see. One result
 * type for every probe; its readers decide what passes: for the firewall's confirmation a refused connection
 * is reachable (the SYN got through; a stopped service is not the firewall's business) and only silence, the
 * signature of a DROP, fails; for the rollout's health gate only an open port or a `200` passes.
 */
import { createSocket } from "node:dgram";
import { Socket } from "node:net";
import { optionsRequest, responseStatus } from "./sip";

/** One port the plan says the deployer can reach. */
export interface PortProbe {
  readonly label: string;
  readonly port: number;
}

/** What a probe saw: `open` (TCP accepted, or SIP answered 200), `refused`, `silent`, or `error` (with why). */
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

/** SIP OPTIONS over UDP: `open` when the node answers 200, `error` with the status otherwise. */
export function probeSipOptions(host: string, probe: PortProbe, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
    let timer: NodeJS.Timeout | undefined = undefined;
    const finish = (outcome: ProbeResult["outcome"], detail: string) => {
      clearTimeout(timer);
      socket.close();
      resolve({ ...probe, outcome, detail });
    };
    timer = setTimeout(() => finish("silent", `no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on("error", (err) => finish("error", err.message));
    socket.bind(0, () => {
      const { text, callId } = optionsRequest(
        { host, port: probe.port },
        { host: "0.0.0.0", port: socket.address().port },
        "UDP",
      );
      socket.on("message", (message) => {
        const status = responseStatus(message.toString("utf8"), callId);
        if (status !== undefined && status >= 200) {
          finish(status === 200 ? "open" : "error", `answered ${status}`);
        }
      });
      socket.send(text, probe.port, host);
    });
  });
}
