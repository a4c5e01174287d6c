import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { CONFIG_NAMESPACE } from "./schema";
import { plainSecretProblems, stackConfigIsSecret, unsecretKeyProblems, type StackFile } from "./secrets";
import { configValue } from "./targets";

/** Config keys that hold secrets: read through getSecret so they stay secret in state. */
const SECRET_KEYS = new Set(["sshPrivateKey"]);

export interface StackConfig {
  /** Every `ngcp-fleet:*` key but the secrets read apart, namespace stripped, values parsed. */
  readonly raw: Record<string, unknown>;
  /**
   * Whether the stack holds its SSH key as the secret `ngcp-fleet:sshPrivateKey`. The program never reads
   * the key: the engine hands the stack config to the provider process (its `configure`), which uses it.
   */
  readonly stackKey: boolean;
}

/** Reads every `ngcp-fleet:*` key of the running stack (the program's side; the CLI reads engine/stackSpec.ts). */
export function readStackConfig(): StackConfig {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace === CONFIG_NAMESPACE && !SECRET_KEYS.has(key)) {
      raw[key] = configValue(value);
    }
  }
  const stackKey = (pulumi.runtime.allConfig()[`${CONFIG_NAMESPACE}:sshPrivateKey`] ?? "") !== "";
  return { raw, stackKey };
}

/**
 * The running stack's `Pulumi.<stack>.yaml` as written (secrets still `secure:`), from the project directory
 * the engine runs the program in; undefined when the config comes from elsewhere (`--config-file`).
 */
export function readStackFile(from = process.cwd()): StackFile | undefined {
  // The engine starts the program in the directory of `main` (dist/): the project is the nearest parent
  // holding Pulumi.yaml.
  let projectDir = from;
  while (!existsSync(join(projectDir, "Pulumi.yaml"))) {
    const parent = dirname(projectDir);
    if (parent === projectDir) {
      return undefined;
    }
    projectDir = parent;
  }
  const project: unknown = parseYaml(readFileSync(join(projectDir, "Pulumi.yaml"), "utf8"));
  const dir =
    typeof project === "object" && project !== null && "stackConfigDir" in project
      ? String(project.stackConfigDir)
      : ".";
  const name = join(dir, `Pulumi.${pulumi.getStack()}.yaml`);
  if (!existsSync(join(projectDir, name))) {
    return undefined;
  }
  const document: unknown = parseYaml(readFileSync(join(projectDir, name), "utf8"));
  const config =
    typeof document === "object" && document !== null && "config" in document ? document.config : undefined;
  return {
    name,
    config: typeof config === "object" && config !== null ? (config as Record<string, unknown>) : {},
  };
}

/**
 * Every secret (password, private key, `sshPrivateKey`) the stack holds in clear, leaf by leaf, each with
 * the command that makes it secret.
 */
export function stackSecretProblems(): string[] {
  const file = readStackFile();
  if (file !== undefined) {
    return plainSecretProblems(file, CONFIG_NAMESPACE);
  }
  const all = pulumi.runtime.allConfig();
  const raw = Object.fromEntries(
    Object.entries(all)
      .filter(([fullKey]) => fullKey.startsWith(`${CONFIG_NAMESPACE}:`))
      .map(([fullKey, value]) => [fullKey.slice(CONFIG_NAMESPACE.length + 1), configValue(value)]),
  );
  return unsecretKeyProblems(raw, CONFIG_NAMESPACE, (key) =>
    stackConfigIsSecret(key, pulumi.runtime, process.env),
  );
}
