/**
 * Rollout waves (pure): canary nodes first, then batches, never both nodes of an HA pair in one wave,
 * so one half of every pair keeps serving while the other converges.
 */

export interface RolloutPlanInput {
  /** Node names in stack order. */
  readonly nodes: readonly string[];
  /** Nodes in the first wave. @default 1 */
  readonly canary: number;
  /** Nodes per later wave. */
  readonly batchSize: number;
  /** Pairs of node names that must never converge together. */
  readonly haPairs: readonly (readonly [string, string])[];
}

/** Partner of each node in an HA pair. */
function partners(pairs: RolloutPlanInput["haPairs"]): Map<string, string> {
  const partner = new Map<string, string>();
  for (const [a, b] of pairs) {
    partner.set(a, b);
    partner.set(b, a);
  }
  return partner;
}

/**
 * Splits the nodes into waves. Each wave is filled in stack order up to its size, skipping a node whose
 * partner is already in the wave; skipped nodes go first into the next wave. Every node lands in
 * exactly one wave.
 */
export function planWaves(input: RolloutPlanInput): string[][] {
  const partner = partners(input.haPairs);
  const waves: string[][] = [];
  let pending = [...input.nodes];
  let size = Math.max(1, input.canary);
  while (pending.length > 0) {
    const wave: string[] = [];
    const deferred: string[] = [];
    for (const node of pending) {
      const mate = partner.get(node);
      if (wave.length < size && !(mate !== undefined && wave.includes(mate))) {
        wave.push(node);
      } else {
        deferred.push(node);
      }
    }
    waves.push(wave);
    pending = deferred;
    size = Math.max(1, input.batchSize);
  }
  return waves;
}

/** Problems with the rollout settings, each naming the stack key. */
export function validateRollout(input: RolloutPlanInput): string[] {
  const problems: string[] = [];
  const known = new Set(input.nodes);
  const seen = new Map<string, number>();
  input.haPairs.forEach(([a, b], index) => {
    for (const node of [a, b]) {
      if (!known.has(node)) {
        problems.push(`ngcp-fleet:rollout.haPairs[${index}]: names node "${node}", which is not in nodes`);
      }
      const earlier = seen.get(node);
      if (earlier !== undefined) {
        problems.push(
          `ngcp-fleet:rollout.haPairs[${index}]: node "${node}" is already in haPairs[${earlier}]`,
        );
      }
      seen.set(node, index);
    }
    if (a === b) {
      problems.push(`ngcp-fleet:rollout.haPairs[${index}]: pairs a node with itself ("${a}")`);
    }
  });
  return problems;
}
