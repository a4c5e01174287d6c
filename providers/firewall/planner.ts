/**
 * The firewall's pure planner: inputs in, the rulesets of both families out. The provider reads the node,
 * calls these functions and applies what they return; nothing here talks to a node.
 */
import { FleetError } from "../common/fleetError";
import type { FirewallInputs } from "./inputs";
import { planUnchecked, type DesiredRuleset } from "./model";
import { validateFirewall, type CheckFailure } from "./validate";

/** Thrown by {@link planFirewall} for inputs that `validateFirewall` refuses; carries every failure. */
export class FirewallInputError extends FleetError {
  constructor(readonly failures: readonly CheckFailure[]) {
    super(
      `invalid firewall inputs:\n${failures.map((failure) => `  ${failure.property}: ${failure.reason}`).join("\n")}`,
      "FirewallInputError",
    );
  }
}

/**
 * Plans the IPv4 and IPv6 rulesets (chain layout in model.ts). Validates first and throws
 * {@link FirewallInputError} listing every problem, so a plan is never built from bad inputs; the provider's
 * `check` calls `validateFirewall` itself to report the same problems as check failures.
 */
export function planFirewall(inputs: FirewallInputs): DesiredRuleset {
  const failures = validateFirewall(inputs);
  if (failures.length > 0) {
    throw new FirewallInputError(failures);
  }
  return planUnchecked(inputs);
}
