/**
 * The authorized_keys side of the SystemAccounts plan (pure): which files change and how, given what the
 * provider read from the node. Passwords are planned per account by `planAccountPassword` (shadow.ts).
 */
import { CDREXPORT, ROOT, SIPWISE, type SystemAccountsInputs } from "./inputs";
import { planAuthorizedKeys, type AuthorizedKeysPlan } from "./sshKeys";

/** One authorized_keys file as read from the node. */
export interface LiveKeysFile {
  readonly user: string;
  /** Absolute path (from the account's home, see `authorizedKeysFiles`). */
  readonly path: string;
  /** Content; undefined when the file does not exist. */
  readonly text: string | undefined;
}

export interface KeysFileChange {
  readonly user: string;
  readonly path: string;
  readonly plan: AuthorizedKeysPlan;
  /** One line for preview: counts and fingerprints, never key material. */
  readonly description: string;
}

function describe(user: string, path: string, plan: AuthorizedKeysPlan): string {
  const parts: string[] = [];
  if (plan.removed.length > 0) {
    parts.push(
      `remove ${plan.removed.map((k) => k.fingerprint + (k.comment ? ` (${k.comment})` : "")).join(", ")}`,
    );
  }
  if (plan.added.length > 0) {
    parts.push(`add ${plan.added.map((k) => k.fingerprint).join(", ")}`);
  }
  if (plan.droppedOtherLines > 0) {
    parts.push(`drop ${plan.droppedOtherLines} comment/blank/invalid line(s)`);
  }
  if (parts.length === 0) {
    parts.push("reorder or normalise lines");
  }
  return `${user} ${path}: ${parts.join("; ")}, keep ${plan.kept.length} key(s)`;
}

/**
 * The changes to root's and sipwise's authorized_keys files for the wipe of handbook 15.3. Nothing when
 * `wipeAuthorizedKeys` is off or the node is a Vagrant box. Files of other users in `live` are ignored.
 * Only files that change are returned, so a second `up` returns nothing.
 */
export function planKeyWipe(inputs: SystemAccountsInputs, live: readonly LiveKeysFile[]): KeysFileChange[] {
  if (!inputs.wipeAuthorizedKeys || inputs.vagrant) {
    return [];
  }
  const keep: Record<string, readonly string[]> = {
    [ROOT]: inputs.keepKeys?.root ?? [],
    [SIPWISE]: inputs.keepKeys?.sipwise ?? [],
  };
  const changes: KeysFileChange[] = [];
  for (const file of live) {
    if (file.user !== ROOT && file.user !== SIPWISE) {
      continue;
    }
    // A missing file stays missing unless keys must be added; the second file (authorized_keys2) only
    // ever loses keys — named keys are added to the first file only.
    const isPrimary = file.path.endsWith("/authorized_keys");
    if (file.text === undefined && (!isPrimary || keep[file.user].length === 0)) {
      continue;
    }
    const plan = planAuthorizedKeys(file.text, keep[file.user], { mode: "wipe", addMissing: isPrimary });
    if (plan.changed) {
      changes.push({
        user: file.user,
        path: file.path,
        plan,
        description: describe(file.user, file.path, plan),
      });
    }
  }
  return changes;
}

/** cdrexport's authorized_keys when the stack names keys for it: exactly those keys. */
export function planCdrexportKeys(
  inputs: SystemAccountsInputs,
  live: LiveKeysFile | undefined,
): KeysFileChange | undefined {
  const keys = inputs.cdrexport?.authorizedKeys;
  if (!keys || keys.length === 0 || !live) {
    return undefined;
  }
  const plan = planAuthorizedKeys(live.text, keys, { mode: "exact" });
  return plan.changed
    ? { user: CDREXPORT, path: live.path, plan, description: describe(CDREXPORT, live.path, plan) }
    : undefined;
}
