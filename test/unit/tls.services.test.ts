import assert from "node:assert/strict";
import {
  CSC_KEY_FILE_AS_PRINTED,
  SSL_DIR,
  TLS_SERVICES,
  TLS_SERVICE_SPECS,
  installPaths,
  resolveConfigPaths,
  resolveServicePort,
} from "../../providers/tls/services";

describe("TLS services (handbook 15.4)", () => {
  describe("config keys", () => {
    // The handbook's list, current edition, with the self-care key-file typo corrected.
    const table: [string, string, string][] = [
      ["provisioning", "ossbss.apache.autoprov.sslcertfile", "ossbss.apache.autoprov.sslcertkeyfile"],
      ["rest", "ossbss.apache.restapi.sslcertfile", "ossbss.apache.restapi.sslcertkeyfile"],
      ["admin", "www_admin.http_admin.sslcertfile", "www_admin.http_admin.sslcertkeyfile"],
      ["csc", "www_admin.http_csc.sslcertfile", "www_admin.http_csc.sslcertkeyfile"],
      ["sipTls", "kamailio.lb.tls.sslcertfile", "kamailio.lb.tls.sslcertkeyfile"],
    ];
    for (const [service, certKey, keyKey] of table) {
      it(`points ${service} at ${certKey} and ${keyKey}`, () => {
        const spec = TLS_SERVICE_SPECS[service as keyof typeof TLS_SERVICE_SPECS];
        assert.equal(spec.certFileKey, certKey);
        assert.equal(spec.keyFileKeys[0], keyKey);
      });
    }

    it("keeps the self-care key file as the handbook prints it as a second candidate", () => {
      assert.deepEqual(TLS_SERVICE_SPECS.csc.keyFileKeys, [
        "www_admin.http_csc.sslcertkeyfile",
        "www_csc.http_csc.sslcertkeyfile",
      ]);
      assert.equal(CSC_KEY_FILE_AS_PRINTED, "www_csc.http_csc.sslcertkeyfile");
    });

    it("names kamailio.lb.tls.enable as the switch of SIP over TLS, and no switch for the web interfaces", () => {
      assert.equal(TLS_SERVICE_SPECS.sipTls.enableKey, "kamailio.lb.tls.enable");
      for (const service of ["provisioning", "rest", "admin", "csc"] as const) {
        assert.equal(TLS_SERVICE_SPECS[service].enableKey, undefined);
      }
    });

    it("installs every service's files under /etc/ngcp-config/ssl with a distinct ngcp-fleet- name", () => {
      const bases = TLS_SERVICES.map((s) => TLS_SERVICE_SPECS[s].fileBase);
      assert.equal(new Set(bases).size, bases.length);
      for (const base of bases) {
        const { certPath, keyPath } = installPaths(base);
        assert.match(certPath, /^\/etc\/ngcp-config\/ssl\/ngcp-fleet-[a-z-]+\.crt$/);
        assert.match(keyPath, /^\/etc\/ngcp-config\/ssl\/ngcp-fleet-[a-z-]+\.key$/);
      }
      assert.equal(SSL_DIR, "/etc/ngcp-config/ssl");
    });
  });

  describe("ports (handbook 15.2, tables 8–9 current, 4–5 older)", () => {
    const table: [string, number, string[]][] = [
      ["provisioning", 2443, ["ossbss.apache.port"]],
      ["rest", 2443, ["ossbss.apache.port"]],
      ["admin", 1443, ["www_admin.http_admin.port", "www_admin.apache.port"]],
      ["csc", 443, ["www_admin.http_csc.port", "www_csc.apache.port"]],
      ["sipTls", 5061, ["kamailio.lb.tls.port"]],
    ];
    for (const [service, port, keys] of table) {
      it(`serves ${service} on ${keys.join(" or ")}, default ${port}`, () => {
        const spec = TLS_SERVICE_SPECS[service as keyof typeof TLS_SERVICE_SPECS];
        assert.equal(spec.defaultPort, port);
        assert.deepEqual(
          spec.portKeys.map((k) => k.path),
          keys,
        );
        assert.deepEqual(spec.portKeys[0].editions.includes("current"), true);
      });
    }

    it("reads the current edition's key first", () => {
      // GIVEN a node whose config has both the current and the older key
      const config: Record<string, unknown> = {
        "www_admin.http_csc.port": 8443,
        "www_csc.apache.port": 9443,
      };
      // WHEN the port is resolved THEN the current edition's key wins
      assert.deepEqual(
        resolveServicePort(TLS_SERVICE_SPECS.csc, (p) => config[p]),
        {
          port: 8443,
          key: "www_admin.http_csc.port",
        },
      );
    });

    it("falls back to the older edition's key, also when the port is a string", () => {
      const config: Record<string, unknown> = { "www_admin.apache.port": "1444" };
      assert.deepEqual(
        resolveServicePort(TLS_SERVICE_SPECS.admin, (p) => config[p]),
        {
          port: 1444,
          key: "www_admin.apache.port",
        },
      );
    });

    it("falls back to the handbook's default when no key holds a port", () => {
      const config: Record<string, unknown> = { "kamailio.lb.tls.port": "not a port" };
      assert.deepEqual(
        resolveServicePort(TLS_SERVICE_SPECS.sipTls, (p) => config[p]),
        { port: 5061 },
      );
    });
  });

  describe("resolveConfigPaths (the self-care key typo)", () => {
    const candidates = TLS_SERVICE_SPECS.csc.keyFileKeys;

    it("writes the corrected key when the node has neither", () => {
      assert.deepEqual(
        resolveConfigPaths(candidates, () => false),
        ["www_admin.http_csc.sslcertkeyfile"],
      );
    });

    it("writes the printed key when only that one exists on the node", () => {
      assert.deepEqual(
        resolveConfigPaths(candidates, (p) => p === CSC_KEY_FILE_AS_PRINTED),
        [CSC_KEY_FILE_AS_PRINTED],
      );
    });

    it("writes both when both exist, so whichever the templates read is right", () => {
      assert.deepEqual(
        resolveConfigPaths(candidates, () => true),
        ["www_admin.http_csc.sslcertkeyfile", CSC_KEY_FILE_AS_PRINTED],
      );
    });

    it("refuses an empty candidate list", () => {
      assert.throws(() => resolveConfigPaths([], () => true), /at least one candidate/);
    });
  });
});
