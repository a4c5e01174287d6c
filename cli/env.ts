import type { Command } from "commander";
import { mkdirSync } from "node:fs";
import { engineEnv, renderExports } from "../engine/env";
import { projectRoot } from "../engine/paths";
import { join } from "node:path";

export function registerEnvCommand(program: Command): void {
  program
    .command("env")
    .description('print shell exports for plain `pulumi` commands: eval "$(npx ngcp-fleet env)"')
    .option(
      "--stack <name>",
      "the stack you will use (the lab stack also gets its secrets passphrase)",
      "lab",
    )
    .action((options: { stack: string }) => {
      const root = projectRoot();
      mkdirSync(join(root, ".pulumi", "state"), { recursive: true });
      process.stdout.write(`${renderExports(engineEnv({ root, stack: options.stack }))}\n`);
    });
}
