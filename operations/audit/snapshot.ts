/**
 * What the posture audit reads from a node (pure): the read scripts, and the parsers that turn their output
 * into a {@link NodeSnapshot} that the checks grade. Nothing here talks to a node; `collect.ts` runs the
 * scripts through the transport.
 *
 * Round trips (all reads, none writes):
 *   1. {@link renderSnapshotScript}: one `sh -s` script prints every source under a marker line: facts,
 *      config.yml, support-access packages, iptables-save / ip6tables-save, the password fields of root,
 *      sipwise and cdrexport, their authorized_keys, the backup schedule and status.
 *   2. {@link CERTS_SCRIPT} with argv (paths only, from round 1): the certificate files the config points at,
 *      the SHA-256 of each certificate's and each key's public key computed ON the node (private keys never
 *      leave it), and the latest backup manifest.
 *   3. The password verifier of providers/systemAccounts (`perl -e`, setting/hash/password on stdin): is
 *      root's password still `sipwise`?
 *   4. A MySQL login as root with an empty password, through the SSH tunnel.
 *   5. One login attempt as the web `administrator` with its default password, on the admin interface's
 *      port through the SSH tunnel (a request the panel answers; it changes nothing).
 *
 * A snapshot holds no secret: shadow hashes are reduced to their state (hash / locked / disabled / empty)
 * before it is built, and the password answers are single words.
 */
import { lockProbeScript } from "../../providers/backup/status";
import { splitSections } from "../../providers/nodeFacts/report";
import { parseMountOptions } from "../../providers/performance/noatime";
import {
  renderReadScript,
  parseSupportState,
  type SupportState,
} from "../../providers/supportAccess/supportAccess";
import { parseShadow, type ShadowState } from "../../providers/systemAccounts/shadow";
import { TLS_SERVICE_SPECS, TLS_SERVICES, type TlsServiceName } from "../../providers/tls/services";
import { BACKUP_MARKER } from "../../providers/backup/script";
import { DEFAULT_BACKUP_PATHS } from "../../providers/backup/inputs";
import { DRILL_RECORD_PATH } from "../recovery/drillRecord";
import { parseConfig, getKey, hasKey, type ConfigDocument } from "../../providers/ngcpConfig/document";

/** Accounts whose password field and authorized_keys the audit reads (handbook 15.1, 15.3). */
export const AUDITED_ACCOUNTS = ["root", "sipwise", "cdrexport"] as const;
export type AuditedAccount = (typeof AUDITED_ACCOUNTS)[number];

/** Marker of round 1's sections (distinct from NodeFacts' so that the two never mix). */
const MARKER = "@@ngcp-fleet:";

const PATH_LINE = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH";

/**
 * Round 1: every source under `@@ngcp-fleet:<section>`. Only reads (`cat`, `*-save`, `dpkg-query`,
 * `getent`, `awk`); a missing source prints nothing under its marker. Paths are constants of this project
 * (the handbook's and the backup resource's defaults), never values from a stack.
 */
export function renderSnapshotScript(): string {
  const section = (name: string, body: string) => `echo '${MARKER}${name}'\n${body}`;
  const accounts = AUDITED_ACCOUNTS.join(" ");
  return [
    PATH_LINE,
    section("hostname", "hostname 2>/dev/null || true"),
    section("ngcpVersion", "cat /etc/ngcp_version 2>/dev/null || true"),
    section("meminfo", "cat /proc/meminfo 2>/dev/null || true"),
    section("mounts", "cat /proc/mounts 2>/dev/null || true"),
    section("configYml", "cat /etc/ngcp-config/config.yml 2>/dev/null || true"),
    section("support", `( ${renderReadScript().trim()} ) 2>/dev/null || true`),
    section("iptables", "iptables-save 2>/dev/null || echo '#unavailable'"),
    section("ip6tables", "ip6tables-save 2>/dev/null || echo '#unavailable'"),
    // The shadow lines of the audited accounts only; collect.ts reduces each hash to its state.
    section(
      "shadow",
      `awk -F: 'BEGIN{split("${accounts}",u," ");for(i in u)w[u[i]]=1} ($1 in w)' /etc/shadow 2>/dev/null || true`,
    ),
    section(
      "homes",
      `for u in ${accounts}; do h=$(getent passwd "$u" | cut -d: -f6); printf '%s %s\\n' "$u" "\${h:--}"; done`,
    ),
    [
      `for u in ${accounts}; do`,
      '  h=$(getent passwd "$u" | cut -d: -f6); [ -n "$h" ] || continue',
      '  for f in "$h/.ssh/authorized_keys" "$h/.ssh/authorized_keys2"; do',
      `    [ -f "$f" ] || continue; printf '${MARKER}keys %s %s\\n' "$u" "$f"; cat "$f" 2>/dev/null; echo`,
      "  done",
      "done",
    ].join("\n"),
    // Backup schedule (15.5.1): every cron.d file (the marker line tells ours), root's crontab, timers.
    [
      "for f in /etc/cron.d/* /var/spool/cron/crontabs/root; do",
      `  [ -f "$f" ] || continue; printf '${MARKER}cron %s\\n' "$f"; cat "$f" 2>/dev/null; echo`,
      "done",
    ].join("\n"),
    section(
      "timers",
      // Timers the operator installed (/etc), not the distribution's own (dpkg-db-backup.timer lives in /lib).
      "ls -1 /etc/systemd/system/*.timer 2>/dev/null | grep -i backup | grep -v dpkg-db-backup || true",
    ),
    section("backupStatus", `cat ${DEFAULT_BACKUP_PATHS.statusFile} 2>/dev/null || true`),
    section("backupLock", lockProbeScript(DEFAULT_BACKUP_PATHS.lockFile)),
    section("drillRecord", `cat ${DRILL_RECORD_PATH} 2>/dev/null || true`),
    section(
      "backupScript",
      `grep -o '/etc/[A-Za-z0-9_./-]*' ${DEFAULT_BACKUP_PATHS.script} 2>/dev/null | sort -u || true`,
    ),
    section("end", "true"),
    "",
  ].join("\n");
}

/**
 * Round 2 (argv: `<manifest path or "">` then pairs `<cert path> <key path>`): the latest manifest, each
 * certificate file (public), and the SHA-256 of the public key of each certificate and each private key,
 * derived on the node with openssl. `-` when a file is missing or unreadable.
 */
export const CERTS_SCRIPT = [
  PATH_LINE,
  'm=$1; shift; echo "@@manifest"; if [ -n "$m" ]; then cat -- "$m" 2>/dev/null; fi; echo',
  'pub() { if p=$("$@" </dev/null 2>/dev/null) && [ -n "$p" ]; then printf \'%s\\n\' "$p" | sha256sum | cut -d\' \' -f1; else echo -; fi; }',
  'while [ "$#" -ge 2 ]; do',
  "  c=$1; k=$2; shift 2",
  '  printf \'@@pair %s %s\\n\' "$c" "$k"',
  '  printf \'@@certpub %s\\n\' "$(pub openssl x509 -in "$c" -noout -pubkey)"',
  '  printf \'@@keypub %s\\n\' "$(pub openssl pkey -in "$k" -passin pass: -pubout)"',
  '  echo "@@pem"; cat -- "$c" 2>/dev/null; echo',
  "done",
  'echo "@@end"',
  "",
].join("\n");

/** argv of round 2. */
export function certsArgv(manifestPath: string | undefined, pairs: readonly CertificatePair[]): string[] {
  return [
    "sh",
    "-c",
    CERTS_SCRIPT,
    "ngcp-fleet-audit-read",
    manifestPath ?? "",
    ...pairs.flatMap((p) => [p.certPath, p.keyPath]),
  ];
}

/** One certificate/key pair config.yml points at, with the services that use it. */
export interface CertificatePair {
  readonly certPath: string;
  readonly keyPath: string;
  readonly services: readonly TlsServiceName[];
}

/** What the audit knows about one configured certificate. */
export interface CertificateRead extends CertificatePair {
  /** The certificate file (public), or null when missing/unreadable. */
  readonly pem: string | null;
  /** SHA-256 of the certificate's public key (SPKI PEM), or null. */
  readonly certPublicKeySha256: string | null;
  /** SHA-256 of the private key's public half, derived on the node, or null when missing/unreadable. */
  readonly keyPublicKeySha256: string | null;
}

export interface AccountRead {
  readonly user: AuditedAccount;
  readonly exists: boolean;
  /** State of the password field (never the hash). */
  readonly password?: ShadowState;
}

export interface AuthorizedKeysRead {
  readonly user: AuditedAccount;
  readonly path: string;
  readonly lines: readonly string[];
}

export interface CronFileRead {
  readonly path: string;
  readonly text: string;
  /** Opens with {@link BACKUP_MARKER}: written by our BackupSchedule. */
  readonly ours: boolean;
}

/**
 * A password probe's answer: `default` the vendor/known default still opens it; `changed` it does not;
 * `noHash` the field holds no hash (locked, disabled, empty: see the account's state); `unknown` the probe
 * could not tell (the message says why).
 */
export type PasswordProbe =
  | { readonly result: "default" | "changed" | "noHash" }
  | { readonly result: "unknown"; readonly reason: string };

/** MySQL root with an empty password over 127.0.0.1. */
export type MysqlRootProbe =
  | { readonly result: "accepted"; readonly passwordlessRootAccounts: readonly string[] }
  | { readonly result: "rejected"; readonly reason: string }
  | { readonly result: "unknown"; readonly reason: string };

/**
 * One login attempt as the web `administrator` with the vendor default password (handbook 15.3), on the
 * admin interface's port through the SSH tunnel: `accepted` the default still works; `rejected` it does not;
 * `unknown` the attempt got no clear answer (the message says why).
 */
export type WebLoginProbe =
  | { readonly result: "accepted"; readonly port: number }
  | { readonly result: "rejected"; readonly port: number }
  | { readonly result: "unknown"; readonly port: number; readonly reason: string };

/** Everything the checks grade, for one node. Plain, serializable, secret-free. */
export interface NodeSnapshot {
  readonly node: string;
  /** ISO 8601 UTC. */
  readonly takenAt: string;
  readonly hostname: string;
  readonly ngcpVersion: string;
  /** MemTotal in MiB; 0 when unknown. */
  readonly ramMb: number;
  /** Options of the root mount, or undefined when / is not in /proc/mounts. */
  readonly rootMountOptions?: readonly string[];
  /** /etc/ngcp-config/config.yml, or null when missing. */
  readonly configYml: string | null;
  readonly support:
    { readonly ok: true; readonly state: SupportState } | { readonly ok: false; readonly error: string };
  /** iptables-save / ip6tables-save output, or null when the command is unavailable. */
  readonly iptables: { readonly ipv4: string | null; readonly ipv6: string | null };
  readonly accounts: readonly AccountRead[];
  readonly authorizedKeys: readonly AuthorizedKeysRead[];
  /** Whether root's password is still `sipwise` (handbook 15.3, VM images). */
  readonly rootPassword: PasswordProbe;
  /** Whether cdrexport's password (if it has one) is a known default. */
  readonly cdrexportPassword: PasswordProbe;
  readonly mysqlRoot: MysqlRootProbe;
  /** Whether the web `administrator` still logs in with `administrator`. */
  readonly webAdministrator: WebLoginProbe;
  readonly certificates: readonly CertificateRead[];
  readonly backup: {
    readonly cronFiles: readonly CronFileRead[];
    /** systemd timer files whose name mentions backup. */
    readonly timers: readonly string[];
    /** The BackupSchedule status file, or null. */
    readonly statusJson: string | null;
    /** Whether a backup run holds the lock now; null when the snapshot did not read it. */
    readonly runAlive?: boolean | null;
    /** The latest successful backup's manifest.json, or null. */
    readonly manifestJson: string | null;
    /** /etc paths the installed ngcp-fleet backup script names (evidence when there is no manifest yet). */
    readonly scriptPaths: readonly string[];
    /** The last restore drill's record (providers/recovery/drillRecord.ts), or null. */
    readonly drillRecordJson: string | null;
  };
}

/** Round 1, parsed; `shadowHashes` stays in collect.ts for the verifier and never enters the snapshot. */
export interface FirstRead {
  readonly hostname: string;
  readonly ngcpVersion: string;
  readonly ramMb: number;
  readonly rootMountOptions?: string[];
  readonly configYml: string | null;
  readonly support: NodeSnapshot["support"];
  readonly iptables: NodeSnapshot["iptables"];
  readonly accounts: AccountRead[];
  readonly shadowHashes: Partial<Record<AuditedAccount, string>>;
  readonly authorizedKeys: AuthorizedKeysRead[];
  readonly cronFiles: CronFileRead[];
  readonly timers: string[];
  readonly statusJson: string | null;
  /** `held`/`free` of the backup lock; null when not read. */
  readonly runAlive: boolean | null;
  readonly scriptPaths: string[];
  readonly drillRecordJson: string | null;
}

const isAudited = (u: string): u is AuditedAccount => (AUDITED_ACCOUNTS as readonly string[]).includes(u);

/** Parses round 1's output. */
export function parseFirstRead(stdout: string): FirstRead {
  const sections = splitSections(stdout);
  const get = (name: string) => sections.get(name) ?? "";
  const trimmedOrNull = (name: string) => (get(name).trim() === "" ? null : get(name));
  let support: NodeSnapshot["support"];
  try {
    support = { ok: true, state: parseSupportState(get("support")) };
  } catch (err) {
    support = { ok: false, error: (err as Error).message };
  }
  const save = (name: string) => {
    const text = get(name);
    return text.trim() === "#unavailable" ? null : text;
  };
  const homes = new Map<string, string>();
  for (const line of get("homes").split("\n")) {
    const [user, home] = line.trim().split(/\s+/);
    if (user && home && home !== "-") {
      homes.set(user, home);
    }
  }
  const shadow = parseShadow(get("shadow"));
  const shadowHashes: Partial<Record<AuditedAccount, string>> = {};
  const accounts: AccountRead[] = AUDITED_ACCOUNTS.map((user) => {
    const entry = shadow.find((e) => e.user === user);
    if (entry && entry.state === "hash") {
      shadowHashes[user] = entry.hash;
    }
    return {
      user,
      exists: homes.has(user) || entry !== undefined,
      ...(entry ? { password: entry.state } : {}),
    };
  });
  const authorizedKeys: AuthorizedKeysRead[] = [];
  const cronFiles: CronFileRead[] = [];
  for (const [name, body] of sections) {
    const keys = /^keys (\S+) (.+)$/.exec(name);
    if (keys && isAudited(keys[1])) {
      authorizedKeys.push({
        user: keys[1],
        path: keys[2],
        lines: body.split("\n").filter((l) => l.trim() !== ""),
      });
    }
    const cron = /^cron (.+)$/.exec(name);
    if (cron) {
      cronFiles.push({ path: cron[1], text: body, ours: body.trimStart().startsWith(BACKUP_MARKER) });
    }
  }
  const meminfo = /^MemTotal:\s+(\d+)\s+kB$/m.exec(get("meminfo"));
  const rootMountOptions = parseMountOptions(get("mounts"));
  return {
    hostname: get("hostname").trim(),
    ngcpVersion: get("ngcpVersion").trim(),
    ramMb: meminfo ? Math.floor(Number(meminfo[1]) / 1024) : 0,
    ...(rootMountOptions !== undefined ? { rootMountOptions } : {}),
    configYml: trimmedOrNull("configYml"),
    support,
    iptables: { ipv4: save("iptables"), ipv6: save("ip6tables") },
    accounts,
    shadowHashes,
    authorizedKeys,
    cronFiles,
    timers: get("timers")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== ""),
    statusJson: trimmedOrNull("backupStatus"),
    runAlive: ((lock) => (lock === "held" ? true : lock === "free" ? false : null))(
      trimmedOrNull("backupLock"),
    ),
    drillRecordJson: trimmedOrNull("drillRecord"),
    scriptPaths: get("backupScript")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== ""),
  };
}

/** config.yml parsed, or the parse error; null text gives an error too. */
export function parsedConfig(
  text: string | null,
): { ok: true; doc: ConfigDocument } | { ok: false; error: string } {
  if (text === null) {
    return { ok: false, error: "/etc/ngcp-config/config.yml is missing" };
  }
  try {
    return { ok: true, doc: parseConfig(text) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** A string value at a dotted key, or undefined. */
export function configString(doc: ConfigDocument, key: string): string | undefined {
  const value = getKey(doc, key);
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

/**
 * The certificate/key pairs config.yml points at (handbook 15.4 keys, both editions' spellings via
 * TLS_SERVICE_SPECS), de-duplicated: the vendor default pair shared by every service is read once.
 */
export function certificatePairs(doc: ConfigDocument): CertificatePair[] {
  const byPair = new Map<string, { certPath: string; keyPath: string; services: TlsServiceName[] }>();
  for (const service of TLS_SERVICES) {
    const spec = TLS_SERVICE_SPECS[service];
    const certPath = configString(doc, spec.certFileKey);
    const keyKey = spec.keyFileKeys.find((k) => hasKey(doc, k));
    const keyPath = keyKey === undefined ? undefined : configString(doc, keyKey);
    if (!certPath || !keyPath || !certPath.startsWith("/") || !keyPath.startsWith("/")) {
      continue;
    }
    const id = `${certPath}\n${keyPath}`;
    const pair = byPair.get(id) ?? { certPath, keyPath, services: [] };
    pair.services.push(service);
    byPair.set(id, pair);
  }
  return [...byPair.values()];
}

/** Parses round 2's output into the manifest text and one read per pair (in argv order). */
export function parseCertsRead(
  stdout: string,
  pairs: readonly CertificatePair[],
): { manifestJson: string | null; certificates: CertificateRead[] } {
  const lines = stdout.split("\n");
  let manifest: string[] = [];
  const reads: { pem: string[]; cert: string | null; key: string | null }[] = [];
  let mode: "none" | "manifest" | "pem" = "none";
  for (const line of lines) {
    if (line === "@@manifest") {
      mode = "manifest";
      manifest = [];
    } else if (line.startsWith("@@pair ")) {
      mode = "none";
      reads.push({ pem: [], cert: null, key: null });
    } else if (line.startsWith("@@certpub ") && reads.length > 0) {
      const v = line.slice("@@certpub ".length).trim();
      reads[reads.length - 1].cert = /^[0-9a-f]{64}$/.test(v) ? v : null;
    } else if (line.startsWith("@@keypub ") && reads.length > 0) {
      const v = line.slice("@@keypub ".length).trim();
      reads[reads.length - 1].key = /^[0-9a-f]{64}$/.test(v) ? v : null;
    } else if (line === "@@pem") {
      mode = "pem";
    } else if (line === "@@end") {
      mode = "none";
    } else if (mode === "manifest") {
      manifest.push(line);
    } else if (mode === "pem" && reads.length > 0) {
      reads[reads.length - 1].pem.push(line);
    }
  }
  const manifestText = manifest.join("\n").trim();
  return {
    manifestJson: manifestText === "" ? null : manifestText,
    certificates: pairs.map((pair, index) => {
      const read = reads[index];
      const pem = read ? read.pem.join("\n").trim() : "";
      return {
        ...pair,
        pem: pem === "" ? null : `${pem}\n`,
        certPublicKeySha256: read?.cert ?? null,
        keyPublicKeySha256: read?.key ?? null,
      };
    }),
  };
}

/** The admin interface's port from config.yml (both editions' keys, handbook 15.2 table 9); 1443 when unset. */
export function adminInterfacePort(configYml: string | null): number {
  const config = parsedConfig(configYml);
  if (config.ok) {
    for (const key of ["www_admin.http_admin.port", "www_admin.apache.port"]) {
      const v = configString(config.doc, key);
      if (v !== undefined && /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535) {
        return Number(v);
      }
    }
  }
  return 1443;
}
