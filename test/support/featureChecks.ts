import { validateCluster } from "../../components/validate";
import type { ClusterSpec } from "../../spec/schema";

export { FEATURE_KEYS } from "../../spec/features";

/**
 * Every problem the one validation pass (components/validate.ts, what the program runs before it registers a
 * resource) finds in a parsed cluster spec, as `ngcp-fleet:<key>: <problem>` lines. TLS material is not read
 * (no `readFile`): certificates are checked by the TLS tests.
 */
export function featureProblems(spec: ClusterSpec): string[] {
  return validateCluster(spec).errors;
}
