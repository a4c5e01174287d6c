import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { validateStack } from "../components/validate";
import { SpecError } from "../spec/parse";
import { CONFIG_NAMESPACE, type ClusterSpec } from "../spec/schema";
import { configValue } from "../spec/targets";
import { openStack } from "./automation";
import { projectRoot } from "./paths";

export interface StackSpec {
  readonly spec: ClusterSpec;
  readonly sshPrivateKey?: string;
}

/**
 * A stack's config read through the Automation API (for CLI commands that act outside `pulumi up`) and
 * validated like `pulumi preview` does. Refuses a stack without a config file instead of creating one.
 */
export async function loadStackSpec(stackName: string): Promise<StackSpec> {
  const file = join(projectRoot(), "stacks", `Pulumi.${stackName}.yaml`);
  if (!existsSync(file)) {
    throw new Error(`no stack ${stackName}: ${file} does not exist`);
  }
  const config = await (await openStack(stackName)).getAllConfig();
  const raw: Record<string, unknown> = {};
  let sshPrivateKey: string | undefined;
  for (const [fullKey, item] of Object.entries(config)) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace !== CONFIG_NAMESPACE) {
      continue;
    }
    if (key === "sshPrivateKey") {
      sshPrivateKey = item.value;
    } else {
      raw[key] = configValue(item.value);
    }
  }
  const validation = validateStack(raw, {
    readFile: (path) => readFileSync(isAbsolute(path) ? path : join(projectRoot(), path), "utf8"),
  });
  if (validation.spec === undefined) {
    throw new SpecError(validation.errors);
  }
  return { spec: validation.spec, sshPrivateKey };
}
