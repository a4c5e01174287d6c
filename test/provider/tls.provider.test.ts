import { strict as assert } from "node:assert";
import { parseConfig } from "../../providers/ngcpConfig/document";
import { describeMismatch, probeUntilServed, type HandshakeProbe } from "../../providers/tls/handshake";
import { parseTlsInputs } from "../../providers/tls/inputs";
import { planTlsInstall } from "../../providers/tls/planner";
import {
  nextFilesRevision,
  publicPlan,
  tlsApplyTriggers,
  tlsCertificatesProvider,
  type TlsCertificatesInputs,
  type TlsPublicPlan,
} from "../../providers/tls/provider";
import { closeAll } from "../../providers/transport";
import { opensslSha256Fingerprint, testPki, type TestPki } from "../support/certs";
import { ensureLab } from "../support/lab";
import { labTarget, nodeShell } from "../support/labTargets";

/** The only lab node these tests touch (the lab is shared); nothing here writes to it. */
const NODE = "ngcp4";

function sharedInputs(pki: TestPki) {
  return {
    mode: "shared",
    production: false,
    web: { certificate: pki.rsaLeaf.cert, chain: pki.intermediate.cert, privateKey: pki.rsaLeaf.key },
  };
}

function planFor(pki: TestPki, configYml: string | undefined, previous?: TlsPublicPlan): TlsPublicPlan {
  const parsed = parseTlsInputs(sharedInputs(pki));
  assert.ok(parsed.ok);
  const install = planTlsInstall(parsed.inputs, new Date());
  return publicPlan(
    parsed.inputs,
    install,
    configYml === undefined ? undefined : parseConfig(configYml),
    [],
    previous,
  );
}

describe("TLS provider on a lab node (check, typo resolution, handshake, files revision)", function () {
  this.timeout(120_000);
  let pki: TestPki;

  before(async () => {
    await ensureLab(Number(NODE.replace("ngcp", "")));
    pki = testPki();
  });
  after(() => closeAll());

  it("check reads the node's config.yml once and resolves every key, with no key material in the plan", async () => {
    const configBefore = nodeShell(NODE, "sha256sum /etc/ngcp-config/config.yml");
    const news: TlsCertificatesInputs = { target: labTarget(NODE), tls: sharedInputs(pki) };
    const result = await tlsCertificatesProvider.check!({} as TlsCertificatesInputs, news);
    assert.deepEqual(result.failures, []);
    const plan = (result.inputs as TlsCertificatesInputs).plan!;
    // The lab's config (current edition) has only www_admin.http_csc.sslcertkeyfile: the typo is not written
    assert.equal(
      plan.settings["www_admin.http_csc.sslcertkeyfile"],
      "/etc/ngcp-config/ssl/ngcp-fleet-web.key",
    );
    assert.equal(plan.settings["www_csc.http_csc.sslcertkeyfile"], undefined);
    assert.equal(Object.keys(plan.settings).length, 8);
    assert.equal(plan.services.csc?.sha256Fingerprint, opensslSha256Fingerprint(pki.rsaLeaf.cert));
    assert.ok(!/PRIVATE KEY/.test(JSON.stringify(plan)), "the plan holds no key");
    assert.equal(
      nodeShell(NODE, "sha256sum /etc/ngcp-config/config.yml"),
      configBefore,
      "check wrote nothing",
    );
  });

  it("check refuses bad inputs under tls.<property>, naming service and key, without touching the node", async () => {
    const news: TlsCertificatesInputs = {
      // An unreachable target: bad inputs must fail before any connection is tried.
      target: { ...labTarget(NODE), host: "198.18.0.254", connectTimeoutMs: 1000 },
      tls: { ...sharedInputs(pki), web: { certificate: pki.rsaLeaf.cert, privateKey: pki.strayKey } },
    };
    const result = await tlsCertificatesProvider.check!({} as TlsCertificatesInputs, news);
    assert.deepEqual(
      result.failures?.map((f) => f.property),
      ["tls.web.privateKey"],
    );
    assert.match(result.failures![0].reason, /www_admin\.http_csc\.sslcertkeyfile.*does not match/);
  });

  it("writes the self-care key file to the printed key too when the node's config has it", () => {
    // GIVEN a config.yml that carries the key as the handbook prints it (www_csc→http_csc→sslcertkeyfile)
    const config = [
      "www_admin:",
      "  http_csc:",
      "    sslcertfile: /etc/ngcp-config/ssl/myserver.crt",
      "    sslcertkeyfile: /etc/ngcp-config/ssl/myserver.key",
      "www_csc:",
      "  http_csc:",
      "    sslcertkeyfile: /etc/ngcp-config/ssl/myserver.key",
      "",
    ].join("\n");
    const plan = planFor(pki, config);
    assert.equal(
      plan.settings["www_admin.http_csc.sslcertkeyfile"],
      "/etc/ngcp-config/ssl/ngcp-fleet-web.key",
    );
    assert.equal(plan.settings["www_csc.http_csc.sslcertkeyfile"], "/etc/ngcp-config/ssl/ngcp-fleet-web.key");
  });

  it("keeps the files revision while the files stay, and moves it on rotation and on every repair", () => {
    const first = planFor(pki, undefined);
    const again = planFor(pki, undefined, first);
    assert.equal(again.filesRevision, first.filesRevision, "no change: same revision, no apply");
    // GIVEN the node seen with another certificate (what read returns after a hand edit)
    const drifted = (base: TlsPublicPlan): TlsPublicPlan => ({
      ...base,
      services: { ...base.services, csc: { ...base.services.csc!, certFileSha256: "0".repeat(64) } },
    });
    const repaired = planFor(pki, undefined, drifted(again));
    assert.notEqual(repaired.filesRevision, again.filesRevision);
    const repairedAgain = planFor(pki, undefined, drifted(repaired));
    assert.notEqual(
      repairedAgain.filesRevision,
      repaired.filesRevision,
      "the same drift twice: two restarts",
    );
    assert.equal(nextFilesRevision(repairedAgain, repairedAgain), repairedAgain.filesRevision);
    assert.equal(tlsApplyTriggers(repairedAgain)["tls.files"], repairedAgain.filesRevision);
    assert.equal(tlsApplyTriggers(repairedAgain)["tls.csc"], opensslSha256Fingerprint(pki.rsaLeaf.cert));
  });

  it("names node, service, port and both fingerprints when a port serves another certificate", async () => {
    const host = labTarget(NODE).host;
    const probe: HandshakeProbe = {
      label: "customer self-care interface",
      services: ["csc"],
      port: 443,
      portKey: "www_admin.http_csc.port",
      acceptedSha256Fingerprints: [opensslSha256Fingerprint(pki.ecLeaf.cert)],
    };
    const outcome = await probeUntilServed(host, probe, { deadlineMs: 0 });
    assert.equal(outcome.ok, false);
    const served = nodeShell(
      NODE,
      'openssl x509 -noout -fingerprint -sha256 -in "$(python3 -c \'import json; print([l for l in json.load(open("/etc/ngcp-lab/services.json"))["listeners"] if l["service"]=="csc"][0]["cert"])\')"',
    )
      .trim()
      .split("=")[1];
    assert.equal(outcome.served, served);
    assert.equal(
      describeMismatch(NODE, host, outcome),
      `node ${NODE}: the customer self-care interface on ${host}:443 (www_admin.http_csc.port) serves certificate ${served}, ` +
        `expected ${opensslSha256Fingerprint(pki.ecLeaf.cert)}`,
    );
  });
});
