import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { missingLabSecrets, secretPathName } from "../lab/core/render/stack";
import { openStack } from "./automation";
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
  const stack = await openStack("lab", { root });
  const set: string[] = [];
  for (const secret of missing) {
    const name = secretPathName(secret);
    await stack.setConfig(name, { value: labPassword(), secret: true }, true);
    set.push(name);
  }
  return set;
}

/** Whether the project's engine is installed (scripts/bootstrap.sh), so secrets can be encrypted. */
export function engineInstalled(root = projectRoot()): boolean {
  return existsSync(join(engineBinDir(root), "pulumi"));
}
