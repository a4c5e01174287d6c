import type * as pulumi from "@pulumi/pulumi";
import { checkTarget } from "../common/checkTarget";
import { isKnown, UNKNOWN } from "../common/unknown";
import { sessionFor } from "../transport/session";
import type { NodeTarget } from "../transport/target";
import { REMOUNT_ROOT_NOATIME, noatimeWarning, parseMountOptions, renderFstabNoatime } from "./noatime";
import {
  type NodeFacts,
  type PerformanceInputs,
  type PerformancePlan,
  planPerformance,
  validatePerformance,
} from "./planner";

/** What the provider receives. `plan` is computed in `check`, so `pulumi preview` shows the values. */
export interface PerformanceProfileInputs {
  readonly target: NodeTarget;
  readonly performance: PerformanceInputs;
  /** RAM and root mount options, from the node's NodeFacts. */
  readonly facts: NodeFacts;
  readonly plan?: PerformancePlan;
}

export interface PerformanceProfileOutputs extends PerformanceProfileInputs {
  readonly plan: PerformancePlan;
  /** Root filesystem mount options after any enforcement. */
  readonly rootMountOptions: string[];
}

/**
 * The node's facts, or `undefined` while the engine does not know them yet: during the preview of a new
 * node, or of one whose host, port, user or host key changed, NodeFacts reads the node only at apply and
 * the engine passes a placeholder. Then whatever needs the RAM is decided at apply, not refused.
 */
export function knownFacts(facts: NodeFacts | undefined): NodeFacts | undefined {
  if (!isKnown(facts) || typeof facts !== "object" || facts === null || !isKnown(facts.ramMb)) {
    return undefined;
  }
  return {
    ramMb: typeof facts.ramMb === "number" && facts.ramMb > 0 ? facts.ramMb : undefined,
    rootMountOptions:
      isKnown(facts.rootMountOptions) && Array.isArray(facts.rootMountOptions)
        ? facts.rootMountOptions
        : undefined,
  };
}

/** Handbook 15.7 note: `noatime` on the root filesystem, in fstab for boots and by remount for now. */
async function enforceNoatime(target: NodeTarget): Promise<string[]> {
  const session = await sessionFor(target);
  const fstab = (await session.readFile("/etc/fstab"))?.toString("utf8") ?? "";
  const render = renderFstabNoatime(fstab);
  if (render.changed) {
    await session.writeFileAtomic("/etc/fstab", render.text, { mode: 0o644 });
  }
  const mounts = (await session.exec(["cat", "/proc/mounts"])).stdout;
  if (!(parseMountOptions(mounts) ?? []).includes("noatime")) {
    await session.exec([...REMOUNT_ROOT_NOATIME]);
  }
  return parseMountOptions((await session.exec(["cat", "/proc/mounts"])).stdout) ?? [];
}

async function converge(inputs: PerformanceProfileInputs): Promise<PerformanceProfileOutputs> {
  const facts = knownFacts(inputs.facts);
  if (facts === undefined) {
    throw new Error(`node ${inputs.target.name}: the node's facts (RAM, mounts) are unknown at apply`);
  }
  const plan = planPerformance(inputs.performance, facts);
  const rootMountOptions = inputs.performance.enforceNoatime
    ? await enforceNoatime(inputs.target)
    : [...(inputs.facts.rootMountOptions ?? [])];
  return { ...inputs, plan, rootMountOptions };
}

/**
 * The tunables of handbook table 10. This resource validates and computes the values; the node's
 * NgcpConfig writes them into config.yml together with every other feature's keys and runs the one
 * `ngcpcfg apply` (so a profile switch never restarts services twice).
 */
export const performanceProfileProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: PerformanceProfileInputs, news: PerformanceProfileInputs) {
    const facts = knownFacts(news.facts);
    const failures = [
      ...checkTarget(news.target, "target"),
      ...validatePerformance(news.performance, facts).map((f) => ({
        property: `performance.${f.property}`,
        reason: f.reason,
      })),
    ];
    if (failures.length > 0) {
      return { inputs: news, failures };
    }
    if (facts === undefined) {
      // Decided at apply, when NodeFacts has read the node (the RAM-based values and their limits).
      return { inputs: { ...news, plan: UNKNOWN }, failures: [] };
    }
    const plan = planPerformance(news.performance, facts);
    const warning = news.performance.enforceNoatime ? undefined : noatimeWarning(facts.rootMountOptions);
    return {
      inputs: { ...news, plan: warning ? { ...plan, warnings: [...plan.warnings, warning] } : plan },
      failures: [],
    };
  },

  async diff(_id: string, olds: PerformanceProfileOutputs, news: PerformanceProfileInputs) {
    const before = JSON.stringify(sortedEntries(olds.plan?.values ?? {}));
    const after = JSON.stringify(sortedEntries(news.plan?.values ?? {}));
    const noatime = Boolean(news.performance.enforceNoatime) !== Boolean(olds.performance?.enforceNoatime);
    return { changes: before !== after || noatime, replaces: [], deleteBeforeReplace: false };
  },

  async create(inputs: PerformanceProfileInputs) {
    return { id: `${inputs.target.name}:performance`, outs: await converge(inputs) };
  },

  async update(_id: string, _olds: PerformanceProfileOutputs, news: PerformanceProfileInputs) {
    return { outs: await converge(news) };
  },

  async delete() {
    // The values stay in config.yml: removing tunables would not restore anything an operator wants.
  },
};

function sortedEntries(values: Readonly<Record<string, string | number>>): [string, string | number][] {
  return Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
