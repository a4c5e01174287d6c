/**
 * TlsHandshakeCheck: after the node's `ngcpcfg apply`, a TLS handshake from the deployer to each service
 * port proves that the port serves the certificate installed (issue 5, "proof from the wire"). It runs
 * again whenever a fingerprint, a port or the files revision changes, so every `up` that changed a
 * certificate ends with this proof; `refresh` re-probes and shows a port serving something else as drift.
 */
import { isKnown } from "../common/unknown";
import type * as pulumi from "@pulumi/pulumi";
import {
  describeMismatch,
  planProbes,
  probeUntilServed,
  type HandshakeProbe,
  type ProbeOutcome,
} from "./handshake";
import type { HandshakeCheck } from "./planner";

/** What the provider receives and stores (plain values; no credentials: only the node's name and address). */
export interface TlsHandshakeCheckInputs {
  /** Node name, for messages. */
  readonly node: string;
  /** The address the deployer reaches the node's service ports at. */
  readonly host: string;
  /** The planned handshakes (TlsCertificates' `plan.handshakes`). */
  readonly handshakes: HandshakeCheck[];
  /** The node's effective port keys after the apply (NgcpConfig's `effective`). */
  readonly effective: Record<string, unknown>;
  /** TlsCertificates' `plan.filesRevision`: a new value re-runs the check after a repair. */
  readonly filesRevision: string;
  /** Computed in `check` from `handshakes` and `effective`, so the preview shows ports and fingerprints. */
  readonly probes?: HandshakeProbe[];
}

export interface TlsHandshakeCheckOutputs extends Omit<TlsHandshakeCheckInputs, "handshakes" | "effective"> {
  readonly handshakes?: HandshakeCheck[];
  readonly effective?: Record<string, unknown>;
  readonly probes: HandshakeProbe[];
  /** Port → SHA-256 fingerprint served at the last check or refresh. */
  readonly served: Record<string, string>;
  /** Ports that served another certificate (or none) at the last refresh. */
  readonly mismatches: string[];
}

function probesIdentity(probes: readonly HandshakeProbe[] | undefined): string {
  return (Array.isArray(probes) ? probes : [])
    .map((p) => `${p.port} ${[...p.acceptedSha256Fingerprints].sort().join(",")} ${p.serverName ?? ""}`)
    .sort()
    .join("\n");
}

function servedOf(outcomes: readonly ProbeOutcome[]): Record<string, string> {
  return Object.fromEntries(
    outcomes.flatMap((o) => (o.served !== undefined ? [[String(o.probe.port), o.served]] : [])),
  );
}

async function runChecks(inputs: TlsHandshakeCheckInputs): Promise<TlsHandshakeCheckOutputs> {
  const probes = inputs.probes ?? planProbes(inputs.handshakes, inputs.effective);
  const outcomes = await Promise.all(probes.map((probe) => probeUntilServed(inputs.host, probe)));
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0) {
    throw new Error(
      `TLS handshake check failed: ${failed.map((o) => describeMismatch(inputs.node, inputs.host, o)).join("; ")}. ` +
        "The certificates were installed and ngcpcfg apply ran, but the port does not serve them: check the " +
        "node's services (ngcpcfg apply output, the service's log) and run up again.",
    );
  }
  return storedOutputs({ ...inputs, probes, served: servedOf(outcomes), mismatches: [] });
}

/**
 * What the state keeps: the probes (ports and accepted fingerprints, derived from `handshakes` and
 * `effective`, which stay in the inputs only) and what the ports served.
 */
export function storedOutputs(outputs: TlsHandshakeCheckOutputs): TlsHandshakeCheckOutputs {
  const { handshakes: _handshakes, effective: _effective, ...kept } = outputs;
  return kept;
}

export const tlsHandshakeCheckProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: TlsHandshakeCheckInputs, news: TlsHandshakeCheckInputs) {
    if (!isKnown(news.handshakes) || !isKnown(news.effective)) {
      return { inputs: news, failures: [] };
    }
    return { inputs: { ...news, probes: planProbes(news.handshakes, news.effective) }, failures: [] };
  },

  async diff(_id: string, olds: TlsHandshakeCheckOutputs, news: TlsHandshakeCheckInputs) {
    const changes =
      olds.host !== news.host ||
      olds.filesRevision !== news.filesRevision ||
      probesIdentity(olds.probes) !== probesIdentity(news.probes) ||
      (olds.mismatches ?? []).length > 0;
    return { changes, replaces: [], deleteBeforeReplace: false };
  },

  async create(inputs: TlsHandshakeCheckInputs) {
    return { id: `${inputs.node}:tls-handshake`, outs: await runChecks(inputs) };
  },

  async update(_id: string, _olds: TlsHandshakeCheckOutputs, news: TlsHandshakeCheckInputs) {
    return { outs: await runChecks(news) };
  },

  async read(id: string, props: TlsHandshakeCheckOutputs) {
    const outcomes = await Promise.all(
      (props.probes ?? []).map((probe) => probeUntilServed(props.host, probe, { deadlineMs: 0 })),
    );
    const mismatches = outcomes.filter((o) => !o.ok).map((o) => describeMismatch(props.node, props.host, o));
    return { id, props: storedOutputs({ ...props, served: servedOf(outcomes), mismatches }) };
  },

  async delete() {
    // A check owns nothing on the node.
  },
};
