import * as pulumi from "@pulumi/pulumi";
import { PERFORMANCE_OPTIONS, type PerformanceInputs } from "../providers/performance/planner";
import { PerformanceProfile } from "../providers/performance/resource";
import type { Feature } from "./feature";

/** Handbook 15.7: table-10 tunables, profiles, sizing; noatime. */
const performance: Feature = {
  key: "performance",
  handbook: "15.7",
  build(context, settings) {
    const name = `${context.name}-performance`;
    const owner = `PerformanceProfile ${name}`;
    const profile = new PerformanceProfile(
      name,
      {
        target: context.target,
        // Validated by the provider's check, which names each bad key.
        performance: settings as PerformanceInputs,
        facts: pulumi
          .all([context.facts.ramMb, context.facts.rootMountOptions])
          .apply(([ramMb, rootMountOptions]) => ({ ramMb, rootMountOptions })),
      },
      { parent: context.parent },
    );
    const excluded = new Set(Array.isArray(settings.excludeKeys) ? settings.excludeKeys : []);
    return {
      resources: [profile],
      config: {
        claim: {
          resource: owner,
          node: context.name,
          keys: PERFORMANCE_OPTIONS.map((option) => option.key).filter((key) => !excluded.has(key)),
        },
        settings: profile.plan.apply((plan) =>
          Object.fromEntries(Object.entries(plan.values).map(([key, value]) => [key, { value, owner }])),
        ),
      },
      summary: { values: profile.plan.apply((plan) => plan.values), rootMountOptions: profile.rootMountOptions },
    };
  },
};

/** Every feature a node can have, in the order their resources are declared. */
export const FEATURES: readonly Feature[] = [performance];
