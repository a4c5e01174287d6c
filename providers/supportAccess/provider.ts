/**
 * The support access provider (handbook 15.1): reads dpkg's view of the two packages, plans with the pure
 * core (supportAccess.ts), runs the handbook's commands in its order, and counts a tool step as done only
 * when the tool printed its success line. Nothing here is secret.
 */
import type * as pulumi from "@pulumi/pulumi";
import { checkTarget, type CheckFailure } from "../common/checkTarget";
import { settingsShapeFailures, targetMoved } from "../systemAccounts/providerKit";
import { nodeSnapshot, SECTIONS } from "../common/nodeReads";
import { sessionFor, type NodeSession } from "../transport/session";
import type { NodeTarget } from "../transport/target";
import {
  parseSupportState,
  planSupportAccess,
  renderReadScript,
  succeeded,
  SUCCESS_LINES,
  type SupportAccessInputs,
  type SupportState,
} from "./supportAccess";

export interface SupportAccessResourceInputs {
  readonly target: NodeTarget;
  readonly supportAccess: SupportAccessInputs;
}

export interface SupportAccessOutputs extends SupportAccessResourceInputs {
  /** What the node has: `enabled`, `disabled` or `inconsistent` (from dpkg, read after every apply). */
  readonly state: SupportState["state"];
  /** Keys in ~sipwise/.ssh/authorized_keys (evidence, not state); null when the file does not exist. */
  readonly sipwiseKeys: number | null;
  /** The commands the last apply ran, in order (empty when the node already was in the desired state). */
  readonly lastCommands: readonly string[];
  readonly warnings: readonly string[];
  /** What the last refresh found changed outside the stack. */
  readonly drift: readonly string[];
}

const SETTINGS: readonly string[] = ["enabled"];
/** apt-get may take a while on a real node (package download). */
const STEP_TIMEOUT_MS = 600_000;

function wanted(inputs: SupportAccessInputs): SupportState["state"] {
  return inputs.enabled ? "enabled" : "disabled";
}

async function readState(session: NodeSession): Promise<SupportState> {
  return parseSupportState((await session.script(renderReadScript(), { readOnly: true })).stdout);
}

/** The handbook's sequence from where the node is; fails at the first step that does not succeed. */
async function converge(inputs: SupportAccessResourceInputs): Promise<SupportAccessOutputs> {
  const { target, supportAccess } = inputs;
  const session = await sessionFor(target);
  const plan = planSupportAccess(supportAccess, await readState(session));
  for (const step of plan.steps) {
    let output: string;
    try {
      const result = await session.exec(step.argv, { timeoutMs: STEP_TIMEOUT_MS });
      output = `${result.stdout}\n${result.stderr}`;
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new Error(
        `node ${target.name}: \`${step.description}\` failed; the handbook 15.1 sequence stopped there. ${detail}`,
      );
    }
    if (step.expectSuccessLine && !succeeded(output, supportAccess.enabled)) {
      const line = SUCCESS_LINES[wanted(supportAccess) as "enabled" | "disabled"];
      throw new Error(
        `node ${target.name}: \`${step.description}\` exited 0 but did not print "${line}" ` +
          `(handbook 15.1: "please ensure that the script complete successfully"). It printed:\n${output.trim()}`,
      );
    }
  }
  const after = await readState(session);
  if (after.state !== wanted(supportAccess)) {
    throw new Error(
      `node ${target.name}: after ${plan.steps.map((s) => `\`${s.description}\``).join(" && ") || "no command"}, ` +
        `support access is ${after.state} (${after.access.name}: ${after.access.status}; ` +
        `${after.noaccess.name}: ${after.noaccess.status}), not ${wanted(supportAccess)}`,
    );
  }
  return {
    target,
    supportAccess,
    state: after.state,
    sipwiseKeys: after.sipwiseKeys ?? null,
    lastCommands: plan.steps.map((s) => s.argv.join(" ")),
    warnings: [...plan.warnings],
    drift: [],
  };
}

/** Validates the settings: `{ enabled: true | false }`. */
export function checkSupportAccess(settings: unknown): CheckFailure[] {
  const failures = settingsShapeFailures("supportAccess", settings, SETTINGS);
  const enabled = (settings as { enabled?: unknown } | undefined)?.enabled;
  if (failures.length === 0 && typeof enabled !== "boolean") {
    failures.push({
      property: "supportAccess.enabled",
      reason: `must be true (Sipwise may log in, handbook 15.1) or false (ngcp-support-noaccess), got: ${JSON.stringify(enabled) ?? "nothing"}`,
    });
  }
  return failures;
}

/** Handbook 15.1 as a resource: Sipwise's SSH access enabled or disabled, proved by the tool and by dpkg. */
export const supportAccessProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: SupportAccessResourceInputs, news: SupportAccessResourceInputs) {
    return {
      inputs: news,
      failures: [...checkTarget(news.target, "target"), ...checkSupportAccess(news.supportAccess)],
    };
  },

  async diff(_id: string, olds: SupportAccessOutputs, news: SupportAccessResourceInputs) {
    const changes =
      olds.supportAccess?.enabled !== news.supportAccess.enabled ||
      olds.state !== wanted(news.supportAccess) ||
      targetMoved(olds.target, news.target) ||
      (olds.drift ?? []).length > 0;
    return { changes, replaces: [], deleteBeforeReplace: false };
  },

  async create(inputs: SupportAccessResourceInputs) {
    return { id: `${inputs.target.name}:support-access`, outs: await converge(inputs) };
  },

  async update(_id: string, _olds: SupportAccessOutputs, news: SupportAccessResourceInputs) {
    return { outs: await converge(news) };
  },

  async read(id: string, props: SupportAccessOutputs) {
    const live = parseSupportState((await nodeSnapshot(props.target)).section(SECTIONS.supportAccess).stdout);
    const drift =
      live.state === wanted(props.supportAccess)
        ? []
        : [
            `support access is ${live.state} on the node, the stack says ${wanted(props.supportAccess)} (changed outside the stack)`,
          ];
    return { id, props: { ...props, state: live.state, sipwiseKeys: live.sipwiseKeys ?? null, drift } };
  },

  async delete() {
    // Leaving management changes nothing on the node: access stays as the last apply left it.
  },
};
