/**
 * The services whose TLS certificates ngcp-fleet manages, with the config.yml keys that point at their
 * files and the keys of the ports they are served on (handbook 15.4 for the certificate keys, 15.2
 * tables 8–9 for the ports).
 *
 * Two handbook editions exist. The "current" edition (rtpengine era, firewall tables 8 and 9) lists every
 * certificate key below; the "older" edition (mediaproxy era, tables 4 and 5) names the ports under other
 * keys (`www_csc→apache→port`, `www_admin→apache→port`) and its copy of 15.4 lost the list of certificate
 * keys, so certificate keys come from the current edition only.
 *
 * Everything here is plain data (no Map, Set or class instance at module level): a dynamic provider's local
 * modules are serialized by value into the Pulumi state, and only plain values survive that.
 */

/** The web interfaces of handbook 15.4, in the handbook's order. */
export const WEB_TLS_SERVICES = ["provisioning", "rest", "admin", "csc"] as const;
/** A web interface that can share one certificate with the others. */
export type WebTlsService = (typeof WEB_TLS_SERVICES)[number];
/** Every service with a certificate: the web interfaces, then SIP over TLS. */
export const TLS_SERVICES = [...WEB_TLS_SERVICES, "sipTls"] as const;
export type TlsServiceName = (typeof TLS_SERVICES)[number];

/** Which handbook edition a key is printed in. "current": tables 8–9, rtpengine; "older": tables 4–5. */
export type HandbookEdition = "current" | "older";

/** A config.yml key, dotted (`www_admin.http_admin.port`), with the edition(s) it comes from. */
export interface ConfigKeyRef {
  readonly path: string;
  readonly editions: readonly HandbookEdition[];
}

export interface TlsServiceSpec {
  readonly name: TlsServiceName;
  /** How errors and previews name the service. */
  readonly label: string;
  /** The key holding the certificate file's path (handbook 15.4, current edition). */
  readonly certFileKey: string;
  /**
   * The keys that may hold the private key file's path, preferred first. Only the customer self-care
   * interface has two: see {@link CSC_KEY_FILE_AS_PRINTED}.
   */
  readonly keyFileKeys: readonly string[];
  /** The keys of the port the service is served on, current edition first (handbook 15.2). */
  readonly portKeys: readonly ConfigKeyRef[];
  /** The port the handbook gives as default, used when no port key exists in the node's config. */
  readonly defaultPort: number;
  /** The key that turns the service on, when the handbook names one (SIP over TLS only). */
  readonly enableKey?: string;
  /** File name (without extension) of the per-service certificate and key under {@link SSL_DIR}. */
  readonly fileBase: string;
}

/**
 * The customer self-care key file as the current edition prints it: `www_csc→http_csc→sslcertkeyfile`.
 * Every other key of that interface lives under `www_admin→http_csc` (its certificate file, its port), and
 * `www_csc` is the older edition's top-level key for the self-care interface (`www_csc→apache→port`), never
 * combined with `http_csc`. We read the printed path as a typo for `www_admin.http_csc.sslcertkeyfile`
 * and write that key, unless the node's config.yml already holds the printed path: then the node's templates
 * may read it, and the config layer sets every candidate key that exists (see {@link resolveConfigPaths}).
 */
export const CSC_KEY_FILE_AS_PRINTED = "www_csc.http_csc.sslcertkeyfile";

/**
 * Where certificates and keys are installed. `/etc/ngcp-config/ssl` is where NGCP keeps its own default
 * certificates; keeping ours there means the handbook's backup of the whole `/etc/ngcp-config` (15.5.1)
 * saves and restores them with the config that points at them. File names start with `ngcp-fleet-` so the
 * vendor's default files are never overwritten and stay available to fall back to.
 */
export const SSL_DIR = "/etc/ngcp-config/ssl";
/** File name (without extension) of the one certificate and key shared by all web interfaces. */
export const SHARED_WEB_FILE_BASE = "ngcp-fleet-web";

const BOTH: readonly HandbookEdition[] = ["current", "older"];
const CURRENT: readonly HandbookEdition[] = ["current"];
const OLDER: readonly HandbookEdition[] = ["older"];

/** The services, their keys and files. Plain data: safe for dynamic-provider serialization. */
export const TLS_SERVICE_SPECS: Readonly<Record<TlsServiceName, TlsServiceSpec>> = {
  provisioning: {
    name: "provisioning",
    label: "provisioning interface",
    certFileKey: "ossbss.apache.autoprov.sslcertfile",
    keyFileKeys: ["ossbss.apache.autoprov.sslcertkeyfile"],
    portKeys: [{ path: "ossbss.apache.port", editions: BOTH }],
    defaultPort: 2443,
    fileBase: "ngcp-fleet-provisioning",
  },
  rest: {
    name: "rest",
    label: "REST interface",
    certFileKey: "ossbss.apache.restapi.sslcertfile",
    keyFileKeys: ["ossbss.apache.restapi.sslcertkeyfile"],
    // Neither edition gives the REST interface its own port: tables 9 and 5 list the "provisioning
    // interfaces" (plural: SOAP, XMLRPC and REST) on ossbss→apache→port. The REST interface is served on
    // that port, next to the provisioning interface.
    portKeys: [{ path: "ossbss.apache.port", editions: BOTH }],
    defaultPort: 2443,
    fileBase: "ngcp-fleet-rest",
  },
  admin: {
    name: "admin",
    label: "administrator interface",
    certFileKey: "www_admin.http_admin.sslcertfile",
    keyFileKeys: ["www_admin.http_admin.sslcertkeyfile"],
    portKeys: [
      { path: "www_admin.http_admin.port", editions: CURRENT },
      { path: "www_admin.apache.port", editions: OLDER },
    ],
    defaultPort: 1443,
    fileBase: "ngcp-fleet-admin",
  },
  csc: {
    name: "csc",
    label: "customer self-care interface",
    certFileKey: "www_admin.http_csc.sslcertfile",
    keyFileKeys: ["www_admin.http_csc.sslcertkeyfile", CSC_KEY_FILE_AS_PRINTED],
    portKeys: [
      { path: "www_admin.http_csc.port", editions: CURRENT },
      { path: "www_csc.apache.port", editions: OLDER },
    ],
    defaultPort: 443,
    fileBase: "ngcp-fleet-csc",
  },
  sipTls: {
    name: "sipTls",
    label: "SIP over TLS",
    certFileKey: "kamailio.lb.tls.sslcertfile",
    keyFileKeys: ["kamailio.lb.tls.sslcertkeyfile"],
    portKeys: [{ path: "kamailio.lb.tls.port", editions: BOTH }],
    defaultPort: 5061,
    enableKey: "kamailio.lb.tls.enable",
    fileBase: "ngcp-fleet-sip-tls",
  },
};

/** config.yml spells booleans of `enable` keys as `yes` / `no` (as `ngcpcfg set ...enable=yes` does). */
export type NgcpYesNo = "yes" | "no";

/** The certificate and key file paths for a file name base under {@link SSL_DIR}. */
export function installPaths(fileBase: string): { readonly certPath: string; readonly keyPath: string } {
  return { certPath: `${SSL_DIR}/${fileBase}.crt`, keyPath: `${SSL_DIR}/${fileBase}.key` };
}

/**
 * Which of several candidate keys to write, given the node's config: every candidate that already exists
 * there (the node's templates may read any of them), or the first (preferred) one when none exists.
 * `exists` answers for a dotted path; the config layer supplies it.
 */
export function resolveConfigPaths(
  candidates: readonly string[],
  exists: (dottedPath: string) => boolean,
): string[] {
  if (candidates.length === 0) {
    throw new Error("resolveConfigPaths needs at least one candidate key");
  }
  const present = candidates.filter((path) => exists(path));
  return present.length > 0 ? present : [candidates[0]];
}

/**
 * The port a service is served on: the first of its port keys (current edition first) whose value in the
 * node's config is a port number, else the handbook's default. `get` returns a dotted path's value or
 * undefined; the config layer supplies it.
 */
export function resolveServicePort(
  spec: Pick<TlsServiceSpec, "portKeys" | "defaultPort">,
  get: (dottedPath: string) => unknown,
): { readonly port: number; readonly key?: string } {
  for (const ref of spec.portKeys) {
    const raw = get(ref.path);
    const port = typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    if (typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535) {
      return { port, key: ref.path };
    }
  }
  return { port: spec.defaultPort };
}
