/**
 * The node contract: what ngcp-fleet relies on on an NGCP node, in one place (lab/README.md states the lab's
 * side of it). Config keys and ports per handbook edition are `SETTINGS` of ngcpConfig/edition.ts, re-exported
 * here with the files and the vendor commands; features read them from here.
 */
export { HANDBOOK_EDITIONS, SETTINGS, type ConfigSetting, type HandbookEdition } from "../ngcpConfig/edition";

/** The node's main configuration (every feature's keys; `ngcpcfg apply` builds the services from it). */
export const CONFIG_YML = "/etc/ngcp-config/config.yml";
/** The node's generated constants, with the NGCP service users' MySQL passwords (handbook 15.3). */
export const CONSTANTS_YML = "/etc/ngcp-config/constants.yml";
/** The NGCP services' MySQL credentials file (handbook 15.3, 15.5.1). */
export const SIPWISE_CNF = "/etc/mysql/sipwise.cnf";
/** ngcp-fleet's own state on the node (previous config.yml, firewall records, backup status, drills). */
export const FLEET_STATE_DIR = "/var/lib/ngcp-fleet";
/** The node's key that seals the web passwords the stack applied and keys node fingerprints (0600 root). */
export const CREDENTIALS_KEY_FILE = `${FLEET_STATE_DIR}/credentials.key`;

/** The vendor commands of chapter 15, by what they do (handbook section). */
export const VENDOR_COMMANDS = {
  /** Regenerates the services' configs from config.yml and restarts them (15.4, 15.5.2). */
  apply: "ngcpcfg",
  /** Sipwise's SSH access on or off (15.1). */
  supportAccess: "ngcp-support-access",
  /** Wipes the databases and gives the services new passwords (15.6). */
  resetDb: "ngcp-reset-db",
  /** Table-10 values for low or high performance (15.7). */
  togglePerformance: "ngcp-toggle-performance-config",
} as const;

/** The service ports the rollout's health gate probes, with the handbook's defaults (tables 8 and 9). */
export const HEALTH_PORTS = [
  { setting: "sipPort", label: "SIP", fallback: 5060 },
  { setting: "cscPort", label: "customer self-care interface", fallback: 443 },
  { setting: "adminPort", label: "administrator interface", fallback: 1443 },
  { setting: "provisioningPort", label: "provisioning interfaces", fallback: 2443 },
] as const;
