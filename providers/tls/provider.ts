/**
 * The TLS certificates provider (handbook 15.4): validates in `check`, uploads over SFTP in
 * `create`/`update`, reads files and config keys back in `read`, and hands the config.yml keys to the
 * node's NgcpConfig, which runs the one `ngcpcfg apply` of the node.
 *
 * Secrets: the provider receives `tls` (private keys included) in clear; it is the only secret input
 * (the feature wraps it in `pulumi.secret`, the resource lists it in `additionalSecretOutputs`). Nothing
 * else this provider returns holds key text: `plan` and `certificates` carry fingerprints, hashes of
 * public keys and paths. Failures and errors name properties, services and keys, never values.
 */
import { isKnown } from "../common/unknown";
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { checkTarget, type CheckFailure } from "../common/checkTarget";
import { getKey, hasKey, leaves, parseConfig, type ConfigDocument } from "../ngcpConfig/document";
import { nodeSnapshot } from "../common/nodeReads";
import { sessionFor, type NodeSession } from "../transport/session";
import { readNow, type NodeSnapshot, type SnapshotRequest } from "../transport/snapshot";
import type { NodeTarget } from "../transport/target";
import { planProbes, servedFingerprint } from "./handshake";
import { parseTlsInputs, type TlsInputs, type TlsMode } from "./inputs";
import {
  daysLeft,
  diffTls,
  liveServiceFacts,
  planTlsInstall,
  type HandshakeCheck,
  type ReadFile,
  type TlsDesiredFacts,
  type TlsInstallPlan,
  type TlsLiveFacts,
  type TlsServiceDesired,
  type TlsServiceLive,
} from "./planner";
import {
  SSL_DIR,
  TLS_SERVICES,
  TLS_SERVICE_SPECS,
  resolveConfigPaths,
  type NgcpYesNo,
  type TlsServiceName,
} from "./services";
import { validateCertificateSet } from "./validate";

import { CONFIG_YML } from "../common/nodeContract";

/** One service as planned: the identity of what is installed, and the public facts of its certificate. */
export interface TlsServicePlan extends TlsServiceDesired {
  readonly subject: string;
  readonly issuer: string;
  readonly selfSigned: boolean;
  /**
   * Only in the inputs `read` returns after a refresh: the fingerprint the service's port served when it
   * differed from the installed one (the preview then shows it being replaced).
   */
  readonly servedSha256Fingerprint?: string;
}

/**
 * The public part of the install plan, computed in `check` so that `pulumi preview` shows it (a dynamic
 * resource's outputs are its inputs during preview). Holds no key material.
 */
export interface TlsPublicPlan {
  readonly mode: TlsMode;
  readonly services: Partial<Record<TlsServiceName, TlsServicePlan>>;
  /** `kamailio.lb.tls.enable`, when SIP over TLS is managed. */
  readonly sipTlsEnable?: NgcpYesNo;
  /**
   * The config.yml keys to set (dotted → value), resolved against the node's config: the self-care key
   * file goes to every candidate key the node has, else to `www_admin.http_csc.sslcertkeyfile`.
   */
  readonly settings: Record<string, string>;
  /** One TLS handshake per port, run by TlsHandshakeCheck after the apply. */
  readonly handshakes: HandshakeCheck[];
  /**
   * Changes whenever the files on the node change or must be rewritten (a rotation, a repair after
   * drift), and only then: the node's NgcpConfig takes it as an apply trigger, so services reload
   * certificates that changed at the same path.
   */
  readonly filesRevision: string;
  /** Worth knowing, not worth stopping for: expiring soon, self-signed outside production, … */
  readonly warnings: string[];
}

/** What the provider receives and stores (plain values). */
export interface TlsCertificatesInputs {
  readonly target: NodeTarget;
  /** The TLS inputs (see inputs.ts), private keys included: secret. Parsed and validated in `check`. */
  readonly tls: unknown;
  /** Computed by `check`. */
  readonly plan?: TlsPublicPlan;
}

/** A service's certificate as outputs and the stack summary show it. */
export interface TlsCertificateOutput {
  readonly sha256Fingerprint: string;
  /** ISO 8601 UTC. */
  readonly notAfter: string;
  /** Whole days left at the last create, update or refresh; negative once expired. */
  readonly daysLeft: number;
  readonly subject: string;
  readonly issuer: string;
  readonly selfSigned: boolean;
  readonly certPath: string;
  readonly keyPath: string;
}

/** Outputs as stored: everything but `tls` (states written before 0.1 kept it; they lose it here). */
export function withoutKeyMaterial<T extends object>(outputs: T & { tls?: unknown }): Omit<T, "tls"> {
  const { tls: _keys, ...rest } = outputs;
  return rest;
}

export interface TlsCertificatesOutputs extends Omit<TlsCertificatesInputs, "tls"> {
  readonly plan: TlsPublicPlan;
  readonly certificates: Partial<Record<TlsServiceName, TlsCertificateOutput>>;
  /** How the node departed from what was installed, found by the last refresh; empty after an update. */
  readonly drift: string[];
  /** Paths of the files the last create or update wrote. */
  readonly written: string[];
}

/** Parses stored inputs that `check` accepted; throws naming properties only. */
function parsed(tls: unknown): TlsInputs {
  const result = parseTlsInputs(tls);
  if (!result.ok) {
    throw new Error(
      `the tls inputs are invalid (${result.failures.map((f) => f.property).join(", ")}); run preview to see why`,
    );
  }
  return result.inputs;
}

/** Parse and validate: every failure names the input property (under `tls.`), the service and its key. */
export function validateTls(
  tls: unknown,
  now: Date,
): { inputs?: TlsInputs; failures: CheckFailure[]; warnings: string[] } {
  const result = parseTlsInputs(tls);
  if (!result.ok) {
    return {
      failures: result.failures.map((f) => ({ property: `tls.${f.property}`, reason: f.reason })),
      warnings: [],
    };
  }
  const validation = validateCertificateSet(result.inputs, now);
  return {
    inputs: result.inputs,
    failures: validation.failures.map((f) => ({ property: `tls.${f.property}`, reason: f.reason })),
    warnings: validation.warnings,
  };
}

/** The files' identity (paths, content hashes, what is served): what a revision is computed from. */
function filesIdentity(plan: Pick<TlsPublicPlan, "services"> | undefined): string {
  if (plan === undefined || typeof plan !== "object" || plan.services === undefined) {
    return "";
  }
  return TLS_SERVICES.flatMap((service) => {
    const s = plan.services[service];
    return s === undefined
      ? []
      : [
          [
            service,
            s.certPath,
            s.keyPath,
            s.certFileSha256,
            s.publicKeySha256,
            s.servedSha256Fingerprint ?? "",
          ].join(" "),
        ];
  }).join("\n");
}

/** Everything whose change needs an update: the files, the config keys, the SIP-TLS switch. */
function planIdentity(plan: TlsPublicPlan | undefined): string {
  if (plan === undefined || typeof plan !== "object") {
    return "";
  }
  const settings = Object.keys(plan.settings ?? {})
    .sort()
    .map((key) => `${key}=${plan.settings[key]}`);
  return [
    filesIdentity(plan),
    ...settings,
    `sipTlsEnable=${plan.sipTlsEnable ?? ""}`,
    plan.filesRevision,
  ].join("\n");
}

/**
 * The next files revision: unchanged while the files stay what they were (and were seen to be), a new
 * value as soon as they differ. Chained through the previous revision, so the same drift repaired twice
 * still yields two new revisions (each needs services to reload).
 */
export function nextFilesRevision(
  previous: Pick<TlsPublicPlan, "services" | "filesRevision"> | undefined,
  next: Pick<TlsPublicPlan, "services">,
): string {
  const before = filesIdentity(previous);
  const after = filesIdentity(next);
  if (previous?.filesRevision !== undefined && before === after) {
    return previous.filesRevision;
  }
  return createHash("sha256")
    .update([previous?.filesRevision ?? "", before, after].join("\0"))
    .digest("hex")
    .slice(0, 16);
}

/** The public plan of validated inputs on a node whose config.yml is `doc` (undefined: not readable yet). */
export function publicPlan(
  inputs: TlsInputs,
  install: TlsInstallPlan,
  doc: ConfigDocument | undefined,
  warnings: readonly string[],
  previous: TlsPublicPlan | undefined,
): TlsPublicPlan {
  const exists = (path: string) => doc !== undefined && hasKey(doc, path);
  const settings: Record<string, string> = {};
  for (const change of install.configChanges) {
    for (const path of resolveConfigPaths(change.candidates, exists)) {
      settings[path] = change.value;
    }
  }
  const services: Partial<Record<TlsServiceName, TlsServicePlan>> = {};
  for (const service of TLS_SERVICES) {
    const desired = install.desired.services[service];
    const output = install.outputs.services[service];
    if (desired !== undefined && output !== undefined) {
      services[service] = {
        ...desired,
        subject: output.subject,
        issuer: output.issuer,
        selfSigned: output.selfSigned,
      };
    }
  }
  return {
    mode: inputs.mode,
    services,
    ...(install.desired.sipTlsEnable !== undefined ? { sipTlsEnable: install.desired.sipTlsEnable } : {}),
    settings,
    handshakes: [...install.handshakes],
    filesRevision: nextFilesRevision(previous, { services }),
    warnings: [...warnings],
  };
}

/**
 * The node's NgcpConfig apply triggers: each certificate's fingerprint (shown in the preview when it
 * rotates) and the files revision (a repair at the same path). A change of either makes the apply
 * restart the services, which read certificate files only when they start.
 */
export function tlsApplyTriggers(plan: TlsPublicPlan): Record<string, string> {
  const triggers: Record<string, string> = { "tls.files": plan.filesRevision };
  for (const service of TLS_SERVICES) {
    const s = plan.services[service];
    if (s !== undefined) {
      triggers[`tls.${service}`] = s.sha256Fingerprint;
    }
  }
  return triggers;
}

function configDocOf(snapshot: NodeSnapshot): ConfigDocument {
  const file = snapshot.file(CONFIG_YML);
  if (file === null || file === undefined) {
    throw new Error(`node ${snapshot.node}: ${CONFIG_YML} is missing: is this a sip:provider CE node?`);
  }
  return parseConfig(file.content.toString("utf8"));
}

/** The certificate and key files of the planned services, and config.yml: what a refresh or update reads. */
function liveRequest(plan: TlsPublicPlan): SnapshotRequest {
  const paths = Object.values(plan.services).flatMap((s) => (s ? [s.certPath, s.keyPath] : []));
  return { files: [CONFIG_YML, ...new Set(paths)] };
}

function readNodeFile(snapshot: NodeSnapshot, path: string): ReadFile {
  const file = snapshot.file(path);
  return file === null || file === undefined
    ? null
    : { content: file.content.toString("utf8"), mode: file.mode };
}

function configString(doc: ConfigDocument, path: string): string | undefined {
  const value = getKey(doc, path);
  return value === undefined || value === null || typeof value === "object" ? undefined : String(value);
}

/**
 * What the node holds for the planned services: files reduced to hashes (key text goes no further than
 * `liveServiceFacts`), their config keys, and, with `probe`, what each port serves.
 */
async function readLive(
  snapshot: NodeSnapshot,
  plan: TlsPublicPlan,
  doc: ConfigDocument,
  probeHost: string | undefined,
): Promise<TlsLiveFacts> {
  const entries = TLS_SERVICES.flatMap((service) => {
    const s = plan.services[service];
    return s === undefined ? [] : [[service, s] as const];
  });
  const served: Partial<Record<TlsServiceName, string>> =
    probeHost !== undefined ? await servedMismatches(probeHost, plan, doc) : {};
  const services: Partial<Record<TlsServiceName, TlsServiceLive>> = {};
  for (const [service, s] of entries) {
    const config: Record<string, string | undefined> = {};
    for (const entry of s.config) {
      for (const path of entry.candidates) {
        const value = configString(doc, path);
        if (value !== undefined) {
          config[path] = value;
        }
      }
    }
    services[service] = liveServiceFacts({
      service,
      certFile: readNodeFile(snapshot, s.certPath),
      keyFile: readNodeFile(snapshot, s.keyPath),
      config,
      ...(served[service] !== undefined ? { servedSha256Fingerprint: served[service] } : {}),
    });
  }
  const enableKey = TLS_SERVICE_SPECS.sipTls.enableKey;
  const sipTlsEnable = enableKey !== undefined ? configString(doc, enableKey) : undefined;
  return { services, ...(sipTlsEnable !== undefined ? { sipTlsEnable } : {}) };
}

/**
 * Ports that answer with a certificate other than the accepted ones: service → fingerprint served. A port
 * that does not answer is left out (the handshake check reports that after an apply; refresh stays quiet).
 */
async function servedMismatches(
  host: string,
  plan: TlsPublicPlan,
  doc: ConfigDocument,
): Promise<Partial<Record<TlsServiceName, string>>> {
  const effective = (key: string) => getKey(doc, key);
  const lookup: Record<string, unknown> = {};
  for (const check of plan.handshakes) {
    for (const service of check.services) {
      for (const ref of TLS_SERVICE_SPECS[service].portKeys) {
        lookup[ref.path] = effective(ref.path);
      }
    }
  }
  const probes = planProbes(plan.handshakes, lookup);
  const out: Partial<Record<TlsServiceName, string>> = {};
  await Promise.all(
    probes.map(async (probe) => {
      try {
        const served = await servedFingerprint(host, probe.port, {
          ...(probe.serverName !== undefined ? { serverName: probe.serverName } : {}),
          timeoutMs: 3000,
        });
        if (!probe.acceptedSha256Fingerprints.includes(served)) {
          for (const service of probe.services) {
            out[service] = served;
          }
        }
      } catch {
        // Not answering is not a certificate difference.
      }
    }),
  );
  return out;
}

/** The plan as the node has it: the inputs `read` returns, so the next preview shows `live => desired`. */
function liveView(plan: TlsPublicPlan, live: TlsLiveFacts): TlsPublicPlan {
  const services: Partial<Record<TlsServiceName, TlsServicePlan>> = {};
  for (const service of TLS_SERVICES) {
    const want = plan.services[service];
    if (want === undefined) {
      continue;
    }
    const have = live.services[service];
    const cert = have?.certFile;
    const key = have?.keyFile;
    const certFileSha256 = cert?.present ? cert.certFileSha256 : "missing";
    const sha256Fingerprint = cert?.present ? (cert.sha256Fingerprint ?? "unreadable") : "missing";
    const publicKeySha256 = key?.present ? (key.publicKeySha256 ?? "unreadable") : "missing";
    services[service] = {
      ...want,
      ...(certFileSha256 !== want.certFileSha256 ? { certFileSha256 } : {}),
      ...(sha256Fingerprint !== want.sha256Fingerprint ? { sha256Fingerprint } : {}),
      ...(publicKeySha256 !== want.publicKeySha256 ? { publicKeySha256 } : {}),
      ...(have?.servedSha256Fingerprint !== undefined
        ? { servedSha256Fingerprint: have.servedSha256Fingerprint }
        : {}),
    };
  }
  const settings: Record<string, string> = {};
  for (const key of Object.keys(plan.settings)) {
    const value = liveConfigValue(live, key);
    settings[key] = value ?? "(unset)";
  }
  return { ...plan, services, settings };
}

function liveConfigValue(live: TlsLiveFacts, key: string): string | undefined {
  if (key === TLS_SERVICE_SPECS.sipTls.enableKey) {
    return live.sipTlsEnable;
  }
  for (const service of Object.values(live.services)) {
    const value = service?.config[key];
    if (value !== undefined) {
      return value;
    }
  }
  return undefined;
}

/** The desired facts of a public plan, in the planner's shape. */
function desiredOf(plan: TlsPublicPlan): TlsDesiredFacts {
  const services: Partial<Record<TlsServiceName, TlsServiceDesired>> = {};
  for (const service of TLS_SERVICES) {
    const s = plan.services[service];
    if (s !== undefined) {
      services[service] = {
        certPath: s.certPath,
        keyPath: s.keyPath,
        sha256Fingerprint: s.sha256Fingerprint,
        certFileSha256: s.certFileSha256,
        publicKeySha256: s.publicKeySha256,
        notAfter: s.notAfter,
        config: s.config,
      };
    }
  }
  return { services, ...(plan.sipTlsEnable !== undefined ? { sipTlsEnable: plan.sipTlsEnable } : {}) };
}

function certificatesOf(
  plan: TlsPublicPlan,
  now: Date,
): Partial<Record<TlsServiceName, TlsCertificateOutput>> {
  const out: Partial<Record<TlsServiceName, TlsCertificateOutput>> = {};
  for (const service of TLS_SERVICES) {
    const s = plan.services[service];
    if (s !== undefined) {
      out[service] = {
        sha256Fingerprint: s.sha256Fingerprint,
        notAfter: s.notAfter,
        daysLeft: daysLeft(s.notAfter, now),
        subject: s.subject,
        issuer: s.issuer,
        selfSigned: s.selfSigned,
        certPath: s.certPath,
        keyPath: s.keyPath,
      };
    }
  }
  return out;
}

/**
 * Writes the planned files whose services need it (`only`: all when undefined) atomically over SFTP:
 * keys 0600 root:root, certificates 0644 root:root, each created with its final mode.
 */
async function writeFiles(
  session: NodeSession,
  install: TlsInstallPlan,
  only: ReadonlySet<TlsServiceName> | undefined,
): Promise<string[]> {
  const files = install.files.filter((f) => only === undefined || f.services.some((s) => only.has(s)));
  if (files.length === 0) {
    return [];
  }
  await session.exec(["mkdir", "-p", SSL_DIR]);
  // Keys first: a certificate never points at a key that is not there yet.
  for (const file of [...files].sort((a, b) => Number(b.secret) - Number(a.secret))) {
    await session.writeFileAtomic(file.path, file.content, { mode: file.mode, uid: 0, gid: 0 });
  }
  return files.map((f) => f.path);
}

async function converge(
  inputs: TlsCertificatesInputs,
  only: ReadonlySet<TlsServiceName> | undefined,
): Promise<TlsCertificatesOutputs> {
  const now = new Date();
  if (inputs.plan === undefined) {
    throw new Error(`node ${inputs.target.name}: the TLS plan is missing; run preview to see why`);
  }
  const install = planTlsInstall(parsed(inputs.tls), now);
  const session = await sessionFor(inputs.target);
  const written = await writeFiles(session, install, only);
  // The outputs keep no key material: `tls` stays in the inputs alone (secret), where update finds it.
  return {
    target: inputs.target,
    plan: inputs.plan,
    certificates: certificatesOf(inputs.plan, now),
    drift: [],
    written,
  };
}

export const tlsCertificatesProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds: TlsCertificatesInputs, news: TlsCertificatesInputs) {
    const failures = [...checkTarget(news.target, "target")];
    if (!isKnown(news.tls)) {
      return { inputs: news, failures };
    }
    const now = new Date();
    const validation = validateTls(news.tls, now);
    failures.push(...validation.failures);
    if (failures.length > 0 || validation.inputs === undefined) {
      return { inputs: news, failures };
    }
    const install = planTlsInstall(validation.inputs, now);
    // One read of config.yml, so the preview shows the exact keys (the self-care key file typo is
    // resolved against the node). create/update run right after check and use what it resolved.
    let doc: ConfigDocument | undefined;
    if (isKnown(news.target)) {
      try {
        doc = configDocOf(await nodeSnapshot(news.target));
      } catch (err) {
        return {
          inputs: news,
          failures: [
            { property: "target.host", reason: `cannot read ${CONFIG_YML}: ${(err as Error).message}` },
          ],
        };
      }
    }
    const plan = publicPlan(validation.inputs, install, doc, validation.warnings, olds?.plan);
    return { inputs: { ...news, plan }, failures: [] };
  },

  async diff(_id: string, olds: TlsCertificatesOutputs, news: TlsCertificatesInputs) {
    const replaces = olds.target?.name !== news.target?.name ? ["target"] : [];
    const changes =
      replaces.length > 0 ||
      olds.target?.host !== news.target?.host ||
      planIdentity(olds.plan) !== planIdentity(news.plan) ||
      (olds.drift ?? []).length > 0;
    return { changes, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: TlsCertificatesInputs) {
    return { id: `${inputs.target.name}:tls`, outs: await converge(inputs, undefined) };
  },

  async update(_id: string, olds: TlsCertificatesOutputs, news: TlsCertificatesInputs) {
    if (news.plan === undefined) {
      throw new Error(`node ${news.target.name}: the TLS plan is missing; run preview to see why`);
    }
    // Rewrite only what differs on the node from what is wanted (rotation, drift, a lost file or mode).
    const snapshot = await readNow(news.target, liveRequest(news.plan));
    const live = await readLive(snapshot, news.plan, configDocOf(snapshot), undefined);
    const diff = diffTls(
      desiredOf(news.plan),
      live,
      olds.plan !== undefined ? desiredOf(olds.plan) : undefined,
    );
    const stale = new Set(diff.services.filter((s) => s.action !== "none").map((s) => s.service));
    return { outs: await converge(news, stale) };
  },

  async read(id: string, props: TlsCertificatesOutputs) {
    const snapshot = await nodeSnapshot(props.target, liveRequest(props.plan));
    const live = await readLive(snapshot, props.plan, configDocOf(snapshot), props.target.host);
    const diff = diffTls(desiredOf(props.plan), live);
    const drift = diff.hasChanges ? [...diff.summary] : [];
    const outputs = withoutKeyMaterial({
      ...props,
      certificates: certificatesOf(props.plan, new Date()),
      drift,
    });
    if (drift.length === 0) {
      return { id, props: outputs };
    }
    // The refreshed inputs show the node as it is, so the next preview shows `live => desired` per service.
    // (They cannot carry `tls`, which the outputs do not keep; the preview shows it added back.)
    return { id, props: outputs, inputs: { target: props.target, plan: liveView(props.plan, live) } };
  },

  async delete(_id: string, props: TlsCertificatesOutputs) {
    // config.yml keeps pointing at our files when management stops (NgcpConfig never removes keys), and
    // ngcpcfg refuses to build with a certificate file missing: a file is removed only when no key of
    // config.yml refers to it any more. See README.md, "Deleting".
    const paths = [
      ...new Set(
        Object.values(props.plan?.services ?? {}).flatMap((s) => (s ? [s.certPath, s.keyPath] : [])),
      ),
    ];
    if (paths.length === 0) {
      return;
    }
    const session = await sessionFor(props.target);
    const text = await session.readFile(CONFIG_YML);
    if (text === undefined) {
      return;
    }
    const referenced = new Set(leaves(parseConfig(text.toString("utf8"))).map((leaf) => String(leaf.value)));
    const unused = paths.filter((path) => !referenced.has(path));
    if (unused.length > 0) {
      await session.exec(["rm", "-f", "--", ...unused]);
    }
  },
};
