/**
 * The posture audit's checks (pure): each grades one recommendation of handbook chapter 15 from a
 * {@link NodeSnapshot} and, when the node belongs to a stack, the stack's intent. No check talks to a node,
 * reads a clock (the caller passes `now`) or sees a secret: the snapshot holds none.
 *
 * Severity: `must` for what the handbook words as an obligation or a security default that must go ("must be
 * changed immediately", "should be set", "imperative"), and whose failure makes `ngcp-fleet audit` exit
 * non-zero; `should` for recommendations (noatime, SIP over TLS, Sipwise access without a stated intent).
 */
import { X509Certificate } from "node:crypto";
import { backupDrift, parseStatus } from "../../providers/backup/status";
import { DRILL_RECORD_PATH, parseDrillRecord } from "../recovery/drillRecord";
import { parseManifest } from "../../providers/backup/manifest";
import { DEFAULT_BACKUP_PATHS } from "../../providers/backup/inputs";
import { parseNetwork } from "../../providers/firewall/address";
import { CHAINS } from "../../providers/firewall/model";
import { findChain, findTable, parseSave, targetOf, type LiveRuleset } from "../../providers/firewall/save";
import type { Family } from "../../providers/firewall/inputs";
import { detectEdition, type HandbookEdition } from "../../providers/ngcpConfig/edition";
import { getKey, type ConfigDocument, type ScalarValue } from "../../providers/ngcpConfig/document";
import { noatimeWarning } from "../../providers/performance/noatime";
import {
  MAX_NATPING_PROCESSES,
  PERFORMANCE_OPTIONS,
  PINGS_PER_SECOND_PER_PROCESS,
  natpingProcessesFor,
  shmMemForRam,
  validateConfigValues,
} from "../../providers/performance/planner";
import { parseAuthorizedKeyLine } from "../../providers/systemAccounts/sshKeys";
import { factsOf, shortSubject } from "../../providers/tls/facts";
import { TLS_SERVICE_SPECS } from "../../providers/tls/services";
import { configString, parsedConfig, type CertificateRead, type NodeSnapshot } from "./snapshot";

export type CheckStatus = "pass" | "warn" | "fail";
export type Severity = "must" | "should";

/** One graded recommendation. */
export interface CheckResult {
  /** Stable id (`mysql-root-password`), for `--json` consumers and CI filters. */
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly severity: Severity;
  /** What was found on the node, with numbers, paths and key names; never a secret. */
  readonly evidence: string;
  /** Handbook section(s), e.g. `15.3` or `15.4/15.7`. */
  readonly handbook: string;
  /** How to fix it: the handbook's command or the stack-config key that makes ngcp-fleet do it. */
  readonly fix: string;
}

/**
 * What the stack says the node should be, where the audit needs it. Every field is optional: a node audited
 * with `--host` has no stack, and its checks grade against the handbook alone.
 */
export interface AuditIntent {
  /** The environment is production: self-signed certificates fail instead of warn. @default false */
  readonly production?: boolean;
  /** A certificate with fewer days left warns (expired fails). @default 30 */
  readonly warnDays?: number;
  /** `supportAccess.enabled` of the stack. @default none: no intent, enabled only warns */
  readonly supportAccessEnabled?: boolean;
  /** Networks allowed to reach admin ports (`adminSources`, `firewall.adminSources`). @default none */
  readonly adminSources?: readonly string[];
  /** `tls.sipTls.enable` of the stack. @default none: TLS for SIP off only warns */
  readonly sipTlsEnable?: boolean;
  /** Keys the stack keeps in root's / sipwise's authorized_keys (`systemAccounts.keepKeys`). @default none */
  readonly keepKeys?: { readonly root?: readonly string[]; readonly sipwise?: readonly string[] };
  /** The stack wipes preinstalled keys (`systemAccounts.wipeAuthorizedKeys`): undeclared keys fail. @default false */
  readonly wipesAuthorizedKeys?: boolean;
  /** Public key lines the audit itself logs in with: never "preinstalled". @default none */
  readonly deployerKeys?: readonly string[];
  /** `performance.sizing.natedSubscribers`, for the natping formula. @default none */
  readonly natedSubscribers?: number;
  /** `performance.sizing.pingsPerSecondPerProcess`. @default 250 */
  readonly pingsPerSecondPerProcess?: number;
  /** `backup.maxAgeHours`: an older last success fails. @default 26 (a daily schedule + 2 h) */
  readonly backupMaxAgeHours?: number;
  /** The stack's edition; else detected from config.yml. @default detected */
  readonly edition?: HandbookEdition;
  /** The stack manages the web `administrator` password (`webCredentials.administrator`). @default false */
  readonly managesWebAdministrator?: boolean;
  /** The admin interface's port for the web login probe (`webCredentials.port`). @default config.yml's, else 1443 */
  readonly webAdminPort?: number;
  /** A passing restore drill older than this many days warns (`--drill-max-age-days`). @default 31 */
  readonly drillMaxAgeDays?: number;
}

/** Comments of keys baked into vendor VM images (the lab's image key uses the first). */
export const VENDOR_IMAGE_KEY_COMMENTS: readonly RegExp[] = [
  /sipwise-vm-image/i,
  /vagrant insecure public key/i,
];
/** The Sipwise support key in sipwise's authorized_keys belongs to 15.1, not to the 15.3 wipe. */
const SUPPORT_KEY = /sipwise-support|jump\.sipwise\.com/i;
/** The vendor's default certificate files (handbook 15.4: "common for every installation"). */
const VENDOR_DEFAULT_CERT = /\/myserver\.(crt|pem)$/;
const VENDOR_DEFAULT_CN = /CN=myserver(\n|$)/;
const DEFAULT_BACKUP_MAX_AGE_HOURS = 26;
/** A monthly drill, with a day of slack: a passing drill older than this warns. */
export const DEFAULT_DRILL_MAX_AGE_DAYS = 31;

interface Verdict {
  readonly status: CheckStatus;
  readonly evidence: string;
  readonly severity?: Severity;
}

/** A check: its fixed description, and the pure function that grades a snapshot. */
export interface AuditCheck {
  readonly id: string;
  readonly title: string;
  readonly handbook: string;
  /** The severity when the grade does not change it (a few checks are `must` only with a stated intent). */
  readonly severity: Severity;
  readonly fix: string;
  readonly grade: (snapshot: NodeSnapshot, intent: AuditIntent, now: Date) => Verdict;
}

const pass = (evidence: string): Verdict => ({ status: "pass", evidence });
const warn = (evidence: string, severity?: Severity): Verdict => ({
  status: "warn",
  evidence,
  ...(severity ? { severity } : {}),
});
const fail = (evidence: string, severity?: Severity): Verdict => ({
  status: "fail",
  evidence,
  ...(severity ? { severity } : {}),
});

// ---- helpers over the snapshot ------------------------------------------------------------------------

const FAMILIES: readonly Family[] = ["ipv4", "ipv6"];

type FirewallKind = "ours" | "foreign" | "none";

function rulesets(s: NodeSnapshot): { family: Family; live?: LiveRuleset; error?: string }[] {
  return FAMILIES.map((family) => {
    const text = s.iptables[family];
    if (text === null) {
      return { family, error: `${family === "ipv4" ? "iptables" : "ip6tables"}-save is not available` };
    }
    try {
      return { family, live: parseSave(text) };
    } catch (err) {
      return { family, error: (err as Error).message };
    }
  });
}

function isRtpengineRule(args: readonly string[]): boolean {
  const p = args.indexOf("-p");
  return targetOf(args) === "RTPENGINE" && p >= 0 && args[p + 1] === "udp";
}

function firewallKind(live: LiveRuleset): FirewallKind {
  const input = findChain(findTable(live, "filter"), "INPUT");
  if (input === undefined) {
    return "none";
  }
  if (input.rules.some((r) => targetOf(r.args) === CHAINS.main)) {
    return "ours";
  }
  const filtering = input.rules.filter((r) => !isRtpengineRule(r.args));
  return filtering.length === 0 && (input.policy ?? "ACCEPT") === "ACCEPT" ? "none" : "foreign";
}

/** Table-10 values of config.yml by dotted key (scalars only). */
function configValues(doc: ConfigDocument): Record<string, ScalarValue | undefined> {
  const values: Record<string, ScalarValue | undefined> = {};
  for (const option of PERFORMANCE_OPTIONS) {
    const raw = getKey(doc, option.key);
    // An empty string is how config.yml leaves a key unset (rsyslog.external_address: '' by default).
    values[option.key] =
      raw === undefined || raw === null || raw === "" || typeof raw === "object"
        ? undefined
        : (raw as ScalarValue);
  }
  return values;
}

function editionOf(s: NodeSnapshot, intent: AuditIntent): HandbookEdition {
  if (intent.edition) {
    return intent.edition;
  }
  const config = parsedConfig(s.configYml);
  if (!config.ok) {
    return "current";
  }
  try {
    return detectEdition(config.doc).edition;
  } catch {
    return "current";
  }
}

function adminPorts(s: NodeSnapshot): number[] {
  const config = parsedConfig(s.configYml);
  const get = (key: string) => (config.ok ? configString(config.doc, key) : undefined);
  const port = (keys: readonly string[], fallback: number) => {
    for (const key of keys) {
      const v = get(key);
      if (v !== undefined && /^\d+$/.test(v)) {
        return Number(v);
      }
    }
    return fallback;
  };
  return [
    22,
    port(["www_admin.http_admin.port", "www_admin.apache.port"], 1443),
    port(["ossbss.apache.port"], 2443),
  ];
}

interface CertFacts {
  readonly read: CertificateRead;
  readonly where: string;
  readonly facts?: ReturnType<typeof factsOf>;
  readonly error?: string;
}

function certFacts(s: NodeSnapshot): CertFacts[] {
  return s.certificates.map((read) => {
    const where = `${read.certPath} (${read.services.join(", ")})`;
    if (read.pem === null) {
      return { read, where, error: "missing or unreadable" };
    }
    try {
      return { read, where, facts: factsOf(new X509Certificate(read.pem)) };
    } catch (err) {
      return { read, where, error: `not a certificate: ${(err as Error).message}` };
    }
  });
}

function sipTlsEnabled(s: NodeSnapshot): boolean | undefined {
  const config = parsedConfig(s.configYml);
  if (!config.ok) {
    return undefined;
  }
  const v = configString(config.doc, TLS_SERVICE_SPECS.sipTls.enableKey ?? "kamailio.lb.tls.enable");
  return v === undefined ? undefined : ["yes", "true", "1"].includes(v.toLowerCase());
}

/** Certificates in use: every web one, and SIP over TLS's only while it is enabled (15.4). */
function certsInUse(s: NodeSnapshot): CertFacts[] {
  const sipOn = sipTlsEnabled(s) === true;
  return certFacts(s).filter((c) => sipOn || c.read.services.some((svc) => svc !== "sipTls"));
}

function isVendorDefault(c: CertFacts): boolean {
  return VENDOR_DEFAULT_CERT.test(c.read.certPath) || VENDOR_DEFAULT_CN.test(c.facts?.subject ?? "");
}

function keyFingerprints(lines: readonly string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const line of lines ?? []) {
    const parsed = parseAuthorizedKeyLine(line);
    if (parsed.kind === "key") {
      out.add(parsed.fingerprint);
    }
  }
  return out;
}

const hoursAgo = (iso: string, now: Date) => Math.round((now.getTime() - Date.parse(iso)) / 360_000) / 10;

// ---- the checks ---------------------------------------------------------------------------------------

export const CHECKS: readonly AuditCheck[] = [
  {
    id: "support-access",
    title: "Sipwise support access matches the stack's intent",
    handbook: "15.1",
    severity: "must",
    fix: "set ngcp-fleet:supportAccess.enabled and `pulumi up`, or on the node: `ngcp-support-access --disable && apt-get install ngcp-support-noaccess`",
    grade(s, intent) {
      if (!s.support.ok) {
        return warn(`support access state unreadable: ${s.support.error}`);
      }
      const st = s.support.state;
      const facts =
        `${st.access.name}: ${st.access.installed ? "installed" : "not installed"}, ` +
        `${st.noaccess.name}: ${st.noaccess.installed ? "installed" : "not installed"}` +
        (st.sipwiseKeys !== undefined ? `, sipwise has ${st.sipwiseKeys} authorized key(s)` : "");
      if (intent.supportAccessEnabled === undefined) {
        if (st.state === "disabled") {
          return pass(`disabled (${facts})`);
        }
        return warn(`${st.state} (${facts}); the stack states no intent (supportAccess.enabled)`, "should");
      }
      const wanted = intent.supportAccessEnabled ? "enabled" : "disabled";
      return st.state === wanted
        ? pass(`${st.state}, as the stack says (${facts})`)
        : fail(`${st.state}, but the stack says ${wanted} (${facts})`);
    },
  },
  {
    id: "firewall-present",
    title: "INPUT is filtered by the ngcp-fleet firewall",
    handbook: "15.2",
    severity: "must",
    fix: "set ngcp-fleet:firewall (and adminSources) and `pulumi up`",
    grade(s) {
      const parts: string[] = [];
      let worst: CheckStatus = "pass";
      for (const r of rulesets(s)) {
        if (r.live === undefined) {
          parts.push(`${r.family}: ${r.error}`);
          worst = worst === "fail" ? worst : "warn";
          continue;
        }
        const kind = firewallKind(r.live);
        const policy = findChain(findTable(r.live, "filter"), "INPUT")?.policy ?? "ACCEPT";
        if (kind === "ours") {
          parts.push(`${r.family}: INPUT jumps to ${CHAINS.main} (policy ${policy})`);
        } else if (kind === "foreign") {
          parts.push(`${r.family}: INPUT filtered by rules not managed by ngcp-fleet (policy ${policy})`);
          worst = worst === "fail" ? worst : "warn";
        } else {
          parts.push(`${r.family}: no filtering (INPUT policy ${policy}, no rules)`);
          worst = "fail";
        }
      }
      return { status: worst, evidence: parts.join("; ") };
    },
  },
  {
    id: "firewall-admin-ports",
    title: "Admin ports (SSH, admin interface, provisioning) reachable only from admin networks",
    handbook: "15.2",
    severity: "must",
    fix: "set ngcp-fleet:adminSources to the admin networks and ngcp-fleet:firewall, then `pulumi up`",
    grade(s, intent) {
      const ports = adminPorts(s).join(", ");
      const parts: string[] = [];
      let worst: CheckStatus = "pass";
      const raise = (to: CheckStatus) => {
        worst = worst === "fail" || (worst === "warn" && to === "pass") ? worst : to;
      };
      for (const r of rulesets(s)) {
        if (r.live === undefined) {
          parts.push(`${r.family}: ${r.error}`);
          raise("warn");
          continue;
        }
        const kind = firewallKind(r.live);
        if (kind === "none") {
          parts.push(`${r.family}: ports ${ports} open to every source (no INPUT filtering)`);
          raise("fail");
          continue;
        }
        if (kind === "foreign") {
          parts.push(`${r.family}: not verifiable (INPUT filtered by rules not managed by ngcp-fleet)`);
          raise("warn");
          continue;
        }
        const chain = findChain(findTable(r.live, "filter"), CHAINS.admin);
        const rules = chain?.rules ?? [];
        const accepts = rules.filter((rule) => targetOf(rule.args) === "ACCEPT");
        const open = accepts.filter((rule) => !rule.args.includes("-s"));
        const drops = rules.some(
          (rule) => targetOf(rule.args) === "DROP" || targetOf(rule.args) === "REJECT",
        );
        const sources = [
          ...new Set(accepts.map((rule) => rule.args[rule.args.indexOf("-s") + 1]).filter(Boolean)),
        ];
        if (open.length > 0 || !drops) {
          parts.push(
            `${r.family}: ${open.length > 0 ? `${open.length} admin rule(s) accept any source` : `${CHAINS.admin} has no DROP for other sources`}`,
          );
          raise("fail");
          continue;
        }
        const allowed = new Set(
          (intent.adminSources ?? []).flatMap((text) => {
            const parsed = parseNetwork(text);
            return parsed.ok && parsed.network.family === r.family ? [parsed.network.saved] : [];
          }),
        );
        const extra = intent.adminSources === undefined ? [] : sources.filter((src) => !allowed.has(src));
        if (extra.length > 0) {
          parts.push(
            `${r.family}: admin ports also open to ${extra.join(", ")}, not in the stack's adminSources`,
          );
          raise("fail");
        } else {
          parts.push(
            `${r.family}: ports ${ports} accepted only from ${sources.join(", ") || "nobody"}, others dropped`,
          );
        }
      }
      return { status: worst, evidence: parts.join("; ") };
    },
  },
  {
    id: "rtpengine-rule",
    title: "The RTPENGINE rule is in INPUT (-p udp -j RTPENGINE --id 0)",
    handbook: "15.2",
    severity: "must",
    fix: "restart rtpengine (it installs the rule), or manage the firewall with ngcp-fleet:firewall, which keeps it in place",
    grade(s) {
      const parts: string[] = [];
      let worst: CheckStatus = "pass";
      for (const r of rulesets(s)) {
        if (r.live === undefined) {
          parts.push(`${r.family}: ${r.error}`);
          worst = worst === "fail" ? worst : "warn";
          continue;
        }
        const input = findChain(findTable(r.live, "filter"), "INPUT");
        const rule = input?.rules.find((x) => isRtpengineRule(x.args));
        if (rule) {
          parts.push(`${r.family}: present (${rule.args.join(" ")})`);
        } else {
          parts.push(`${r.family}: missing from INPUT of the filter table`);
          worst = "fail";
        }
      }
      return { status: worst, evidence: parts.join("; ") };
    },
  },
  {
    id: "mysql-root-password",
    title: "MySQL root has a password",
    handbook: "15.3",
    severity: "must",
    fix: "set the secret ngcp-fleet:mysql.rootPassword and `pulumi up` (or `mysqladmin password` on the node)",
    grade(s) {
      const m = s.mysqlRoot;
      if (m.result === "accepted") {
        const accounts =
          m.passwordlessRootAccounts.length > 0 ? m.passwordlessRootAccounts.join(", ") : "root";
        return fail(
          `MySQL accepted root with an empty password over 127.0.0.1; accounts without a password: ${accounts}`,
        );
      }
      if (m.result === "rejected") {
        return pass(m.reason);
      }
      return warn(`not verifiable: ${m.reason}`);
    },
  },
  {
    id: "root-password-default",
    title: "root's system password is not the VM image default",
    handbook: "15.3",
    severity: "must",
    fix: "set the secret ngcp-fleet:systemAccounts.rootPassword and `pulumi up` (or `passwd root` on the node)",
    grade(s) {
      const root = s.accounts.find((a) => a.user === "root");
      if (root?.password === "empty") {
        return fail("root has an EMPTY password field in /etc/shadow: login without a password");
      }
      const p = s.rootPassword;
      if (p.result === "default") {
        return fail(
          "root's password is still `sipwise` (verified on the node by crypt(3), password on stdin)",
        );
      }
      if (p.result === "changed") {
        return pass("root's password is not `sipwise` (verified on the node by crypt(3))");
      }
      if (p.result === "noHash") {
        return pass(`root has no password login (/etc/shadow: ${root?.password ?? "no entry"})`);
      }
      return warn(`not verifiable: ${p.result === "unknown" ? p.reason : p.result}`);
    },
  },
  {
    id: "preinstalled-keys",
    title: "Preinstalled authorized_keys of root and sipwise are wiped",
    handbook: "15.3",
    severity: "must",
    fix: "set ngcp-fleet:systemAccounts.wipeAuthorizedKeys: true (keepKeys for your own keys) and `pulumi up`, or `rm ~root/.ssh/authorized_keys ~sipwise/.ssh/authorized_keys`",
    grade(s, intent) {
      const vendor: string[] = [];
      const undeclared: string[] = [];
      let kept = 0;
      const deployer = keyFingerprints(intent.deployerKeys);
      for (const file of s.authorizedKeys.filter((f) => f.user === "root" || f.user === "sipwise")) {
        const declared = keyFingerprints(
          file.user === "root" ? intent.keepKeys?.root : intent.keepKeys?.sipwise,
        );
        for (const line of file.lines) {
          const key = parseAuthorizedKeyLine(line);
          if (key.kind !== "key") {
            continue;
          }
          const label = `${file.path}: ${key.type} ${key.comment ?? "(no comment)"} ${key.fingerprint}`;
          const text = `${key.comment ?? ""} ${key.options ?? ""}`;
          if (VENDOR_IMAGE_KEY_COMMENTS.some((re) => re.test(key.comment ?? ""))) {
            vendor.push(label);
          } else if (file.user === "sipwise" && SUPPORT_KEY.test(text)) {
            continue; // Sipwise's support key: graded by support-access (15.1)
          } else if (deployer.has(key.fingerprint) || declared.has(key.fingerprint)) {
            kept++;
          } else {
            undeclared.push(label);
          }
        }
      }
      if (vendor.length > 0) {
        return fail(`vendor image key(s) still authorized: ${vendor.join("; ")}`);
      }
      if (undeclared.length > 0) {
        const text = `key(s) declared nowhere (not the audit's own key, not in systemAccounts.keepKeys): ${undeclared.join("; ")}`;
        return intent.wipesAuthorizedKeys ? fail(text) : warn(text, "should");
      }
      return pass(
        `no preinstalled key; ${kept} declared key(s) (the deployer's and systemAccounts.keepKeys)`,
      );
    },
  },
  {
    id: "cdrexport-login",
    title: "cdrexport logs in by key only, or with a strong password",
    handbook: "15.3",
    severity: "must",
    fix: "set ngcp-fleet:systemAccounts.cdrexport ({mode: key, authorizedKeys: [...]}) and `pulumi up`",
    grade(s) {
      const account = s.accounts.find((a) => a.user === "cdrexport");
      if (!account?.exists) {
        return pass("no cdrexport account on this node");
      }
      const keys = s.authorizedKeys
        .filter((f) => f.user === "cdrexport")
        .flatMap((f) => f.lines.filter((l) => parseAuthorizedKeyLine(l).kind === "key")).length;
      switch (account.password) {
        case "empty":
          return fail("cdrexport has an EMPTY password field: login without a password");
        case "hash": {
          const p = s.cdrexportPassword;
          if (p.result === "default") {
            return fail(
              "cdrexport's password is a known default password (verified on the node by crypt(3))",
            );
          }
          const why = p.result === "unknown" ? `; ${p.reason}` : "";
          return warn(
            `password login enabled with a password that is not a known default; its strength is not verifiable read-only${why}; ${keys} key(s)`,
          );
        }
        default:
          return pass(
            keys > 0
              ? `password login ${account.password ?? "absent"}, ${keys} authorized key(s): key-only login`
              : `login disabled (password ${account.password ?? "absent"}, no key): the handbook's default`,
          );
      }
    },
  },
  {
    id: "web-administrator-password",
    title: "Web `administrator` is not on its default password",
    handbook: "15.3",
    severity: "must",
    fix: "set the secret ngcp-fleet:webCredentials.administrator.password and `pulumi up`, or change it in the admin interface",
    grade(s, intent) {
      // One login attempt with the vendor default: a GET the panel answers, so a read. It is stated in the
      // evidence because the panel may count a refused attempt (the audit makes exactly one per run).
      const p = s.webAdministrator;
      const attempt = `one login attempt as administrator with the default password on 127.0.0.1:${p.port} (through SSH)`;
      const managed = intent.managesWebAdministrator
        ? "the stack manages it (webCredentials.administrator)"
        : "the stack does not manage it";
      if (p.result === "accepted") {
        return fail(`${attempt}: ACCEPTED — the default password still works; ${managed}`);
      }
      if (p.result === "rejected") {
        return pass(`${attempt}: rejected; ${managed}`);
      }
      return warn(`not verified: ${attempt}: ${p.reason}; ${managed}`);
    },
  },
  {
    id: "certificate-default",
    title: "Certificates in use are not the self-signed vendor default",
    handbook: "15.4",
    severity: "should",
    fix: "set ngcp-fleet:tls (web, sipTls) with CA-signed certificates and `pulumi up`",
    grade(s, intent) {
      const certs = certsInUse(s);
      if (certs.length === 0) {
        return warn("no certificate configured in config.yml (15.4 keys absent)");
      }
      const severity: Severity = intent.production ? "must" : "should";
      const bad: string[] = [];
      const good: string[] = [];
      for (const c of certs) {
        if (c.facts === undefined) {
          bad.push(`${c.where}: ${c.error}`);
        } else if (c.facts.selfSigned) {
          bad.push(
            `${c.where}: self-signed ${shortSubject(c.facts.subject)}${isVendorDefault(c) ? " (the vendor default)" : ""}`,
          );
        } else {
          good.push(`${c.where}: issued by ${shortSubject(c.facts.issuer)}`);
        }
      }
      if (bad.length === 0) {
        return pass(good.join("; "));
      }
      const text = bad.join("; ") + (intent.production ? " — in production" : "");
      return intent.production ? fail(text, severity) : warn(text, severity);
    },
  },
  {
    id: "certificate-expiry",
    title: "Certificates are not expiring soon",
    handbook: "15.4",
    severity: "must",
    fix: "renew the certificate and update ngcp-fleet:tls, then `pulumi up`",
    grade(s, intent, now) {
      const warnDays = intent.warnDays ?? 30;
      const certs = certsInUse(s).filter((c) => c.facts !== undefined);
      if (certs.length === 0) {
        return warn("no readable certificate configured");
      }
      let worst: CheckStatus = "pass";
      const parts = certs.map((c) => {
        const days = c.facts!.daysLeft(now);
        if (days < 0) {
          worst = "fail";
        } else if (days < warnDays && worst === "pass") {
          worst = "warn";
        }
        return `${c.where}: ${days < 0 ? `EXPIRED ${-days} day(s) ago` : `${days} day(s) left`} (notAfter ${c.facts!.notAfter})`;
      });
      return { status: worst, evidence: `${parts.join("; ")}; warn below ${warnDays} days` };
    },
  },
  {
    id: "certificate-key-match",
    title: "Each certificate matches its private key",
    handbook: "15.4",
    severity: "must",
    fix: "install the key that belongs to the certificate (ngcp-fleet:tls validates the pair before upload)",
    grade(s) {
      const certs = certsInUse(s);
      if (certs.length === 0) {
        return warn("no certificate configured");
      }
      const bad: string[] = [];
      for (const { read, where } of certs) {
        if (read.certPublicKeySha256 === null) {
          bad.push(`${where}: certificate unreadable`);
        } else if (read.keyPublicKeySha256 === null) {
          bad.push(`${where}: key ${read.keyPath} missing or unreadable`);
        } else if (read.certPublicKeySha256 !== read.keyPublicKeySha256) {
          bad.push(`${where}: key ${read.keyPath} does not match the certificate`);
        }
      }
      return bad.length > 0
        ? fail(bad.join("; "))
        : pass(`${certs.length} pair(s) match (public keys compared on the node)`);
    },
  },
  {
    id: "sip-tls",
    title: "TLS for SIP enabled, or deliberately off",
    handbook: "15.4/15.7",
    severity: "should",
    fix: "set ngcp-fleet:tls.sipTls ({enable: true, certificate…} or {enable: false} to record that it is deliberate)",
    grade(s, intent) {
      const on = sipTlsEnabled(s);
      if (on === undefined) {
        return warn("kamailio.lb.tls.enable not readable from config.yml");
      }
      if (on) {
        if (intent.sipTlsEnable === false) {
          return fail(
            "kamailio.lb.tls.enable is yes, but the stack says off (tls.sipTls.enable: false)",
            "must",
          );
        }
        const sip = certFacts(s).find((c) => c.read.services.includes("sipTls"));
        const selfSigned = sip?.facts?.selfSigned === true;
        if (selfSigned && intent.production) {
          return fail(`enabled with a self-signed certificate (${sip?.where}) in production`, "must");
        }
        return pass(`enabled (kamailio.lb.tls.enable: yes)${selfSigned ? ", self-signed certificate" : ""}`);
      }
      if (intent.sipTlsEnable === false) {
        return pass("off, deliberately (the stack sets tls.sipTls.enable: false)");
      }
      if (intent.sipTlsEnable === true) {
        return fail(
          "off (kamailio.lb.tls.enable: no), but the stack says on (tls.sipTls.enable: true)",
          "must",
        );
      }
      return warn("off (kamailio.lb.tls.enable: no, the default); the stack does not say this is deliberate");
    },
  },
  {
    id: "backup-configured",
    title: "A backup schedule exists",
    handbook: "15.5.1",
    severity: "must",
    fix: "set ngcp-fleet:backup and `pulumi up` (a cron job that dumps the databases and saves /etc/ngcp-config)",
    grade(s) {
      const ours = s.backup.cronFiles.filter((f) => f.ours);
      if (ours.length > 0) {
        return pass(`ngcp-fleet schedule: ${ours.map((f) => f.path).join(", ")}`);
      }
      if (s.backup.timers.length > 0) {
        return pass(`systemd timer(s): ${s.backup.timers.join(", ")}`);
      }
      const other = s.backup.cronFiles.filter((f) =>
        f.text
          .split("\n")
          .some((l) => !l.trim().startsWith("#") && /backup|mysqldump|mariadb-dump|ngcp-backup/i.test(l)),
      );
      if (other.length > 0) {
        return pass(`a schedule not managed by ngcp-fleet: ${other.map((f) => f.path).join(", ")}`);
      }
      return fail("no backup schedule found (/etc/cron.d, root's crontab, systemd timers)");
    },
  },
  {
    id: "backup-recent",
    title: "The last backup succeeded recently",
    handbook: "15.5.1",
    severity: "must",
    fix: "check the last run (`ngcp-fleet backup run --stack S --node N`); see the status file's error",
    grade(s, intent, now) {
      const maxAge = intent.backupMaxAgeHours ?? DEFAULT_BACKUP_MAX_AGE_HOURS;
      if (s.backup.statusJson === null) {
        return fail(`no backup has run (no status file ${DEFAULT_BACKUP_PATHS.statusFile})`);
      }
      const parsed = parseStatus(s.backup.statusJson);
      if (!parsed.ok) {
        return fail(parsed.error);
      }
      const alive = s.backup.runAlive;
      const drift = backupDrift(
        parsed.status,
        now,
        maxAge,
        alive === null || alive === undefined ? {} : { runAlive: alive },
      );
      if (drift.drifted) {
        return fail(drift.reasons.join("; "));
      }
      const last = drift.lastSuccess;
      return pass(
        last
          ? `last success ${last.id}, finished ${last.finishedAt} (${hoursAgo(last.finishedAt, now)} h ago, limit ${maxAge} h)`
          : `last result ${drift.lastResult}`,
      );
    },
  },
  {
    id: "backup-drill",
    title: "The last restore drill passed",
    handbook: "15.5.2",
    severity: "should",
    fix: "run `ngcp-fleet restore-drill --stack S --node N` regularly, e.g. monthly from CI (it records its outcome on the node); after a failure, read the record's evidence, fix the backup and drill again",
    // Severity: the handbook asks for no drill, so never drilled or drilled long ago is a `should` warning;
    // a last drill that FAILED means the node's backups are known not to restore, which defeats 15.5.1's
    // backup itself: `must`.
    grade(s, intent, now) {
      const maxDays = intent.drillMaxAgeDays ?? DEFAULT_DRILL_MAX_AGE_DAYS;
      if (s.backup.drillRecordJson === null) {
        return warn(`no restore drill recorded on the node (${DRILL_RECORD_PATH} absent)`, "should");
      }
      const parsed = parseDrillRecord(s.backup.drillRecordJson);
      if (!parsed.ok) {
        return warn(`the drill record is unreadable: ${parsed.error}`, "should");
      }
      const r = parsed.record;
      const days = Math.floor((now.getTime() - Date.parse(r.finishedAt)) / 86_400_000);
      const what = `last drill of backup ${r.backupId ?? "(none selected)"} finished ${r.finishedAt}`;
      if (r.result === "fail") {
        return fail(`${what} FAILED: ${r.evidence}`, "must");
      }
      if (days < -1) {
        return warn(`${what} is in the future (${-days} day(s)): check the clocks`, "should");
      }
      if (days > maxDays) {
        return warn(`${what} (${days} day(s) ago, limit ${maxDays}) passed: ${r.evidence}`, "should");
      }
      return pass(`${what} (${Math.max(days, 0)} day(s) ago, limit ${maxDays}) passed: ${r.evidence}`);
    },
  },
  {
    id: "backup-coverage",
    title: "The backup set covers every path the handbook lists",
    handbook: "15.5.1",
    severity: "must",
    fix: "use ngcp-fleet:backup (it saves the databases, /etc/ngcp-config and sipwise.cnf), or add the missing paths to your tool",
    grade(s, intent) {
      const edition = editionOf(s, intent);
      const required = [
        DEFAULT_BACKUP_PATHS.ngcpConfigDir,
        DEFAULT_BACKUP_PATHS.sipwiseCnf,
        ...(edition === "older" ? [DEFAULT_BACKUP_PATHS.debianCnf] : []),
      ];
      if (s.backup.manifestJson !== null) {
        const parsed = parseManifest(s.backup.manifestJson);
        if (!parsed.ok) {
          return fail(parsed.error);
        }
        const m = parsed.manifest;
        const paths = new Set(m.artifacts.flatMap((a) => a.paths));
        const missing = [
          ...(m.artifacts.some((a) => a.kind === "databases") ? [] : ["the database dump"]),
          ...required.filter((p) => !paths.has(p)),
        ];
        const cdr = paths.has(DEFAULT_BACKUP_PATHS.cdrExportDir)
          ? "; exported CDRs included"
          : "; exported CDRs not included (optional)";
        return missing.length > 0
          ? fail(`backup ${m.id} lacks ${missing.join(", ")}`)
          : pass(`backup ${m.id} holds the databases, ${required.join(", ")}${cdr}`);
      }
      if (s.backup.scriptPaths.length > 0) {
        const missing = required.filter((p) => !s.backup.scriptPaths.includes(p));
        return missing.length > 0
          ? fail(`the installed backup script does not save ${missing.join(", ")}`)
          : warn(`no finished backup to inspect; the installed script names ${required.join(", ")}`);
      }
      return fail("no backup set to inspect (no finished ngcp-fleet backup, no backup script)");
    },
  },
  {
    id: "noatime",
    title: "Root filesystem mounted with noatime",
    handbook: "15.7",
    severity: "should",
    fix: "set ngcp-fleet:performance.enforceNoatime: true and `pulumi up` (unless software on the node needs atime)",
    grade(s) {
      const problem = noatimeWarning(s.rootMountOptions);
      return problem === undefined ? pass(`/ mounted with ${s.rootMountOptions?.join(",")}`) : warn(problem);
    },
  },
  {
    id: "performance",
    title: "Performance values fit the node's RAM and the natping formula",
    handbook: "15.7",
    severity: "must",
    fix: "set ngcp-fleet:performance (profile or sizing) and `pulumi up`",
    grade(s, intent) {
      const config = parsedConfig(s.configYml);
      if (!config.ok) {
        return fail(`config.yml unreadable: ${config.error}`);
      }
      const values = configValues(config.doc);
      const ram = s.ramMb > 0 ? s.ramMb : undefined;
      const failures = validateConfigValues(values, ram === undefined ? {} : { ramMb: ram });
      if (failures.length > 0) {
        return fail(failures.map((f) => f.reason).join("; "));
      }
      const notes: string[] = [];
      let status: CheckStatus = "pass";
      if (ram !== undefined) {
        const expected = shmMemForRam(ram);
        for (const key of ["kamailio.lb.shm_mem", "kamailio.proxy.shm_mem"]) {
          const v = Number(values[key]);
          if (Number.isFinite(v) && values[key] !== undefined && (v < expected / 2 || v > expected * 2)) {
            status = "warn";
            notes.push(
              `${key} ${v} MB is far from RAM/16 = ${expected} MB (${ram} MB RAM; the installer's value is not updated when RAM changes)`,
            );
          } else if (values[key] !== undefined) {
            notes.push(`${key} ${v} MB (RAM/16 = ${expected})`);
          }
        }
      }
      const processes = Number(values["kamailio.proxy.natping_processes"] ?? MAX_NATPING_PROCESSES);
      const interval = Number(values["kamailio.proxy.natping_interval"] ?? 30);
      const pps = intent.pingsPerSecondPerProcess ?? PINGS_PER_SECOND_PER_PROCESS;
      if (intent.natedSubscribers !== undefined) {
        const needed = natpingProcessesFor(intent.natedSubscribers, interval, pps);
        if (needed > MAX_NATPING_PROCESSES || processes < needed) {
          status = "fail";
        }
        notes.push(
          `natping_processes ${processes}, needed ceil(${intent.natedSubscribers} / ${interval} / ${pps}) = ${needed}` +
            (needed > MAX_NATPING_PROCESSES
              ? ` (above ${MAX_NATPING_PROCESSES}: kamailio will not start; lengthen natping_interval or split the load)`
              : ""),
        );
      } else {
        notes.push(
          `natping_processes ${processes} × ${pps}/s × ${interval} s serve up to ${processes * pps * interval} NATed subscribers`,
        );
      }
      // RAM/16 is the installer's sizing, not a limit: a value far from it only warns (a test system runs on 64).
      return {
        status,
        evidence: notes.join("; "),
        ...(status === "warn" ? { severity: "should" as const } : {}),
      };
    },
  },
];

/** Grades a snapshot with every check, in the handbook's order. */
export function runChecks(snapshot: NodeSnapshot, intent: AuditIntent, now: Date): CheckResult[] {
  return CHECKS.map((check) => {
    const verdict = check.grade(snapshot, intent, now);
    return {
      id: check.id,
      title: check.title,
      status: verdict.status,
      severity: verdict.severity ?? check.severity,
      evidence: verdict.evidence,
      handbook: check.handbook,
      fix: check.fix,
    };
  });
}

/** True when a `must` check failed: the audit's exit status is then non-zero. */
export function mustFailed(results: readonly CheckResult[]): boolean {
  return results.some((r) => r.status === "fail" && r.severity === "must");
}
