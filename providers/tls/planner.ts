/**
 * The pure planner of the TLS resource (handbook 15.4): from validated inputs to the files to install, the
 * config.yml keys to set and the outputs; from what the node holds to drift and a per-service preview.
 * The provider reads the node, calls these, and applies the plan (atomic SFTP writes, then the config
 * layer, which runs one `ngcpcfg apply` per node).
 *
 * Secrets: the only place private-key text appears is a {@link PlannedFile} marked `secret`. Outputs,
 * desired/live facts, diffs and every message carry fingerprints and hashes of public keys only.
 */
import { factsOf, daysLeft as daysLeftAt } from "./facts";
import type { TlsInputs } from "./inputs";
import {
  isPrivateKeyLabel,
  joinPem,
  parseCertificate,
  parsePrivateKey,
  publicKeySha256,
  scanPem,
  sha256Hex,
} from "./pem";
import {
  TLS_SERVICES,
  TLS_SERVICE_SPECS,
  installPaths,
  type NgcpYesNo,
  type TlsServiceName,
} from "./services";
import { certificateSlots, readMaterial } from "./slots";

export { certificateFacts, daysLeft, type CertificateFacts } from "./facts";

/** File modes: keys readable by root only, certificates (public) by everyone. */
export const KEY_FILE_MODE = 0o600;
export const CERT_FILE_MODE = 0o644;

export interface PlannedFile {
  /** Absolute path on the node. */
  readonly path: string;
  /** The file's whole content. A private key when `secret`. */
  readonly content: string;
  /** 0600 for keys, 0644 for certificates. */
  readonly mode: typeof KEY_FILE_MODE | typeof CERT_FILE_MODE;
  readonly owner: "root";
  readonly group: "root";
  /** The content is a private key: never log, diff or output it. */
  readonly secret: boolean;
  /** The services whose config keys point at this file. */
  readonly services: readonly TlsServiceName[];
}

/** A config.yml key to set through the config layer. */
export interface PlannedConfigChange {
  /** The preferred dotted key (`www_admin.http_csc.sslcertkeyfile`). */
  readonly path: string;
  /**
   * Every key that may hold this setting, preferred first; usually just `path`. The config layer picks
   * with `resolveConfigPaths(candidates, exists)` (see services.ts: the self-care key file typo).
   */
  readonly candidates: readonly string[];
  readonly value: string;
  readonly service: TlsServiceName;
}

/** What a service's certificate looks like from outside: safe to show, safe to store. */
export interface TlsServiceOutput {
  readonly sha256Fingerprint: string;
  /** ISO 8601 UTC. */
  readonly notAfter: string;
  /** Whole days left at planning time; negative once expired. */
  readonly daysLeft: number;
  readonly subject: string;
  readonly issuer: string;
  readonly selfSigned: boolean;
  readonly certPath: string;
  readonly keyPath: string;
}

/** A TLS handshake that proves, after apply, what a port serves. One per port. */
export interface HandshakeCheck {
  readonly services: readonly TlsServiceName[];
  /** Keys of the port, current handbook edition first; resolve with `resolveServicePort`. */
  readonly portKeys: readonly string[];
  /** The port when no key is set on the node. */
  readonly defaultPort: number;
  /** The fingerprints the port may serve (more than one when services sharing a port differ). */
  readonly acceptedSha256Fingerprints: readonly string[];
  /** SNI to send: the configured hostname, if any. */
  readonly serverName?: string;
}

/** One config setting as desired: the candidates that may hold it and its value. */
export interface DesiredConfigValue {
  readonly candidates: readonly string[];
  readonly value: string;
}

/** What ngcp-fleet wants (or, stored, last installed) for one service. No key material. */
export interface TlsServiceDesired {
  readonly certPath: string;
  readonly keyPath: string;
  readonly sha256Fingerprint: string;
  /** SHA-256 (hex) of the whole certificate file (leaf and chain): a changed chain counts. */
  readonly certFileSha256: string;
  /** SHA-256 (hex) of the key pair's public key (SPKI): identifies the key without revealing it. */
  readonly publicKeySha256: string;
  readonly notAfter: string;
  readonly config: readonly DesiredConfigValue[];
}

export interface TlsDesiredFacts {
  readonly services: Readonly<Partial<Record<TlsServiceName, TlsServiceDesired>>>;
  /** `kamailio.lb.tls.enable`, when SIP over TLS is managed. */
  readonly sipTlsEnable?: NgcpYesNo;
}

export interface TlsInstallPlan {
  readonly files: readonly PlannedFile[];
  readonly configChanges: readonly PlannedConfigChange[];
  readonly outputs: {
    readonly services: Readonly<Partial<Record<TlsServiceName, TlsServiceOutput>>>;
    readonly sipTlsEnabled?: boolean;
  };
  readonly handshakes: readonly HandshakeCheck[];
  /** To store in state and to compare with the node on refresh ({@link diffTls}). */
  readonly desired: TlsDesiredFacts;
}

/**
 * Plans the installation of validated inputs at time `now` (which only sets `daysLeft`). Throws when an
 * input cannot be read at all: call `validateCertificateSet` first. No message quotes an input.
 */
export function planTlsInstall(inputs: TlsInputs, now: Date): TlsInstallPlan {
  const files: PlannedFile[] = [];
  const configChanges: PlannedConfigChange[] = [];
  const outputs: Partial<Record<TlsServiceName, TlsServiceOutput>> = {};
  const desired: Partial<Record<TlsServiceName, TlsServiceDesired>> = {};
  const hostnames: Partial<Record<TlsServiceName, string>> = {};

  for (const slot of certificateSlots(inputs)) {
    const material = readMaterial(slot);
    const { leaf, keyBlock, key } = material;
    if (leaf === undefined || keyBlock === undefined || key === undefined || material.failures.length > 0) {
      const problems = material.failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
      throw new Error(
        `cannot plan ${slot.property}: ${problems || "unreadable input"}; validate the inputs first`,
      );
    }
    const { certPath, keyPath } = installPaths(slot.fileBase);
    const certContent = joinPem([leaf.block, ...material.chain.map((c) => c.block)]);
    files.push({
      path: certPath,
      content: certContent,
      mode: CERT_FILE_MODE,
      owner: "root",
      group: "root",
      secret: false,
      services: slot.services,
    });
    files.push({
      path: keyPath,
      content: joinPem([keyBlock]),
      mode: KEY_FILE_MODE,
      owner: "root",
      group: "root",
      secret: true,
      services: slot.services,
    });
    const facts = factsOf(leaf.cert);
    const identity = {
      certPath,
      keyPath,
      sha256Fingerprint: facts.sha256Fingerprint,
      certFileSha256: sha256Hex(certContent),
      publicKeySha256: publicKeySha256(key),
      notAfter: facts.notAfter,
    };
    for (const service of slot.services) {
      const spec = TLS_SERVICE_SPECS[service];
      const config: DesiredConfigValue[] = [
        { candidates: [spec.certFileKey], value: certPath },
        { candidates: spec.keyFileKeys, value: keyPath },
      ];
      for (const entry of config) {
        configChanges.push({
          path: entry.candidates[0],
          candidates: entry.candidates,
          value: entry.value,
          service,
        });
      }
      desired[service] = { ...identity, config };
      outputs[service] = {
        sha256Fingerprint: facts.sha256Fingerprint,
        notAfter: facts.notAfter,
        daysLeft: daysLeftAt(facts.notAfter, now),
        subject: facts.subject,
        issuer: facts.issuer,
        selfSigned: facts.selfSigned,
        certPath,
        keyPath,
      };
      if (slot.material?.hostname !== undefined) {
        hostnames[service] = slot.material.hostname;
      }
    }
  }

  let sipTlsEnable: NgcpYesNo | undefined;
  const enableKey = TLS_SERVICE_SPECS.sipTls.enableKey;
  if (inputs.sipTls !== undefined && enableKey !== undefined) {
    sipTlsEnable = inputs.sipTls.enable ? "yes" : "no";
    configChanges.push({ path: enableKey, candidates: [enableKey], value: sipTlsEnable, service: "sipTls" });
  }

  return {
    files,
    configChanges,
    outputs: {
      services: outputs,
      ...(inputs.sipTls !== undefined ? { sipTlsEnabled: inputs.sipTls.enable } : {}),
    },
    handshakes: planHandshakes(desired, hostnames, sipTlsEnable === "yes"),
    desired: { services: desired, ...(sipTlsEnable !== undefined ? { sipTlsEnable } : {}) },
  };
}

/** One handshake per port: services sharing a port key (provisioning and REST) share one check. */
function planHandshakes(
  desired: Partial<Record<TlsServiceName, TlsServiceDesired>>,
  hostnames: Partial<Record<TlsServiceName, string>>,
  sipTlsOn: boolean,
): HandshakeCheck[] {
  const checks: { services: TlsServiceName[]; spec: (typeof TLS_SERVICE_SPECS)[TlsServiceName] }[] = [];
  for (const service of TLS_SERVICES) {
    if (desired[service] === undefined || (service === "sipTls" && !sipTlsOn)) {
      continue;
    }
    const spec = TLS_SERVICE_SPECS[service];
    const samePort = checks.find((c) => c.spec.portKeys[0].path === spec.portKeys[0].path);
    if (samePort !== undefined) {
      samePort.services.push(service);
    } else {
      checks.push({ services: [service], spec });
    }
  }
  return checks.map(({ services, spec }) => {
    const fingerprints = services.map((s) => desired[s]?.sha256Fingerprint ?? "");
    const serverName = services.map((s) => hostnames[s]).find((h) => h !== undefined);
    return {
      services,
      portKeys: spec.portKeys.map((ref) => ref.path),
      defaultPort: spec.defaultPort,
      acceptedSha256Fingerprints: fingerprints.filter((f, i) => fingerprints.indexOf(f) === i),
      ...(serverName !== undefined ? { serverName } : {}),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Live facts: what the provider read from the node, reduced to hashes before anything else sees it.

/** A file as read from the node: its content and mode, or null when it does not exist. */
export type ReadFile = { readonly content: string; readonly mode?: number } | null;

export interface LiveServiceRead {
  readonly service: TlsServiceName;
  /** The certificate file at the installed path. */
  readonly certFile: ReadFile;
  /** The key file at the installed path. Its content is reduced to a public-key hash here. */
  readonly keyFile: ReadFile;
  /** Values of the service's config keys (all candidates), dotted path → value; absent keys left out. */
  readonly config: Readonly<Record<string, string | undefined>>;
  /** The fingerprint a TLS handshake to the service's port returned, when probed. */
  readonly servedSha256Fingerprint?: string;
}

export type LiveCertFile =
  | { readonly present: false }
  | {
      readonly present: true;
      /** Undefined when the file holds no readable certificate. */
      readonly sha256Fingerprint?: string;
      readonly certFileSha256: string;
      readonly mode?: number;
    };

export type LiveKeyFile =
  | { readonly present: false }
  | {
      readonly present: true;
      /** Undefined when the file holds no readable private key. */
      readonly publicKeySha256?: string;
      readonly mode?: number;
    };

export interface TlsServiceLive {
  readonly certFile: LiveCertFile;
  readonly keyFile: LiveKeyFile;
  readonly config: Readonly<Record<string, string | undefined>>;
  readonly servedSha256Fingerprint?: string;
}

export interface TlsLiveFacts {
  readonly services: Readonly<Partial<Record<TlsServiceName, TlsServiceLive>>>;
  /** The value of `kamailio.lb.tls.enable` on the node. */
  readonly sipTlsEnable?: string;
}

/** Reduces what was read for one service to facts; the key file's text goes no further than here. */
export function liveServiceFacts(read: LiveServiceRead): TlsServiceLive {
  return {
    certFile: liveCertFile(read.certFile),
    keyFile: liveKeyFile(read.keyFile),
    config: { ...read.config },
    ...(read.servedSha256Fingerprint !== undefined
      ? { servedSha256Fingerprint: read.servedSha256Fingerprint }
      : {}),
  };
}

function liveCertFile(file: ReadFile): LiveCertFile {
  if (file === null) {
    return { present: false };
  }
  let sha256Fingerprint: string | undefined;
  try {
    sha256Fingerprint = firstFingerprint(file.content);
  } catch {
    sha256Fingerprint = undefined;
  }
  return {
    present: true,
    certFileSha256: sha256Hex(file.content),
    ...(sha256Fingerprint !== undefined ? { sha256Fingerprint } : {}),
    ...(file.mode !== undefined ? { mode: file.mode } : {}),
  };
}

function firstFingerprint(content: string): string | undefined {
  const block = scanPem(content).blocks.find((b) => b.label === "CERTIFICATE");
  return block === undefined ? undefined : parseCertificate(block).fingerprint256;
}

function liveKeyFile(file: ReadFile): LiveKeyFile {
  if (file === null) {
    return { present: false };
  }
  let hash: string | undefined;
  const block = scanPem(file.content).blocks.find((b) => isPrivateKeyLabel(b.label));
  if (block !== undefined) {
    try {
      hash = publicKeySha256(parsePrivateKey(block));
    } catch {
      hash = undefined;
    }
  }
  return {
    present: true,
    ...(hash !== undefined ? { publicKeySha256: hash } : {}),
    ...(file.mode !== undefined ? { mode: file.mode } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Diff: desired against live, drift against what was last applied.

export type TlsDriftKind =
  | "certificate-deleted"
  | "certificate-replaced"
  | "key-deleted"
  | "key-replaced"
  | "file-mode-changed"
  | "config-key-changed"
  | "served-certificate-differs"
  | "sip-tls-enable-changed";

export interface TlsDrift {
  readonly kind: TlsDriftKind;
  /** For people: what is on the node, against what was installed. Fingerprints and paths only. */
  readonly detail: string;
}

/**
 * What `up` would do for a service. `install`: nothing of ours there yet; `rotate`: a new certificate or
 * key replaces ours in place; `repair`: the node drifted from what we installed; `unmanage`: the service
 * left the inputs (files and keys are left as they are); `none`: the node already matches.
 */
export type TlsServiceAction = "none" | "install" | "rotate" | "repair" | "unmanage";

export interface TlsConfigKeyChange {
  readonly path: string;
  readonly old?: string;
  readonly new: string;
}

export interface TlsServiceDiff {
  readonly service: TlsServiceName;
  readonly action: TlsServiceAction;
  /** The certificate fingerprint on the node (null: no file, "unreadable") → the one desired (null: unmanaged). */
  readonly fingerprint?: { readonly old: string | null; readonly new: string | null };
  /** How the node departed from what was last applied. Empty when nothing was applied yet. */
  readonly drift: readonly TlsDrift[];
  readonly configChanges: readonly TlsConfigKeyChange[];
}

export interface TlsDiff {
  readonly hasChanges: boolean;
  readonly services: readonly TlsServiceDiff[];
  /** `kamailio.lb.tls.enable` old → new, when it changes. */
  readonly sipTlsEnable?: { readonly old?: string; readonly new: NgcpYesNo };
  /** Drift of `kamailio.lb.tls.enable` against what was last applied. */
  readonly sipTlsEnableDrift?: TlsDrift;
  /** One line per change or drift, for the preview. */
  readonly summary: readonly string[];
}

/** `lastApplied` for a resource that was never applied (the preview of a create). */
export const NOTHING_APPLIED: TlsDesiredFacts = { services: {} };

const ABSENT_LIVE: TlsServiceLive = { certFile: { present: false }, keyFile: { present: false }, config: {} };

/**
 * Compares the desired facts with the node's live facts. `lastApplied` (the facts stored at the last
 * create/update) tells drift (the node changed behind our back) from rotation (the inputs changed); on
 * refresh, desired and last applied are the same thing and it may be left out. For the preview of a
 * create, pass {@link NOTHING_APPLIED}.
 */
export function diffTls(
  desired: TlsDesiredFacts,
  live: TlsLiveFacts,
  lastApplied: TlsDesiredFacts = desired,
): TlsDiff {
  const services: TlsServiceDiff[] = [];
  for (const service of TLS_SERVICES) {
    const want = desired.services[service];
    const applied = lastApplied.services[service];
    const have = live.services[service] ?? ABSENT_LIVE;
    if (want === undefined && applied === undefined) {
      continue;
    }
    const oldFingerprint = liveFingerprint(have);
    const drift = applied !== undefined ? differences(have, applied) : [];
    if (want === undefined) {
      services.push({
        service,
        action: "unmanage",
        fingerprint: { old: oldFingerprint, new: null },
        drift,
        configChanges: [],
      });
      continue;
    }
    const needed = differences(have, want);
    const action: TlsServiceAction =
      needed.length === 0
        ? "none"
        : applied === undefined
          ? "install"
          : sameIdentity(applied, want)
            ? "repair"
            : "rotate";
    services.push({
      service,
      action,
      ...(oldFingerprint !== want.sha256Fingerprint
        ? { fingerprint: { old: oldFingerprint, new: want.sha256Fingerprint } }
        : {}),
      drift,
      configChanges: configChanges(have, want),
    });
  }

  let sipTlsEnable: TlsDiff["sipTlsEnable"];
  let sipTlsEnableDrift: TlsDrift | undefined;
  if (desired.sipTlsEnable !== undefined && live.sipTlsEnable !== desired.sipTlsEnable) {
    sipTlsEnable = {
      ...(live.sipTlsEnable !== undefined ? { old: live.sipTlsEnable } : {}),
      new: desired.sipTlsEnable,
    };
  }
  if (lastApplied.sipTlsEnable !== undefined && live.sipTlsEnable !== lastApplied.sipTlsEnable) {
    sipTlsEnableDrift = {
      kind: "sip-tls-enable-changed",
      detail: `${TLS_SERVICE_SPECS.sipTls.enableKey} is ${live.sipTlsEnable ?? "unset"}, was set to ${lastApplied.sipTlsEnable}`,
    };
  }
  const hasChanges =
    services.some((s) => s.action !== "none" || s.drift.length > 0) ||
    sipTlsEnable !== undefined ||
    sipTlsEnableDrift !== undefined;
  return {
    hasChanges,
    services,
    ...(sipTlsEnable !== undefined ? { sipTlsEnable } : {}),
    ...(sipTlsEnableDrift !== undefined ? { sipTlsEnableDrift } : {}),
    summary: summarize(services, sipTlsEnable, sipTlsEnableDrift),
  };
}

function liveFingerprint(have: TlsServiceLive): string | null {
  if (!have.certFile.present) {
    return null;
  }
  return have.certFile.sha256Fingerprint ?? "unreadable";
}

function sameIdentity(a: TlsServiceDesired, b: TlsServiceDesired): boolean {
  return (
    a.certFileSha256 === b.certFileSha256 &&
    a.publicKeySha256 === b.publicKeySha256 &&
    a.certPath === b.certPath &&
    a.keyPath === b.keyPath
  );
}

/** How the node's state differs from `target` (what we installed, or what we want). */
function differences(have: TlsServiceLive, target: TlsServiceDesired): TlsDrift[] {
  const drift: TlsDrift[] = [];
  const cert = have.certFile;
  if (!cert.present) {
    drift.push({ kind: "certificate-deleted", detail: `certificate file ${target.certPath} is missing` });
  } else if (cert.certFileSha256 !== target.certFileSha256) {
    const now = cert.sha256Fingerprint ?? "no readable certificate";
    drift.push({
      kind: "certificate-replaced",
      detail:
        cert.sha256Fingerprint === target.sha256Fingerprint
          ? `certificate file ${target.certPath} was edited (same certificate, different chain or text)`
          : `certificate file ${target.certPath} was replaced: holds ${now}, expected ${target.sha256Fingerprint}`,
    });
  }
  if (cert.present && cert.mode !== undefined && (cert.mode & 0o777) !== CERT_FILE_MODE) {
    drift.push({
      kind: "file-mode-changed",
      detail: `${target.certPath} has mode ${octal(cert.mode)}, expected 0644`,
    });
  }
  const key = have.keyFile;
  if (!key.present) {
    drift.push({ kind: "key-deleted", detail: `key file ${target.keyPath} is missing` });
  } else if (key.publicKeySha256 !== target.publicKeySha256) {
    drift.push({
      kind: "key-replaced",
      detail:
        key.publicKeySha256 === undefined
          ? `key file ${target.keyPath} holds no readable private key`
          : `key file ${target.keyPath} holds another key than the one installed`,
    });
  }
  if (key.present && key.mode !== undefined && (key.mode & 0o777) !== KEY_FILE_MODE) {
    drift.push({
      kind: "file-mode-changed",
      detail: `${target.keyPath} has mode ${octal(key.mode)}, expected 0600`,
    });
  }
  for (const change of configChanges(have, target)) {
    drift.push({
      kind: "config-key-changed",
      detail: `${change.path} is ${change.old === undefined ? "unset" : JSON.stringify(change.old)}, expected ${JSON.stringify(change.new)}`,
    });
  }
  if (
    have.servedSha256Fingerprint !== undefined &&
    have.servedSha256Fingerprint !== target.sha256Fingerprint
  ) {
    drift.push({
      kind: "served-certificate-differs",
      detail: `the port serves ${have.servedSha256Fingerprint}, expected ${target.sha256Fingerprint}`,
    });
  }
  return drift;
}

/**
 * Config keys that do not hold the wanted value. A setting with several candidate keys is satisfied when
 * at least one candidate is set and every candidate that is set holds the value.
 */
function configChanges(have: TlsServiceLive, target: TlsServiceDesired): TlsConfigKeyChange[] {
  const changes: TlsConfigKeyChange[] = [];
  for (const entry of target.config) {
    const set = entry.candidates.filter((path) => have.config[path] !== undefined);
    if (set.length === 0) {
      changes.push({ path: entry.candidates[0], new: entry.value });
      continue;
    }
    for (const path of set) {
      const old = have.config[path];
      if (old !== entry.value) {
        changes.push({ path, ...(old !== undefined ? { old } : {}), new: entry.value });
      }
    }
  }
  return changes;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

function summarize(
  services: readonly TlsServiceDiff[],
  sipTlsEnable: TlsDiff["sipTlsEnable"],
  sipTlsEnableDrift: TlsDrift | undefined,
): string[] {
  const lines: string[] = [];
  for (const s of services) {
    const name = `${TLS_SERVICE_SPECS[s.service].label} (${TLS_SERVICE_SPECS[s.service].certFileKey})`;
    const fp = s.fingerprint;
    switch (s.action) {
      case "install":
        lines.push(`${name}: install certificate ${fp?.new ?? ""}${fp?.old ? `, replacing ${fp.old}` : ""}`);
        break;
      case "rotate":
        lines.push(`${name}: rotate certificate ${fp?.old ?? "(none)"} → ${fp?.new ?? "(none)"}`);
        break;
      case "repair":
        lines.push(
          `${name}: restore installed certificate${fp ? ` ${fp.old ?? "(none)"} → ${fp.new ?? "(none)"}` : ""}`,
        );
        break;
      case "unmanage":
        lines.push(`${name}: no longer managed (files and config keys are left as they are)`);
        break;
      case "none":
        break;
    }
    for (const d of s.drift) {
      lines.push(`${name}: drift (${d.kind}): ${d.detail}`);
    }
    for (const c of s.configChanges) {
      lines.push(
        `${name}: ${c.path}: ${c.old === undefined ? "unset" : JSON.stringify(c.old)} → ${JSON.stringify(c.new)}`,
      );
    }
  }
  if (sipTlsEnable !== undefined) {
    lines.push(
      `SIP over TLS: ${TLS_SERVICE_SPECS.sipTls.enableKey}: ${sipTlsEnable.old ?? "unset"} → ${sipTlsEnable.new}`,
    );
  }
  if (sipTlsEnableDrift !== undefined) {
    lines.push(`SIP over TLS: drift (${sipTlsEnableDrift.kind}): ${sipTlsEnableDrift.detail}`);
  }
  return lines;
}
