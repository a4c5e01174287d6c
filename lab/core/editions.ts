/**
 * Where each service of handbook tables 8 and 9 keeps its port and certificate in config.yml, per handbook
 * edition (pure). The seed writes these keys and the services stand-in reads them, so the two never disagree.
 *
 * - Edition "001" (current, seeds/001_*): customer self-care under `www_admin→http_csc`, admin under
 *   `www_admin→http_admin`.
 * - Edition "000" (older, seeds/000_*): customer self-care under `www_csc→apache`, admin under
 *   `www_admin→apache` (its table 5). The older text names no certificate keys; the lab keeps the
 *   certificate keys next to each port (`…→sslcertfile|sslcertkeyfile`), which is how that generation of
 *   config.yml laid them out.
 *
 * Both editions share `ossbss→apache→port`, `kamailio→lb→port`, `kamailio→lb→tls→*` and
 * `rtpproxy→minport|maxport` (the handbook keeps the `rtpproxy` key name even where rtpengine is the daemon).
 */

export type Edition = "001" | "000";
export const EDITIONS: readonly Edition[] = ["001", "000"];

export type KeyPath = readonly string[];

export interface TlsServiceKeys {
  readonly port: KeyPath;
  readonly sslcertfile: KeyPath;
  readonly sslcertkeyfile: KeyPath;
}

export interface EditionKeys {
  /** Customer self-care interface, HTTPS, table 8. */
  readonly csc: TlsServiceKeys;
  /** Administrator interface, HTTPS, table 9. */
  readonly admin: TlsServiceKeys;
  /** Provisioning interfaces, HTTPS, table 9; served with the `autoprov` certificate (15.4). */
  readonly provisioning: TlsServiceKeys;
  /** REST interface certificate (15.4). The handbook names no port for it; see lab/README.md. */
  readonly restapi: { readonly sslcertfile: KeyPath; readonly sslcertkeyfile: KeyPath };
  /** SIP over UDP and TCP, table 8. */
  readonly sipPort: KeyPath;
  /** SIP over TLS, table 8 and 15.4. */
  readonly sipTls: TlsServiceKeys & { readonly enable: KeyPath };
  /** RTP range, table 8. */
  readonly rtpMinPort: KeyPath;
  readonly rtpMaxPort: KeyPath;
  /** XCAP, table 8 (current edition only). */
  readonly xcap?: { readonly port: KeyPath; readonly presenceEnable: KeyPath };
}

const shared = {
  provisioning: {
    port: ["ossbss", "apache", "port"],
    sslcertfile: ["ossbss", "apache", "autoprov", "sslcertfile"],
    sslcertkeyfile: ["ossbss", "apache", "autoprov", "sslcertkeyfile"],
  },
  restapi: {
    sslcertfile: ["ossbss", "apache", "restapi", "sslcertfile"],
    sslcertkeyfile: ["ossbss", "apache", "restapi", "sslcertkeyfile"],
  },
  sipPort: ["kamailio", "lb", "port"],
  sipTls: {
    port: ["kamailio", "lb", "tls", "port"],
    enable: ["kamailio", "lb", "tls", "enable"],
    sslcertfile: ["kamailio", "lb", "tls", "sslcertfile"],
    sslcertkeyfile: ["kamailio", "lb", "tls", "sslcertkeyfile"],
  },
  rtpMinPort: ["rtpproxy", "minport"],
  rtpMaxPort: ["rtpproxy", "maxport"],
} as const;

export const EDITION_KEYS: Readonly<Record<Edition, EditionKeys>> = {
  "001": {
    ...shared,
    csc: {
      port: ["www_admin", "http_csc", "port"],
      sslcertfile: ["www_admin", "http_csc", "sslcertfile"],
      sslcertkeyfile: ["www_admin", "http_csc", "sslcertkeyfile"],
    },
    admin: {
      port: ["www_admin", "http_admin", "port"],
      sslcertfile: ["www_admin", "http_admin", "sslcertfile"],
      sslcertkeyfile: ["www_admin", "http_admin", "sslcertkeyfile"],
    },
    xcap: { port: ["nginx", "xcap_port"], presenceEnable: ["kamailio", "proxy", "presence", "enable"] },
  },
  "000": {
    ...shared,
    csc: {
      port: ["www_csc", "apache", "port"],
      sslcertfile: ["www_csc", "apache", "sslcertfile"],
      sslcertkeyfile: ["www_csc", "apache", "sslcertkeyfile"],
    },
    admin: {
      port: ["www_admin", "apache", "port"],
      sslcertfile: ["www_admin", "apache", "sslcertfile"],
      sslcertkeyfile: ["www_admin", "apache", "sslcertkeyfile"],
    },
  },
};

/** NGCP release string the lab writes to /etc/ngcp_version for each edition. */
export const NGCP_VERSION: Readonly<Record<Edition, string>> = { "001": "mr11.5.1", "000": "mr3.8.9" };

export function isEdition(value: string): value is Edition {
  return (EDITIONS as readonly string[]).includes(value);
}

/** Reads a nested key from a parsed YAML document (plain objects); undefined when any step is missing. */
export function getPath(root: unknown, path: KeyPath): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Which edition a config.yml follows, from the keys it carries (the node is the authority, not the lab). */
export function detectEdition(config: unknown): Edition | undefined {
  if (getPath(config, EDITION_KEYS["001"].csc.port) !== undefined) {
    return "001";
  }
  if (getPath(config, EDITION_KEYS["000"].csc.port) !== undefined) {
    return "000";
  }
  return undefined;
}

/** `a→b→c` as the handbook writes key paths, for messages. */
export function showPath(path: KeyPath): string {
  return path.join("→");
}
