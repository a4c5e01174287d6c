import { execFileSync } from "node:child_process";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";

/** The engine's secret envelope key (`{"4dabf…": "1b47…", "ciphertext" | "plaintext": …}`). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/**
 * `pulumi stack export` as an operator runs it, without `--show-secrets` (the Automation API's
 * `exportStack` adds it), with the stack's engine and environment.
 */
export function exportedState(stack: Stack): string {
  const workspace = stack.workspace as LocalWorkspace;
  return execFileSync(workspace.pulumiCommand.command, ["stack", "export", "--stack", stack.name], {
    cwd: workspace.workDir,
    env: { ...process.env, ...workspace.envVars },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * Where `needle` occurs in a decrypted export, as `$.a.b[2]` paths with each resource's name, so a leak names
 * its resource and field. A secret envelope is skipped (`"skip"`) or opened (`"open"`: its `plaintext` is the
 * value's JSON).
 */
function occurrences(value: unknown, needle: string, envelopes: "skip" | "open", path: string): string[] {
  if (typeof value === "string") {
    return value.includes(needle) ? [path] : [];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => occurrences(item, needle, envelopes, `${path}[${index}]`));
  }
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (SECRET_SIG in record) {
      return envelopes === "open" && typeof record.plaintext === "string"
        ? occurrences(JSON.parse(record.plaintext) as unknown, needle, envelopes, `${path}(secret)`)
        : [];
    }
    const named = typeof record.urn === "string" ? `${path}<${record.urn.split("::").pop()}>` : path;
    return Object.entries(record).flatMap(([key, item]) =>
      occurrences(item, needle, envelopes, `${named}.${key}`),
    );
  }
  return [];
}

/** Where `needle` occurs in a decrypted export outside a secret envelope. */
export function unmarkedOccurrences(value: unknown, needle: string, path = "$"): string[] {
  return occurrences(value, needle, "skip", path);
}

/**
 * Where `needle` occurs in `value` at all, secret envelopes opened: for the outputs of a state exported with
 * `--show-secrets`, which must hold no secret value.
 */
export function occurrencesEvenInSecrets(value: unknown, needle: string, path = "$"): string[] {
  return occurrences(value, needle, "open", path);
}

/** Every process's command line on this machine (lab nodes share its PID namespace), sampled until stopped. */
export function sampleProcessList(everyMs = 100): { stop(): string } {
  const seen = new Set<string>();
  const sample = () => {
    try {
      for (const line of execFileSync("ps", ["-eo", "args="], { encoding: "utf8" }).split("\n")) {
        seen.add(line);
      }
    } catch {
      // A process that exits while ps reads it: the next sample covers the rest.
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop(): string {
      clearInterval(timer);
      sample();
      return [...seen].join("\n");
    },
  };
}
