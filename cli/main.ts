import { Command } from "commander";
import { registerEnvCommand } from "./env";
import { registerLabCommands } from "./lab";
import { registerBackupCommands } from "./backup";
import { registerRecoveryCommands } from "./recovery";
import { registerRolloutCommand } from "./rollout";
import { registerAuditCommand } from "./audit";

/** Builds the `ngcp-fleet` command tree; each subcommand lives in its own module. */
export function buildProgram(): Command {
  const program = new Command("ngcp-fleet")
    .description("Converge Sipwise sip:provider CE nodes to handbook chapter 15, and operate them")
    .showHelpAfterError();
  registerEnvCommand(program);
  registerLabCommands(program);
  registerBackupCommands(program);
  registerRecoveryCommands(program);
  registerRolloutCommand(program);
  registerAuditCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`ngcp-fleet: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = process.exitCode || 1;
  }
}
