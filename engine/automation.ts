import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { engineEnv } from "./env";
import { engineBinDir, projectRoot } from "./paths";

export interface OpenStackOptions {
  readonly root?: string;
  /** Passphrase for a non-lab stack's secrets (CI passes PULUMI_CONFIG_PASSPHRASE). */
  readonly passphrase?: string;
  /**
   * The state backend URL. @default $NGCP_FLEET_BACKEND, else $PULUMI_BACKEND_URL, else the project's local
   * file backend
   */
  readonly backend?: string;
}

/**
 * Selects (or creates) a stack of this project through the Automation API,
 * with the project-local engine and backend: the same engine the README's
 * commands and CI use, never a mock.
 */
export async function openStack(stackName: string, options: OpenStackOptions = {}): Promise<Stack> {
  const root = options.root ?? projectRoot();
  mkdirSync(join(root, ".pulumi", "state"), { recursive: true });
  const envVars = engineEnv({ root, stack: stackName, backend: options.backend });
  const passphrase =
    options.passphrase ?? envVars.PULUMI_CONFIG_PASSPHRASE ?? process.env.PULUMI_CONFIG_PASSPHRASE;
  if (passphrase !== undefined) {
    envVars.PULUMI_CONFIG_PASSPHRASE = passphrase;
  }
  const pulumiCommand = await PulumiCommand.get({
    root: join(engineBinDir(root), ".."),
    skipVersionCheck: true,
  });
  return LocalWorkspace.createOrSelectStack(
    { stackName, workDir: root },
    { envVars, pulumiCommand, secretsProvider: "passphrase" },
  );
}
