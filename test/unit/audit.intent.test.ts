import { strict as assert } from "node:assert";
import { intentFromSpec } from "../../cli/audit";
import type { AuditIntent } from "../../operations/audit/checks";
import { parseClusterSpec } from "../../spec/parse";

/**
 * How a stack's spec becomes the audit's intent (`intentFromSpec`, cli/audit.ts): what each check grades
 * against. GIVEN stack config as an operator writes it, WHEN parsed like `pulumi preview` does and turned
 * into one node's intent, THEN the intent says what the stack wants for that node, and nothing it does not.
 */

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

function intentOf(
  raw: Record<string, unknown>,
  nodeName = "ngcp1",
  options: { warnDays?: number; drillMaxAgeDays?: number } = {},
): AuditIntent {
  const spec = parseClusterSpec({
    nodes: [
      { name: "ngcp1", host: "198.18.0.11", hostKey },
      { name: "ngcp2", host: "198.18.0.12", hostKey },
    ],
    ...raw,
  });
  const node = spec.nodes.find((n) => n.name === nodeName);
  assert.ok(node);
  return intentFromSpec(spec, node, options);
}

/** The same, with per-node overrides on ngcp2. */
function withOverride(cluster: Record<string, unknown>, ngcp2: Record<string, unknown>, node: string) {
  return intentOf(
    {
      ...cluster,
      nodes: [
        { name: "ngcp1", host: "198.18.0.11", hostKey },
        { name: "ngcp2", host: "198.18.0.12", hostKey, ...ngcp2 },
      ],
    },
    node,
  );
}

describe("audit intent from the stack spec (intentFromSpec)", () => {
  it("a stack that manages nothing states no intent: every check grades against the handbook alone", () => {
    assert.deepEqual(intentOf({}), { production: false, warnDays: 30, managesWebAdministrator: false });
  });

  describe("environment: production vs others", () => {
    const cases: [string, Record<string, unknown>, boolean][] = [
      ["environment production", { environment: "production" }, true],
      ["the default environment (lab)", {}, false],
      ["environment staging", { environment: "staging" }, false],
      ["a name that only contains production", { environment: "production-eu" }, false],
      ["staging with tls.production: true", { environment: "staging", tls: { production: true } }, true],
      // tls.production cannot turn production off: the environment decides first
      [
        "production with tls.production: false",
        { environment: "production", tls: { production: false } },
        true,
      ],
    ];
    for (const [what, raw, production] of cases) {
      it(`${what} → production ${production}`, () => {
        assert.equal(intentOf(raw).production, production);
      });
    }
  });

  describe("support access intent", () => {
    it("is absent when the stack does not manage supportAccess (enabled then only warns)", () => {
      assert.equal("supportAccessEnabled" in intentOf({}), false);
    });
    it("follows supportAccess.enabled", () => {
      assert.equal(intentOf({ supportAccess: { enabled: false } }).supportAccessEnabled, false);
      assert.equal(intentOf({ supportAccess: { enabled: true } }).supportAccessEnabled, true);
    });
    it("never grades a stack whose enabled is not a boolean: the spec refuses it, naming the key", () => {
      assert.throws(
        () => intentOf({ supportAccess: { enabled: "no" } }),
        /ngcp-fleet:supportAccess\.enabled: must be true \(Sipwise may log in\) or false \(ngcp-support-noaccess\), got: "no"/,
      );
    });
    it("takes a node's override, and leaves the other nodes on the cluster's value", () => {
      const cluster = { supportAccess: { enabled: false } };
      const ngcp2 = { supportAccess: { enabled: true } };
      assert.equal(withOverride(cluster, ngcp2, "ngcp2").supportAccessEnabled, true);
      assert.equal(withOverride(cluster, ngcp2, "ngcp1").supportAccessEnabled, false);
    });
  });

  describe("warnDays", () => {
    it("defaults to 30", () => {
      assert.equal(intentOf({}).warnDays, 30);
    });
    it("takes tls.warnDays", () => {
      assert.equal(intentOf({ tls: { warnDays: 14 } }).warnDays, 14);
    });
    it("takes --warn-days over tls.warnDays", () => {
      assert.equal(intentOf({ tls: { warnDays: 14 } }, "ngcp1", { warnDays: 60 }).warnDays, 60);
    });
    it("takes a node's tls.warnDays override", () => {
      assert.equal(withOverride({ tls: { warnDays: 14 } }, { tls: { warnDays: 7 } }, "ngcp2").warnDays, 7);
    });
    it("never grades a stack whose tls.warnDays is not a number: the spec refuses it, naming the key", () => {
      assert.throws(
        () => intentOf({ tls: { warnDays: "14" } }),
        /ngcp-fleet:tls\.warnDays: must be a number, got: "14"/,
      );
    });
  });

  describe("per-node overrides of the other features", () => {
    it("firewall.adminSources (both families) replaces the cluster's adminSources", () => {
      const cluster = { adminSources: ["198.18.0.1/32"] };
      const ngcp2 = { firewall: { adminSources: { ipv4: ["10.0.0.0/8"], ipv6: ["2001:db8::/32"] } } };
      assert.deepEqual(withOverride(cluster, ngcp2, "ngcp2").adminSources, ["10.0.0.0/8", "2001:db8::/32"]);
      assert.deepEqual(withOverride(cluster, ngcp2, "ngcp1").adminSources, ["198.18.0.1/32"]);
    });
    it("no adminSources anywhere is no intent (not: nobody allowed)", () => {
      assert.equal("adminSources" in intentOf({}), false);
    });
    it("systemAccounts: the wipe and the kept keys, merged key by key", () => {
      const cluster = {
        systemAccounts: { wipeAuthorizedKeys: true, keepKeys: { root: ["ssh-ed25519 A ops"] } },
      };
      const ngcp2 = { systemAccounts: { keepKeys: { sipwise: ["ssh-ed25519 B support"] } } };
      const intent = withOverride(cluster, ngcp2, "ngcp2");
      assert.equal(intent.wipesAuthorizedKeys, true);
      // mergeFeature merges nested objects: the node adds sipwise's keys and keeps the cluster's root keys
      assert.deepEqual(intent.keepKeys, { root: ["ssh-ed25519 A ops"], sipwise: ["ssh-ed25519 B support"] });
      assert.deepEqual(withOverride(cluster, ngcp2, "ngcp1").keepKeys, {
        root: ["ssh-ed25519 A ops"],
        sipwise: undefined,
      });
    });
    it("performance sizing for the natping formula", () => {
      const intent = withOverride(
        { performance: { sizing: { natedSubscribers: 20000 } } },
        { performance: { sizing: { natedSubscribers: 90000, pingsPerSecondPerProcess: 500 } } },
        "ngcp2",
      );
      assert.equal(intent.natedSubscribers, 90000);
      assert.equal(intent.pingsPerSecondPerProcess, 500);
    });
    it("backup.maxAgeHours, else the schedule's gap + 2 h, else nothing when the stack has no backup", () => {
      assert.equal(intentOf({ backup: { maxAgeHours: 50 } }).backupMaxAgeHours, 50);
      assert.equal(intentOf({ backup: {} }).backupMaxAgeHours, 26);
      assert.equal(intentOf({ backup: { schedule: "0 */6 * * *" } }).backupMaxAgeHours, 8);
      assert.equal(
        withOverride({ backup: {} }, { backup: { maxAgeHours: 4 } }, "ngcp2").backupMaxAgeHours,
        4,
      );
      assert.equal("backupMaxAgeHours" in intentOf({}), false);
      assert.equal("backupMaxAgeHours" in intentOf({ backup: { schedule: "not cron" } }), false);
    });
    it("TLS for SIP: deliberately off or on", () => {
      assert.equal(intentOf({ tls: { sipTls: { enable: false } } }).sipTlsEnable, false);
      assert.equal(withOverride({}, { tls: { sipTls: { enable: true } } }, "ngcp2").sipTlsEnable, true);
    });
    it("webCredentials: managed administrator and the admin port the login probe uses", () => {
      const intent = withOverride(
        {},
        { webCredentials: { administrator: { password: "x" }, port: 8443 } },
        "ngcp2",
      );
      assert.equal(intent.managesWebAdministrator, true);
      assert.equal(intent.webAdminPort, 8443);
      assert.equal(
        intentOf({ webCredentials: { ngcpsoap: { password: "x" } } }).managesWebAdministrator,
        false,
      );
    });
    it("never copies a password into the intent", () => {
      const intent = intentOf({
        webCredentials: { administrator: { password: "Secret-web-1" } },
        systemAccounts: { rootPassword: "Secret-root-2" },
        mysql: { rootPassword: "Secret-my-3" },
      });
      assert.doesNotMatch(JSON.stringify(intent), /Secret-/);
    });
    it("the edition: a node's own, else the cluster's, else detected from the node", () => {
      assert.equal(withOverride({ edition: "current" }, { edition: "older" }, "ngcp2").edition, "older");
      assert.equal(withOverride({ edition: "current" }, { edition: "older" }, "ngcp1").edition, "current");
      assert.equal("edition" in intentOf({}), false);
    });
    it("--drill-max-age-days", () => {
      assert.equal(intentOf({}, "ngcp1", { drillMaxAgeDays: 7 }).drillMaxAgeDays, 7);
    });
  });
});
