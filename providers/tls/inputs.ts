/**
 * The plain inputs the TLS provider receives and stores (handbook 15.4): no `pulumi.Input<>` here; the
 * user-facing Args live in the resource file. Private keys arrive in plain text (the provider receives
 * secrets decrypted): nothing in this directory ever copies them into a message, an output or a diff.
 */
import { z } from "zod";
import { WEB_TLS_SERVICES, type WebTlsService } from "./services";

/** One certificate with its private key, as the operator supplies it. */
export interface CertificateMaterial {
  /**
   * The certificate, PEM. May be followed by its chain (a `fullchain.pem`): certificates after the first
   * are treated as if they came first in {@link chain}.
   */
  readonly certificate: string;
  /**
   * The intermediate certificates, PEM, the certificate's issuer first, each issued by the next. Installed
   * appended to the certificate file (apache and kamailio read a chain from the certificate file).
   * @default none: the certificate is installed alone
   */
  readonly chain?: string;
  /** The private key, PEM (PKCS#8, PKCS#1 RSA or SEC1 EC), not encrypted. A secret. */
  readonly privateKey: string;
  /**
   * The name clients connect to (DNS name or IP address); the certificate's subject alternative names
   * must cover it. @default none: coverage is not checked (a warning in production)
   */
  readonly hostname?: string;
}

/** SIP over TLS on the load balancer (handbook 15.4: `kamailio→lb→tls→…`). */
export interface SipTlsInputs {
  /** Sets `kamailio.lb.tls.enable`. @default false (the handbook: disabled by default) */
  readonly enable: boolean;
  /**
   * The certificate, PEM, as for {@link CertificateMaterial.certificate}. Given together with
   * `privateKey`. @default none: the node keeps the certificate it has (the vendor's self-signed default,
   * refused in production when `enable` is true unless `allowSelfSigned`)
   */
  readonly certificate?: string;
  /** Intermediate certificates, PEM, issuer first. @default none */
  readonly chain?: string;
  /** The private key, PEM, unencrypted. A secret. Required with `certificate`. @default none */
  readonly privateKey?: string;
  /** The SIP domain or address clients connect to; must be covered by the SANs. @default none */
  readonly hostname?: string;
}

interface TlsCommonInputs {
  /** SIP over TLS. @default none: kamailio's TLS keys are not managed */
  readonly sipTls?: SipTlsInputs;
  /**
   * The stack is production: self-signed certificates are refused (the handbook: replace the default
   * self-signed certificates before going to production). @default false
   */
  readonly production: boolean;
  /** Accept a self-signed certificate even in production. @default false */
  readonly allowSelfSigned: boolean;
  /** Warn when a certificate (or a link of its chain) has fewer days left than this. @default 30 */
  readonly warnDays: number;
}

/** One certificate, key and chain shared by all web interfaces (handbook 15.4: "shared by all"). */
export interface SharedTlsInputs extends TlsCommonInputs {
  readonly mode: "shared";
  /** The certificate of the provisioning, REST, administrator and customer self-care interfaces. */
  readonly web: CertificateMaterial;
}

/** One certificate per web interface (handbook 15.4: "separate ones for each"). */
export interface PerServiceTlsInputs extends TlsCommonInputs {
  readonly mode: "perService";
  /**
   * A certificate per interface. An interface left out keeps what the node has.
   * @default none: only SIP over TLS (if given) is managed
   */
  readonly services: Readonly<Partial<Record<WebTlsService, CertificateMaterial>>>;
}

export type TlsInputs = SharedTlsInputs | PerServiceTlsInputs;
export type TlsMode = TlsInputs["mode"];

export const TLS_INPUT_DEFAULTS = { production: false, allowSelfSigned: false, warnDays: 30 } as const;

/** A check failure, shaped like a dynamic provider's `check` failure. */
export interface TlsFailure {
  readonly property: string;
  readonly reason: string;
}

/**
 * The zod schema of {@link TlsInputs}. Built on each call, not held at module level: a schema is a class
 * instance, and a dynamic provider's local modules are serialized by value (class instances do not
 * survive). Strict objects: a misspelt key is an error, not silently ignored.
 */
export function tlsInputsSchema() {
  const pem = z.string().min(1, "must be a non-empty PEM string");
  const material = z.strictObject({
    certificate: pem,
    chain: z.string().optional(),
    privateKey: pem,
    hostname: z.string().min(1).optional(),
  });
  const sipTls = z.strictObject({
    enable: z.boolean().default(false),
    certificate: pem.optional(),
    chain: z.string().optional(),
    privateKey: pem.optional(),
    hostname: z.string().min(1).optional(),
  });
  const common = {
    sipTls: sipTls.optional(),
    production: z.boolean().default(TLS_INPUT_DEFAULTS.production),
    allowSelfSigned: z.boolean().default(TLS_INPUT_DEFAULTS.allowSelfSigned),
    warnDays: z
      .number()
      .int("must be a whole number of days")
      .min(0, "must be 0 or more days")
      .default(TLS_INPUT_DEFAULTS.warnDays),
  };
  const services = z.strictObject(
    Object.fromEntries(WEB_TLS_SERVICES.map((s) => [s, material.optional()])) as Record<
      WebTlsService,
      z.ZodOptional<typeof material>
    >,
  );
  return z.discriminatedUnion(
    "mode",
    [
      z.strictObject({ mode: z.literal("shared"), web: material, ...common }),
      z.strictObject({ mode: z.literal("perService"), services: services.default({}), ...common }),
    ],
    { error: `mode must be one of "shared", "perService"` },
  );
}

// Compile-time proof that the schema's output is a TlsInputs.
type _SchemaOutputIsTlsInputs = z.output<ReturnType<typeof tlsInputsSchema>> extends TlsInputs ? true : never;
const _schemaOutputIsTlsInputs: _SchemaOutputIsTlsInputs = true;
void _schemaOutputIsTlsInputs;

/**
 * Parses untrusted inputs (stack config, stored state) into {@link TlsInputs} with defaults applied.
 * Failures name the property (dotted path) and never echo a value: a value may be a private key.
 */
export function parseTlsInputs(
  raw: unknown,
):
  | { readonly ok: true; readonly inputs: TlsInputs }
  | { readonly ok: false; readonly failures: TlsFailure[] } {
  const result = tlsInputsSchema().safeParse(raw);
  if (result.success) {
    return { ok: true, inputs: result.data };
  }
  const failures = result.error.issues.map((issue) => ({
    property: issue.path.map(String).join(".") || "(inputs)",
    reason: issue.message,
  }));
  return { ok: false, failures };
}
