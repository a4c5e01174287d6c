/**
 * A "slot" is one certificate the operator supplies and the services it serves: in shared mode one slot
 * for the four web interfaces, in per-service mode one per interface given; SIP over TLS is always its own
 * slot. Validation and planning both walk the slots, so both name services and keys the same way.
 */
import type { X509Certificate, KeyObject } from "node:crypto";
import type { CertificateMaterial, TlsFailure, TlsInputs } from "./inputs";
import {
  describeLabel,
  isEncryptedKeyBlock,
  isPrivateKeyLabel,
  parseCertificate,
  parsePrivateKey,
  scanPem,
  type PemBlock,
} from "./pem";
import { SHARED_WEB_FILE_BASE, TLS_SERVICE_SPECS, WEB_TLS_SERVICES, type TlsServiceName } from "./services";

export interface CertificateSlot {
  /** Property prefix of the slot's inputs: `web`, `services.csc`, `sipTls`. */
  readonly property: string;
  /** The services this certificate is installed for. */
  readonly services: readonly TlsServiceName[];
  /** What the operator gave; undefined for SIP over TLS enabled without a certificate of its own. */
  readonly material?: CertificateMaterial;
  /** File name base under the SSL directory. */
  readonly fileBase: string;
}

/** The slots of an input set, in a stable order (web services in handbook order, then SIP over TLS). */
export function certificateSlots(inputs: TlsInputs): CertificateSlot[] {
  const slots: CertificateSlot[] = [];
  if (inputs.mode === "shared") {
    slots.push({
      property: "web",
      services: [...WEB_TLS_SERVICES],
      material: inputs.web,
      fileBase: SHARED_WEB_FILE_BASE,
    });
  } else {
    for (const service of WEB_TLS_SERVICES) {
      const material = inputs.services[service];
      if (material !== undefined) {
        slots.push({
          property: `services.${service}`,
          services: [service],
          material,
          fileBase: TLS_SERVICE_SPECS[service].fileBase,
        });
      }
    }
  }
  const sip = inputs.sipTls;
  if (sip !== undefined && (sip.certificate !== undefined || sip.privateKey !== undefined)) {
    slots.push({
      property: "sipTls",
      services: ["sipTls"],
      // A missing half is reported by readMaterial as an empty input.
      material: {
        certificate: sip.certificate ?? "",
        chain: sip.chain,
        privateKey: sip.privateKey ?? "",
        hostname: sip.hostname,
      },
      fileBase: TLS_SERVICE_SPECS.sipTls.fileBase,
    });
  }
  return slots;
}

/** "customer self-care interface", or "shared web certificate of provisioning, REST, …". */
export function slotLabel(slot: CertificateSlot): string {
  if (slot.services.length === 1) {
    return TLS_SERVICE_SPECS[slot.services[0]].label;
  }
  return `shared web certificate of ${slot.services.map((s) => shortName(s)).join(", ")}`;
}

function shortName(service: TlsServiceName): string {
  const names: Record<TlsServiceName, string> = {
    provisioning: "provisioning",
    rest: "REST",
    admin: "administrator",
    csc: "customer self-care",
    sipTls: "SIP over TLS",
  };
  return names[service];
}

/** The config keys a slot's certificate (or key) file is set in, for messages. */
export function slotKeys(slot: CertificateSlot, which: "cert" | "key"): string {
  return slot.services
    .map((s) => (which === "cert" ? TLS_SERVICE_SPECS[s].certFileKey : TLS_SERVICE_SPECS[s].keyFileKeys[0]))
    .join(", ");
}

/** `customer self-care interface (www_admin.http_csc.sslcertfile)`: how a failure names its target. */
export function slotTarget(slot: CertificateSlot, which: "cert" | "key"): string {
  return `${slotLabel(slot)} (${slotKeys(slot, which)})`;
}

export interface ParsedCertificate {
  readonly block: PemBlock;
  readonly cert: X509Certificate;
  /** Where it came from, for messages: "certificate", "chain certificate 2". */
  readonly name: string;
  /** The input property it came from. */
  readonly property: string;
}

export interface ReadMaterial {
  readonly leaf?: ParsedCertificate;
  /** Certificates after the leaf, in the order given: extras of `certificate`, then `chain`. */
  readonly chain: readonly ParsedCertificate[];
  readonly keyBlock?: PemBlock;
  readonly key?: KeyObject;
  /** What made a part unreadable; nothing in them quotes the input. */
  readonly failures: readonly TlsFailure[];
}

/**
 * Reads a slot's PEM inputs with node:crypto. Every problem becomes a failure naming the input property,
 * the service and its config key; a part that cannot be read is left undefined.
 */
export function readMaterial(slot: CertificateSlot): ReadMaterial {
  const failures: TlsFailure[] = [];
  const material = slot.material;
  if (material === undefined) {
    return { chain: [], failures };
  }
  const certTarget = slotTarget(slot, "cert");
  const keyTarget = slotTarget(slot, "key");

  const certProperty = `${slot.property}.certificate`;
  const certs = readCertificates(material.certificate, certProperty, "certificate", certTarget, failures);
  const chainProperty = `${slot.property}.chain`;
  const chainCerts =
    material.chain !== undefined && material.chain.trim().length > 0
      ? readCertificates(material.chain, chainProperty, "chain", certTarget, failures)
      : [];

  const leaf = certs[0];
  const chain = [
    ...certs.slice(1).map((c, i) => ({ ...c, name: `certificate bundle entry ${i + 2}` })),
    ...chainCerts.map((c, i) => ({ ...c, name: `chain certificate ${i + 1}` })),
  ];
  const keyProperty = `${slot.property}.privateKey`;
  const { keyBlock, key } = readKey(material.privateKey, keyProperty, keyTarget, failures);
  return { leaf, chain, keyBlock, key, failures };
}

function readCertificates(
  input: string,
  property: string,
  what: "certificate" | "chain",
  target: string,
  failures: TlsFailure[],
): ParsedCertificate[] {
  const fail = (reason: string): ParsedCertificate[] => {
    failures.push({ property, reason: `${target}: ${reason}` });
    return [];
  };
  const expected = what === "certificate" ? "a PEM certificate is" : "PEM certificates are";
  if (input.trim().length === 0) {
    return fail(`is missing or empty; ${expected} expected (-----BEGIN CERTIFICATE-----)`);
  }
  const scan = scanPem(input);
  const keyBlocks = scan.blocks.filter((b) => isPrivateKeyLabel(b.label));
  if (keyBlocks.length > 0) {
    // The certificate file is world-readable (0644): a key must never travel in it.
    return fail(
      `${describeLabel(keyBlocks[0].label)} was given where ${expected} expected ` +
        `(the key is not shown); put the key in privateKey`,
    );
  }
  if (scan.blocks.length === 0) {
    return fail(
      scan.unterminated > 0
        ? `the PEM block has no END line or lost its line breaks; ${expected} expected`
        : `is not PEM (no -----BEGIN CERTIFICATE----- block); ${expected} expected`,
    );
  }
  if (scan.unterminated > 0) {
    return fail(`a PEM block has no END line (truncated?); ${expected} expected`);
  }
  const other = scan.blocks.find((b) => b.label !== "CERTIFICATE");
  if (other !== undefined) {
    return fail(`${describeLabel(other.label)} was given where ${expected} expected`);
  }
  const parsed: ParsedCertificate[] = [];
  scan.blocks.forEach((block, index) => {
    try {
      parsed.push({ block, cert: parseCertificate(block), name: what, property });
    } catch (err) {
      const which = scan.blocks.length > 1 ? `PEM block ${index + 1} is ` : "is ";
      failures.push({ property, reason: `${target}: ${which}${(err as Error).message}` });
    }
  });
  return parsed.length === scan.blocks.length ? parsed : [];
}

function readKey(
  input: string,
  property: string,
  target: string,
  failures: TlsFailure[],
): { keyBlock?: PemBlock; key?: KeyObject } {
  const fail = (reason: string): { keyBlock?: PemBlock; key?: KeyObject } => {
    failures.push({ property, reason: `${target}: ${reason}` });
    return {};
  };
  const expected = "a PEM private key (a BEGIN PRIVATE KEY block)";
  if (input.trim().length === 0) {
    return fail(`is missing or empty; expected ${expected}`);
  }
  const scan = scanPem(input);
  const keyBlocks = scan.blocks.filter((b) => isPrivateKeyLabel(b.label));
  if (keyBlocks.length === 0) {
    if (scan.blocks.length > 0) {
      return fail(`${describeLabel(scan.blocks[0].label)} was given where ${expected} is expected`);
    }
    return fail(
      scan.unterminated > 0
        ? `the PEM block has no END line or lost its line breaks; expected ${expected}`
        : `is not PEM; expected ${expected}`,
    );
  }
  if (keyBlocks.length > 1) {
    return fail(`holds ${keyBlocks.length} private keys; expected exactly one`);
  }
  // `openssl ecparam -genkey` writes EC PARAMETERS before the key: harmless, and dropped on install.
  const stray = scan.blocks.find((b) => !isPrivateKeyLabel(b.label) && b.label !== "EC PARAMETERS");
  if (stray !== undefined) {
    return fail(`holds ${describeLabel(stray.label)} besides the key; give the key alone`);
  }
  const keyBlock = keyBlocks[0];
  if (isEncryptedKeyBlock(keyBlock)) {
    return fail(
      "is encrypted with a passphrase; apache and kamailio start unattended and cannot use it: " +
        "give the decrypted key (openssl pkey -in key.pem -out plain.pem)",
    );
  }
  try {
    return { keyBlock, key: parsePrivateKey(keyBlock) };
  } catch (err) {
    return fail((err as Error).message);
  }
}
