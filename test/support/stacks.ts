import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { projectRoot } from "../../engine/paths";

/**
 * Ends a test's stack: `destroy`, removal from the backend, its stacks/Pulumi.<name>.yaml, and what the file
 * backend keeps of a removed stack (last state, history, backups: encrypted, but still the test's). Never
 * throws: it runs in `after` hooks, where the test's own failure is the one to report.
 */
export async function disposeStack(stack: Stack | undefined, name: string): Promise<void> {
  if (stack) {
    await stack.destroy({}).catch(() => undefined);
    await stack.workspace.removeStack(name).catch(() => undefined);
  }
  rmSync(join(projectRoot(), "stacks", `Pulumi.${name}.yaml`), { force: true });
  const backend = join(projectRoot(), ".pulumi", "state", ".pulumi");
  for (const leftover of [
    join(backend, "stacks", "ngcp-fleet", `${name}.json.bak`),
    join(backend, "stacks", "ngcp-fleet", `${name}.json.bak.attrs`),
    join(backend, "history", "ngcp-fleet", name),
    join(backend, "backups", "ngcp-fleet", name),
  ]) {
    rmSync(leftover, { recursive: true, force: true });
  }
}
