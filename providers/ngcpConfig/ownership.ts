/**
 * Who owns which config key on which node.
 *
 * Several resources edit the same config.yml (performance, TLS, firewall ports). If two of them set the
 * same key, every `up` flips it back and forth and `refresh` always shows drift. Each resource declares
 * the keys it owns; a key claimed twice on one node is a preview error naming both resources, before
 * anything is written. A claim on a map (`kamailio.lb`) owns everything under it, so it conflicts with a
 * claim on any key below it (`kamailio.lb.port`).
 */
import { type KeyPath, type KeyPathLike, dotted, isPathPrefix, toKeyPath } from "./document";

/** The config file a claim is in, relative to /etc/ngcp-config. */
export type ConfigFileName = "config.yml" | "constants.yml" | "network.yml";

export interface KeyClaim {
  /** The claiming resource, as the user knows it (its Pulumi name or URN). */
  readonly resource: string;
  /** The node the keys are on. */
  readonly node: string;
  /** The keys the resource sets on that node, dotted or as segments. */
  readonly keys: readonly KeyPathLike[];
  /** @default "config.yml" */
  readonly file?: ConfigFileName;
}

export interface OwnershipConflict {
  readonly node: string;
  readonly file: ConfigFileName;
  /** The overlapping keys: equal, or one a parent map of the other. */
  readonly key: string;
  readonly otherKey: string;
  readonly resource: string;
  readonly otherResource: string;
  /** A sentence naming node, key and both resources, with the fix. */
  readonly message: string;
}

/**
 * Every pair of claims by different resources that overlap on one node and file, in claim order. A
 * resource may list a key twice or list a key and its parent; only claims of two resources conflict.
 */
export function findOwnershipConflicts(claims: readonly KeyClaim[]): OwnershipConflict[] {
  const owned: { claim: KeyClaim; file: ConfigFileName; path: KeyPath }[] = [];
  const conflicts: OwnershipConflict[] = [];
  for (const claim of claims) {
    const file = claim.file ?? "config.yml";
    for (const key of claim.keys) {
      const path = toKeyPath(key);
      for (const earlier of owned) {
        const overlaps = isPathPrefix(earlier.path, path) || isPathPrefix(path, earlier.path);
        if (
          earlier.claim.resource !== claim.resource &&
          earlier.claim.node === claim.node &&
          earlier.file === file &&
          overlaps
        ) {
          conflicts.push(
            conflict(earlier.claim.resource, earlier.path, claim.resource, path, claim.node, file),
          );
        }
      }
      owned.push({ claim, file, path });
    }
  }
  return conflicts;
}

function conflict(
  resource: string,
  key: KeyPath,
  otherResource: string,
  otherKey: KeyPath,
  node: string,
  file: ConfigFileName,
): OwnershipConflict {
  const same = dotted(key) === dotted(otherKey);
  const what = same
    ? `key "${dotted(key)}"`
    : `keys "${dotted(key)}" and "${dotted(otherKey)}" (one contains the other)`;
  return {
    node,
    file,
    key: dotted(key),
    otherKey: dotted(otherKey),
    resource,
    otherResource,
    message:
      `${file} ${what} on node "${node}" is owned by both "${resource}" and "${otherResource}"; ` +
      "each key needs exactly one owner: remove it from one of the two resources",
  };
}
