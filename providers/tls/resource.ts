import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";
import type { NodeTarget } from "../transport/target";
import type { HandshakeProbe } from "./handshake";
import type { TlsInputs } from "./inputs";
import type { HandshakeCheck } from "./planner";
import type { TlsCertificateOutput, TlsPublicPlan } from "./provider";
import type { TlsServiceName } from "./services";

export interface TlsCertificatesArgs {
  /** How to reach the node. */
  readonly target: pulumi.Input<NodeTarget>;
  /**
   * Certificates, chains and private keys of the web interfaces and SIP over TLS (handbook 15.4), shared
   * or per service; see providers/tls/inputs.ts. Holds private keys: pass it through `pulumi.secret`.
   * Validated by the provider's `check` (nothing is uploaded while a failure remains).
   */
  readonly tls: pulumi.Input<TlsInputs | Record<string, unknown>>;
}

/**
 * The TLS certificates of one node (handbook 15.4): validated before upload, installed atomically over
 * SFTP (keys 0600, certificates 0644, under /etc/ngcp-config/ssl), config.yml keys handed to the node's
 * NgcpConfig through `plan.settings`. A certificate replaced or deleted by hand shows on `refresh` and is
 * put back by the next `up`.
 */
export class TlsCertificates extends pulumi.dynamic.Resource {
  /** Fingerprints, paths, config keys, handshakes and warnings; no key material. Known at preview. */
  declare readonly plan: pulumi.Output<TlsPublicPlan>;
  /** Per service: SHA-256 fingerprint, not-after date, days left (at the last up or refresh), subject. */
  declare readonly certificates: pulumi.Output<Partial<Record<TlsServiceName, TlsCertificateOutput>>>;
  /** How the node departed from what was installed, as found by the last refresh. @default [] */
  declare readonly drift: pulumi.Output<string[]>;
  /** Files written by the last create or update. */
  declare readonly written: pulumi.Output<string[]>;

  constructor(name: string, args: TlsCertificatesArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("tlsCertificates"),
      name,
      { ...args, plan: undefined, certificates: undefined, drift: undefined, written: undefined },
      // `tls` holds private keys: secret in state whatever the caller passed.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["tls"] }),
      "ngcp-fleet",
      "TlsCertificates",
    );
  }
}

export interface TlsHandshakeCheckArgs {
  /** Node name, for messages. */
  readonly node: pulumi.Input<string>;
  /** The address the deployer reaches the node's service ports at (the node's SSH host). */
  readonly host: pulumi.Input<string>;
  /** TlsCertificates' `plan.handshakes`. */
  readonly handshakes: pulumi.Input<HandshakeCheck[]>;
  /** NgcpConfig's `effective` (the port keys after the apply); depending on it orders the check after the apply. */
  readonly effective: pulumi.Input<Record<string, unknown>>;
  /** TlsCertificates' `plan.filesRevision`. */
  readonly filesRevision: pulumi.Input<string>;
}

/**
 * Proof from the wire: after the apply, a TLS handshake from the deployer to each service port returns the
 * installed certificate's fingerprint, or the `up` fails naming node, service, port and both fingerprints.
 */
export class TlsHandshakeCheck extends pulumi.dynamic.Resource {
  /** The ports probed and the fingerprints each may serve. */
  declare readonly probes: pulumi.Output<HandshakeProbe[]>;
  /** Port → fingerprint served at the last check or refresh. */
  declare readonly served: pulumi.Output<Record<string, string>>;
  /** Ports that served another certificate at the last refresh. @default [] */
  declare readonly mismatches: pulumi.Output<string[]>;

  constructor(name: string, args: TlsHandshakeCheckArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("tlsHandshakeCheck"),
      name,
      { ...args, probes: undefined, served: undefined, mismatches: undefined },
      opts,
      "ngcp-fleet",
      "TlsHandshakeCheck",
    );
  }
}
