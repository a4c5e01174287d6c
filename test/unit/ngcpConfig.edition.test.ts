import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, hasKey, parseConfig } from "../../providers/ngcpConfig/document";
import {
  type ConfigSetting,
  type HandbookEdition,
  EDITION_FACTS,
  HANDBOOK_EDITIONS,
  SETTINGS,
  detectEdition,
  parseEdition,
  resolveSettingKey,
  settingKeys,
} from "../../providers/ngcpConfig/edition";
import { PERFORMANCE_OPTIONS } from "../../providers/performance/planner";
import { fixturePath } from "../support/fixtures";

const FIXTURES = fixturePath("config");
const CURRENT = parseConfig(readFileSync(path.join(FIXTURES, "config.yml"), "utf8"));
const OLDER = parseConfig(readFileSync(path.join(FIXTURES, "config-000.yml"), "utf8"));
const fixtureOf: Record<HandbookEdition, typeof CURRENT> = { current: CURRENT, older: OLDER };

describe("ngcpConfig edition: the fixtures are what they claim", () => {
  for (const edition of HANDBOOK_EDITIONS) {
    it(`the ${edition} fixture holds the preferred key of every setting its edition names`, () => {
      for (const [setting, spec] of Object.entries(SETTINGS)) {
        const preferred = spec.keys[edition]?.[0];
        if (preferred !== undefined) {
          assert.ok(
            hasKey(fixtureOf[edition], preferred),
            `${edition} fixture lacks ${preferred} (${setting})`,
          );
        }
      }
    });
  }

  it("the current fixture holds every key of handbook table 10", () => {
    for (const option of PERFORMANCE_OPTIONS) {
      assert.ok(hasKey(CURRENT, option.key), `config.yml fixture lacks ${option.key}`);
    }
  });
});

describe("ngcpConfig edition: detecting the handbook edition of a node", () => {
  it("detects the current edition from www_admin.http_csc / http_admin", () => {
    // GIVEN the current fixture WHEN detected THEN current, with the keys that prove it
    assert.deepEqual(detectEdition(CURRENT), {
      edition: "current",
      evidence: ["www_admin.http_csc", "www_admin.http_admin"],
      warnings: [],
    });
  });

  it("detects the older edition from www_csc.apache / www_admin.apache", () => {
    assert.deepEqual(detectEdition(OLDER), {
      edition: "older",
      evidence: ["www_csc.apache", "www_admin.apache"],
      warnings: [],
    });
  });

  it("detects from the parent maps even when a port key was deleted by hand", () => {
    assert.equal(
      detectEdition(parseConfig("www_admin:\n  http_csc:\n    sslcertfile: x\n")).edition,
      "current",
    );
  });

  it("lets an explicit edition win and warns when the node's keys say otherwise", () => {
    const detection = detectEdition(CURRENT, "older");
    assert.equal(detection.edition, "older");
    assert.deepEqual(detection.evidence, ["set explicitly"]);
    assert.match(detection.warnings[0], /set to "older" but config.yml has www_admin.http_csc/);
  });

  it("does not warn when the explicit edition agrees", () => {
    assert.deepEqual(detectEdition(OLDER, "older").warnings, []);
  });

  const undecidable: [string, string, RegExp][] = [
    ["no marker key", "kamailio:\n  lb:\n    port: 5060\n", /has none of the marker keys/],
    [
      "markers of both editions",
      "www_admin:\n  apache:\n    port: 1\n  http_csc:\n    port: 2\n",
      /keys of both \(www_admin.http_csc, www_admin.apache\)/,
    ],
  ];
  for (const [what, text, message] of undecidable) {
    it(`refuses to guess with ${what}, saying how to fix it`, () => {
      assert.throws(
        () => detectEdition(parseConfig(text)),
        (error: Error) =>
          error instanceof ConfigError &&
          message.test(error.message) &&
          /set the edition explicitly \(one of: current, older\)/.test(error.message),
      );
    });
  }

  for (const bad of ["001", "newest", "", 1, null, undefined]) {
    it(`rejects the edition ${JSON.stringify(bad)} listing the allowed ones`, () => {
      assert.throws(() => parseEdition(bad), /edition must be one of: current, older, got: /);
    });
  }
});

describe("ngcpConfig edition: which key a setting uses", () => {
  // [setting, edition, key]
  const table: [ConfigSetting, HandbookEdition, string][] = [
    ["cscPort", "current", "www_admin.http_csc.port"],
    ["cscPort", "older", "www_csc.apache.port"],
    ["adminPort", "current", "www_admin.http_admin.port"],
    ["adminPort", "older", "www_admin.apache.port"],
    ["provisioningPort", "current", "ossbss.apache.port"],
    ["provisioningPort", "older", "ossbss.apache.port"],
    ["sipPort", "older", "kamailio.lb.port"],
    ["sipTlsPort", "current", "kamailio.lb.tls.port"],
    ["sipTlsEnable", "current", "kamailio.lb.tls.enable"],
    ["rtpMinPort", "current", "rtpproxy.minport"],
    ["rtpMaxPort", "older", "rtpproxy.maxport"],
    ["xcapPort", "current", "nginx.xcap_port"],
    ["presenceEnable", "current", "kamailio.proxy.presence.enable"],
    ["provisioningCertFile", "current", "ossbss.apache.autoprov.sslcertfile"],
    ["restKeyFile", "current", "ossbss.apache.restapi.sslcertkeyfile"],
    ["adminCertFile", "current", "www_admin.http_admin.sslcertfile"],
    ["cscKeyFile", "current", "www_admin.http_csc.sslcertkeyfile"],
    ["sipTlsKeyFile", "current", "kamailio.lb.tls.sslcertkeyfile"],
  ];
  for (const [setting, edition, key] of table) {
    it(`${setting} is ${key} in the ${edition} edition`, () => {
      assert.deepEqual(resolveSettingKey(setting, edition, fixtureOf[edition]), { key, exists: true });
    });
  }

  it("names the preferred key, to be created, when the node has none of the candidates", () => {
    assert.deepEqual(resolveSettingKey("xcapPort", "current", parseConfig("a: 1\n")), {
      key: "nginx.xcap_port",
      exists: false,
    });
    assert.deepEqual(resolveSettingKey("xcapPort", "current"), { key: "nginx.xcap_port", exists: false });
  });

  // The handbook prints the self-care key file as www_csc→http_csc→sslcertkeyfile (15.4).
  const typo: [string, string, boolean][] = [
    ["only the preferred key exists", "www_admin:\n  http_csc:\n    sslcertkeyfile: a\n", true],
    ["only the printed (typo) key exists", "www_csc:\n  http_csc:\n    sslcertkeyfile: a\n", true],
    [
      "both exist",
      "www_admin:\n  http_csc:\n    sslcertkeyfile: a\nwww_csc:\n  http_csc:\n    sslcertkeyfile: b\n",
      true,
    ],
    ["neither exists", "www_admin:\n  http_csc:\n    port: 443\n", false],
  ];
  const expectedKey = [
    "www_admin.http_csc.sslcertkeyfile",
    "www_csc.http_csc.sslcertkeyfile",
    "www_admin.http_csc.sslcertkeyfile",
    "www_admin.http_csc.sslcertkeyfile",
  ];
  typo.forEach(([what, text, exists], i) => {
    it(`resolves the customer self-care key file when ${what}: ${expectedKey[i]}`, () => {
      assert.deepEqual(resolveSettingKey("cscKeyFile", "current", parseConfig(text)), {
        key: expectedKey[i],
        exists,
      });
    });
  });

  for (const setting of ["cscCertFile", "xcapPort", "presenceEnable"] as const) {
    it(`refuses ${setting} for the older edition, naming where it is printed`, () => {
      assert.throws(
        () => settingKeys(setting, "older"),
        /older handbook edition names no config key .* it is named in: current/,
      );
    });
  }

  it("records the media relay and backup files per edition", () => {
    assert.equal(EDITION_FACTS.current.mediaRelay, "rtpengine");
    assert.equal(EDITION_FACTS.older.mediaRelay, "mediaproxy");
    assert.ok(EDITION_FACTS.older.backupFiles.includes("/etc/mysql/debian.cnf"));
    assert.ok(EDITION_FACTS.current.backupFiles.includes("/etc/ngcp-config/network.yml"));
  });
});
