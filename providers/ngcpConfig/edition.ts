/**
 * The two handbook editions and the config.yml keys each one names.
 *
 * - "current": seed `001_…` (tables 8–10; rtpengine; customer self-care under `www_admin→http_csc`).
 * - "older":   seed `000_…` (tables 4–5; mediaproxy; customer self-care under `www_csc→apache`, admin
 *   under `www_admin→apache`; `/etc/mysql/debian.cnf` in the backup list).
 *
 * Names match `providers/tls/services.ts` (`HandbookEdition`). Everything here is plain data: dynamic
 * providers serialize local modules by value, and a Map or class instance at module level does not
 * survive that.
 */
import { type ConfigDocument, type ScalarValue, ConfigError, hasKey } from "./document";

export const HANDBOOK_EDITIONS = ["current", "older"] as const;
export type HandbookEdition = (typeof HANDBOOK_EDITIONS)[number];

/** The logical settings other resources read or write, whatever the edition calls them. */
export type ConfigSetting =
  | "cscPort"
  | "adminPort"
  | "provisioningPort"
  | "sipPort"
  | "sipTlsPort"
  | "sipTlsEnable"
  | "rtpMinPort"
  | "rtpMaxPort"
  | "presenceEnable"
  | "xcapPort"
  | "provisioningCertFile"
  | "provisioningKeyFile"
  | "restCertFile"
  | "restKeyFile"
  | "adminCertFile"
  | "adminKeyFile"
  | "cscCertFile"
  | "cscKeyFile"
  | "sipTlsCertFile"
  | "sipTlsKeyFile";

export interface SettingSpec {
  /** What the key configures, as errors and previews name it. */
  readonly label: string;
  /** Where the handbook names the key. */
  readonly handbook: string;
  /**
   * Candidate dotted keys per edition, preferred first. An edition missing here does not name the
   * setting at all. Only `cscKeyFile` has two candidates (the handbook's typo, see below).
   */
  readonly keys: Readonly<Partial<Record<HandbookEdition, readonly string[]>>>;
  /** The handbook's default value per edition, where it prints one. */
  readonly defaults?: Readonly<Partial<Record<HandbookEdition, ScalarValue>>>;
}

const both = (key: string) => ({ current: [key], older: [key] });

/**
 * The table. Source and reasoning per key are in this folder's README ("Edition key table").
 *
 * - RTP: the current edition still names `rtpproxy→minport/maxport` for the RTP range (table 8) while its
 *   caution text speaks of rtpengine. We keep `rtpproxy.*`: it is the key the handbook prints, the older
 *   edition prints the same one, and NGCP kept that section name when rtpengine replaced rtpproxy.
 * - `cscKeyFile`: 15.4 prints `www_csc→http_csc→sslcertkeyfile`, next to `www_admin→http_csc→sslcertfile`.
 *   `www_csc` is the older edition's top-level key and never holds `http_csc`, so we read it as a typo:
 *   `www_admin.http_csc.sslcertkeyfile` is preferred, the printed path is used only if a node has it and
 *   not the preferred one (see {@link resolveSettingKey}).
 * - Certificate keys: the older edition's copy of 15.4 lost its list of keys ("Set the path to the new
 *   certificates in config.yml:" and nothing after it), so they are current-edition keys only.
 * - `sipTlsEnable` default: table 10 of the current edition says `yes`, its 15.4 says "disabled by
 *   default", the older edition says "Disabled by default". We record table 10's `yes` for the current
 *   edition and let the node's config decide in practice (we never assume a default when the key exists).
 */
export const SETTINGS: Readonly<Record<ConfigSetting, SettingSpec>> = {
  cscPort: {
    label: "customer self-care interface port",
    handbook: "15.2 table 8 (current), table 4 (older)",
    keys: { current: ["www_admin.http_csc.port"], older: ["www_csc.apache.port"] },
    defaults: { current: 443, older: 443 },
  },
  adminPort: {
    label: "administrator interface port",
    handbook: "15.2 table 9 (current), table 5 (older)",
    keys: { current: ["www_admin.http_admin.port"], older: ["www_admin.apache.port"] },
    defaults: { current: 1443, older: 1443 },
  },
  provisioningPort: {
    label: "provisioning interfaces port",
    handbook: "15.2 table 9 (current), table 5 (older)",
    keys: both("ossbss.apache.port"),
    defaults: { current: 2443, older: 2443 },
  },
  sipPort: {
    label: "SIP port (UDP and TCP)",
    handbook: "15.2 table 8 (current), table 4 (older)",
    keys: both("kamailio.lb.port"),
    defaults: { current: 5060, older: 5060 },
  },
  sipTlsPort: {
    label: "SIP over TLS port",
    handbook: "15.2 table 8 (current), table 4 (older)",
    keys: both("kamailio.lb.tls.port"),
    defaults: { current: 5061, older: 5061 },
  },
  sipTlsEnable: {
    label: "SIP over TLS switch",
    handbook: "15.2 table 8, 15.4, 15.7 table 10 (current); table 4 (older)",
    keys: both("kamailio.lb.tls.enable"),
    defaults: { current: "yes", older: "no" },
  },
  rtpMinPort: {
    label: "RTP port range start",
    handbook: "15.2 table 8 (current), table 4 (older)",
    keys: both("rtpproxy.minport"),
    defaults: { current: 30000, older: 30000 },
  },
  rtpMaxPort: {
    label: "RTP port range end",
    handbook: "15.2 table 8 (current), table 4 (older)",
    keys: both("rtpproxy.maxport"),
    defaults: { current: 40000, older: 40000 },
  },
  presenceEnable: {
    label: "presence (XCAP) switch",
    handbook: "15.2 table 8 (current only)",
    keys: { current: ["kamailio.proxy.presence.enable"] },
  },
  xcapPort: {
    label: "XCAP port",
    handbook: "15.2 table 8 (current only)",
    keys: { current: ["nginx.xcap_port"] },
    defaults: { current: 1080 },
  },
  provisioningCertFile: {
    label: "provisioning interface certificate file",
    handbook: "15.4 (current only)",
    keys: { current: ["ossbss.apache.autoprov.sslcertfile"] },
  },
  provisioningKeyFile: {
    label: "provisioning interface key file",
    handbook: "15.4 (current only)",
    keys: { current: ["ossbss.apache.autoprov.sslcertkeyfile"] },
  },
  restCertFile: {
    label: "REST interface certificate file",
    handbook: "15.4 (current only)",
    keys: { current: ["ossbss.apache.restapi.sslcertfile"] },
  },
  restKeyFile: {
    label: "REST interface key file",
    handbook: "15.4 (current only)",
    keys: { current: ["ossbss.apache.restapi.sslcertkeyfile"] },
  },
  adminCertFile: {
    label: "administrator interface certificate file",
    handbook: "15.4 (current only)",
    keys: { current: ["www_admin.http_admin.sslcertfile"] },
  },
  adminKeyFile: {
    label: "administrator interface key file",
    handbook: "15.4 (current only)",
    keys: { current: ["www_admin.http_admin.sslcertkeyfile"] },
  },
  cscCertFile: {
    label: "customer self-care interface certificate file",
    handbook: "15.4 (current only)",
    keys: { current: ["www_admin.http_csc.sslcertfile"] },
  },
  cscKeyFile: {
    label: "customer self-care interface key file",
    handbook: "15.4 (current only; printed as www_csc→http_csc→sslcertkeyfile)",
    keys: { current: ["www_admin.http_csc.sslcertkeyfile", "www_csc.http_csc.sslcertkeyfile"] },
  },
  sipTlsCertFile: {
    label: "SIP over TLS certificate file",
    handbook: "15.4 (current only)",
    keys: { current: ["kamailio.lb.tls.sslcertfile"] },
  },
  sipTlsKeyFile: {
    label: "SIP over TLS key file",
    handbook: "15.4 (current only)",
    keys: { current: ["kamailio.lb.tls.sslcertkeyfile"] },
  },
};

/** Facts of an edition that are not config keys. */
export interface EditionFacts {
  /** The media relay whose kernel rule the firewall must keep (15.2 caution). */
  readonly mediaRelay: "rtpengine" | "mediaproxy";
  /** Files the handbook lists for backup and recovery (15.5). */
  readonly backupFiles: readonly string[];
}

export const EDITION_FACTS: Readonly<Record<HandbookEdition, EditionFacts>> = {
  current: {
    mediaRelay: "rtpengine",
    backupFiles: [
      "/etc/ngcp-config/config.yml",
      "/etc/ngcp-config/constants.yml",
      "/etc/ngcp-config/network.yml",
      "/etc/mysql/sipwise.cnf",
    ],
  },
  older: {
    mediaRelay: "mediaproxy",
    backupFiles: [
      "/etc/ngcp-config/config.yml",
      "/etc/ngcp-config/constants.yml",
      "/etc/mysql/debian.cnf",
      "/etc/mysql/sipwise.cnf",
    ],
  },
};

/**
 * Keys that exist in one edition's config.yml only: the parent maps of the ports that moved. Detection
 * looks at maps, not leaves, so a node whose port key was deleted by hand is still recognized.
 */
const EDITION_MARKERS: Readonly<Record<HandbookEdition, readonly string[]>> = {
  current: ["www_admin.http_csc", "www_admin.http_admin"],
  older: ["www_csc.apache", "www_admin.apache"],
};

export interface EditionDetection {
  readonly edition: HandbookEdition;
  /** Why: the marker keys found, or "set explicitly". */
  readonly evidence: readonly string[];
  /** Set when an explicit edition contradicts the node's keys. */
  readonly warnings: readonly string[];
}

/** Checks a value from stack config; throws naming the allowed editions. */
export function parseEdition(value: unknown): HandbookEdition {
  if (typeof value === "string" && (HANDBOOK_EDITIONS as readonly string[]).includes(value)) {
    return value as HandbookEdition;
  }
  throw new ConfigError(
    `edition must be one of: ${HANDBOOK_EDITIONS.join(", ")}, got: ${JSON.stringify(value)}`,
  );
}

/**
 * The node's edition, from which marker keys its config.yml has; an explicit edition (stack config) wins
 * and only warns when the node's keys say otherwise. Throws when the keys are missing or contradictory
 * and no edition is given, naming the keys it looked for and how to fix it.
 */
export function detectEdition(doc: ConfigDocument, explicit?: HandbookEdition): EditionDetection {
  const found = (edition: HandbookEdition) => EDITION_MARKERS[edition].filter((key) => hasKey(doc, key));
  const current = found("current");
  const older = found("older");
  if (explicit !== undefined) {
    const edition = parseEdition(explicit);
    const contrary = edition === "current" ? older : current;
    const own = edition === "current" ? current : older;
    const warnings =
      contrary.length > 0 && own.length === 0
        ? [`edition is set to "${edition}" but config.yml has ${contrary.join(", ")} of the other edition`]
        : [];
    return { edition, evidence: ["set explicitly"], warnings };
  }
  if (current.length > 0 && older.length === 0) {
    return { edition: "current", evidence: current, warnings: [] };
  }
  if (older.length > 0 && current.length === 0) {
    return { edition: "older", evidence: older, warnings: [] };
  }
  const looked = HANDBOOK_EDITIONS.map((e) => `${e}: ${EDITION_MARKERS[e].join(", ")}`).join("; ");
  const seen = [...current, ...older];
  throw new ConfigError(
    `cannot tell the handbook edition from config.yml: ${seen.length > 0 ? `it has keys of both (${seen.join(", ")})` : "it has none of the marker keys"} ` +
      `(looked for ${looked}); set the edition explicitly (one of: ${HANDBOOK_EDITIONS.join(", ")})`,
  );
}

export interface ResolvedKey {
  /** The dotted key to read or write. */
  readonly key: string;
  /** True when the key already exists in the document. */
  readonly exists: boolean;
}

/**
 * The key of a setting on a node: the first candidate (in preference order) that exists in the node's
 * config, or the preferred one when none exists (it will be created there). Throws when the edition does
 * not name the setting.
 */
export function resolveSettingKey(
  setting: ConfigSetting,
  edition: HandbookEdition,
  doc?: ConfigDocument,
): ResolvedKey {
  const candidates = settingKeys(setting, edition);
  const existing = doc === undefined ? undefined : candidates.find((key) => hasKey(doc, key));
  return existing !== undefined ? { key: existing, exists: true } : { key: candidates[0], exists: false };
}

/** The candidate keys of a setting in an edition, preferred first. Throws when the edition has none. */
export function settingKeys(setting: ConfigSetting, edition: HandbookEdition): readonly string[] {
  const spec = SETTINGS[setting];
  const candidates = spec.keys[edition];
  if (candidates === undefined || candidates.length === 0) {
    const named = HANDBOOK_EDITIONS.filter((e) => (spec.keys[e]?.length ?? 0) > 0);
    throw new ConfigError(
      `the ${edition} handbook edition names no config key for the ${spec.label} (${setting}); ` +
        `it is named in: ${named.join(", ")} (handbook ${spec.handbook})`,
    );
  }
  return candidates;
}
