import assert from "node:assert/strict";
import { parseTlsInputs, type TlsInputs } from "../../providers/tls/inputs";
import { NOTHING_APPLIED, diffTls, liveServiceFacts, planTlsInstall } from "../../providers/tls/planner";
import { validateCertificateSet } from "../../providers/tls/validate";
import { encryptedKey, testPki, traditionalKey, type TestPki } from "../support/certs";

const BASE = { production: true, allowSelfSigned: false, warnDays: 30 } as const;

/** The base64 lines of a PEM key: any one of them showing up anywhere is a leak. */
function keyLines(pem: string): string[] {
  return pem
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length >= 16 && !line.startsWith("-----") && !line.includes(":"));
}

function assertNoKeyMaterial(where: string, text: string, keys: readonly string[]): void {
  assert.ok(!/PRIVATE KEY-----/.test(text), `${where} contains a PEM private key frame`);
  for (const key of keys) {
    for (const line of keyLines(key)) {
      assert.ok(!text.includes(line), `${where} contains key material`);
    }
  }
}

describe("TLS secrets hygiene: no key material in outputs, diffs, warnings or errors", function () {
  this.timeout(60_000);
  let pki: TestPki;
  let keys: string[];
  before(() => {
    pki = testPki();
    keys = [
      pki.rsaLeaf.key,
      pki.ecLeaf.key,
      pki.strayKey,
      pki.selfSignedLeaf.key,
      pki.intermediate.key,
      traditionalKey(pki.rsaLeaf.key),
    ];
  });

  it("keeps keys out of every validation failure and warning, for every kind of misplaced key", () => {
    // GIVEN inputs where keys land in every wrong place, and a garbage key
    const cases: TlsInputs[] = [
      { ...BASE, mode: "shared", web: { certificate: pki.rsaLeaf.key, privateKey: pki.rsaLeaf.cert } },
      {
        ...BASE,
        mode: "shared",
        web: { certificate: pki.rsaLeaf.cert + pki.rsaLeaf.key, privateKey: pki.rsaLeaf.key },
      },
      {
        ...BASE,
        mode: "shared",
        web: { certificate: pki.rsaLeaf.cert, chain: pki.intermediate.key, privateKey: pki.strayKey },
      },
      {
        ...BASE,
        mode: "shared",
        web: { certificate: pki.rsaLeaf.cert, privateKey: pki.rsaLeaf.key + pki.ecLeaf.key },
      },
      {
        ...BASE,
        mode: "shared",
        web: { certificate: pki.rsaLeaf.cert, privateKey: pki.rsaLeaf.key.slice(0, 200) },
      },
      {
        ...BASE,
        mode: "shared",
        web: { certificate: pki.rsaLeaf.cert, privateKey: encryptedKey(pki.rsaLeaf.key) },
      },
      {
        ...BASE,
        mode: "perService",
        services: {
          csc: {
            certificate: pki.selfSignedLeaf.cert,
            privateKey: pki.selfSignedLeaf.key,
            hostname: "x.test",
          },
        },
        sipTls: { enable: true, certificate: pki.ecLeaf.key, privateKey: pki.ecLeaf.key },
      },
    ];
    for (const inputs of cases) {
      // WHEN validated
      const result = validateCertificateSet(inputs, new Date());
      // THEN it fails, and nothing it says holds key material
      assert.ok(result.failures.length > 0);
      assertNoKeyMaterial("validation result", JSON.stringify(result), keys);
    }
  });

  it("keeps keys out of input parsing failures", () => {
    const result = parseTlsInputs({
      mode: "shared",
      web: { certificate: 42, privateKey: pki.rsaLeaf.key, extra: pki.ecLeaf.key },
    });
    assert.ok(!result.ok);
    assertNoKeyMaterial("parse failures", JSON.stringify(result.failures), keys);
  });

  it("keeps keys out of planning errors", () => {
    const inputs: TlsInputs = {
      ...BASE,
      mode: "shared",
      web: { certificate: pki.rsaLeaf.key, privateKey: pki.rsaLeaf.key },
    };
    assert.throws(
      () => planTlsInstall(inputs, new Date()),
      (err: Error) => {
        assertNoKeyMaterial("planning error", err.message, keys);
        return true;
      },
    );
  });

  it("puts the key only in the files marked secret; outputs, desired facts, handshakes, config changes and diffs hold none", () => {
    // GIVEN a full plan with SIP over TLS
    const inputs: TlsInputs = {
      ...BASE,
      mode: "perService",
      services: {
        admin: { certificate: pki.rsaLeaf.cert, chain: pki.intermediate.cert, privateKey: pki.rsaLeaf.key },
        csc: {
          certificate: pki.ecLeaf.cert,
          chain: pki.intermediate.cert,
          privateKey: traditionalKey(pki.ecLeaf.key),
        },
      },
      sipTls: { enable: true, certificate: pki.rsaLeaf.cert, privateKey: pki.rsaLeaf.key },
    };
    const plan = planTlsInstall(inputs, new Date());
    // THEN the key files are the only carriers
    for (const file of plan.files) {
      if (file.secret) {
        assert.match(file.content, /PRIVATE KEY-----/);
      } else {
        assertNoKeyMaterial(`file ${file.path}`, file.content, keys);
      }
    }
    const { files: _files, ...rest } = plan;
    assertNoKeyMaterial("plan outputs", JSON.stringify(rest), keys);

    // AND the live facts read back from a node (including a replaced key) and every diff hold none
    const live = {
      services: {
        admin: liveServiceFacts({
          service: "admin",
          certFile: { content: pki.directLeaf.cert, mode: 0o644 },
          keyFile: { content: pki.strayKey, mode: 0o644 },
          config: {},
        }),
        csc: liveServiceFacts({
          service: "csc",
          certFile: null,
          keyFile: { content: "garbage", mode: 0o600 },
          config: {},
        }),
      },
      sipTlsEnable: "no",
    };
    assertNoKeyMaterial("live facts", JSON.stringify(live), keys);
    for (const diff of [diffTls(plan.desired, live), diffTls(plan.desired, live, NOTHING_APPLIED)]) {
      assert.ok(diff.hasChanges);
      assertNoKeyMaterial("diff", JSON.stringify(diff), keys);
    }
  });
});
