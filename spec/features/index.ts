/**
 * Every feature's schema, by its stack-config key (`ngcp-fleet:<key>`, and `nodes[].<key>` per node). A
 * feature is unmanaged when its key is absent, cluster-wide when set, and overridden per node (objects merged
 * at every depth, lists replaced).
 */
import { backupSchema } from "./backup";
import { firewallKeyHint, firewallSchema } from "./firewall";
import { mysqlSchema } from "./mysql";
import { performanceSchema } from "./performance";
import { supportAccessSchema } from "./supportAccess";
import { systemAccountsSchema } from "./systemAccounts";
import { tlsSchema } from "./tls";
import { webCredentialsSchema } from "./webCredentials";

export const FEATURE_SCHEMAS = {
  performance: performanceSchema,
  tls: tlsSchema,
  firewall: firewallSchema,
  mysql: mysqlSchema,
  systemAccounts: systemAccountsSchema,
  supportAccess: supportAccessSchema,
  webCredentials: webCredentialsSchema,
  backup: backupSchema,
} as const;

export type FeatureKey = keyof typeof FEATURE_SCHEMAS;

export const FEATURE_KEYS = Object.keys(FEATURE_SCHEMAS) as FeatureKey[];

/** The typed settings of each feature. */
export type FeatureSettings = { [K in FeatureKey]: import("zod").output<(typeof FEATURE_SCHEMAS)[K]> };

/**
 * Why a key the schema does not know is not a setting, when there is more to say than "a typo?" (e.g.
 * `firewall.ports.sip` is read from the node's config.yml). `path` is relative to the feature.
 */
export function unknownKeyHint(feature: FeatureKey, path: readonly PropertyKey[]): string | undefined {
  return feature === "firewall" ? firewallKeyHint(path.map(String).join(".")) : undefined;
}
