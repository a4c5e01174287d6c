import assert from "node:assert/strict";
import type { CertificateMaterial, TlsInputs } from "../../providers/tls/inputs";
import { validateCertificateSet } from "../../providers/tls/validate";
import {
  LEAF_IP,
  encryptedKey,
  signingRequest,
  testPki,
  traditionalKey,
  type CertAndKey,
  type TestPki,
} from "../support/certs";

const BASE = { production: true, allowSelfSigned: false, warnDays: 30 } as const;

function material(pair: CertAndKey, chain?: string, hostname?: string): CertificateMaterial {
  return {
    certificate: pair.cert,
    privateKey: pair.key,
    ...(chain !== undefined ? { chain } : {}),
    ...(hostname !== undefined ? { hostname } : {}),
  };
}

function shared(web: CertificateMaterial, extra: Partial<TlsInputs> = {}): TlsInputs {
  return { ...BASE, ...extra, mode: "shared", web } as TlsInputs;
}

function perService(
  services: Partial<Record<"provisioning" | "rest" | "admin" | "csc", CertificateMaterial>>,
  extra: Partial<TlsInputs> = {},
): TlsInputs {
  return { ...BASE, ...extra, mode: "perService", services } as TlsInputs;
}

describe("validateCertificateSet (handbook 15.4, issue 5)", function () {
  this.timeout(60_000);
  let pki: TestPki;
  let now: Date;
  before(() => {
    pki = testPki();
    now = new Date();
  });

  describe("good certificate sets", () => {
    it("accepts an RSA 2048 leaf with its intermediate, shared by all web interfaces, hostname covered", () => {
      // GIVEN a CA-signed leaf, its chain and its key, for the leaf's name
      const inputs = shared(material(pki.rsaLeaf, pki.intermediate.cert, "ngcp.example.test"));
      // WHEN validated
      const result = validateCertificateSet(inputs, now);
      // THEN nothing fails and nothing is worth a warning
      assert.deepEqual(result, { failures: [], warnings: [] });
    });

    it("accepts an EC P-256 leaf per service, a wildcard name and an IP address", () => {
      const inputs = perService({
        provisioning: material(pki.ecLeaf, pki.intermediate.cert, LEAF_IP),
        rest: material(pki.ecLeaf, pki.intermediate.cert, LEAF_IP),
        admin: material(pki.rsaLeaf, pki.intermediate.cert, "ngcp.example.test"),
        csc: material(pki.ecLeaf, pki.intermediate.cert, "customers.sip.example.test"),
      });
      assert.deepEqual(validateCertificateSet(inputs, now), { failures: [], warnings: [] });
    });

    it("accepts the chain appended to the certificate (a fullchain.pem) and a root at the end", () => {
      const inputs = shared(
        material(
          { cert: pki.rsaLeaf.cert + pki.intermediate.cert, key: pki.rsaLeaf.key },
          pki.root.cert,
          "ngcp.example.test",
        ),
      );
      const result = validateCertificateSet(inputs, now);
      assert.deepEqual(result.failures, []);
      assert.match(result.warnings.join("\n"), /chain ends with the self-signed root/);
    });

    it("accepts a leaf issued by the root directly, without a chain", () => {
      const result = validateCertificateSet(
        shared(material(pki.directLeaf, undefined, "ngcp.example.test")),
        now,
      );
      assert.deepEqual(result.failures, []);
    });

    it("accepts legacy key formats (RSA PRIVATE KEY, EC PRIVATE KEY) and CRLF line ends", () => {
      const rsa = { cert: pki.rsaLeaf.cert, key: traditionalKey(pki.rsaLeaf.key).replace(/\n/g, "\r\n") };
      const ec = { cert: pki.ecLeaf.cert, key: traditionalKey(pki.ecLeaf.key) };
      assert.match(rsa.key, /BEGIN RSA PRIVATE KEY/);
      assert.match(ec.key, /BEGIN EC PRIVATE KEY/);
      const inputs = perService(
        { admin: material(rsa, pki.intermediate.cert), csc: material(ec, pki.intermediate.cert) },
        {
          production: false,
        },
      );
      assert.deepEqual(validateCertificateSet(inputs, now).failures, []);
    });

    it("accepts SIP over TLS with its own certificate next to per-service web certificates", () => {
      const inputs = perService(
        { csc: material(pki.rsaLeaf, pki.intermediate.cert, "ngcp.example.test") },
        {
          production: false,
          sipTls: {
            enable: true,
            certificate: pki.ecLeaf.cert,
            chain: pki.intermediate.cert,
            privateKey: pki.ecLeaf.key,
            hostname: "edge.sip.example.test",
          },
        },
      );
      assert.deepEqual(validateCertificateSet(inputs, now).failures, []);
    });
  });

  describe("bad input: each fails naming the property, the service and its config key", () => {
    interface BadCase {
      name: string;
      inputs: () => TlsInputs;
      property: string;
      reason: RegExp[];
    }
    const cases: BadCase[] = [
      {
        name: "a key that does not belong to the certificate",
        inputs: () =>
          perService({
            admin: { ...material(pki.rsaLeaf, pki.intermediate.cert), privateKey: pki.strayKey },
          }),
        property: "services.admin.privateKey",
        reason: [
          /administrator interface/,
          /www_admin\.http_admin\.sslcertkeyfile/,
          /does not match the certificate/,
        ],
      },
      {
        name: "an expired certificate",
        inputs: () => perService({ csc: material(pki.expiredLeaf, pki.intermediate.cert) }),
        property: "services.csc.certificate",
        reason: [
          /customer self-care interface/,
          /www_admin\.http_csc\.sslcertfile/,
          /expired on 2021-01-01T00:00:00\.000Z/,
        ],
      },
      {
        name: "a certificate not valid yet",
        inputs: () => perService({ rest: material(pki.notYetValidLeaf, pki.intermediate.cert) }),
        property: "services.rest.certificate",
        reason: [/REST interface/, /ossbss\.apache\.restapi\.sslcertfile/, /not valid yet/],
      },
      {
        name: "garbage instead of a certificate",
        inputs: () => shared({ ...material(pki.rsaLeaf), certificate: "this is not a certificate" }),
        property: "web.certificate",
        reason: [/shared web certificate/, /www_admin\.http_csc\.sslcertfile/, /is not PEM/],
      },
      {
        name: "a PEM frame around garbage",
        inputs: () =>
          perService({
            provisioning: {
              ...material(pki.rsaLeaf),
              certificate: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
            },
          }),
        property: "services.provisioning.certificate",
        reason: [
          /provisioning interface/,
          /ossbss\.apache\.autoprov\.sslcertfile/,
          /not a valid X\.509 certificate \(ERR_/,
        ],
      },
      {
        name: "a PEM that lost its line breaks",
        inputs: () =>
          perService({
            admin: { ...material(pki.rsaLeaf), certificate: pki.rsaLeaf.cert.replace(/\n/g, " ") },
          }),
        property: "services.admin.certificate",
        reason: [/www_admin\.http_admin\.sslcertfile/, /no END line or lost its line breaks/],
      },
      {
        name: "garbage instead of a key",
        inputs: () => perService({ admin: { ...material(pki.rsaLeaf), privateKey: "hunter2" } }),
        property: "services.admin.privateKey",
        reason: [/www_admin\.http_admin\.sslcertkeyfile/, /is not PEM/],
      },
      {
        name: "a private key given where the certificate is expected",
        inputs: () => perService({ csc: { ...material(pki.rsaLeaf), certificate: pki.rsaLeaf.key } }),
        property: "services.csc.certificate",
        reason: [
          /www_admin\.http_csc\.sslcertfile/,
          /a private key was given where a PEM certificate is expected/,
        ],
      },
      {
        name: "a key hidden in the certificate bundle (the certificate file is world-readable)",
        inputs: () =>
          perService({ csc: { ...material(pki.rsaLeaf), certificate: pki.rsaLeaf.cert + pki.rsaLeaf.key } }),
        property: "services.csc.certificate",
        reason: [/a private key was given where/],
      },
      {
        name: "a private key given as the chain",
        inputs: () => perService({ csc: { ...material(pki.rsaLeaf), chain: pki.intermediate.key } }),
        property: "services.csc.chain",
        reason: [
          /www_admin\.http_csc\.sslcertfile/,
          /a private key was given where PEM certificates are expected/,
        ],
      },
      {
        name: "a certificate given where the key is expected",
        inputs: () => perService({ admin: { ...material(pki.rsaLeaf), privateKey: pki.rsaLeaf.cert } }),
        property: "services.admin.privateKey",
        reason: [/www_admin\.http_admin\.sslcertkeyfile/, /a certificate was given where a PEM private key/],
      },
      {
        name: "a signing request given where the certificate is expected",
        inputs: () =>
          perService({ admin: { ...material(pki.rsaLeaf), certificate: signingRequest(pki.rsaLeaf.key) } }),
        property: "services.admin.certificate",
        reason: [/a certificate signing request was given where a PEM certificate is expected/],
      },
      {
        name: "a passphrase-protected key",
        inputs: () =>
          perService({ admin: { ...material(pki.rsaLeaf), privateKey: encryptedKey(pki.rsaLeaf.key) } }),
        property: "services.admin.privateKey",
        reason: [/www_admin\.http_admin\.sslcertkeyfile/, /encrypted with a passphrase/],
      },
      {
        name: "a chain out of order (root before intermediate)",
        inputs: () => shared(material(pki.rsaLeaf, pki.root.cert + pki.intermediate.cert)),
        property: "web.chain",
        reason: [
          /shared web certificate/,
          /chain out of order/,
          /issued by chain certificate 2 \(CN=ngcp-fleet Test Intermediate CA\)/,
        ],
      },
      {
        name: "a chain that does not belong to the certificate",
        inputs: () => perService({ admin: material(pki.otherRootLeaf, pki.intermediate.cert) }),
        property: "services.admin.chain",
        reason: [
          /www_admin\.http_admin\.sslcertfile/,
          /chain broken/,
          /its issuer is CN=Unrelated Test Root CA/,
        ],
      },
      {
        name: "a hostname not covered by the subject alternative names",
        inputs: () => perService({ csc: material(pki.rsaLeaf, pki.intermediate.cert, "www.other.test") }),
        property: "services.csc.hostname",
        reason: [
          /www_admin\.http_csc\.sslcertfile/,
          /www\.other\.test is not covered/,
          /DNS:ngcp\.example\.test/,
        ],
      },
      {
        name: "a hostname one label deeper than the wildcard",
        inputs: () =>
          perService({ csc: material(pki.rsaLeaf, pki.intermediate.cert, "a.b.sip.example.test") }),
        property: "services.csc.hostname",
        reason: [/is not covered/],
      },
      {
        name: "an IP address not covered",
        inputs: () => perService({ csc: material(pki.rsaLeaf, pki.intermediate.cert, "198.18.0.12") }),
        property: "services.csc.hostname",
        reason: [/198\.18\.0\.12 is not covered/],
      },
      {
        name: "a hostname that is not a name",
        inputs: () => perService({ csc: material(pki.rsaLeaf, pki.intermediate.cert, "not a host") }),
        property: "services.csc.hostname",
        reason: [/must be a DNS name or an IP address/],
      },
      {
        name: "a weak RSA 1024 key",
        inputs: () => perService({ rest: material(pki.weakRsaLeaf, pki.intermediate.cert) }),
        property: "services.rest.certificate",
        reason: [
          /ossbss\.apache\.restapi\.sslcertfile/,
          /a weak key: RSA 1024 bits/,
          /RSA of 2048 bits or more/,
        ],
      },
      {
        name: "a weak EC key below P-256",
        inputs: () => perService({ rest: material(pki.weakEcLeaf, pki.intermediate.cert) }),
        property: "services.rest.certificate",
        reason: [/a weak key: EC secp224r1/],
      },
      {
        name: "a key type other than RSA or EC",
        inputs: () => perService({ rest: material(pki.ed25519Leaf, pki.intermediate.cert) }),
        property: "services.rest.certificate",
        reason: [/an unsupported key type: ed25519/],
      },
      {
        name: "a self-signed certificate in production",
        inputs: () => shared(material(pki.selfSignedLeaf, undefined, "ngcp.example.test")),
        property: "web.certificate",
        reason: [
          /shared web certificate/,
          /is self-signed, refused for a production stack/,
          /allowSelfSigned/,
        ],
      },
      {
        name: "SIP over TLS enabled in production without a certificate of its own",
        inputs: () => shared(material(pki.rsaLeaf, pki.intermediate.cert), { sipTls: { enable: true } }),
        property: "sipTls.certificate",
        reason: [/kamailio\.lb\.tls\.enable/, /self-signed/, /refused for a production stack/],
      },
      {
        name: "a SIP over TLS certificate without its key",
        inputs: () =>
          perService(
            {},
            { sipTls: { enable: true, certificate: pki.rsaLeaf.cert, chain: pki.intermediate.cert } },
          ),
        property: "sipTls.privateKey",
        reason: [/SIP over TLS/, /kamailio\.lb\.tls\.sslcertkeyfile/, /is missing or empty/],
      },
      {
        name: "nothing to manage",
        inputs: () => perService({}),
        property: "services",
        reason: [/no certificate given/],
      },
    ];

    for (const c of cases) {
      it(`refuses ${c.name}`, () => {
        // GIVEN inputs with exactly this defect WHEN validated
        const { failures } = validateCertificateSet(c.inputs(), now);
        // THEN a failure names the property, and its reason the service, the key and the fix
        const failure = failures.find((f) => f.property === c.property);
        assert.ok(failure, `no failure for ${c.property}; got ${JSON.stringify(failures, null, 1)}`);
        for (const pattern of c.reason) {
          assert.match(failure.reason, pattern);
        }
      });
    }
  });

  describe("production and self-signed certificates", () => {
    it("allows a self-signed certificate in production when allowSelfSigned is set, with a warning", () => {
      const inputs = shared(material(pki.selfSignedLeaf, undefined, "ngcp.example.test"), {
        allowSelfSigned: true,
      });
      const result = validateCertificateSet(inputs, now);
      assert.deepEqual(result.failures, []);
      assert.match(result.warnings.join("\n"), /is self-signed: browsers and SIP clients will warn/);
    });

    it("allows a self-signed certificate outside production, with a warning", () => {
      const inputs = shared(material(pki.selfSignedLeaf), { production: false });
      const result = validateCertificateSet(inputs, now);
      assert.deepEqual(result.failures, []);
      assert.equal(result.warnings.length, 1);
    });

    it("only warns about SIP over TLS without a certificate outside production", () => {
      const inputs = shared(material(pki.rsaLeaf, pki.intermediate.cert), {
        production: false,
        sipTls: { enable: true },
      });
      const result = validateCertificateSet(inputs, now);
      assert.deepEqual(result.failures, []);
      assert.match(result.warnings.join("\n"), /kamailio\.lb\.tls\.enable/);
    });

    it("warns in production about web interfaces left on the node's certificate", () => {
      const inputs = perService({ csc: material(pki.rsaLeaf, pki.intermediate.cert, "ngcp.example.test") });
      const warnings = validateCertificateSet(inputs, now).warnings.join("\n");
      for (const key of ["ossbss.apache.autoprov", "ossbss.apache.restapi", "www_admin.http_admin"]) {
        assert.ok(warnings.includes(`${key}.sslcertfile) is not managed`), warnings);
      }
    });
  });

  describe("expiry warnings", () => {
    it("warns when fewer than warnDays are left, naming the days and the service", () => {
      // GIVEN a leaf that expires 10 days after it was made, and the default warnDays of 30
      const inputs = perService({
        admin: material(pki.expiringSoonLeaf, pki.intermediate.cert, "ngcp.example.test"),
      });
      // WHEN validated THEN it passes with one warning
      const result = validateCertificateSet(inputs, now);
      assert.deepEqual(result.failures, []);
      assert.equal(result.warnings.length, 4); // three unmanaged interfaces in production, and the expiry
      assert.match(result.warnings[3], /administrator interface \(www_admin\.http_admin\.sslcertfile\)/);
      assert.match(result.warnings[3], /expires in (9|10) days .*fewer than warnDays \(30\)/);
    });

    it("does not warn when warnDays is below the days left", () => {
      const inputs = perService(
        { admin: material(pki.expiringSoonLeaf, pki.intermediate.cert) },
        {
          production: false,
          warnDays: 5,
        },
      );
      assert.deepEqual(validateCertificateSet(inputs, now), { failures: [], warnings: [] });
    });

    it("fails instead of warning once the time has come (same certificate, a later now)", () => {
      const later = new Date(pki.generatedAt.getTime() + 11 * 24 * 3600 * 1000);
      const inputs = perService(
        { admin: material(pki.expiringSoonLeaf, pki.intermediate.cert) },
        { production: false },
      );
      const result = validateCertificateSet(inputs, later);
      assert.match(result.failures.map((f) => f.reason).join("\n"), /expired on/);
    });
  });

  it("warns when provisioning and REST, served on one port, get different certificates", () => {
    const inputs = perService(
      {
        provisioning: material(pki.rsaLeaf, pki.intermediate.cert),
        rest: material(pki.ecLeaf, pki.intermediate.cert),
      },
      { production: false },
    );
    const result = validateCertificateSet(inputs, now);
    assert.deepEqual(result.failures, []);
    assert.match(result.warnings.join("\n"), /same port \(ossbss\.apache\.port\)/);
  });
});
