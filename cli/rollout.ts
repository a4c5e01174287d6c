import type { Command } from "commander";
import { writeFileSync, appendFileSync } from "node:fs";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../engine/automation";

/** Counts of planned or applied operations per node of one stack. */
export type NodeChanges = Record<string, Record<string, number>>;

export interface StackRollout {
  readonly stack: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly nodes: NodeChanges;
  readonly error?: string;
}

/** The node a resource belongs to: resources are named `<node>` or `<node>-<what>`. */
export function nodeOfResource(resourceName: string, nodes: readonly string[]): string | undefined {
  return [...nodes]
    .sort((a, b) => b.length - a.length)
    .find((node) => resourceName === node || resourceName.startsWith(`${node}-`));
}

/**
 * Operations that change nothing on a node: `same`, and the reads of `--refresh` (`refresh`, `read`), which the
 * engine reports for every resource on every run. Counting them would make a converged fleet look changed.
 */
const NO_CHANGE_OPS: ReadonlySet<string> = new Set(["same", "read", "refresh"]);

/** Adds one engine event to the per-node counts (only real operations: creates, updates, replaces, deletes). */
export function countEvent(counts: NodeChanges, event: EngineEvent, nodes: readonly string[]): void {
  const metadata = event.resourcePreEvent?.metadata;
  if (!metadata || NO_CHANGE_OPS.has(metadata.op)) {
    return;
  }
  const name = metadata.urn.split("::").pop() ?? "";
  const node = nodeOfResource(name, nodes) ?? "(cluster)";
  counts[node] = counts[node] ?? {};
  counts[node][metadata.op] = (counts[node][metadata.op] ?? 0) + 1;
}

/** The combined summary as a Markdown table (CI posts it on the change request). */
export function renderSummary(results: readonly StackRollout[], mode: "preview" | "up"): string {
  const lines = [`### ngcp-fleet ${mode}`, "", "| stack | node | changes | result |", "|---|---|---|---|"];
  for (const result of results) {
    const nodes = Object.entries(result.nodes);
    const status = result.ok
      ? `ok (${result.seconds.toFixed(0)} s)`
      : `failed: ${(result.error ?? "").split("\n")[0]}`;
    if (nodes.length === 0) {
      lines.push(`| ${result.stack} | – | no changes | ${status} |`);
    }
    for (const [node, ops] of nodes) {
      const changes = Object.entries(ops)
        .map(([op, n]) => `${n} ${op}`)
        .join(", ");
      lines.push(`| ${result.stack} | ${node} | ${changes} | ${status} |`);
    }
  }
  return `${lines.join("\n")}\n`;
}

async function stackNodes(stack: Stack): Promise<string[]> {
  const config = await stack.getAllConfig();
  const raw = config["ngcp-fleet:nodes"]?.value;
  try {
    return (JSON.parse(raw ?? "[]") as { name: string }[]).map((n) => n.name);
  } catch {
    return [];
  }
}

/** Previews or converges one stack through the Automation API, counting changes per node. */
export async function rolloutStack(
  name: string,
  mode: "preview" | "up",
  log: (line: string) => void,
): Promise<StackRollout> {
  const started = Date.now();
  const counts: NodeChanges = {};
  try {
    const stack = await openStack(name);
    const nodes = await stackNodes(stack);
    const onEvent = (event: EngineEvent) => countEvent(counts, event, nodes);
    const onOutput = (out: string) =>
      out
        .split("\n")
        .filter(Boolean)
        .forEach((line) => log(`[${name}] ${line}`));
    if (mode === "preview") {
      await stack.preview({ onEvent, onOutput, refresh: true });
    } else {
      await stack.up({ onEvent, onOutput, refresh: true });
    }
    return { stack: name, ok: true, seconds: (Date.now() - started) / 1000, nodes: counts };
  } catch (err) {
    return {
      stack: name,
      ok: false,
      seconds: (Date.now() - started) / 1000,
      nodes: counts,
      error: (err as Error).message,
    };
  }
}

export function registerRolloutCommand(program: Command): void {
  program
    .command("rollout")
    .description("preview or converge several stacks (sites, regions) in parallel through the Automation API")
    .requiredOption("--stacks <names>", "comma-separated stack names, e.g. site-a,site-b")
    .option("--preview", "only preview (the default)")
    .option("--up", "converge")
    .option("--parallel <n>", "stacks at once", "2")
    .option(
      "--summary-file <path>",
      "append the combined Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY)",
    )
    .action(
      async (options: {
        stacks: string;
        preview?: boolean;
        up?: boolean;
        parallel: string;
        summaryFile?: string;
      }) => {
        const names = options.stacks
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        const mode = options.up ? "up" : "preview";
        const queue = [...names];
        const results: StackRollout[] = [];
        const worker = async () => {
          for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
            results.push(await rolloutStack(name, mode, (line) => process.stderr.write(`${line}\n`)));
          }
        };
        await Promise.all(Array.from({ length: Math.max(1, Number(options.parallel) || 1) }, worker));
        results.sort((a, b) => names.indexOf(a.stack) - names.indexOf(b.stack));
        const summary = renderSummary(results, mode);
        process.stdout.write(summary);
        if (options.summaryFile) {
          (options.summaryFile.startsWith("/dev/") ? writeFileSync : appendFileSync)(
            options.summaryFile,
            summary,
          );
        }
        if (results.some((r) => !r.ok)) {
          process.exitCode = 1;
        }
      },
    );
}
