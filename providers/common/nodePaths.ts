/** Files of an NGCP node that more than one feature reads (handbook 15.3, 15.4, 15.5). */

/** The node's main configuration (every feature's keys; `ngcpcfg apply` builds the services from it). */
export const CONFIG_YML = "/etc/ngcp-config/config.yml";
/** The node's generated constants, with the NGCP service users' MySQL passwords (handbook 15.3). */
export const CONSTANTS_YML = "/etc/ngcp-config/constants.yml";
/** The NGCP services' MySQL credentials file (handbook 15.3, 15.5.1). */
export const SIPWISE_CNF = "/etc/mysql/sipwise.cnf";
/** The node's key that seals the web passwords the stack applied (0600 root). */
export const CREDENTIALS_KEY_FILE = "/var/lib/ngcp-fleet/credentials.key";
