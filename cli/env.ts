import type { Command } from "commander";
import { mkdirSync } from "node:fs";
import { checkBackendUrl } from "../engine/backend";
import { backendUrl, engineEnv, renderExports } from "../engine/env";
import { projectRoot } from "../engine/paths";

export function registerEnvCommand(program: Command): void {
  program
    .command("env")
    .description('print shell exports for plain `pulumi` commands: eval "$(npx ngcp-fleet env)"')
    .option(
      "--stack <name>",
      "the stack you will use (the lab stack also gets its secrets passphrase)",
      "lab",
    )
    .option(
      "--backend <url>",
      "the state backend: file://DIR, postgres://ROLE@HOST:PORT/DB?sslmode=verify-full&sslrootcert=CA, s3://, " +
        "gs://, azblob:// (default: $NGCP_FLEET_BACKEND, else $PULUMI_BACKEND_URL, else this clone's .pulumi/state)",
    )
    .action((options: { stack: string; backend?: string }) => {
      const root = projectRoot();
      const backend = backendUrl(root, options.backend);
      const check = checkBackendUrl(backend);
      if (check.problems.length > 0) {
        throw new Error(check.problems.join("\n"));
      }
      for (const warning of check.warnings) {
        process.stderr.write(`ngcp-fleet env: warning: ${warning}\n`);
      }
      if (backend.startsWith("file://")) {
        mkdirSync(new URL(backend).pathname, { recursive: true });
      }
      process.stdout.write(`${renderExports(engineEnv({ root, stack: options.stack, backend }))}\n`);
    });
}
