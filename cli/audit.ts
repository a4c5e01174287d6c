import { type Command, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import { utils as sshUtils } from "ssh2";
import { loadStackSpec } from "../engine/stackSpec";
import { defaultMaxAgeHours } from "../providers/backup/schedule";
import type { AuditIntent } from "../operations/audit/checks";
import { DEFAULT_DRILL_MAX_AGE_DAYS, runChecks } from "../operations/audit/checks";
import { collectSnapshot, type WebLoginProber } from "../operations/audit/collect";
import {
  exitStatus,
  renderReport,
  REPORT_FORMATS,
  type AuditReport,
  type NodeAudit,
  type ReportFormat,
} from "../operations/audit/render";
import { closeAll } from "../providers/transport/session";
import { probeWebLogin } from "../providers/webCredentials/provider";
import { describeTarget, parsePublicKeyLine, type NodeTarget } from "../providers/transport/target";
import { targetFor } from "../spec/targets";
import { resolveNode } from "../spec/resolve";
import type { ClusterSpec, NodeSpec } from "../spec/schema";

/**
 * `ngcp-fleet audit`: grades every node of a stack (or one `--host`) against handbook chapter 15 and prints
 * a table per node, JSON or Markdown. Read-only: it runs read scripts, the password verifier and a MySQL
 * login attempt, and never writes to a node. Exit status 1 when a `must` check failed or a node could not
 * be read.
 */

/** A node to audit, with what its stack intends. */
export interface AuditSubject {
  readonly target: NodeTarget;
  readonly intent: AuditIntent;
}

/**
 * The web login probe the audit uses: the webCredentials provider's own login request (one
 * `GET /api/admins/?login=administrator` with basic auth through the SSH tunnel; 200 accepted, 401 rejected).
 */
const WEB_LOGIN_PROBER: WebLoginProber = probeWebLogin;

interface AuditOptions {
  readonly stack?: string;
  readonly host?: string;
  readonly port: number;
  readonly user: string;
  readonly hostKey?: string;
  readonly key?: string;
  readonly name?: string;
  readonly production?: boolean;
  readonly warnDays: number;
  readonly drillMaxAgeDays: number;
  readonly json?: boolean;
  readonly format: ReportFormat;
}

/** The public key line of the private key the audit logs in with: that key is not "preinstalled". */
export function deployerPublicKey(target: Pick<NodeTarget, "privateKey" | "privateKeyPath">): string[] {
  try {
    const text =
      target.privateKey ?? (target.privateKeyPath ? readFileSync(target.privateKeyPath, "utf8") : undefined);
    if (text === undefined) {
      return [];
    }
    const parsed = sshUtils.parseKey(text);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key instanceof Error || key === undefined) {
      return [];
    }
    return [`${key.type} ${key.getPublicSSH().toString("base64")}`];
  } catch {
    return [];
  }
}

/** What a stack says about one node, as the checks need it (pure over the parsed spec). */
export function intentFromSpec(
  spec: ClusterSpec,
  node: NodeSpec,
  options: { warnDays?: number; drillMaxAgeDays?: number } = {},
): AuditIntent {
  const resolved = resolveNode(spec, node);
  const f = resolved.features;
  const sources = [...resolved.adminSources.ipv4, ...resolved.adminSources.ipv6];
  const backup = f.backup;
  const schedule = backup?.schedule ?? "30 3 * * *";
  let backupMaxAgeHours = backup?.maxAgeHours;
  if (backupMaxAgeHours === undefined && backup !== undefined) {
    try {
      backupMaxAgeHours = defaultMaxAgeHours(schedule);
    } catch {
      backupMaxAgeHours = undefined;
    }
  }
  const keep = f.systemAccounts?.keepKeys;
  const intent: AuditIntent = {
    production: spec.environment === "production" || f.tls?.production === true,
    warnDays: options.warnDays ?? f.tls?.warnDays ?? 30,
    supportAccessEnabled: f.supportAccess?.enabled,
    // The one resolved value the firewall applies: firewall.adminSources, else the cluster's list.
    adminSources:
      sources.length > 0 || resolved.adminSourcesFrom === "firewall.adminSources" ? sources : undefined,
    sipTlsEnable: f.tls?.sipTls?.enable,
    keepKeys: keep ? { root: keep.root, sipwise: keep.sipwise } : undefined,
    wipesAuthorizedKeys: f.systemAccounts?.wipeAuthorizedKeys,
    natedSubscribers: f.performance?.sizing?.natedSubscribers,
    pingsPerSecondPerProcess: f.performance?.sizing?.pingsPerSecondPerProcess,
    backupMaxAgeHours,
    edition: resolved.edition,
    managesWebAdministrator: f.webCredentials?.administrator !== undefined,
    webAdminPort: f.webCredentials?.port,
    drillMaxAgeDays: options.drillMaxAgeDays,
  };
  // Drop undefined fields: the intent prints cleanly in --json and tests compare it deeply.
  return Object.fromEntries(Object.entries(intent).filter(([, v]) => v !== undefined)) as AuditIntent;
}

/** Every node of a stack, read through the Automation API and validated like `pulumi preview` does. */
export async function stackSubjects(
  stackName: string,
  options: { warnDays?: number; drillMaxAgeDays?: number } = {},
): Promise<AuditSubject[]> {
  const { spec, sshPrivateKey } = await loadStackSpec(stackName);
  return spec.nodes.map((node) => {
    const target = targetFor(spec, node, sshPrivateKey);
    const intent = intentFromSpec(spec, node, options);
    return { target, intent: { ...intent, deployerKeys: deployerPublicKey(target) } };
  });
}

/** Audits the subjects in parallel; a node that cannot be read is reported, not thrown. */
export async function auditSubjects(
  subjects: readonly AuditSubject[],
  stack?: string,
  now: () => Date = () => new Date(),
  webLoginProber: WebLoginProber | undefined = WEB_LOGIN_PROBER,
): Promise<AuditReport> {
  const nodes = await Promise.all(
    subjects.map(async ({ target, intent }): Promise<NodeAudit> => {
      const address = describeTarget(target);
      try {
        const snapshot = await collectSnapshot(target, now(), {
          ...(intent.webAdminPort !== undefined ? { webAdminPort: intent.webAdminPort } : {}),
          ...(webLoginProber !== undefined ? { probeWebLogin: webLoginProber } : {}),
        });
        return { node: target.name, address, checks: runChecks(snapshot, intent, now()) };
      } catch (err) {
        return { node: target.name, address, checks: [], error: (err as Error).message.split("\n")[0] };
      }
    }),
  );
  return { at: now().toISOString(), ...(stack ? { stack } : {}), nodes };
}

function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) {
      throw new InvalidArgumentError(`${name} must be a whole number, at least 1, got: ${value}`);
    }
    return Number(value);
  };
}

function subjectsFromHost(o: AuditOptions): AuditSubject[] {
  if (!o.hostKey) {
    throw new InvalidArgumentError(
      '--host needs --host-key "ssh-ed25519 AAAA…" (the node\'s pinned host key, e.g. from `ssh-keyscan -t ed25519 HOST`)',
    );
  }
  parsePublicKeyLine(o.hostKey);
  if (!o.key) {
    throw new InvalidArgumentError("--host needs --key PATH (the private key to log in with)");
  }
  const target: NodeTarget = {
    name: o.name ?? o.host!,
    host: o.host!,
    port: o.port,
    user: o.user,
    hostKey: o.hostKey,
    privateKeyPath: o.key,
    sudo: o.user !== "root",
  };
  return [
    {
      target,
      intent: {
        production: o.production === true,
        warnDays: o.warnDays,
        drillMaxAgeDays: o.drillMaxAgeDays,
        deployerKeys: deployerPublicKey(target),
      },
    },
  ];
}

export function registerAuditCommand(program: Command): void {
  program
    .command("audit")
    .description("grade every node against handbook chapter 15 (read-only); exit 1 when a must check fails")
    .option("--stack <name>", "audit every node of this stack (stacks/Pulumi.<name>.yaml)")
    .option("--host <address>", "audit one node that is in no stack")
    .option("--port <n>", "SSH port with --host", positiveInt("--port"), 22)
    .option("--user <name>", "SSH user with --host (not root: commands run through sudo -n)", "root")
    .option("--host-key <line>", 'pinned host public key with --host ("ssh-ed25519 AAAA…")')
    .option("--key <path>", "private key file with --host")
    .option("--name <name>", "name of the --host node in the report (default: the address)")
    .option("--production", "with --host: grade as production (self-signed certificates fail)")
    .option("--warn-days <n>", "warn when a certificate has fewer days left", positiveInt("--warn-days"), 30)
    .option(
      "--drill-max-age-days <n>",
      "warn when the last passing restore drill is older",
      positiveInt("--drill-max-age-days"),
      DEFAULT_DRILL_MAX_AGE_DAYS,
    )
    .option("--json", "JSON report (same as --format json)")
    .addOption(new Option("--format <format>", "report format").choices([...REPORT_FORMATS]).default("table"))
    .action(async (o: AuditOptions) => {
      if ((o.stack === undefined) === (o.host === undefined)) {
        throw new InvalidArgumentError("give exactly one of --stack NAME or --host ADDRESS");
      }
      try {
        const subjects =
          o.stack !== undefined
            ? await stackSubjects(o.stack, { warnDays: o.warnDays, drillMaxAgeDays: o.drillMaxAgeDays })
            : subjectsFromHost(o);
        const report = await auditSubjects(subjects, o.stack);
        const format: ReportFormat = o.json ? "json" : o.format;
        process.stdout.write(
          renderReport(report, format, {
            color: process.stdout.isTTY === true,
            width: process.stdout.columns,
          }),
        );
        process.exitCode = exitStatus(report);
      } finally {
        await closeAll();
      }
    });
}
