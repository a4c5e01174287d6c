import { checkBackup } from "../../providers/backup/validate";
import { resolveFirewall } from "../../providers/firewall/settings";
import { MYSQL_SETTINGS } from "../../providers/mysqlCredentials/provider";
import { validateMysqlCredentials } from "../../providers/mysqlCredentials/validate";
import type { MysqlCredentialsInputs } from "../../providers/mysqlCredentials/inputs";
import { validatePerformance } from "../../providers/performance/planner";
import { checkSupportAccess } from "../../providers/supportAccess/provider";
import { checkSystemAccounts } from "../../providers/systemAccounts/provider";
import { settingsShapeFailures, underKey } from "../../providers/systemAccounts/providerKit";
import { parseTlsInputs } from "../../providers/tls/inputs";
import { resolveTlsStackConfig } from "../../providers/tls/stackConfig";
import { validateWebCredentials, type WebCredentialsInputs } from "../../providers/webCredentials/planner";
import { WEB_SETTINGS } from "../../providers/webCredentials/provider";
import { mergeFeature, type ClusterSpec, type FeatureObject } from "../../spec/schema";

/** The feature keys of the schema, in the order of components/features.ts. */
export const FEATURE_KEYS = [
  "performance",
  "backup",
  "firewall",
  "mysql",
  "tls",
  "systemAccounts",
  "supportAccess",
  "webCredentials",
] as const;

/**
 * Every problem the features' own validators (what each provider's `check` runs before it touches a node)
 * find in a parsed cluster spec, per node and feature: `ngcp1 firewall.policy: …`. TLS material is not
 * read: `*File` keys resolve to a placeholder and only the shape of the inputs is checked.
 */
export function featureProblems(spec: ClusterSpec): string[] {
  const problems: string[] = [];
  for (const node of spec.nodes) {
    for (const key of FEATURE_KEYS) {
      const settings = mergeFeature(spec[key], node[key]);
      if (settings === undefined) {
        continue;
      }
      for (const failure of checkFeature(key, settings, spec, node.name)) {
        problems.push(`${node.name} ${failure.property}: ${failure.reason}`);
      }
    }
  }
  return problems;
}

function checkFeature(
  key: (typeof FEATURE_KEYS)[number],
  settings: FeatureObject,
  spec: ClusterSpec,
  node: string,
): { property: string; reason: string }[] {
  switch (key) {
    case "performance":
      return validatePerformance(settings);
    case "backup":
      return checkBackup(settings).failures.map((f) => ({
        property: `backup.${f.property}`,
        reason: f.reason,
      }));
    case "firewall":
      return resolveFirewall({ settings, effective: null, clusterAdminSources: spec.adminSources }).failures;
    case "mysql": {
      const shape = settingsShapeFailures("mysql", settings, MYSQL_SETTINGS);
      return shape.length > 0
        ? shape
        : underKey("mysql", validateMysqlCredentials(settings as unknown as MysqlCredentialsInputs));
    }
    case "tls": {
      const resolved = resolveTlsStackConfig(settings, {
        environment: spec.environment,
        readFile: () => "(PEM read on the deployer)",
        where: `node ${node}`,
      });
      if (!resolved.ok) {
        return resolved.errors.map((reason) => ({ property: "tls", reason }));
      }
      const parsed = parseTlsInputs(resolved.inputs);
      return parsed.ok
        ? []
        : parsed.failures.map((f) => ({ property: `tls.${f.property}`, reason: f.reason }));
    }
    case "systemAccounts":
      return checkSystemAccounts({ name: node, host: "192.0.2.1", user: spec.ssh.user }, settings);
    case "supportAccess":
      return checkSupportAccess(settings);
    case "webCredentials": {
      const shape = settingsShapeFailures("webCredentials", settings, WEB_SETTINGS);
      return shape.length > 0
        ? shape
        : underKey("webCredentials", validateWebCredentials(settings as unknown as WebCredentialsInputs));
    }
  }
}
