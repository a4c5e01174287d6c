import * as pulumi from "@pulumi/pulumi";
import { PERFORMANCE_OPTIONS } from "../providers/performance/planner";
import { PerformanceProfile } from "../providers/performance/resource";
import { BackupSchedule } from "../providers/backup/resource";
import { Firewall } from "../providers/firewall/resource";
import { FIREWALL_WATCH_KEYS } from "../providers/firewall/settings";
import { MysqlCredentials } from "../providers/mysqlCredentials/resource";
import { SupportAccess } from "../providers/supportAccess/resource";
import { SystemAccounts } from "../providers/systemAccounts/resource";
import { WebCredentials } from "../providers/webCredentials/resource";
import { readFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { tlsApplyTriggers } from "../providers/tls/provider";
import { TlsCertificates, TlsHandshakeCheck } from "../providers/tls/resource";
import { claimedConfigKeys, resolveTlsStackConfig, tlsPortKeys } from "../providers/tls/stackConfig";
import type { PerformanceSettings } from "../spec/features/performance";
import type { AnyFeature, Feature, NodeContext } from "./feature";

/**
 * Table-10 keys another feature of the node sets on purpose, which a profile would only set as a default:
 * `kamailio.lb.tls.enable` when `tls.sipTls` is managed. A value the stack sets explicitly
 * (`performance.lbTlsEnable`) is not deferred: two explicit owners stay a preview error.
 */
function keysDeferredToOtherFeatures(context: NodeContext, settings: PerformanceSettings): string[] {
  const tlsSettings = context.resolved.features.tls;
  const tlsKeys = new Set(tlsSettings === undefined ? [] : claimedConfigKeys(tlsSettings));
  return PERFORMANCE_OPTIONS.filter(
    (option) => tlsKeys.has(option.key) && settings[option.input] === undefined,
  ).map((option) => option.key);
}

/** Handbook 15.7: table-10 tunables, profiles, sizing; noatime. */
const performance: Feature<"performance"> = {
  key: "performance",
  handbook: "15.7",
  build(context, settings) {
    const name = `${context.name}-performance`;
    const owner = `PerformanceProfile ${name}`;
    const excluded = new Set([
      ...(settings.excludeKeys ?? []),
      ...keysDeferredToOtherFeatures(context, settings),
    ]);
    const profile = new PerformanceProfile(
      name,
      {
        target: context.target,
        performance: { ...settings, ...(excluded.size > 0 ? { excludeKeys: [...excluded] } : {}) },
        facts: pulumi
          .all([context.facts.ramMb, context.facts.rootMountOptions])
          .apply(([ramMb, rootMountOptions]) => ({ ramMb, rootMountOptions })),
      },
      { parent: context.parent },
    );
    return {
      resources: [profile],
      config: {
        claim: {
          resource: owner,
          node: context.name,
          keys: PERFORMANCE_OPTIONS.map((option) => option.key).filter((key) => !excluded.has(key)),
        },
        settings: profile.plan.apply((plan) =>
          Object.fromEntries(Object.entries(plan.values).map(([key, value]) => [key, { value, owner }])),
        ),
      },
      summary: {
        values: profile.plan.apply((plan) => plan.values),
        rootMountOptions: profile.rootMountOptions,
      },
    };
  },
};

/**
 * Handbook 15.5.1: the backup schedule. The dump logs in as its own least-privilege MariaDB account, which the
 * resource creates on the node with the CE's main service login (sipwise.cnf): no password of the stack is
 * needed. It is installed after the node's MySQL credentials, so a root account they change is settled.
 */
const backup: Feature<"backup"> = {
  key: "backup",
  handbook: "15.5.1",
  build(context, settings) {
    const schedule = new BackupSchedule(
      `${context.name}-backup`,
      { target: context.target, backup: settings },
      { parent: context.parent, dependsOn: [...context.resourcesOf("mysql")] },
    );
    return {
      resources: [schedule],
      summary: {
        lastBackup: schedule.lastSuccess,
        lastBackupId: schedule.lastSuccessId,
        lastResult: schedule.lastResult,
        drifted: schedule.drifted,
      },
    };
  },
};

/**
 * Handbook 15.2: INPUT filtering for tables 8 and 9 on the ports of the applied config.yml, the RTPENGINE
 * rule, lockout-safe apply. Created after the node's NgcpConfig (`afterApply`), fed with its `effective`
 * values of the port keys of both editions (`watchKeys`), so a port changed in config.yml moves its rule in
 * the same `up`.
 */
const firewall: Feature<"firewall"> = {
  key: "firewall",
  handbook: "15.2",
  build(context, settings) {
    let resolveCount: (count: pulumi.Output<number>) => void = () => undefined;
    const ruleCount = new Promise<pulumi.Output<number>>((resolve) => (resolveCount = resolve));
    const edition = context.resolved.edition;
    return {
      resources: [],
      watchKeys: FIREWALL_WATCH_KEYS,
      afterApply: (config) => {
        const resource = new Firewall(
          `${context.name}-firewall`,
          {
            target: context.target,
            // The admin networks as the node resolved them (spec/resolve.ts): one shape, one place decides.
            firewall: {
              ...settings,
              adminSources: {
                ipv4: [...context.resolved.adminSources.ipv4],
                ipv6: [...context.resolved.adminSources.ipv6],
              },
            },
            effective: config.effective,
            ...(edition === undefined ? {} : { edition }),
          },
          { parent: context.parent, dependsOn: [config] },
        );
        resolveCount(resource.ruleCount);
        return [resource];
      },
      summary: { ruleCount: pulumi.output(ruleCount) },
    };
  },
};

/**
 * Handbook 15.3, MySQL: root's password, extra least-privilege users, the service users verified. The settings
 * hold passwords: the resource keeps them secret in the state whatever the stack config marked.
 */
const mysql: Feature<"mysql"> = {
  key: "mysql",
  handbook: "15.3",
  build(context, settings) {
    const credentials = new MysqlCredentials(
      `${context.name}-mysql`,
      { target: context.target, mysql: pulumi.secret(settings) },
      { parent: context.parent },
    );
    return {
      resources: [credentials],
      summary: {
        accounts: credentials.accounts,
        rootAccounts: credentials.rootAccounts,
        serviceUsers: credentials.serviceUsers,
        optionFile: credentials.optionFile,
      },
    };
  },
};

/**
 * Handbook 15.4: certificates of the web interfaces and SIP over TLS. PEM values come from secret stack
 * config or from files on the deployer (`certificateFile`, `chainFile`, `privateKeyFile`, relative to the
 * project directory), read here and passed on only inside `pulumi.secret`. `production` follows the
 * stack's `environment` unless set. The node's NgcpConfig sets the keys and applies once (restarting
 * services when a certificate changed); a handshake check after the apply proves what each port serves.
 */
const tls: Feature<"tls"> = {
  key: "tls",
  handbook: "15.4",
  build(context, settings) {
    const name = `${context.name}-tls`;
    const owner = `TlsCertificates ${name}`;
    const resolved = resolveTlsStackConfig(settings, {
      environment: context.spec.environment,
      readFile: (path) => readFileSync(resolvePath(path), "utf8"),
      where: `node ${context.name}`,
    });
    if (!resolved.ok) {
      throw new pulumi.RunError(resolved.errors.join("\n"));
    }
    const certificates = new TlsCertificates(
      name,
      // Validated by the provider's check, which names service and config key of each problem.
      { target: context.target, tls: pulumi.secret(resolved.inputs) },
      { parent: context.parent },
    );
    return {
      resources: [certificates],
      config: {
        claim: { resource: owner, node: context.name, keys: claimedConfigKeys(resolved.inputs) },
        settings: certificates.plan.apply((plan) =>
          Object.fromEntries(Object.entries(plan.settings).map(([key, value]) => [key, { value, owner }])),
        ),
        applyTriggers: certificates.plan.apply(tlsApplyTriggers),
      },
      watchKeys: tlsPortKeys(),
      afterApply: (config) => [
        new TlsHandshakeCheck(
          `${name}-handshake`,
          {
            node: context.name,
            host: context.target.host,
            handshakes: certificates.plan.apply((plan) => plan.handshakes),
            effective: config.effective,
            filesRevision: certificates.plan.apply((plan) => plan.filesRevision),
          },
          { parent: context.parent, dependsOn: [config] },
        ),
      ],
      summary: {
        certificates: certificates.certificates.apply((all) =>
          Object.fromEntries(
            Object.entries(all).map(([service, c]) => [
              service,
              { sha256Fingerprint: c?.sha256Fingerprint, daysLeft: c?.daysLeft, notAfter: c?.notAfter },
            ]),
          ),
        ),
        warnings: certificates.plan.apply((plan) => plan.warnings),
      },
    };
  },
};

/**
 * Handbook 15.3, system accounts: root's password, cdrexport's login, the wipe of the preinstalled
 * authorized_keys (keeping the stack's keys; `check` refuses a wipe that would drop the deployer's own key).
 */
const systemAccounts: Feature<"systemAccounts"> = {
  key: "systemAccounts",
  handbook: "15.3",
  build(context, settings) {
    const accounts = new SystemAccounts(
      `${context.name}-system-accounts`,
      { target: context.target, systemAccounts: pulumi.secret(settings) },
      { parent: context.parent },
    );
    return {
      resources: [accounts],
      summary: { lastChanges: accounts.lastChanges, drift: accounts.drift },
    };
  },
};

/**
 * Handbook 15.1: Sipwise's SSH support access, enabled or disabled with the handbook's exact commands. It
 * runs after the node's system accounts: their wipe of sipwise's authorized_keys and `ngcp-support-access`
 * edit the same file.
 */
const supportAccess: Feature<"supportAccess"> = {
  key: "supportAccess",
  handbook: "15.1",
  build(context, settings) {
    const wipe = context.resolved.features.systemAccounts;
    const keepsSipwise = wipe?.keepKeys?.sipwise ?? [];
    if (
      settings.enabled === true &&
      wipe?.wipeAuthorizedKeys === true &&
      wipe.vagrant !== true &&
      keepsSipwise.length === 0
    ) {
      pulumi.log.warn(
        `${context.name}: supportAccess.enabled is true but systemAccounts.wipeAuthorizedKeys keeps no key of ` +
          "sipwise: the wipe removes Sipwise's support key on every up; name it in systemAccounts.keepKeys.sipwise",
        context.parent,
      );
    }
    const access = new SupportAccess(
      `${context.name}-support-access`,
      { target: context.target, supportAccess: settings },
      { parent: context.parent, dependsOn: [...context.resourcesOf("systemAccounts")] },
    );
    return { resources: [access], summary: { state: access.state } };
  },
};

/**
 * Handbook 15.3, web: the `administrator` and `ngcpsoap` passwords, through the REST API's documented calls
 * over the SSH tunnel. The settings hold passwords: the resource keeps them secret in the state.
 */
const webCredentials: Feature<"webCredentials"> = {
  key: "webCredentials",
  handbook: "15.3",
  build(context, settings) {
    const web = new WebCredentials(
      `${context.name}-web-credentials`,
      { target: context.target, webCredentials: pulumi.secret(settings) },
      { parent: context.parent },
    );
    return { resources: [web], summary: { logins: web.logins, drift: web.drift } };
  },
};

/** Every feature a node can have, in the order their resources are declared. */
export const FEATURES: readonly AnyFeature[] = [
  performance,
  mysql,
  backup,
  firewall,
  tls,
  systemAccounts,
  supportAccess,
  webCredentials,
];
