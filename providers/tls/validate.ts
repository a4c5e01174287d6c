/**
 * Validation of a certificate set before anything is uploaded (handbook 15.4, issue 5): the pure part of
 * the provider's `check`. node:crypto only: the deployer has no openssl.
 *
 * Each failure names the input property, the service and the config key its file is set in, and says how
 * to fix it. No message quotes an input: any input may be (or contain) a private key.
 */
import { isIP } from "node:net";
import type { KeyObject, X509Certificate } from "node:crypto";
import { certificateDate, daysLeft, isSelfSigned, shortSubject } from "./facts";
import type { TlsFailure, TlsInputs } from "./inputs";
import { publicKeySha256 } from "./pem";
import { TLS_SERVICE_SPECS, WEB_TLS_SERVICES } from "./services";
import {
  certificateSlots,
  readMaterial,
  slotTarget,
  type CertificateSlot,
  type ParsedCertificate,
} from "./slots";

export interface TlsValidation {
  /** Problems that stop the preview; nothing is uploaded while there is one. */
  readonly failures: TlsFailure[];
  /** Worth saying, not worth stopping for (expiry soon, self-signed outside production, …). */
  readonly warnings: string[];
}

/** The smallest keys accepted: RSA 2048 bits, the NIST curves from P-256 up (handbook-independent policy). */
export const MIN_RSA_BITS = 2048;
export const ACCEPTED_EC_CURVES: readonly string[] = ["prime256v1", "secp384r1", "secp521r1"];

/**
 * Validates every certificate, chain and key of `inputs` at time `now`: readable PEM of the right kind,
 * key matches certificate, valid now, chain in order, hostname covered, strong keys, no self-signed
 * certificate in production unless allowed; warns when fewer than `warnDays` days are left.
 */
export function validateCertificateSet(inputs: TlsInputs, now: Date): TlsValidation {
  const failures: TlsFailure[] = [];
  const warnings: string[] = [];

  if (!Number.isInteger(inputs.warnDays) || inputs.warnDays < 0) {
    failures.push({
      property: "warnDays",
      reason: `must be a whole number of days, 0 or more, got: ${String(inputs.warnDays)}`,
    });
  }
  const slots = certificateSlots(inputs);
  const sip = inputs.sipTls;
  if (slots.length === 0 && sip === undefined) {
    failures.push({
      property: inputs.mode === "shared" ? "web" : "services",
      reason:
        "no certificate given: set services.provisioning, services.rest, services.admin or services.csc, " +
        "or sipTls",
    });
  }
  checkSipTlsWithoutCertificate(inputs, failures, warnings);
  if (inputs.production && inputs.mode === "perService") {
    for (const service of WEB_TLS_SERVICES) {
      if (inputs.services[service] === undefined) {
        warnings.push(
          `${TLS_SERVICE_SPECS[service].label} (${TLS_SERVICE_SPECS[service].certFileKey}) is not managed: ` +
            "it keeps the certificate the node has (the vendor's default is self-signed)",
        );
      }
    }
  }

  const leafFingerprints: Partial<Record<string, string>> = {};
  for (const slot of slots) {
    const fingerprint = validateSlot(slot, inputs, now, failures, warnings);
    for (const service of slot.services) {
      leafFingerprints[service] = fingerprint;
    }
  }
  const provisioning = leafFingerprints.provisioning;
  const rest = leafFingerprints.rest;
  if (provisioning !== undefined && rest !== undefined && provisioning !== rest) {
    warnings.push(
      "provisioning and REST interfaces get different certificates but are served on the same port " +
        "(ossbss.apache.port): clients of that port see one of them; the handshake check accepts either",
    );
  }
  return { failures, warnings };
}

function checkSipTlsWithoutCertificate(inputs: TlsInputs, failures: TlsFailure[], warnings: string[]): void {
  const sip = inputs.sipTls;
  if (sip === undefined || !sip.enable || sip.certificate !== undefined || sip.privateKey !== undefined) {
    return;
  }
  const what =
    `SIP over TLS is enabled (${TLS_SERVICE_SPECS.sipTls.enableKey}) without a certificate: ` +
    "the node keeps serving its current one, the vendor's default self-signed certificate on a fresh node";
  if (inputs.production && !inputs.allowSelfSigned) {
    failures.push({
      property: "sipTls.certificate",
      reason: `${what}; refused for a production stack: give sipTls.certificate and sipTls.privateKey`,
    });
  } else {
    warnings.push(what);
  }
}

/** Validates one slot; returns the leaf's fingerprint when the certificate could be read. */
function validateSlot(
  slot: CertificateSlot,
  inputs: TlsInputs,
  now: Date,
  failures: TlsFailure[],
  warnings: string[],
): string | undefined {
  const material = readMaterial(slot);
  failures.push(...material.failures);
  const { leaf, key } = material;
  const certTarget = slotTarget(slot, "cert");
  const hostname = slot.material?.hostname;
  if (hostname !== undefined && !isHostname(hostname)) {
    failures.push({
      property: `${slot.property}.hostname`,
      reason: `${certTarget}: hostname must be a DNS name or an IP address, got: ${JSON.stringify(hostname)}`,
    });
  }
  if (leaf === undefined) {
    return undefined;
  }
  if (key !== undefined) {
    checkKeyMatches(slot, leaf, key, failures);
  }
  const links = [leaf, ...material.chain];
  for (const link of links) {
    checkValidity(slot, link, now, failures);
    checkKeyStrength(slot, link, failures);
  }
  checkChainOrder(slot, links, failures);
  if (material.chain.length > 0 && isSelfSigned(material.chain[material.chain.length - 1].cert)) {
    warnings.push(
      `${certTarget}: the chain ends with the self-signed root (${shortSubject(material.chain[material.chain.length - 1].cert.subject)}); ` +
        "clients carry their own roots, it can be left out",
    );
  }
  if (hostname !== undefined && isHostname(hostname)) {
    checkHostname(slot, leaf, hostname, failures);
  } else if (hostname === undefined && inputs.production) {
    warnings.push(`${certTarget}: no hostname given, so subject alternative names are not checked`);
  }
  checkSelfSigned(slot, leaf, inputs, failures, warnings);
  warnIfExpiringSoon(slot, links, inputs.warnDays, now, warnings);
  return leaf.cert.fingerprint256;
}

function checkKeyMatches(
  slot: CertificateSlot,
  leaf: ParsedCertificate,
  key: KeyObject,
  failures: TlsFailure[],
): void {
  if (publicKeySha256(key) === publicKeySha256(leaf.cert.publicKey)) {
    return;
  }
  failures.push({
    property: `${slot.property}.privateKey`,
    reason:
      `${slotTarget(slot, "key")}: the private key does not match the certificate ` +
      `(${shortSubject(leaf.cert.subject)}): their public keys differ; give the key the certificate was issued for`,
  });
}

function checkValidity(
  slot: CertificateSlot,
  link: ParsedCertificate,
  now: Date,
  failures: TlsFailure[],
): void {
  const from = certificateDate(link.cert.validFrom);
  const to = certificateDate(link.cert.validTo);
  const who = `${slotTarget(slot, "cert")}: ${link.name} (${shortSubject(link.cert.subject)})`;
  if (to.getTime() < now.getTime()) {
    failures.push({
      property: link.property,
      reason: `${who} expired on ${to.toISOString()} (now ${now.toISOString()}); renew it`,
    });
  } else if (from.getTime() > now.getTime()) {
    failures.push({
      property: link.property,
      reason: `${who} is not valid yet: valid from ${from.toISOString()} (now ${now.toISOString()}); check the clock or wait`,
    });
  }
}

/**
 * Why a public key is refused ("a weak key: RSA 1024 bits (allowed: …)"), or undefined when accepted.
 * Accepted: RSA (and RSA-PSS) of 2048 bits or more, EC on the NIST curves P-256, P-384, P-521.
 */
export function keyWeakness(key: KeyObject): string | undefined {
  const allowed = `allowed: RSA of ${MIN_RSA_BITS} bits or more, EC on P-256, P-384 or P-521`;
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === "rsa" || type === "rsa-pss") {
    const bits = details.modulusLength ?? 0;
    return bits >= MIN_RSA_BITS ? undefined : `a weak key: RSA ${bits} bits (${allowed})`;
  }
  if (type === "ec") {
    const curve = details.namedCurve ?? "unknown curve";
    if (ACCEPTED_EC_CURVES.includes(curve)) {
      return undefined;
    }
    const weakNist = curve === "secp224r1" || curve === "prime192v1";
    return `${weakNist ? "a weak key" : "an unsupported key"}: EC ${curve} (${allowed})`;
  }
  return `an unsupported key type: ${type ?? "unknown"} (${allowed})`;
}

function checkKeyStrength(slot: CertificateSlot, link: ParsedCertificate, failures: TlsFailure[]): void {
  const weakness = keyWeakness(link.cert.publicKey);
  if (weakness !== undefined) {
    failures.push({
      property: link.property,
      reason: `${slotTarget(slot, "cert")}: ${link.name} (${shortSubject(link.cert.subject)}) has ${weakness}`,
    });
  }
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** Each link must be issued by the next: leaf first, root (if given) last. Reports the first problem. */
function checkChainOrder(
  slot: CertificateSlot,
  links: readonly ParsedCertificate[],
  failures: TlsFailure[],
): void {
  for (let i = 0; i + 1 < links.length; i++) {
    const current = links[i];
    const next = links[i + 1];
    if (issuedBy(current.cert, next.cert)) {
      continue;
    }
    const describe = (l: ParsedCertificate) => `${l.name} (${shortSubject(l.cert.subject)})`;
    const realIssuer = links.find((other, j) => j !== i && issuedBy(current.cert, other.cert));
    const reason =
      realIssuer !== undefined
        ? `chain out of order: ${describe(current)} is issued by ${describe(realIssuer)}, ` +
          `but is followed by ${describe(next)}; order the chain leaf first, each certificate followed by its issuer`
        : `chain broken: ${describe(current)} is not issued by the certificate after it, ${describe(next)} ` +
          `(its issuer is ${shortSubject(current.cert.issuer)}); give the chain of this certificate, issuer first`;
    failures.push({ property: next.property, reason: `${slotTarget(slot, "cert")}: ${reason}` });
    return;
  }
}

/** A DNS name (letters, digits, hyphens, dots; a leading `*.` is not a host) or an IP address. */
function isHostname(name: string): boolean {
  if (isIP(name) !== 0) {
    return true;
  }
  return (
    name.length <= 253 &&
    name
      .replace(/\.$/, "")
      .split(".")
      .every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label))
  );
}

function checkHostname(
  slot: CertificateSlot,
  leaf: ParsedCertificate,
  hostname: string,
  failures: TlsFailure[],
): void {
  // Only the subject alternative names count: browsers and current TLS stacks ignore the subject CN.
  const covered =
    isIP(hostname) !== 0
      ? leaf.cert.checkIP(hostname) !== undefined
      : leaf.cert.checkHost(hostname, { subject: "never", partialWildcards: false }) !== undefined;
  if (covered) {
    return;
  }
  const sans = leaf.cert.subjectAltName;
  failures.push({
    property: `${slot.property}.hostname`,
    reason:
      `${slotTarget(slot, "cert")}: hostname ${hostname} is not covered by the certificate's subject ` +
      `alternative names (${sans === undefined ? "it has none" : sans}); issue the certificate for ${hostname}`,
  });
}

function checkSelfSigned(
  slot: CertificateSlot,
  leaf: ParsedCertificate,
  inputs: TlsInputs,
  failures: TlsFailure[],
  warnings: string[],
): void {
  if (!isSelfSigned(leaf.cert)) {
    return;
  }
  const what = `${slotTarget(slot, "cert")}: the certificate (${shortSubject(leaf.cert.subject)}) is self-signed`;
  if (inputs.production && !inputs.allowSelfSigned) {
    failures.push({
      property: leaf.property,
      reason:
        `${what}, refused for a production stack (handbook 15.4); use a certificate signed by a ` +
        "certification authority, or set allowSelfSigned",
    });
  } else {
    warnings.push(`${what}: browsers and SIP clients will warn about it`);
  }
}

function warnIfExpiringSoon(
  slot: CertificateSlot,
  links: readonly ParsedCertificate[],
  warnDays: number,
  now: Date,
  warnings: string[],
): void {
  for (const link of links) {
    const end = certificateDate(link.cert.validTo);
    const left = daysLeft(end, now);
    if (end.getTime() >= now.getTime() && left < warnDays) {
      warnings.push(
        `${slotTarget(slot, "cert")}: ${link.name} (${shortSubject(link.cert.subject)}) expires in ${left} days ` +
          `(${end.toISOString()}), fewer than warnDays (${warnDays})`,
      );
    }
  }
}
