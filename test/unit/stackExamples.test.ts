import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { z } from "zod";
import { projectRoot } from "../../engine/paths";
import { backupInputsSchema } from "../../providers/backup/inputs";
import { SETTINGS_FIELDS } from "../../providers/firewall/settings";
import { MYSQL_SETTINGS } from "../../providers/mysqlCredentials/provider";
import { PERFORMANCE_OPTIONS } from "../../providers/performance/planner";
import { PASSWORD_PATHS } from "../../providers/systemAccounts/stackSecrets";
import { SYSTEM_ACCOUNTS_SETTINGS } from "../../providers/systemAccounts/provider";
import { tlsInputsSchema } from "../../providers/tls/inputs";
import { PEM_FIELDS } from "../../providers/tls/stackConfig";
import { WEB_SETTINGS } from "../../providers/webCredentials/provider";
import { parseClusterSpec } from "../../spec/parse";
import { CONFIG_NAMESPACE, ClusterSpecSchema } from "../../spec/schema";
import { featureProblems } from "../support/featureChecks";

const EXAMPLES = ["staging", "production"] as const;
/** What a placeholder stands for when the example is parsed: a password the policy accepts. */
const PLACEHOLDER_VALUE = "0123456789abcdef0123456789abcdef";

function example(name: string): string {
  return readFileSync(join(projectRoot(), "stacks", `Pulumi.${name}.yaml`), "utf8");
}

/** The example's config as the program receives it: namespace stripped, SECRET placeholders set. */
function rawConfig(text: string): Record<string, unknown> {
  const substitute = (value: unknown): unknown =>
    value === "SECRET"
      ? PLACEHOLDER_VALUE
      : Array.isArray(value)
        ? value.map(substitute)
        : typeof value === "object" && value !== null
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]))
          : value;
  const config = (parse(text) as { config: Record<string, unknown> }).config;
  return Object.fromEntries(
    Object.entries(config)
      .map(([key, value]) => [key.slice(CONFIG_NAMESPACE.length + 1), substitute(value)] as const)
      // Read apart from the cluster spec by the program and the CLI (engine/stackSpec.ts).
      .filter(([key]) => key !== "sshPrivateKey"),
  );
}

/** Every key path of a zod object schema: `a`, `a.b`, `list[].c` (records and unions stop the walk). */
function zodPaths(schema: z.ZodType, prefix: string): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  switch (def.type) {
    case "optional":
    case "default":
    case "prefault":
    case "nullable":
    case "readonly":
      return zodPaths(def.innerType as z.ZodType, prefix);
    case "pipe":
      return zodPaths(def.in as z.ZodType, prefix);
    case "array":
      return zodPaths(def.element as z.ZodType, `${prefix}[]`);
    case "object": {
      const shape = def.shape as Record<string, z.ZodType>;
      return Object.entries(shape).flatMap(([key, value]) => {
        const path = prefix ? `${prefix}.${key}` : key;
        return [path, ...zodPaths(value, path)];
      });
    }
    default:
      return [];
  }
}

/**
 * Every key an operator can write in a stack, from the sources of truth: the cluster schema (zod), the
 * feature schemas that are zod (backup, tls), and the field lists the other features' `check` enforces.
 * Nested keys of those features are listed here from their documented input types.
 */
function everyKeyPath(): string[] {
  const cluster = zodPaths(ClusterSpecSchema as unknown as z.ZodType, "").filter(
    (p) =>
      !p.startsWith("nodes[].") ||
      !/^nodes\[\]\.(performance|tls|firewall|mysql|systemAccounts|supportAccess|webCredentials|backup)$/.test(
        p,
      ),
  );
  const tls = zodPaths(tlsInputsSchema() as unknown as z.ZodType, "tls");
  const tlsFiles = ["tls.web", "tls.sipTls", "tls.services.provisioning"].flatMap((at) =>
    PEM_FIELDS.map((field) => `${at}.${field}File`),
  );
  return [
    ...cluster,
    "sshPrivateKey",
    ...zodPaths(backupInputsSchema() as unknown as z.ZodType, "backup"),
    ...tls,
    ...tlsFiles,
    ...["profile", "sizing", "excludeKeys", "enforceNoatime", ...PERFORMANCE_OPTIONS.map((o) => o.input)].map(
      (k) => `performance.${k}`,
    ),
    ...["subscribers", "natedSubscribers", "ramMb", "pingsPerSecondPerProcess"].map(
      (k) => `performance.sizing.${k}`,
    ),
    ...SETTINGS_FIELDS.map((k) => `firewall.${k}`),
    ...["subscriberSources", "adminSources"].flatMap((k) => [`firewall.${k}.ipv4`, `firewall.${k}.ipv6`]),
    "firewall.services.xmpp",
    ...["ssh", "xmppClient", "xmppServer"].map((k) => `firewall.ports.${k}`),
    ...["name", "protocol", "port", "sources", "action"].map((k) => `firewall.extraRules[].${k}`),
    ...["kind", "id", "families"].map((k) => `firewall.rtpengine.${k}`),
    ...MYSQL_SETTINGS.map((k) => `mysql.${k}`),
    ...["name", "host", "password", "grants"].map((k) => `mysql.users[].${k}`),
    ...["privileges", "on", "withGrantOption"].map((k) => `mysql.users[].grants[].${k}`),
    ...SYSTEM_ACCOUNTS_SETTINGS.map((k) => `systemAccounts.${k}`),
    ...["mode", "authorizedKeys", "password"].map((k) => `systemAccounts.cdrexport.${k}`),
    ...["root", "sipwise"].map((k) => `systemAccounts.keepKeys.${k}`),
    "supportAccess.enabled",
    ...WEB_SETTINGS.map((k) => `webCredentials.${k}`),
    ...Object.values(PASSWORD_PATHS.webCredentials).map((p) => `webCredentials.${p}`),
  ];
}

describe("stack examples: stacks/Pulumi.staging.yaml and Pulumi.production.yaml", () => {
  for (const name of EXAMPLES) {
    it(`GIVEN Pulumi.${name}.yaml with its placeholders set WHEN parsed like \`pulumi preview\` THEN the spec and every feature's validator accept it`, () => {
      const spec = parseClusterSpec(rawConfig(example(name)));
      assert.deepEqual(featureProblems(spec), []);
    });

    it(`GIVEN Pulumi.${name}.yaml WHEN looking for secrets THEN every password is a placeholder with its \`pulumi config set --secret\` command`, () => {
      const lines = example(name).split("\n");
      const placeholders = lines.filter((line) => /:\s*SECRET\b/.test(line));
      assert.ok(placeholders.length >= 5, "the example shows its secrets");
      for (const line of placeholders) {
        assert.match(line, /#.*pulumi config set --secret/, line);
      }
      assert.doesNotMatch(example(name), /^\s+secure:/m);
    });
  }

  it("GIVEN both examples WHEN listing the keys they set THEN together they show every key of the schema", () => {
    const shown = new Set<string>();
    const walk = (value: unknown, path: string): void => {
      if (path) {
        // A node's override shows the feature key it overrides too.
        shown.add(path.replace(/^nodes\[\]\.(?=[a-zA-Z]+\.)/, ""));
        shown.add(path);
      }
      if (Array.isArray(value)) {
        value.forEach((item) => walk(item, `${path}[]`));
      } else if (typeof value === "object" && value !== null) {
        for (const [key, inner] of Object.entries(value)) {
          walk(inner, path ? `${path}.${key}` : key);
        }
      }
    };
    for (const name of EXAMPLES) {
      walk(rawConfig(example(name)), "");
      if (/^\s*ngcp-fleet:sshPrivateKey:/m.test(example(name))) {
        shown.add("sshPrivateKey");
      }
    }
    const missing = everyKeyPath().filter((path) => !shown.has(path));
    assert.deepEqual(missing, []);
  });

  it("GIVEN the README's stack-config reference WHEN looking up every key path of the schema THEN each one is listed", () => {
    const readme = readFileSync(join(projectRoot(), "README.md"), "utf8");
    const reference = readme.slice(
      readme.indexOf("## Stack config reference"),
      readme.indexOf("## Adding a node"),
    );
    const missing = everyKeyPath().filter((path) => !reference.includes(`\`${path}\``));
    assert.deepEqual(missing, []);
  });

  it("GIVEN .gitignore WHEN checking the stacks THEN only the lab stack (written by `lab up`) is ignored", () => {
    const ignored = readFileSync(join(projectRoot(), ".gitignore"), "utf8")
      .split("\n")
      .filter((line) => line.includes("stacks") || line.includes("Pulumi."));
    assert.deepEqual(ignored, ["stacks/Pulumi.lab.yaml"]);
  });
});
