/**
 * The `tls` stack-config key (cluster-wide `ngcp-fleet:tls`, per node `nodes[].tls`) → the raw inputs of
 * the TLS resource. Pure apart from the `readFile` it is given.
 *
 * Each PEM value can be given inline (a secret: `pulumi config set --secret --path ngcp-fleet:tls.web.privateKey`)
 * or as a file on the deployer (`certificateFile`, `chainFile`, `privateKeyFile`; relative paths are
 * resolved against the project directory). Files are read by the program and their contents travel only
 * inside `pulumi.secret(...)`, so no key reaches the state in clear either way.
 *
 * Everything else (unknown keys, bad PEM, weak keys) is left for the provider's `check`, which names the
 * service and config key of every problem; this function only turns file keys into values.
 */
import { TLS_SERVICE_SPECS, WEB_TLS_SERVICES, type WebTlsService } from "./services";

/** The PEM fields of a certificate block; each also exists with a `File` suffix. */
export const PEM_FIELDS = ["certificate", "chain", "privateKey"] as const;

export interface ResolveTlsStackConfigOptions {
  /** The stack's `environment`: `production` turns on `production` unless the stack sets it. */
  readonly environment: string;
  /** Reads a file on the deployer as UTF-8. Relative paths are the caller's to resolve. */
  readonly readFile: (path: string) => string;
  /** How errors name where the settings came from, e.g. `node ngcp4`. @default none */
  readonly where?: string;
}

export type ResolvedTlsStackConfig =
  | { readonly ok: true; readonly inputs: Record<string, unknown> }
  | { readonly ok: false; readonly errors: string[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Resolves `*File` keys into PEM values, infers `mode` when it is not set (`web` → `shared`, otherwise
 * `perService`) and sets `production` from the stack's environment when it is not set. Errors name the
 * stack-config key and the file, never a file's content.
 */
export function resolveTlsStackConfig(
  settings: Record<string, unknown>,
  options: ResolveTlsStackConfigOptions,
): ResolvedTlsStackConfig {
  const errors: string[] = [];
  const suffix = options.where !== undefined ? ` (${options.where})` : "";
  const material = (value: unknown, property: string): unknown => {
    if (!isObject(value)) {
      return value;
    }
    const out: Record<string, unknown> = { ...value };
    for (const field of PEM_FIELDS) {
      const fileKey = `${field}File`;
      if (!(fileKey in out)) {
        continue;
      }
      const path = out[fileKey];
      delete out[fileKey];
      if (typeof path !== "string" || path.length === 0) {
        errors.push(`tls.${property}.${fileKey}${suffix}: must be a file path on the deployer`);
        continue;
      }
      if (out[field] !== undefined) {
        errors.push(
          `tls.${property}${suffix}: set ${field} or ${fileKey}, not both ` +
            "(a node's tls settings are merged over the cluster's, one level deep: use the same form in both)",
        );
        continue;
      }
      try {
        out[field] = options.readFile(path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
        errors.push(`tls.${property}.${fileKey}${suffix}: cannot read ${path} on the deployer: ${code}`);
      }
    }
    return out;
  };

  const inputs: Record<string, unknown> = { ...settings };
  if (inputs.web !== undefined) {
    inputs.web = material(inputs.web, "web");
  }
  if (isObject(inputs.services)) {
    inputs.services = Object.fromEntries(
      Object.entries(inputs.services).map(([service, value]) => [
        service,
        material(value, `services.${service}`),
      ]),
    );
  }
  if (inputs.sipTls !== undefined) {
    inputs.sipTls = material(inputs.sipTls, "sipTls");
  }
  if (inputs.mode === undefined) {
    inputs.mode = inputs.web !== undefined ? "shared" : "perService";
  }
  if (inputs.production === undefined) {
    inputs.production = options.environment === "production";
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, inputs };
}

/**
 * The config.yml keys the TLS resource of these (raw, possibly invalid) inputs sets: the certificate and
 * key file keys of every service it manages (both candidates of the self-care key file), plus
 * `kamailio.lb.tls.enable` when SIP over TLS is given. Declared before anything runs, so two resources
 * setting one key fail the preview (see providers/ngcpConfig/ownership.ts). Tolerant of invalid inputs:
 * `check` reports those.
 */
export function claimedConfigKeys(raw: Record<string, unknown>): string[] {
  const services: string[] = [];
  if (raw.mode === "shared" || (raw.mode === undefined && raw.web !== undefined)) {
    services.push(...WEB_TLS_SERVICES);
  } else if (isObject(raw.services)) {
    services.push(
      ...WEB_TLS_SERVICES.filter((service: WebTlsService) =>
        isObject((raw.services as Record<string, unknown>)[service]),
      ),
    );
  }
  const keys: string[] = [];
  for (const service of services as WebTlsService[]) {
    keys.push(TLS_SERVICE_SPECS[service].certFileKey, ...TLS_SERVICE_SPECS[service].keyFileKeys);
  }
  const sip = raw.sipTls;
  if (isObject(sip)) {
    const spec = TLS_SERVICE_SPECS.sipTls;
    if (PEM_FIELDS.some((field) => sip[field] !== undefined || sip[`${field}File`] !== undefined)) {
      keys.push(spec.certFileKey, ...spec.keyFileKeys);
    }
    if (spec.enableKey !== undefined) {
      keys.push(spec.enableKey);
    }
  }
  return keys;
}

/** Every key holding the port of a TLS service, both editions: the keys the handshake check watches. */
export function tlsPortKeys(): string[] {
  const keys = Object.values(TLS_SERVICE_SPECS).flatMap((spec) => spec.portKeys.map((ref) => ref.path));
  return keys.filter((key, index) => keys.indexOf(key) === index).sort();
}
