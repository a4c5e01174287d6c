/**
 * Public facts about a certificate: what outputs, previews and the audit show. Computed with node:crypto's
 * X509Certificate only; no private key ever enters here.
 */
import type { X509Certificate } from "node:crypto";
import { parseCertificate, scanPem } from "./pem";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface CertificateFacts {
  /** SHA-256 of the DER certificate, `AB:CD:…` upper-case hex, as `openssl x509 -fingerprint -sha256` prints. */
  readonly sha256Fingerprint: string;
  /** Not valid before, ISO 8601 UTC. */
  readonly notBefore: string;
  /** Not valid after, ISO 8601 UTC. */
  readonly notAfter: string;
  /** Subject, one `KEY=value` per line, as node:crypto prints it. */
  readonly subject: string;
  /** Issuer, same format as subject. */
  readonly issuer: string;
  /** Subject alternative names as node:crypto prints them (`DNS:a.example, IP Address:198.18.0.11`). */
  readonly subjectAltName?: string;
  readonly serialNumber: string;
  /** Issued by its own key (subject = issuer and the signature verifies with its own public key). */
  readonly selfSigned: boolean;
  /** Whole days left until notAfter at `now`, rounded down; negative once expired. */
  readonly daysLeft: (now: Date) => number;
}

/** Parses an X.509 validity date as node:crypto prints it (`Jan  1 00:00:00 2030 GMT`). */
export function certificateDate(text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new Error(`unreadable certificate date: ${text}`);
  }
  return date;
}

/** Whole days from `now` to `notAfter` (an ISO date or Date), rounded down; negative once past. */
export function daysLeft(notAfter: string | Date, now: Date): number {
  const end = typeof notAfter === "string" ? new Date(notAfter) : notAfter;
  return Math.floor((end.getTime() - now.getTime()) / DAY_MS);
}

/**
 * Issued by its own key: subject and issuer are the same name and the signature verifies with the
 * certificate's own public key. Not `checkIssued(cert)`: OpenSSL's issuer check also demands the
 * keyCertSign key usage, which a self-signed server certificate usually lacks.
 */
export function isSelfSigned(cert: X509Certificate): boolean {
  return cert.subject === cert.issuer && cert.verify(cert.publicKey);
}

/** Facts of a parsed certificate. */
export function factsOf(cert: X509Certificate): CertificateFacts {
  const notAfter = certificateDate(cert.validTo).toISOString();
  return {
    sha256Fingerprint: cert.fingerprint256,
    notBefore: certificateDate(cert.validFrom).toISOString(),
    notAfter,
    subject: cert.subject,
    issuer: cert.issuer,
    subjectAltName: cert.subjectAltName,
    serialNumber: cert.serialNumber,
    selfSigned: isSelfSigned(cert),
    daysLeft: (now: Date) => daysLeft(notAfter, now),
  };
}

/**
 * Facts of the first certificate in a PEM text (a certificate file: leaf first, then its chain).
 * Throws when there is none; the message never quotes the text.
 */
export function certificateFacts(pem: string): CertificateFacts {
  const first = scanPem(pem).blocks.find((block) => block.label === "CERTIFICATE");
  if (first === undefined) {
    throw new Error("no PEM certificate found (no -----BEGIN CERTIFICATE----- block)");
  }
  return factsOf(parseCertificate(first));
}

/** A one-line name of a certificate for messages: its CN, or its whole subject on one line. */
export function shortSubject(subject: string): string {
  const cn = subject.split("\n").find((line) => line.startsWith("CN="));
  return cn ?? subject.split("\n").join(", ");
}
