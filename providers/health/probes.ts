import { createSocket } from "node:dgram";
import { connect as tcpConnect } from "node:net";
import { sessionFor } from "../transport/session";
import type { NodeTarget } from "../transport/target";
import { optionsRequest, responseStatus } from "./sip";

export interface ProbeResult {
  readonly probe: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** SSH answers: the node runs a command (on the pooled connection, reopened if it dropped). */
export async function probeSsh(target: NodeTarget): Promise<ProbeResult> {
  const probe = `ssh ${target.host}:${target.port ?? 22}`;
  try {
    await (await sessionFor(target)).exec(["true"], { timeoutMs: 10_000 });
    return { probe, ok: true, detail: "ran a command" };
  } catch (err) {
    return { probe, ok: false, detail: (err as Error).message };
  }
}

/** SIP OPTIONS over UDP gets `200`. */
export function probeSipOptions(host: string, port: number, timeoutMs = 3000): Promise<ProbeResult> {
  const probe = `SIP OPTIONS udp ${host}:${port}`;
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
    // Declared before `done` uses it: Pulumi's closure serializer cannot follow a later declaration.
    let timer: NodeJS.Timeout | undefined = undefined;
    const done = (ok: boolean, detail: string) => {
      clearTimeout(timer);
      socket.close();
      resolve({ probe, ok, detail });
    };
    timer = setTimeout(() => done(false, `no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on("error", (err) => done(false, err.message));
    socket.bind(0, () => {
      const { text, callId } = optionsRequest(
        { host, port },
        { host: "0.0.0.0", port: socket.address().port },
        "UDP",
      );
      socket.on("message", (message) => {
        const status = responseStatus(message.toString("utf8"), callId);
        if (status !== undefined && status >= 200) {
          done(status === 200, `answered ${status}`);
        }
      });
      socket.send(text, port, host);
    });
  });
}

/** A TCP port accepts a connection. */
export function probeTcp(host: string, port: number, label: string, timeoutMs = 3000): Promise<ProbeResult> {
  const probe = `${label} tcp ${host}:${port}`;
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: timeoutMs });
    const done = (ok: boolean, detail: string) => {
      socket.destroy();
      resolve({ probe, ok, detail });
    };
    socket.once("connect", () => done(true, "accepted a connection"));
    socket.once("timeout", () => done(false, `no answer within ${timeoutMs} ms`));
    socket.once("error", (err) => done(false, err.message));
  });
}
