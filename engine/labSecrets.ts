import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { missingLabSecrets, secretPathName } from "../lab/core/render/stack";
import { engineEnv } from "./env";
import { engineBinDir, projectRoot } from "./paths";

/**
 * A random password for the lab stack: 32 hex digits (128 bits). Long enough for the password policy's
 * passphrase rule (providers/systemAccounts/passwordStrength.ts), and hex cannot spell an account name or a
 * known default the policy refuses.
 */
export function labPassword(): string {
  return randomBytes(16).toString("hex");
}

/**
 * Sets every secret password of stacks/Pulumi.lab.yaml that the file does not hold yet (`labSecrets`), each
 * a new random one, encrypted with the lab passphrase through the engine (`pulumi config set --secret
 * --path`). Secrets already set are never touched, so a re-run keeps them. Returns the config paths it set.
 */
export async function ensureLabStackSecrets(root = projectRoot()): Promise<string[]> {
  const file = join(root, "stacks", "Pulumi.lab.yaml");
  if (!existsSync(file)) {
    throw new Error(`${file} does not exist: run \`ngcp-fleet lab up --nodes N\` first`);
  }
  const missing = missingLabSecrets(readFileSync(file, "utf8"));
  if (missing.length === 0) {
    return [];
  }
  const set: string[] = [];
  for (const secret of missing) {
    const name = secretPathName(secret);
    setSecretConfig(root, "lab", name, labPassword());
    set.push(name);
  }
  return set;
}

/**
 * `pulumi config set --secret --path <key>` with the value on stdin: never in a process's arguments, where
 * every user of the machine could read it (`ps`), as the Automation API's `setConfig` would put it.
 */
export function setSecretConfig(root: string, stack: string, key: string, value: string): void {
  mkdirSync(join(root, ".pulumi", "state"), { recursive: true });
  const pulumi = (args: string[], input?: string) =>
    spawnSync(join(engineBinDir(root), "pulumi"), [...args, "--non-interactive"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, ...engineEnv({ root, stack }) },
      ...(input === undefined ? {} : { input }),
    });
  const select = pulumi(["stack", "select", "--create", "--secrets-provider", "passphrase", stack]);
  if (select.status !== 0) {
    throw new Error(
      `pulumi stack select --create ${stack} failed: ${(select.stderr || String(select.error)).trim()}`,
    );
  }
  const result = pulumi(["config", "set", "--secret", "--path", "--stack", stack, key], value);
  if (result.status !== 0) {
    throw new Error(
      `pulumi config set --secret --path ${key} failed: ${(result.stderr || String(result.error)).trim()}`,
    );
  }
}

/** Whether the project's engine is installed (scripts/bootstrap.sh), so secrets can be encrypted. */
export function engineInstalled(root = projectRoot()): boolean {
  return existsSync(join(engineBinDir(root), "pulumi"));
}
