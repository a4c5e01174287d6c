import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { z } from "zod";
import { projectRoot } from "../../engine/paths";
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
 * Every key an operator can write in a stack, from the one source of truth: the cluster schema, typed all the
 * way down (spec/schema.ts with each feature's schema of spec/features). A node's override of a feature
 * (`nodes[].<feature>.…`) has the feature's keys, listed once under the feature.
 */
/**
 * The certificate blocks of `tls` (`web`, `sipTls`, `services.<interface>`) share one schema: a field shown in
 * one of them stands for all.
 */
function canonical(path: string): string {
  return path
    .replace(/^tls\.(web|sipTls|services\.\w+)\./, "tls.<certificate>.")
    .replace(/^(tls\.<certificate>\.(certificate|chain|privateKey))File$/, "$1");
}

function everyKeyPath(): string[] {
  const feature =
    /^nodes\[\]\.(performance|tls|firewall|mysql|systemAccounts|supportAccess|webCredentials|backup)(\.|$)/;
  // zod's schema types do not meet z.ZodType's generic bound here; the walk reads only `_zod.def`.
  const cluster = zodPaths(ClusterSpecSchema as unknown as z.ZodType, "").filter((p) => !feature.test(p));
  return [...cluster, "sshPrivateKey"];
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
    const canonicalShown = new Set([...shown].map(canonical));
    const missing = everyKeyPath().filter((path) => !canonicalShown.has(canonical(path)));
    assert.deepEqual(missing, []);
  });

  it("GIVEN the README's stack-config reference WHEN looking up every key path of the schema THEN each one is listed", () => {
    const readme = readFileSync(join(projectRoot(), "README.md"), "utf8");
    const reference = readme.slice(
      readme.indexOf("## Stack config reference"),
      readme.indexOf("## Adding a node"),
    );
    // One row may document the fields shared by every certificate block (tls.services.<interface>).
    const documented = (path: string) =>
      reference.includes(`\`${path}\``) ||
      (/^tls\.services\.(rest|admin|csc)\./.test(path) &&
        reference.includes(`\`${path.replace(/^tls\.services\.\w+\./, "tls.services.provisioning.")}\``));
    const missing = everyKeyPath().filter((path) => !documented(path));
    assert.deepEqual(missing, []);
  });

  it("GIVEN .gitignore WHEN checking the stacks THEN only the lab stack (written by `lab up`) and running tests' stacks are ignored", () => {
    const ignored = readFileSync(join(projectRoot(), ".gitignore"), "utf8")
      .split("\n")
      .filter((line) => line.includes("stacks") || line.includes("Pulumi."));
    assert.deepEqual(ignored, ["stacks/Pulumi.lab.yaml", "stacks/Pulumi.e2e-*.yaml"]);
  });
});
