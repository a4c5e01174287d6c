/**
 * The runtime package's main module (`@ngcp-fleet/runtime`, built into node_modules by engine/providerPackage.ts):
 * what the dynamic-provider process loads when a resource's stub provider (common/packaged.ts) is called.
 * Each implementation is wrapped by common/layout.ts: versioned outputs, adoption of earlier states.
 */
import { backupScheduleProvider } from "./backup/provider";
import { packaged, restateWithout } from "./common/layout";
import type { ProviderKind, ProviderPackage } from "./common/packaged";
import { firewallProvider } from "./firewall/provider";
import { healthGateProvider } from "./health/provider";
import { mysqlCredentialsProvider, mysqlUnchanged } from "./mysqlCredentials/provider";
import { ngcpConfigProvider } from "./ngcpConfig/provider";
import { nodeFactsProvider } from "./nodeFacts/provider";
import { performanceProfileProvider } from "./performance/provider";
import { supportAccessProvider } from "./supportAccess/provider";
import { systemAccountsProvider, systemAccountsUnchanged } from "./systemAccounts/provider";
import { tlsHandshakeCheckProvider } from "./tls/handshakeProvider";
import { tlsCertificatesProvider } from "./tls/provider";
import { webCredentialsProvider, webCredentialsUnchanged } from "./webCredentials/provider";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The package's version as its package.json says (`<project version>+<hash of the code>`), or `unpackaged`
 * when this module runs from dist/ (unit tests, the CLI).
 */
function packageVersion(): string {
  try {
    const text = readFileSync(join(__dirname, "..", "package.json"), "utf8");
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === "string" ? version : "unpackaged";
  } catch {
    return "unpackaged";
  }
}

export const version = packageVersion();

export const providers: ProviderPackage["providers"] = {
  nodeFacts: packaged(nodeFactsProvider, version),
  performanceProfile: packaged(performanceProfileProvider, version),
  mysqlCredentials: packaged(mysqlCredentialsProvider, version, { unchanged: mysqlUnchanged }),
  backupSchedule: packaged(backupScheduleProvider, version),
  firewall: packaged(firewallProvider, version),
  tlsCertificates: packaged(tlsCertificatesProvider, version, { restate: restateWithout("tls") }),
  tlsHandshakeCheck: packaged(tlsHandshakeCheckProvider, version, {
    restate: restateWithout("handshakes", "effective"),
  }),
  systemAccounts: packaged(systemAccountsProvider, version, { unchanged: systemAccountsUnchanged }),
  supportAccess: packaged(supportAccessProvider, version),
  webCredentials: packaged(webCredentialsProvider, version, { unchanged: webCredentialsUnchanged }),
  ngcpConfig: packaged(ngcpConfigProvider, version),
  healthGate: packaged(healthGateProvider, version),
} satisfies Record<ProviderKind, unknown>;
