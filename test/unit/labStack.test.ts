import { strict as assert } from "node:assert";
import { parse, stringify } from "yaml";
import {
  LAB_STACK_KEYS,
  labSecrets,
  labStackNodeCount,
  missingLabSecrets,
  renderLabStack,
  secretPathName,
  type LabStackInput,
} from "../../lab/core/render/stack";
import { parseClusterSpec } from "../../spec/parse";
import { CONFIG_NAMESPACE } from "../../spec/schema";
import { FEATURE_KEYS, featureProblems } from "../support/featureChecks";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const DEPLOYER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL6ZiiDzCnqtTwqD/iMsEPpqny318EwITdy7VUsqgMxr";

const INPUT: LabStackInput = {
  privateKeyPath: "/abs/.lab/deployer_ed25519",
  deployerPublicKey: DEPLOYER_KEY,
  tls: {
    certificateFile: "/abs/.lab/tls/web.crt",
    chainFile: "/abs/.lab/tls/ca.crt",
    privateKeyFile: "/abs/.lab/tls/web.key",
  },
  nodes: [
    { name: "ngcp1", host: "198.18.0.11", hostKey: HOST_KEY },
    { name: "ngcp2", host: "198.18.0.12", hostKey: HOST_KEY },
  ],
};

type StackFile = { config: Record<string, unknown>; encryptionsalt?: string };

/** The stack file's config as the program receives it: namespace stripped, secrets replaced by a password. */
function rawConfig(text: string): Record<string, unknown> {
  const replaceSecrets = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      return value.map(replaceSecrets);
    }
    if (typeof value === "object" && value !== null) {
      const entries = Object.entries(value);
      if (entries.length === 1 && entries[0][0] === "secure") {
        return "0123456789abcdef0123456789abcdef";
      }
      return Object.fromEntries(entries.map(([k, v]) => [k, replaceSecrets(v)]));
    }
    return value;
  };
  const config = (parse(text) as StackFile).config;
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key.slice(CONFIG_NAMESPACE.length + 1),
      replaceSecrets(value),
    ]),
  );
}

/** Adds a `secure:` value at every secret path, as `pulumi config set --secret --path` does. */
function withSecrets(text: string): string {
  const doc = parse(text) as StackFile;
  for (const secret of labSecrets()) {
    let at = doc.config[secret.key] as Record<string | number, unknown>;
    secret.path.slice(0, -1).forEach((part) => (at = at[part] as Record<string | number, unknown>));
    at[secret.path[secret.path.length - 1]] = { secure: `v1:cipher-of-${secretPathName(secret)}` };
  }
  return `encryptionsalt: v1:salt:abc\n${stringify({ config: doc.config })}`;
}

describe("lab stack: stacks/Pulumi.lab.yaml written by `lab up` (renderLabStack, pure)", () => {
  it("GIVEN no stack file WHEN rendering THEN every feature of the project is on, with the deployer as the only admin network", () => {
    const config = (parse(renderLabStack(undefined, INPUT)) as StackFile).config;
    assert.deepEqual(Object.keys(config).sort(), [...LAB_STACK_KEYS].sort());
    assert.deepEqual(config["ngcp-fleet:adminSources"], ["198.18.0.1/32", "2001:2::1/128"]);
    assert.deepEqual(config["ngcp-fleet:firewall"], {
      policy: "DROP",
      rtpengine: { kind: "userChain" },
      rollbackSeconds: 30,
    });
    assert.deepEqual(config["ngcp-fleet:supportAccess"], { enabled: false });
    assert.deepEqual(
      (config["ngcp-fleet:nodes"] as { name: string }[]).map((n) => n.name),
      ["ngcp1", "ngcp2"],
    );
  });

  it("GIVEN a rendered file WHEN parsing it like `pulumi preview` THEN the spec and every feature's validator accept it", () => {
    const spec = parseClusterSpec(rawConfig(withSecrets(renderLabStack(undefined, INPUT))));
    for (const key of FEATURE_KEYS) {
      assert.ok(spec[key] !== undefined, `${key} is on`);
    }
    assert.deepEqual(featureProblems(spec), []);
  });

  it("GIVEN a fresh render WHEN listing its secrets THEN every password the features need is a secret to set", () => {
    const text = renderLabStack(undefined, INPUT);
    assert.deepEqual((parse(text) as StackFile).config["ngcp-fleet:webCredentials"], { administrator: {} });
    assert.deepEqual(missingLabSecrets(text).map(secretPathName), [
      "ngcp-fleet:mysql.rootPassword",
      "ngcp-fleet:mysql.users[0].password",
      "ngcp-fleet:systemAccounts.rootPassword",
      "ngcp-fleet:systemAccounts.cdrexport.password",
      "ngcp-fleet:webCredentials.administrator.password",
    ]);
  });

  it("GIVEN a fresh render WHEN looking for passwords THEN none is in the file, in clear or otherwise", () => {
    const text = renderLabStack(undefined, INPUT);
    assert.doesNotMatch(text, /password:|secure:/i);
    assert.equal(missingLabSecrets(text).length, labSecrets().length);
  });

  it("GIVEN secrets set with `pulumi config set --secret --path` WHEN `lab up` rewrites the file THEN every secret, the salt and comments survive", () => {
    const existing = withSecrets(renderLabStack(undefined, INPUT)).replace(
      "encryptionsalt: v1:salt:abc\n",
      "encryptionsalt: v1:salt:abc\n# kept\n",
    );
    const text = renderLabStack(existing, { ...INPUT, nodes: INPUT.nodes.slice(0, 1) });
    assert.match(text, /^encryptionsalt: v1:salt:abc$/m);
    assert.match(text, /# kept/);
    assert.deepEqual(missingLabSecrets(text), []);
    for (const secret of labSecrets()) {
      assert.ok(text.includes(`v1:cipher-of-${secretPathName(secret)}`), secretPathName(secret));
    }
    assert.equal(labStackNodeCount(text), 1);
  });

  it("GIVEN a rendered file WHEN rendering it again with the same input THEN it is byte for byte the same", () => {
    const once = renderLabStack(withSecrets(renderLabStack(undefined, INPUT)), INPUT);
    assert.equal(renderLabStack(once, INPUT), once);
  });

  it("GIVEN keys the lab does not own, and an owned key an operator made one whole secret, WHEN rewriting THEN both are kept", () => {
    const existing = [
      "encryptionsalt: v1:salt:abc",
      "config:",
      "  # kept",
      "  aws:region: eu-central-1",
      "  ngcp-fleet:mysql:",
      "    secure: v1:whole-object",
      "  ngcp-fleet:nodes: []",
      "",
    ].join("\n");
    const text = renderLabStack(existing, INPUT);
    const config = (parse(text) as StackFile).config;
    assert.equal(config["aws:region"], "eu-central-1");
    assert.deepEqual(config["ngcp-fleet:mysql"], { secure: "v1:whole-object" });
    assert.match(text, /# kept/);
    assert.deepEqual(missingLabSecrets(text).map(secretPathName), [
      "ngcp-fleet:systemAccounts.rootPassword",
      "ngcp-fleet:systemAccounts.cdrexport.password",
      "ngcp-fleet:webCredentials.administrator.password",
    ]);
  });

  it("GIVEN a file that is not a mapping WHEN rewriting THEN it refuses and says how to fix it", () => {
    assert.throws(() => renderLabStack("- a\n- b\n", INPUT), /must be a YAML mapping; fix or delete it/);
    assert.throws(() => renderLabStack("config: [1]\n", INPUT), /`config` must be a mapping/);
  });
});
