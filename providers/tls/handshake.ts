/**
 * Proof from the wire (issue 5): a TLS handshake from the deployer to a service port of a node, and the
 * SHA-256 fingerprint of the certificate the port presents. The certificate is not verified (the point is
 * to see which one is served, a self-signed or private-CA one included); its fingerprint is compared with
 * the one installed.
 *
 * Like the rollout's health probes (providers/health/probes.ts) this talks to the node's service port,
 * not over SSH: what a client sees is the thing to prove.
 */
import { isIP } from "node:net";
import { connect } from "node:tls";
import type { HandshakeCheck } from "./planner";
import { TLS_SERVICE_SPECS, resolveServicePort, type TlsServiceName } from "./services";

/** One port to probe, with the fingerprints it may serve. Plain data: stored in state, shown in preview. */
export interface HandshakeProbe {
  /** The services served on the port, as people name them (`customer self-care interface`). */
  readonly label: string;
  readonly services: readonly TlsServiceName[];
  readonly port: number;
  /** The config key the port came from; absent when the handbook's default port is used. */
  readonly portKey?: string;
  readonly acceptedSha256Fingerprints: readonly string[];
  /** SNI: the configured hostname, when it is a DNS name (SNI cannot carry an address, RFC 6066). */
  readonly serverName?: string;
}

/**
 * The probes for planned handshakes on a node whose effective config is `effective` (dotted key → value,
 * null when absent; NgcpConfig's `effective` output). Pure.
 */
export function planProbes(
  handshakes: readonly HandshakeCheck[],
  effective: Readonly<Record<string, unknown>>,
): HandshakeProbe[] {
  return handshakes.map((check) => {
    const spec = TLS_SERVICE_SPECS[check.services[0]];
    const resolved = resolveServicePort(spec, (key) => effective[key] ?? undefined);
    const serverName =
      check.serverName !== undefined && isIP(check.serverName) === 0 ? check.serverName : undefined;
    return {
      label: check.services.map((service) => TLS_SERVICE_SPECS[service].label).join(" and "),
      services: [...check.services],
      port: resolved.port,
      ...(resolved.key !== undefined ? { portKey: resolved.key } : {}),
      acceptedSha256Fingerprints: [...check.acceptedSha256Fingerprints],
      ...(serverName !== undefined ? { serverName } : {}),
    };
  });
}

/**
 * Handshakes with `host:port` and returns the SHA-256 fingerprint (`AB:CD:…`) of the certificate the
 * port presents. Rejects with a message naming the address and the error code.
 */
export function servedFingerprint(
  host: string,
  port: number,
  options: { readonly serverName?: string; readonly timeoutMs?: number } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const address = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    // Declared before the closures that use them: the dynamic-provider serializer cannot capture a
    // variable still in its temporal dead zone.
    const socket = connect({
      host,
      port,
      // Which certificate is served is the question, not whether we trust it.
      rejectUnauthorized: false,
      ...(options.serverName !== undefined ? { servername: options.serverName } : {}),
    });
    const state: { settled: boolean; timer?: NodeJS.Timeout } = { settled: false };
    const finish = (err: Error | undefined, value?: string): void => {
      if (state.settled) {
        return;
      }
      state.settled = true;
      clearTimeout(state.timer);
      socket.destroy();
      if (err !== undefined) {
        reject(err);
      } else {
        resolve(value as string);
      }
    };
    state.timer = setTimeout(
      () => finish(new Error(`TLS handshake with ${address} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once("secureConnect", () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      finish(
        typeof fingerprint === "string" && fingerprint.length > 0
          ? undefined
          : new Error(`TLS handshake with ${address}: the port presented no certificate`),
        fingerprint,
      );
    });
    socket.once("error", (err: NodeJS.ErrnoException) => {
      finish(new Error(`TLS handshake with ${address} failed: ${err.code ?? err.message}`));
    });
  });
}

/** What one probe saw. */
export interface ProbeOutcome {
  readonly probe: HandshakeProbe;
  /** The fingerprint served, when the handshake succeeded. */
  readonly served?: string;
  /** Why the handshake failed, when it did. */
  readonly error?: string;
  readonly ok: boolean;
}

/**
 * Probes once per `intervalMs` until the port serves an accepted fingerprint or `deadlineMs` passed
 * (services restart asynchronously after `ngcpcfg apply`). Never rejects: the outcome says what was seen.
 */
export async function probeUntilServed(
  host: string,
  probe: HandshakeProbe,
  options: { readonly deadlineMs?: number; readonly intervalMs?: number } = {},
): Promise<ProbeOutcome> {
  const deadline = Date.now() + (options.deadlineMs ?? 20_000);
  const interval = options.intervalMs ?? 500;
  for (;;) {
    let outcome: ProbeOutcome;
    try {
      const served = await servedFingerprint(host, probe.port, {
        ...(probe.serverName !== undefined ? { serverName: probe.serverName } : {}),
        timeoutMs: 5000,
      });
      outcome = { probe, served, ok: probe.acceptedSha256Fingerprints.includes(served) };
    } catch (err) {
      outcome = { probe, error: (err as Error).message, ok: false };
    }
    if (outcome.ok || Date.now() + interval > deadline) {
      return outcome;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** A sentence for a failed probe, naming node, service, address, what was served and what was expected. */
export function describeMismatch(node: string, host: string, outcome: ProbeOutcome): string {
  const { probe } = outcome;
  const where = `node ${node}: the ${probe.label} on ${isIP(host) === 6 ? `[${host}]` : host}:${probe.port}${
    probe.portKey !== undefined ? ` (${probe.portKey})` : ""
  }`;
  const expected = probe.acceptedSha256Fingerprints.join(" or ");
  if (outcome.served !== undefined) {
    return `${where} serves certificate ${outcome.served}, expected ${expected}`;
  }
  return `${where} did not complete a TLS handshake (${outcome.error ?? "unknown error"}), expected certificate ${expected}`;
}
