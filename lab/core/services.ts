import type { Edition, KeyPath } from "./editions";
import { detectEdition, EDITION_KEYS, getPath, showPath } from "./editions";
import { DEFAULT_CERT, DEFAULT_KEY } from "./seed/configYml";

/**
 * What the services stand-in listens on, derived from config.yml (pure). `ngcpcfg build` writes the result
 * to the node's /etc/ngcp-lab/services.json (its "generated service configuration"); the services daemon
 * reads only that file, so a port edited in config.yml moves only after `ngcpcfg apply`, as on a real node.
 */

export type ServiceName = "csc" | "admin" | "provisioning" | "sip" | "sip-tls" | "rtp" | "xcap" | "xmpp";
export const SERVICE_NAMES: readonly ServiceName[] = [
  "csc",
  "admin",
  "provisioning",
  "sip",
  "sip-tls",
  "rtp",
  "xcap",
  "xmpp",
];

export type ListenerKind = "https" | "sip-udp" | "sip-tcp" | "sip-tls" | "udp-echo" | "http" | "xmpp";

export interface Listener {
  readonly service: ServiceName;
  readonly kind: ListenerKind;
  readonly port: number;
  /** Certificate and key files (inside the node) for TLS listeners. */
  readonly cert?: string;
  readonly key?: string;
}

export interface ServicesBuild {
  readonly edition: Edition;
  readonly listeners: readonly Listener[];
}

export type PlanResult =
  | { readonly ok: true; readonly build: ServicesBuild }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Standard XMPP ports (table 8: "None, standard XMPP ports for clients (5222) and federation (5269)"). */
export const XMPP_PORTS = [5222, 5269] as const;

/** Kamailio refuses to start with more natping processes (handbook table 10). */
export const MAX_NATPING_PROCESSES = 7;

export function protocolOf(kind: ListenerKind): "udp" | "tcp" {
  return kind === "sip-udp" || kind === "udp-echo" ? "udp" : "tcp";
}

function readPort(config: unknown, path: KeyPath, errors: string[]): number | undefined {
  const v = getPath(config, path);
  if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535) {
    return v;
  }
  errors.push(
    `${showPath(path)} must be an integer port between 1 and 65535, got: ${v === undefined ? "nothing" : JSON.stringify(v)}`,
  );
  return undefined;
}

function readFlag(config: unknown, path: KeyPath, errors: string[]): boolean {
  const v = getPath(config, path);
  if (v === undefined || v === "no" || v === false) {
    return false;
  }
  if (v === "yes" || v === true) {
    return true;
  }
  errors.push(`${showPath(path)} must be 'yes' or 'no', got: ${JSON.stringify(v)}`);
  return false;
}

function readFile(config: unknown, path: KeyPath, fallback: string, errors: string[]): string {
  const v = getPath(config, path);
  if (v === undefined || v === null || v === "") {
    return fallback;
  }
  if (typeof v !== "string" || !v.startsWith("/")) {
    errors.push(`${showPath(path)} must be an absolute file path, got: ${JSON.stringify(v)}`);
    return fallback;
  }
  return v;
}

/** Listeners for a parsed config.yml, or every reason the configuration cannot be served. */
export function planServices(config: unknown): PlanResult {
  const edition = detectEdition(config);
  if (!edition) {
    return {
      ok: false,
      errors: [
        "config.yml carries neither www_admin→http_csc→port (current edition) nor www_csc→apache→port (older edition)",
      ],
    };
  }
  const keys = EDITION_KEYS[edition];
  const errors: string[] = [];
  const listeners: Listener[] = [];
  const web = (
    service: ServiceName,
    k: { port: KeyPath; sslcertfile: KeyPath; sslcertkeyfile: KeyPath },
  ): void => {
    const port = readPort(config, k.port, errors);
    const cert = readFile(config, k.sslcertfile, DEFAULT_CERT, errors);
    const key = readFile(config, k.sslcertkeyfile, DEFAULT_KEY, errors);
    if (port !== undefined) {
      listeners.push({ service, kind: "https", port, cert, key });
    }
  };
  web("csc", keys.csc);
  web("admin", keys.admin);
  web("provisioning", keys.provisioning);
  // The REST certificate is checked like the others (a missing file fails the apply) but has no port.
  readFile(config, keys.restapi.sslcertfile, DEFAULT_CERT, errors);
  readFile(config, keys.restapi.sslcertkeyfile, DEFAULT_KEY, errors);

  const sip = readPort(config, keys.sipPort, errors);
  if (sip !== undefined) {
    listeners.push(
      { service: "sip", kind: "sip-udp", port: sip },
      { service: "sip", kind: "sip-tcp", port: sip },
    );
  }
  if (readFlag(config, keys.sipTls.enable, errors)) {
    const port = readPort(config, keys.sipTls.port, errors);
    const cert = readFile(config, keys.sipTls.sslcertfile, DEFAULT_CERT, errors);
    const key = readFile(config, keys.sipTls.sslcertkeyfile, DEFAULT_KEY, errors);
    if (port !== undefined) {
      listeners.push({ service: "sip-tls", kind: "sip-tls", port, cert, key });
    }
  }
  const min = readPort(config, keys.rtpMinPort, errors);
  const max = readPort(config, keys.rtpMaxPort, errors);
  if (min !== undefined && max !== undefined) {
    if (min > max) {
      errors.push(
        `${showPath(keys.rtpMinPort)} (${min}) must not be above ${showPath(keys.rtpMaxPort)} (${max})`,
      );
    } else {
      listeners.push({ service: "rtp", kind: "udp-echo", port: min });
      if (max !== min) {
        listeners.push({ service: "rtp", kind: "udp-echo", port: max });
      }
    }
  }
  if (keys.xcap && readFlag(config, keys.xcap.presenceEnable, errors)) {
    const port = readPort(config, keys.xcap.port, errors);
    if (port !== undefined) {
      listeners.push({ service: "xcap", kind: "http", port });
    }
  }
  for (const port of XMPP_PORTS) {
    listeners.push({ service: "xmpp", kind: "xmpp", port });
  }

  const natping = getPath(config, ["kamailio", "proxy", "natping_processes"]);
  if (
    natping !== undefined &&
    (typeof natping !== "number" ||
      !Number.isInteger(natping) ||
      natping < 1 ||
      natping > MAX_NATPING_PROCESSES)
  ) {
    errors.push(
      `kamailio→proxy→natping_processes must be an integer between 1 and ${MAX_NATPING_PROCESSES} ` +
        `(kamailio-proxy does not start above ${MAX_NATPING_PROCESSES}), got: ${JSON.stringify(natping)}`,
    );
  }

  errors.push(...portConflicts(listeners));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, build: { edition, listeners } };
}

/** Two listeners on one port and protocol cannot both bind: name both. */
export function portConflicts(listeners: readonly Listener[]): string[] {
  const seen = new Map<string, Listener>();
  const out: string[] = [];
  for (const l of listeners) {
    const id = `${l.port}/${protocolOf(l.kind)}`;
    const other = seen.get(id);
    if (other && other.service !== l.service) {
      out.push(`port ${id} is configured for both ${other.service} and ${l.service}`);
    } else if (!other) {
      seen.set(id, l);
    }
  }
  if (listeners.some((l) => l.port === 22 && protocolOf(l.kind) === "tcp")) {
    out.push("port 22/tcp belongs to sshd and cannot be given to another service");
  }
  return out;
}
