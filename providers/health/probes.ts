import { sessionFor } from "../transport/session";
import type { NodeTarget } from "../transport/target";
import { probeSipOptions as probeSip, probeTcp as transportProbeTcp } from "../transport/probe";

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

/** SIP OPTIONS over UDP gets `200` (the transport's probe, read as the gate reads it). */
export async function probeSipOptions(host: string, port: number, timeoutMs = 3000): Promise<ProbeResult> {
  const result = await probeSip(host, { label: "SIP OPTIONS", port }, timeoutMs);
  return {
    probe: `SIP OPTIONS udp ${host}:${port}`,
    ok: result.outcome === "open",
    detail: result.detail ?? "",
  };
}

/** A TCP port accepts a connection (refused fails here: the service must be up). */
export async function probeTcp(
  host: string,
  port: number,
  label: string,
  timeoutMs = 3000,
): Promise<ProbeResult> {
  const result = await transportProbeTcp(host, { label, port }, timeoutMs);
  return {
    probe: `${label} tcp ${host}:${port}`,
    ok: result.outcome === "open",
    detail: result.outcome === "open" ? "accepted a connection" : (result.detail ?? result.outcome),
  };
}
