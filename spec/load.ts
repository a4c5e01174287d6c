import * as pulumi from "@pulumi/pulumi";
import { parseClusterSpec, SpecError } from "./parse";
import { CONFIG_NAMESPACE, type ClusterSpec } from "./schema";
import { configValue } from "./targets";

/** Config keys that hold secrets: read through getSecret so they stay secret in state. */
const SECRET_KEYS = new Set(["sshPrivateKey"]);

export interface LoadedSpec {
  readonly spec: ClusterSpec;
  readonly sshPrivateKey: pulumi.Output<string> | undefined;
}

/**
 * Reads every `ngcp-fleet:*` key of the stack into a validated cluster spec.
 * Errors become a RunError: `pulumi preview` stops with the list of bad keys
 * and no stack trace, before any resource is registered.
 */
export function loadClusterSpec(): LoadedSpec {
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [namespace, key] = fullKey.split(":", 2);
    if (namespace === CONFIG_NAMESPACE && !SECRET_KEYS.has(key)) {
      raw[key] = configValue(value);
    }
  }
  try {
    const spec = parseClusterSpec(raw);
    const sshPrivateKey = new pulumi.Config(CONFIG_NAMESPACE).getSecret("sshPrivateKey");
    return { spec, sshPrivateKey };
  } catch (err) {
    if (err instanceof SpecError) {
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
}
