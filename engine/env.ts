import { join } from "node:path";
import { engineBinDir, labPassphrase, projectRoot } from "./paths";

export interface EngineEnvOptions {
  readonly root?: string;
  /** The stack the caller will use; only the lab stack gets its passphrase. */
  readonly stack?: string;
  /** The PATH to extend. @default process.env.PATH */
  readonly path?: string;
  /**
   * The state backend URL. @default $NGCP_FLEET_BACKEND, else $PULUMI_BACKEND_URL, else the project's local
   * file backend (.pulumi/state)
   */
  readonly backend?: string;
}

/** The backend a command of this project uses: see {@link EngineEnvOptions.backend}. */
export function backendUrl(root: string, backend?: string): string {
  return (
    backend ||
    process.env.NGCP_FLEET_BACKEND ||
    process.env.PULUMI_BACKEND_URL ||
    `file://${join(root, ".pulumi", "state")}`
  );
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
    // A team points NGCP_FLEET_BACKEND (or PULUMI_BACKEND_URL) at shared state (README: Team set-up); the lab
    // and the tests use the local file backend.
    PULUMI_BACKEND_URL: backendUrl(root, options.backend),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // `npm run build` type-checks; the engine only needs to run the program.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    // Resource operations at once. The engine's default is 4 per core (8 here), sized for cloud APIs; ours
    // wait on SSH round trips to many nodes, and 32 took a no-op `preview --refresh` of 30 nodes from 16.7 s
    // to 12.5 s on 2 cores (bench/README.md).
    PULUMI_PARALLEL: process.env.PULUMI_PARALLEL || "32",
    // The state is written once at the end of a run (success or failure), not after every step: the file
    // backend rewrites the whole checkpoint each time, which made a first converge quadratic in the nodes
    // (30 nodes: 53 s and 49 s of CPU with, 34 s and 19 s without). A `pulumi` killed mid-run loses that
    // run's record; the next `up` converges again, as every resource of ngcp-fleet converges from what the
    // node has. PULUMI_SKIP_CHECKPOINTS=false restores per-step checkpoints.
    PULUMI_SKIP_CHECKPOINTS: process.env.PULUMI_SKIP_CHECKPOINTS || "true",
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
