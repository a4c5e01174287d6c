import { join } from "node:path";
import { engineBinDir, labPassphrase, projectRoot } from "./paths";

export interface EngineEnvOptions {
  readonly root?: string;
  /** The stack the caller will use; only the lab stack gets its passphrase. */
  readonly stack?: string;
  /** The PATH to extend. @default process.env.PATH */
  readonly path?: string;
}

/**
 * The environment under which plain `pulumi` commands work on this project
 * offline: the project-local engine first on PATH, the local file backend,
 * no update checks, no plugin downloads.
 */
export function engineEnv(options: EngineEnvOptions = {}): Record<string, string> {
  const root = options.root ?? projectRoot();
  const env: Record<string, string> = {
    PATH: `${engineBinDir(root)}:${options.path ?? process.env.PATH ?? "/usr/bin:/bin"}`,
    PULUMI_HOME: join(root, ".pulumi", "home"),
    // A fleet's CI points PULUMI_BACKEND_URL at shared state; the lab and tests use the local file backend.
    PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL || `file://${join(root, ".pulumi", "state")}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // `npm run build` type-checks; the engine only needs to run the program.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
  };
  if (options.stack === "lab") {
    env.PULUMI_CONFIG_PASSPHRASE = labPassphrase(root);
  }
  return env;
}

/** Renders `export K='v'` lines for `eval "$(ngcp-fleet env)"`. */
export function renderExports(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([key, value]) => `export ${key}='${value.replace(/'/g, `'\\''`)}'`)
    .join("\n");
}
