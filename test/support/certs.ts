/**
 * Test certificates, generated with the openssl CLI into a temporary directory once per process: a
 * throwaway root CA and intermediate, good leaves (RSA 2048, EC P-256), and one certificate for each bad
 * input of issue 5 (expired, not yet valid, weak keys, self-signed, a key that belongs to nothing).
 *
 * Only tests use openssl; the code under test uses node:crypto alone. Dates are set with `openssl ca
 * -startdate/-enddate` (OpenSSL 3.0 has no `x509 -not_before`), so no clock faking is needed.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate and its private key, PEM. */
export interface CertAndKey {
  readonly cert: string;
  readonly key: string;
}

/** The names every good leaf is issued for. */
export const LEAF_DNS_NAMES = ["ngcp.example.test", "*.sip.example.test"] as const;
/** The address every good leaf is issued for (the lab's first node). */
export const LEAF_IP = "198.18.0.11";

export type TestKeyType = "rsa2048" | "rsa1024" | "ec-p256" | "ec-p224" | "ed25519";

export interface TestPki {
  /** Where the files live (removed when the process exits). */
  readonly dir: string;
  /** The instant the validity windows are relative to (the real clock, or the anchor the test gave). */
  readonly generatedAt: Date;
  /** Self-signed root CA, RSA 2048, ten years. */
  readonly root: CertAndKey;
  /** Intermediate CA issued by {@link root}. */
  readonly intermediate: CertAndKey;
  /** A second, unrelated root CA. */
  readonly otherRoot: CertAndKey;
  /** RSA 2048 leaf issued by the intermediate, for {@link LEAF_DNS_NAMES} and {@link LEAF_IP}, one year. */
  readonly rsaLeaf: CertAndKey;
  /** EC P-256 leaf issued by the intermediate, same names. */
  readonly ecLeaf: CertAndKey;
  /** RSA 2048 leaf issued by the root directly (no intermediate). */
  readonly directLeaf: CertAndKey;
  /** Leaf issued by the unrelated root (a chain of the intermediate does not fit it). */
  readonly otherRootLeaf: CertAndKey;
  /** Valid 2020-01-01 to 2021-01-01. */
  readonly expiredLeaf: CertAndKey;
  /** Valid from 30 days after generation. */
  readonly notYetValidLeaf: CertAndKey;
  /** Expires 10 days after generation. */
  readonly expiringSoonLeaf: CertAndKey;
  /** RSA 1024. */
  readonly weakRsaLeaf: CertAndKey;
  /** EC P-224 (below P-256). */
  readonly weakEcLeaf: CertAndKey;
  /** Ed25519 (not accepted: not RSA or NIST EC). */
  readonly ed25519Leaf: CertAndKey;
  /** Self-signed RSA 2048 leaf with the good names. */
  readonly selfSignedLeaf: CertAndKey;
  /** A private key that belongs to no certificate here. */
  readonly strayKey: string;
}

const cached = new Map<string, TestPki>();
let realClockPki: TestPki | undefined;

/**
 * The test PKI, generated on first use and shared by every test of the process.
 *
 * A test takes one clock: one that grades at the real time calls `testPki()`, whose windows are relative to
 * the moment it was first made; one that grades at a fixed instant passes that instant, so that "10 days
 * left" stays true on every day the suite runs (the `expiringSoonLeaf` made from the real clock and graded
 * at a constant went stale the day after it was written).
 */
export function testPki(anchor?: Date): TestPki {
  if (anchor === undefined) {
    realClockPki ??= generate(new Date());
    return realClockPki;
  }
  const key = anchor.toISOString();
  let pki = cached.get(key);
  if (pki === undefined) {
    pki = generate(anchor);
    cached.set(key, pki);
  }
  return pki;
}

/** `openssl x509 -noout -fingerprint -sha256` of a certificate: `AB:CD:…`. */
export function opensslSha256Fingerprint(certPem: string): string {
  const out = execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256"], {
    input: certPem,
    encoding: "utf8",
  });
  const value = out.trim().split("=")[1];
  if (value === undefined) {
    throw new Error(`unexpected openssl fingerprint output: ${out}`);
  }
  return value.trim();
}

/** The key in the legacy format (`BEGIN RSA PRIVATE KEY` / `BEGIN EC PRIVATE KEY`). */
export function traditionalKey(keyPem: string): string {
  return execFileSync("openssl", ["pkey", "-traditional"], { input: keyPem, encoding: "utf8" });
}

/** The key encrypted with a passphrase (`BEGIN ENCRYPTED PRIVATE KEY`). */
export function encryptedKey(keyPem: string): string {
  return execFileSync("openssl", ["pkey", "-aes256", "-passout", "pass:test-passphrase"], {
    input: keyPem,
    encoding: "utf8",
  });
}

/** A certificate signing request for a key (a PEM block that is neither certificate nor key). */
export function signingRequest(keyPem: string): string {
  const pki = testPki();
  const keyFile = join(pki.dir, `csr-${Math.random().toString(36).slice(2)}.key`);
  writeFileSync(keyFile, keyPem, { mode: 0o600 });
  return execFileSync(
    "openssl",
    ["req", "-new", "-config", join(pki.dir, "req.cnf"), "-key", keyFile, "-subj", "/CN=csr.example.test"],
    { encoding: "utf8" },
  );
}

const DAY_MS = 24 * 60 * 60 * 1000;

function generate(now: Date): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "ngcp-fleet-tls-test-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const at = (days: number) => new Date(now.getTime() + days * DAY_MS);
  const gen = new Generator(dir);

  const root = gen.selfSignedCa("root", "ngcp-fleet Test Root CA", at(-2), at(3650));
  const intermediate = gen.issue("intermediate", {
    subject: "ngcp-fleet Test Intermediate CA",
    keyType: "rsa2048",
    issuer: root,
    notBefore: at(-2),
    notAfter: at(1825),
    ca: true,
  });
  const otherRoot = gen.selfSignedCa("other-root", "Unrelated Test Root CA", at(-2), at(3650));
  const leaf = (name: string, keyType: TestKeyType, notBefore: Date, notAfter: Date, issuer = intermediate) =>
    gen.issue(name, { subject: `${name}.example.test`, keyType, issuer, notBefore, notAfter, sans: true });

  return {
    dir,
    generatedAt: now,
    root,
    intermediate,
    otherRoot,
    rsaLeaf: leaf("rsa-leaf", "rsa2048", at(-1), at(365)),
    ecLeaf: leaf("ec-leaf", "ec-p256", at(-1), at(365)),
    directLeaf: leaf("direct-leaf", "rsa2048", at(-1), at(365), root),
    otherRootLeaf: leaf("other-root-leaf", "rsa2048", at(-1), at(365), otherRoot),
    expiredLeaf: leaf(
      "expired-leaf",
      "rsa2048",
      new Date("2020-01-01T00:00:00Z"),
      new Date("2021-01-01T00:00:00Z"),
    ),
    notYetValidLeaf: leaf("future-leaf", "rsa2048", at(30), at(400)),
    expiringSoonLeaf: leaf("expiring-leaf", "rsa2048", at(-1), at(10)),
    weakRsaLeaf: leaf("weak-rsa-leaf", "rsa1024", at(-1), at(365)),
    weakEcLeaf: leaf("weak-ec-leaf", "ec-p224", at(-1), at(365)),
    ed25519Leaf: leaf("ed25519-leaf", "ed25519", at(-1), at(365)),
    selfSignedLeaf: gen.selfSignedLeaf("self-signed-leaf", at(-1), at(365)),
    strayKey: gen.key("stray", "rsa2048"),
  };
}

interface IssueOptions {
  readonly subject: string;
  readonly keyType: TestKeyType;
  readonly issuer: CertAndKey & { readonly name?: string };
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly ca?: boolean;
  readonly sans?: boolean;
}

/** openssl invocations against one directory, with a private `openssl ca` database. */
class Generator {
  constructor(private readonly dir: string) {
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial"), "1000\n");
    // A config of our own: the machine's openssl.cnf plays no part.
    writeFileSync(
      join(dir, "ca.cnf"),
      [
        "[ ca ]",
        "default_ca = test_ca",
        "[ test_ca ]",
        `database = ${join(dir, "index.txt")}`,
        `new_certs_dir = ${dir}`,
        `serial = ${join(dir, "serial")}`,
        "default_md = sha256",
        "policy = policy_any",
        "unique_subject = no",
        "email_in_dn = no",
        "copy_extensions = none",
        "[ policy_any ]",
        "commonName = supplied",
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "req.cnf"), ["[ req ]", "distinguished_name = dn", "[ dn ]", ""].join("\n"));
  }

  private openssl(args: string[]): string {
    return execFileSync("openssl", args, {
      cwd: this.dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  key(name: string, type: TestKeyType): string {
    const out = this.path(`${name}.key`);
    const algorithm: Record<TestKeyType, string[]> = {
      rsa2048: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
      rsa1024: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
      "ec-p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
      "ec-p224": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-224"],
      ed25519: ["-algorithm", "ED25519"],
    };
    this.openssl(["genpkey", ...algorithm[type], "-out", out]);
    return readFileSync(out, "utf8");
  }

  private extensions(name: string, lines: string[]): string {
    const file = this.path(`${name}.ext`);
    writeFileSync(file, ["[ ext ]", ...lines, ""].join("\n"));
    return file;
  }

  selfSignedCa(name: string, subject: string, notBefore: Date, notAfter: Date): CertAndKey {
    const key = this.key(name, "rsa2048");
    return this.selfSign(name, key, subject, notBefore, notAfter, [
      "basicConstraints = critical, CA:TRUE",
      "keyUsage = critical, keyCertSign, cRLSign",
      "subjectKeyIdentifier = hash",
      "authorityKeyIdentifier = keyid:always",
    ]);
  }

  selfSignedLeaf(name: string, notBefore: Date, notAfter: Date): CertAndKey {
    const key = this.key(name, "rsa2048");
    return this.selfSign(name, key, `${name}.example.test`, notBefore, notAfter, leafExtensions());
  }

  private selfSign(
    name: string,
    key: string,
    subject: string,
    notBefore: Date,
    notAfter: Date,
    ext: string[],
  ): CertAndKey {
    const csr = this.csr(name, subject);
    const out = this.path(`${name}.crt`);
    this.openssl([
      "ca",
      "-batch",
      "-notext",
      "-config",
      this.path("ca.cnf"),
      "-selfsign",
      "-keyfile",
      this.path(`${name}.key`),
      "-in",
      csr,
      "-out",
      out,
      "-startdate",
      asn1Time(notBefore),
      "-enddate",
      asn1Time(notAfter),
      "-extfile",
      this.extensions(name, ext),
      "-extensions",
      "ext",
    ]);
    return { cert: readFileSync(out, "utf8"), key };
  }

  private csr(name: string, subject: string): string {
    const out = this.path(`${name}.csr`);
    this.openssl([
      "req",
      "-new",
      "-config",
      this.path("req.cnf"),
      "-key",
      this.path(`${name}.key`),
      "-subj",
      `/CN=${subject}`,
      "-out",
      out,
    ]);
    return out;
  }

  issue(name: string, options: IssueOptions): CertAndKey {
    const key = this.key(name, options.keyType);
    const csr = this.csr(name, options.subject);
    const issuerCert = this.path(`${name}.issuer.crt`);
    const issuerKey = this.path(`${name}.issuer.key`);
    writeFileSync(issuerCert, options.issuer.cert);
    writeFileSync(issuerKey, options.issuer.key, { mode: 0o600 });
    const ext = options.ca
      ? [
          "basicConstraints = critical, CA:TRUE, pathlen:0",
          "keyUsage = critical, keyCertSign, cRLSign",
          "subjectKeyIdentifier = hash",
          "authorityKeyIdentifier = keyid:always",
        ]
      : leafExtensions();
    const out = this.path(`${name}.crt`);
    this.openssl([
      "ca",
      "-batch",
      "-notext",
      "-config",
      this.path("ca.cnf"),
      "-cert",
      issuerCert,
      "-keyfile",
      issuerKey,
      "-in",
      csr,
      "-out",
      out,
      "-startdate",
      asn1Time(options.notBefore),
      "-enddate",
      asn1Time(options.notAfter),
      "-extfile",
      this.extensions(name, ext),
      "-extensions",
      "ext",
    ]);
    return { cert: readFileSync(out, "utf8"), key };
  }
}

function leafExtensions(): string[] {
  const sans = [...LEAF_DNS_NAMES.map((n) => `DNS:${n}`), `IP:${LEAF_IP}`].join(", ");
  return [
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature, keyEncipherment",
    "extendedKeyUsage = serverAuth, clientAuth",
    `subjectAltName = ${sans}`,
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid:always",
  ];
}

/** `YYYYMMDDHHMMSSZ` (GeneralizedTime), as `openssl ca -startdate/-enddate` takes it. */
function asn1Time(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;
}
