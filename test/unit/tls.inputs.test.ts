import assert from "node:assert/strict";
import { parseTlsInputs } from "../../providers/tls/inputs";

const FAKE_KEY =
  "-----BEGIN PRIVATE KEY-----\nTUFURVJJQUwtVEhBVC1NVVNULU5PVC1MRUFL\n-----END PRIVATE KEY-----\n";
const FAKE_CERT = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n";

describe("TLS inputs parsing", () => {
  it("applies the documented defaults (production false, allowSelfSigned false, warnDays 30)", () => {
    // GIVEN shared inputs with only the certificate material
    const result = parseTlsInputs({ mode: "shared", web: { certificate: FAKE_CERT, privateKey: FAKE_KEY } });
    // THEN they parse with the defaults
    assert.ok(result.ok);
    assert.equal(result.inputs.production, false);
    assert.equal(result.inputs.allowSelfSigned, false);
    assert.equal(result.inputs.warnDays, 30);
  });

  it("defaults sipTls.enable to false (the handbook: disabled by default)", () => {
    const result = parseTlsInputs({ mode: "perService", sipTls: {} });
    assert.ok(result.ok);
    assert.equal(result.inputs.sipTls?.enable, false);
    assert.equal(result.inputs.mode, "perService");
  });

  it("rejects an unknown mode, listing the allowed ones", () => {
    const result = parseTlsInputs({ mode: "each", web: { certificate: FAKE_CERT, privateKey: FAKE_KEY } });
    assert.ok(!result.ok);
    assert.equal(result.failures[0].property, "mode");
    assert.match(result.failures[0].reason, /"shared", "perService"/);
  });

  it("rejects a misspelt key instead of ignoring it", () => {
    const result = parseTlsInputs({
      mode: "perService",
      services: { cscc: { certificate: FAKE_CERT, privateKey: FAKE_KEY } },
    });
    assert.ok(!result.ok);
    assert.equal(result.failures[0].property, "services");
    assert.match(result.failures[0].reason, /cscc/);
  });

  it("rejects a negative or fractional warnDays", () => {
    for (const warnDays of [-1, 2.5]) {
      const result = parseTlsInputs({
        mode: "shared",
        web: { certificate: FAKE_CERT, privateKey: FAKE_KEY },
        warnDays,
      });
      assert.ok(!result.ok);
      assert.equal(result.failures[0].property, "warnDays");
    }
  });

  it("names a missing private key without echoing any value", () => {
    // GIVEN the key pasted in the wrong place (as the web material itself)
    const result = parseTlsInputs({ mode: "shared", web: FAKE_KEY });
    // THEN the failure names the property, and no part of the key appears
    assert.ok(!result.ok);
    const text = JSON.stringify(result.failures);
    assert.match(text, /"web"/);
    assert.ok(!text.includes("TUFURVJJQUwtVEhBVC1NVVNULU5PVC1MRUFL"), text);
    assert.ok(!text.includes("PRIVATE KEY"), text);
  });
});
