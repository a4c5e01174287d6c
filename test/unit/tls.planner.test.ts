import assert from "node:assert/strict";
import fc from "fast-check";
import type { CertificateMaterial, SharedTlsInputs, TlsInputs } from "../../providers/tls/inputs";
import {
  CERT_FILE_MODE,
  KEY_FILE_MODE,
  NOTHING_APPLIED,
  certificateFacts,
  diffTls,
  liveServiceFacts,
  planTlsInstall,
  type TlsInstallPlan,
  type TlsLiveFacts,
  type TlsServiceLive,
} from "../../providers/tls/planner";
import {
  CSC_KEY_FILE_AS_PRINTED,
  TLS_SERVICES,
  TLS_SERVICE_SPECS,
  WEB_TLS_SERVICES,
  resolveConfigPaths,
  type TlsServiceName,
} from "../../providers/tls/services";
import { validateCertificateSet } from "../../providers/tls/validate";
import { opensslSha256Fingerprint, testPki, type CertAndKey, type TestPki } from "../support/certs";

const BASE = { production: false, allowSelfSigned: false, warnDays: 30 } as const;

/**
 * A node as the planner sees it: files by path and config.yml as dotted keys. `apply` does what the
 * provider will do with a plan (files written, config keys resolved and set); `read` what its `read` will
 * return. Only the shape matters here; the real transport is tested on the lab.
 */
class FakeNode {
  files: Record<string, { content: string; mode: number }> = {};
  config: Record<string, string | undefined> = {};

  constructor(config: Record<string, string> = {}) {
    this.config = { ...config };
  }

  apply(plan: TlsInstallPlan): void {
    for (const file of plan.files) {
      this.files[file.path] = { content: file.content, mode: file.mode };
    }
    for (const change of plan.configChanges) {
      for (const path of resolveConfigPaths(change.candidates, (p) => this.config[p] !== undefined)) {
        this.config[path] = change.value;
      }
    }
  }

  read(plan: TlsInstallPlan): TlsLiveFacts {
    const services: Partial<Record<TlsServiceName, TlsServiceLive>> = {};
    for (const service of TLS_SERVICES) {
      const want = plan.desired.services[service];
      if (want === undefined) {
        continue;
      }
      const spec = TLS_SERVICE_SPECS[service];
      const config: Record<string, string | undefined> = {};
      for (const key of [spec.certFileKey, ...spec.keyFileKeys]) {
        if (this.config[key] !== undefined) {
          config[key] = this.config[key];
        }
      }
      services[service] = liveServiceFacts({
        service,
        certFile: this.files[want.certPath] ?? null,
        keyFile: this.files[want.keyPath] ?? null,
        config,
      });
    }
    const enable = this.config["kamailio.lb.tls.enable"];
    return { services, ...(enable !== undefined ? { sipTlsEnable: enable } : {}) };
  }
}

function material(pair: CertAndKey, chain?: string, hostname?: string): CertificateMaterial {
  return {
    certificate: pair.cert,
    privateKey: pair.key,
    ...(chain !== undefined ? { chain } : {}),
    ...(hostname !== undefined ? { hostname } : {}),
  };
}

describe("TLS planner", function () {
  this.timeout(60_000);
  let pki: TestPki;
  let now: Date;
  let sharedInputs: SharedTlsInputs;
  before(() => {
    pki = testPki();
    now = new Date();
    sharedInputs = {
      ...BASE,
      mode: "shared",
      web: material(pki.rsaLeaf, pki.intermediate.cert, "ngcp.example.test"),
    };
  });

  describe("certificateFacts", () => {
    it("gives the SHA-256 fingerprint exactly as openssl x509 -fingerprint -sha256 prints it", () => {
      for (const pair of [pki.rsaLeaf, pki.ecLeaf, pki.selfSignedLeaf, pki.intermediate]) {
        assert.equal(certificateFacts(pair.cert).sha256Fingerprint, opensslSha256Fingerprint(pair.cert));
      }
    });

    it("reads not-after as ISO 8601, days left at a given time, subject, issuer and self-signedness", () => {
      const facts = certificateFacts(pki.expiredLeaf.cert);
      assert.equal(facts.notAfter, "2021-01-01T00:00:00.000Z");
      assert.equal(facts.daysLeft(new Date("2020-12-01T00:00:00Z")), 31);
      assert.equal(facts.daysLeft(new Date("2021-01-02T00:00:00Z")), -1);
      assert.match(facts.subject, /CN=expired-leaf\.example\.test/);
      assert.match(facts.issuer, /CN=ngcp-fleet Test Intermediate CA/);
      assert.equal(facts.selfSigned, false);
      assert.equal(certificateFacts(pki.selfSignedLeaf.cert).selfSigned, true);
      assert.equal(certificateFacts(pki.root.cert).selfSigned, true);
    });

    it("reads the first certificate of a certificate file (leaf, then chain)", () => {
      const facts = certificateFacts(pki.rsaLeaf.cert + pki.intermediate.cert);
      assert.equal(facts.sha256Fingerprint, opensslSha256Fingerprint(pki.rsaLeaf.cert));
    });

    it("refuses text without a certificate, without quoting it", () => {
      assert.throws(
        () => certificateFacts("secret-looking text"),
        (err: Error) =>
          /no PEM certificate found/.test(err.message) && !err.message.includes("secret-looking"),
      );
    });
  });

  describe("planTlsInstall, shared mode", () => {
    it("installs one certificate file (0644, leaf then chain) and one key file (0600, secret) for all web interfaces", () => {
      // GIVEN one certificate for all web interfaces WHEN planned
      const plan = planTlsInstall(sharedInputs, now);
      // THEN two files: the public certificate with its chain, and the secret key
      assert.equal(plan.files.length, 2);
      const [cert, key] = plan.files;
      assert.equal(cert.path, "/etc/ngcp-config/ssl/ngcp-fleet-web.crt");
      assert.equal(cert.mode, CERT_FILE_MODE);
      assert.equal(cert.secret, false);
      assert.equal(cert.content, `${pki.rsaLeaf.cert.trim()}\n${pki.intermediate.cert.trim()}\n`);
      assert.equal(key.path, "/etc/ngcp-config/ssl/ngcp-fleet-web.key");
      assert.equal(key.mode, KEY_FILE_MODE);
      assert.equal(key.secret, true);
      assert.equal(key.content, `${pki.rsaLeaf.key.trim()}\n`);
      assert.deepEqual(cert.services, ["provisioning", "rest", "admin", "csc"]);
      assert.equal(cert.owner, "root");
      assert.equal(key.group, "root");
    });

    it("points every web interface's cert and key keys at the shared files, the self-care key with both candidates", () => {
      const plan = planTlsInstall(sharedInputs, now);
      const byPath = Object.fromEntries(plan.configChanges.map((c) => [c.path, c]));
      assert.equal(plan.configChanges.length, 8);
      for (const service of WEB_TLS_SERVICES) {
        const spec = TLS_SERVICE_SPECS[service];
        assert.equal(byPath[spec.certFileKey].value, "/etc/ngcp-config/ssl/ngcp-fleet-web.crt");
        assert.equal(byPath[spec.keyFileKeys[0]].value, "/etc/ngcp-config/ssl/ngcp-fleet-web.key");
      }
      assert.deepEqual(byPath["www_admin.http_csc.sslcertkeyfile"].candidates, [
        "www_admin.http_csc.sslcertkeyfile",
        CSC_KEY_FILE_AS_PRINTED,
      ]);
      assert.ok(!plan.configChanges.some((c) => c.path.startsWith("kamailio.")));
    });

    it("outputs per service the fingerprint, not-after and days left, with openssl's fingerprint", () => {
      const plan = planTlsInstall(sharedInputs, now);
      const expected = opensslSha256Fingerprint(pki.rsaLeaf.cert);
      for (const service of WEB_TLS_SERVICES) {
        const out = plan.outputs.services[service];
        assert.ok(out);
        assert.equal(out.sha256Fingerprint, expected);
        assert.equal(out.notAfter, certificateFacts(pki.rsaLeaf.cert).notAfter);
        assert.ok(out.daysLeft >= 364 && out.daysLeft <= 366, String(out.daysLeft));
        assert.equal(out.selfSigned, false);
      }
      assert.equal(plan.outputs.services.sipTls, undefined);
    });

    it("plans one handshake per port: provisioning and REST share ossbss.apache.port", () => {
      const plan = planTlsInstall(sharedInputs, now);
      const fp = opensslSha256Fingerprint(pki.rsaLeaf.cert);
      assert.deepEqual(plan.handshakes, [
        {
          services: ["provisioning", "rest"],
          portKeys: ["ossbss.apache.port"],
          defaultPort: 2443,
          acceptedSha256Fingerprints: [fp],
          serverName: "ngcp.example.test",
        },
        {
          services: ["admin"],
          portKeys: ["www_admin.http_admin.port", "www_admin.apache.port"],
          defaultPort: 1443,
          acceptedSha256Fingerprints: [fp],
          serverName: "ngcp.example.test",
        },
        {
          services: ["csc"],
          portKeys: ["www_admin.http_csc.port", "www_csc.apache.port"],
          defaultPort: 443,
          acceptedSha256Fingerprints: [fp],
          serverName: "ngcp.example.test",
        },
      ]);
    });
  });

  describe("planTlsInstall, per-service mode and SIP over TLS", () => {
    it("gives each interface its own files and keys, and leaves out interfaces not given", () => {
      const inputs: TlsInputs = {
        ...BASE,
        mode: "perService",
        services: {
          admin: material(pki.rsaLeaf, pki.intermediate.cert),
          csc: material(pki.ecLeaf, pki.intermediate.cert),
        },
      };
      const plan = planTlsInstall(inputs, now);
      assert.deepEqual(
        plan.files.map((f) => [f.path, f.mode.toString(8), f.secret]),
        [
          ["/etc/ngcp-config/ssl/ngcp-fleet-admin.crt", "644", false],
          ["/etc/ngcp-config/ssl/ngcp-fleet-admin.key", "600", true],
          ["/etc/ngcp-config/ssl/ngcp-fleet-csc.crt", "644", false],
          ["/etc/ngcp-config/ssl/ngcp-fleet-csc.key", "600", true],
        ],
      );
      assert.deepEqual(
        plan.configChanges.map((c) => `${c.path}=${c.value}`),
        [
          "www_admin.http_admin.sslcertfile=/etc/ngcp-config/ssl/ngcp-fleet-admin.crt",
          "www_admin.http_admin.sslcertkeyfile=/etc/ngcp-config/ssl/ngcp-fleet-admin.key",
          "www_admin.http_csc.sslcertfile=/etc/ngcp-config/ssl/ngcp-fleet-csc.crt",
          "www_admin.http_csc.sslcertkeyfile=/etc/ngcp-config/ssl/ngcp-fleet-csc.key",
        ],
      );
      assert.equal(plan.outputs.services.csc?.sha256Fingerprint, opensslSha256Fingerprint(pki.ecLeaf.cert));
      assert.equal(plan.outputs.services.provisioning, undefined);
    });

    it("installs the SIP over TLS certificate, sets kamailio.lb.tls.enable to yes and checks port 5061", () => {
      const inputs: TlsInputs = {
        ...BASE,
        mode: "perService",
        services: {},
        sipTls: {
          enable: true,
          certificate: pki.ecLeaf.cert,
          chain: pki.intermediate.cert,
          privateKey: pki.ecLeaf.key,
        },
      };
      const plan = planTlsInstall(inputs, now);
      assert.deepEqual(
        plan.configChanges.map((c) => `${c.path}=${c.value}`),
        [
          "kamailio.lb.tls.sslcertfile=/etc/ngcp-config/ssl/ngcp-fleet-sip-tls.crt",
          "kamailio.lb.tls.sslcertkeyfile=/etc/ngcp-config/ssl/ngcp-fleet-sip-tls.key",
          "kamailio.lb.tls.enable=yes",
        ],
      );
      assert.equal(plan.outputs.sipTlsEnabled, true);
      assert.deepEqual(
        plan.handshakes.map((h) => [h.services, h.defaultPort]),
        [[["sipTls"], 5061]],
      );
    });

    it("sets kamailio.lb.tls.enable to no and plans no SIP handshake when SIP over TLS is off", () => {
      const inputs: TlsInputs = { ...sharedInputs, sipTls: { enable: false } };
      const plan = planTlsInstall(inputs, now);
      assert.ok(plan.configChanges.some((c) => c.path === "kamailio.lb.tls.enable" && c.value === "no"));
      assert.ok(!plan.handshakes.some((h) => h.services.includes("sipTls")));
    });

    it("accepts both fingerprints on the shared port when provisioning and REST differ", () => {
      const inputs: TlsInputs = {
        ...BASE,
        mode: "perService",
        services: { provisioning: material(pki.rsaLeaf), rest: material(pki.ecLeaf) },
      };
      const [check] = planTlsInstall(inputs, now).handshakes;
      assert.deepEqual(check.acceptedSha256Fingerprints, [
        opensslSha256Fingerprint(pki.rsaLeaf.cert),
        opensslSha256Fingerprint(pki.ecLeaf.cert),
      ]);
    });

    it("installs only the key block, dropping the EC PARAMETERS block openssl ecparam writes before it", () => {
      const ecParams = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
      const inputs: TlsInputs = {
        ...BASE,
        mode: "perService",
        services: { csc: { certificate: pki.ecLeaf.cert, privateKey: ecParams + pki.ecLeaf.key } },
      };
      assert.deepEqual(validateCertificateSet(inputs, now).failures, []);
      const key = planTlsInstall(inputs, now).files.find((f) => f.secret);
      assert.equal(key?.content, `${pki.ecLeaf.key.trim()}\n`);
    });

    it("refuses to plan unreadable inputs, pointing at validation and quoting nothing", () => {
      const inputs: TlsInputs = {
        ...BASE,
        mode: "shared",
        web: { certificate: pki.rsaLeaf.cert, privateKey: "hunter2-secret" },
      };
      assert.throws(
        () => planTlsInstall(inputs, now),
        (err: Error) =>
          /cannot plan web: web\.privateKey/.test(err.message) &&
          /validate the inputs first/.test(err.message) &&
          !err.message.includes("hunter2"),
      );
    });
  });

  describe("diffTls: preview and drift", () => {
    it("installs every service on a fresh node, showing (none) → new fingerprint", () => {
      const plan = planTlsInstall(sharedInputs, now);
      const diff = diffTls(plan.desired, new FakeNode().read(plan), NOTHING_APPLIED);
      assert.ok(diff.hasChanges);
      const fp = opensslSha256Fingerprint(pki.rsaLeaf.cert);
      for (const s of diff.services) {
        assert.equal(s.action, "install");
        assert.deepEqual(s.fingerprint, { old: null, new: fp });
        assert.deepEqual(s.drift, []);
      }
      assert.match(
        diff.summary.join("\n"),
        /administrator interface \(www_admin\.http_admin\.sslcertfile\): install certificate/,
      );
    });

    it("reports no change once the plan is applied (a second up changes nothing)", () => {
      const plan = planTlsInstall(
        {
          ...sharedInputs,
          sipTls: { enable: true, certificate: pki.ecLeaf.cert, privateKey: pki.ecLeaf.key },
        },
        now,
      );
      const node = new FakeNode();
      node.apply(plan);
      const diff = diffTls(plan.desired, node.read(plan), plan.desired);
      assert.equal(diff.hasChanges, false, diff.summary.join("\n"));
      assert.deepEqual(diff.summary, []);
    });

    it("rotates in place: preview shows the fingerprint change old → new and no drift", () => {
      // GIVEN a node with the RSA certificate installed
      const before = planTlsInstall(sharedInputs, now);
      const node = new FakeNode();
      node.apply(before);
      // WHEN the inputs change to the EC certificate
      const after = planTlsInstall(
        { ...sharedInputs, web: material(pki.ecLeaf, pki.intermediate.cert) },
        now,
      );
      const diff = diffTls(after.desired, node.read(after), before.desired);
      // THEN each web service rotates, naming both fingerprints; the paths and keys stay the same
      const oldFp = opensslSha256Fingerprint(pki.rsaLeaf.cert);
      const newFp = opensslSha256Fingerprint(pki.ecLeaf.cert);
      for (const s of diff.services) {
        assert.equal(s.action, "rotate");
        assert.deepEqual(s.fingerprint, { old: oldFp, new: newFp });
        assert.deepEqual(s.drift, []);
        assert.deepEqual(s.configChanges, []);
      }
      assert.ok(
        diff.summary.includes(
          `customer self-care interface (www_admin.http_csc.sslcertfile): rotate certificate ${oldFp} → ${newFp}`,
        ),
      );
    });

    it("detects a certificate replaced by hand on refresh, and plans to restore ours", () => {
      const plan = planTlsInstall(sharedInputs, now);
      const node = new FakeNode();
      node.apply(plan);
      // GIVEN someone copies another certificate over ours
      node.files["/etc/ngcp-config/ssl/ngcp-fleet-web.crt"] = { content: pki.directLeaf.cert, mode: 0o644 };
      // WHEN refreshed (desired = last applied)
      const diff = diffTls(plan.desired, node.read(plan));
      // THEN each web service shows drift and a repair back to our fingerprint
      const theirs = opensslSha256Fingerprint(pki.directLeaf.cert);
      const ours = opensslSha256Fingerprint(pki.rsaLeaf.cert);
      const admin = diff.services.find((s) => s.service === "admin");
      assert.ok(admin);
      assert.equal(admin.action, "repair");
      assert.deepEqual(admin.fingerprint, { old: theirs, new: ours });
      assert.deepEqual(
        admin.drift.map((d) => d.kind),
        ["certificate-replaced"],
      );
      assert.match(admin.drift[0].detail, new RegExp(`holds ${theirs}, expected ${ours}`));
    });

    it("tells an edited chain from a replaced certificate", () => {
      const plan = planTlsInstall(sharedInputs, now);
      const node = new FakeNode();
      node.apply(plan);
      node.files["/etc/ngcp-config/ssl/ngcp-fleet-web.crt"] = { content: pki.rsaLeaf.cert, mode: 0o644 };
      const [first] = diffTls(plan.desired, node.read(plan)).services;
      assert.equal(first.fingerprint, undefined);
      assert.match(first.drift[0].detail, /was edited \(same certificate, different chain or text\)/);
    });

    const driftCases: { name: string; mutate: (node: FakeNode) => void; kinds: string[] }[] = [
      {
        name: "a deleted certificate file",
        mutate: (n) => delete n.files["/etc/ngcp-config/ssl/ngcp-fleet-web.crt"],
        kinds: ["certificate-deleted"],
      },
      {
        name: "a deleted key file",
        mutate: (n) => delete n.files["/etc/ngcp-config/ssl/ngcp-fleet-web.key"],
        kinds: ["key-deleted"],
      },
      {
        name: "a key file replaced by another key",
        mutate: (n) =>
          (n.files["/etc/ngcp-config/ssl/ngcp-fleet-web.key"] = { content: pki.strayKey, mode: 0o600 }),
        kinds: ["key-replaced"],
      },
      {
        name: "a key file made world-readable",
        mutate: (n) => (n.files["/etc/ngcp-config/ssl/ngcp-fleet-web.key"].mode = 0o644),
        kinds: ["file-mode-changed"],
      },
      {
        name: "a config key pointed elsewhere on the box",
        mutate: (n) => (n.config["www_admin.http_admin.sslcertfile"] = "/etc/ngcp-config/ssl/myserver.crt"),
        kinds: ["config-key-changed"],
      },
    ];
    for (const c of driftCases) {
      it(`reports ${c.name} as drift (${c.kinds.join(", ")}) and plans a repair`, () => {
        // GIVEN an applied plan
        const plan = planTlsInstall(sharedInputs, now);
        const node = new FakeNode();
        node.apply(plan);
        // WHEN the node is changed by hand and refreshed
        c.mutate(node);
        const diff = diffTls(plan.desired, node.read(plan));
        // THEN the drift is named and the affected services are repaired
        assert.ok(diff.hasChanges);
        const kinds = new Set(diff.services.flatMap((s) => s.drift.map((d) => d.kind)));
        assert.deepEqual([...kinds], c.kinds);
        assert.ok(diff.services.some((s) => s.action === "repair"));
        assert.ok(
          diff.summary.some((line) => line.includes(`drift (${c.kinds[0]})`)),
          diff.summary.join("\n"),
        );
      });
    }

    it("writes the self-care key under the printed (typo) path when only that exists on the node, and sees no drift", () => {
      // GIVEN a node whose config.yml has www_csc.http_csc.sslcertkeyfile (as the handbook prints it)
      const node = new FakeNode({ [CSC_KEY_FILE_AS_PRINTED]: "/etc/ngcp-config/ssl/myserver.key" });
      const plan = planTlsInstall(sharedInputs, now);
      // WHEN applied
      node.apply(plan);
      // THEN that key is set, the corrected one is not invented, and a refresh is clean
      assert.equal(node.config[CSC_KEY_FILE_AS_PRINTED], "/etc/ngcp-config/ssl/ngcp-fleet-web.key");
      assert.equal(node.config["www_admin.http_csc.sslcertkeyfile"], undefined);
      assert.equal(diffTls(plan.desired, node.read(plan)).hasChanges, false);
    });

    it("reports kamailio.lb.tls.enable switched off by hand", () => {
      const plan = planTlsInstall(
        {
          ...sharedInputs,
          sipTls: { enable: true, certificate: pki.ecLeaf.cert, privateKey: pki.ecLeaf.key },
        },
        now,
      );
      const node = new FakeNode();
      node.apply(plan);
      node.config["kamailio.lb.tls.enable"] = "no";
      const diff = diffTls(plan.desired, node.read(plan));
      assert.deepEqual(diff.sipTlsEnable, { old: "no", new: "yes" });
      assert.equal(diff.sipTlsEnableDrift?.kind, "sip-tls-enable-changed");
      assert.ok(diff.summary.includes("SIP over TLS: kamailio.lb.tls.enable: no → yes"));
    });

    it("reports a port serving another certificate than the one installed", () => {
      const plan = planTlsInstall(sharedInputs, now);
      const node = new FakeNode();
      node.apply(plan);
      const live = node.read(plan);
      const served = opensslSha256Fingerprint(pki.selfSignedLeaf.cert);
      const csc = { ...(live.services.csc as TlsServiceLive), servedSha256Fingerprint: served };
      const diff = diffTls(plan.desired, { ...live, services: { ...live.services, csc } });
      const cscDiff = diff.services.find((s) => s.service === "csc");
      assert.deepEqual(
        cscDiff?.drift.map((d) => d.kind),
        ["served-certificate-differs"],
      );
      assert.match(cscDiff?.drift[0].detail ?? "", new RegExp(`serves ${served}`));
    });

    it("marks a service dropped from the inputs as no longer managed, and a moved one as rotated", () => {
      const before = planTlsInstall(sharedInputs, now);
      const node = new FakeNode();
      node.apply(before);
      const after = planTlsInstall(
        { ...BASE, mode: "perService", services: { csc: material(pki.rsaLeaf, pki.intermediate.cert) } },
        now,
      );
      const diff = diffTls(after.desired, node.read(before), before.desired);
      const actions = Object.fromEntries(diff.services.map((s) => [s.service, s.action]));
      assert.deepEqual(actions, {
        provisioning: "unmanage",
        rest: "unmanage",
        admin: "unmanage",
        csc: "rotate",
      });
    });
  });

  describe("properties (fast-check)", () => {
    it("for any selection of services and certificates: keys 0600 and secret, certificates 0644, one config value per key, idempotent after apply", () => {
      const pool = () => [
        material(pki.rsaLeaf, pki.intermediate.cert),
        material(pki.ecLeaf, pki.intermediate.cert),
        material(pki.directLeaf),
        material({ cert: pki.rsaLeaf.cert + pki.intermediate.cert, key: pki.rsaLeaf.key }),
      ];
      const choice = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined });
      const inputsArb = fc
        .record({
          shared: fc.boolean(),
          web: fc.integer({ min: 0, max: 3 }),
          provisioning: choice,
          rest: choice,
          admin: choice,
          csc: choice,
          sip: fc.option(fc.record({ enable: fc.boolean(), cert: choice }), { nil: undefined }),
          typoOnNode: fc.boolean(),
        })
        .filter(
          (r) =>
            r.shared ||
            [r.provisioning, r.rest, r.admin, r.csc].some((x) => x !== undefined) ||
            r.sip !== undefined,
        );

      fc.assert(
        fc.property(inputsArb, (r) => {
          const p = pool();
          const services: Partial<Record<string, CertificateMaterial>> = {};
          for (const s of WEB_TLS_SERVICES) {
            const i = r[s];
            if (i !== undefined) {
              services[s] = p[i];
            }
          }
          const sipCert = r.sip?.cert !== undefined ? p[r.sip.cert] : undefined;
          const sipTls =
            r.sip === undefined
              ? undefined
              : {
                  enable: r.sip.enable,
                  ...(sipCert ? { certificate: sipCert.certificate, privateKey: sipCert.privateKey } : {}),
                };
          const inputs: TlsInputs = r.shared
            ? { ...BASE, mode: "shared", web: p[r.web], ...(sipTls ? { sipTls } : {}) }
            : { ...BASE, mode: "perService", services, ...(sipTls ? { sipTls } : {}) };

          const plan = planTlsInstall(inputs, now);
          for (const file of plan.files) {
            const isKey = file.path.endsWith(".key");
            assert.equal(file.secret, isKey);
            assert.equal(file.mode, isKey ? 0o600 : 0o644);
            assert.equal(/PRIVATE KEY/.test(file.content), isKey);
          }
          const paths = plan.configChanges.map((c) => c.path);
          assert.equal(new Set(paths).size, paths.length, "a config key set twice");
          assert.equal(
            new Set(plan.files.map((f) => f.path)).size,
            plan.files.length,
            "a file written twice",
          );
          for (const change of plan.configChanges) {
            if (change.path !== "kamailio.lb.tls.enable") {
              assert.ok(
                plan.files.some((f) => f.path === change.value),
                `${change.path} points at an unplanned file`,
              );
            }
          }

          const node = new FakeNode(r.typoOnNode ? { [CSC_KEY_FILE_AS_PRINTED]: "/old.key" } : {});
          const fresh = diffTls(plan.desired, node.read(plan), NOTHING_APPLIED);
          assert.ok(fresh.hasChanges);
          assert.ok(fresh.services.every((s) => s.action === "install" && s.drift.length === 0));
          node.apply(plan);
          const again = diffTls(plan.desired, node.read(plan));
          assert.equal(again.hasChanges, false, again.summary.join("\n"));
        }),
        { numRuns: 60 },
      );
    });
  });
});
