/**
 * `check` of the SystemAccounts resource (pure): every failure names the input property and says how to fix
 * it; no reason quotes a password.
 */
import type { CheckFailure } from "../common/checkTarget";
import { CDREXPORT, ROOT, VM_IMAGE_ROOT_PASSWORD, type SystemAccountsInputs } from "./inputs";
import { checkPassword } from "./passwordStrength";
import { parseAuthorizedKeyLine, publicKeyProblem } from "./sshKeys";

function checkKeys(property: string, keys: readonly string[] | undefined): CheckFailure[] {
  if (keys === undefined) {
    return [];
  }
  if (!Array.isArray(keys)) {
    return [{ property, reason: "must be a list of OpenSSH public key lines" }];
  }
  const failures: CheckFailure[] = [];
  const seen = new Map<string, number>();
  keys.forEach((key, i) => {
    if (typeof key !== "string") {
      failures.push({
        property: `${property}[${i}]`,
        reason: "must be an OpenSSH public key line (a string)",
      });
      return;
    }
    const problem = publicKeyProblem(key);
    if (problem) {
      failures.push({ property: `${property}[${i}]`, reason: problem });
      return;
    }
    const parsed = parseAuthorizedKeyLine(key);
    if (parsed.kind === "key") {
      const first = seen.get(parsed.fingerprint);
      if (first !== undefined) {
        failures.push({
          property: `${property}[${i}]`,
          reason: `the same key as ${property}[${first}] (${parsed.fingerprint}); list each key once`,
        });
      } else {
        seen.set(parsed.fingerprint, i);
      }
    }
  });
  return failures;
}

/** Validates SystemAccounts inputs; an empty list means `check` passes. */
export function validateSystemAccounts(inputs: SystemAccountsInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];

  if (inputs.rootPassword !== undefined) {
    if (inputs.rootPassword === VM_IMAGE_ROOT_PASSWORD) {
      failures.push({
        property: "rootPassword",
        reason:
          "is the VM images' default root password, which handbook 15.3 says must be changed immediately",
      });
    } else {
      failures.push(...checkPassword("rootPassword", inputs.rootPassword, { userNames: [ROOT] }));
    }
  }

  const cdr = inputs.cdrexport;
  if (cdr !== undefined) {
    if (cdr.mode !== "key" && cdr.mode !== "password") {
      failures.push({
        property: "cdrexport.mode",
        reason: `must be "key" or "password", got: ${String(cdr.mode)}`,
      });
    }
    if (cdr.mode === "key") {
      if (!cdr.authorizedKeys || cdr.authorizedKeys.length === 0) {
        failures.push({
          property: "cdrexport.authorizedKeys",
          reason: 'needs at least one public key with mode "key" (otherwise nobody can fetch the CDRs)',
        });
      }
      if (cdr.password !== undefined) {
        failures.push({
          property: "cdrexport.password",
          reason:
            'is only used with mode "password"; with mode "key" the password login is locked — remove it',
        });
      }
    }
    if (cdr.mode === "password") {
      failures.push(...checkPassword("cdrexport.password", cdr.password, { userNames: [CDREXPORT] }));
    }
    failures.push(...checkKeys("cdrexport.authorizedKeys", cdr.authorizedKeys));
  }

  failures.push(...checkKeys("keepKeys.root", inputs.keepKeys?.root));
  failures.push(...checkKeys("keepKeys.sipwise", inputs.keepKeys?.sipwise));
  const deployer = inputs.deployerUser ?? ROOT;
  if (
    inputs.wipeAuthorizedKeys &&
    !inputs.vagrant &&
    deployer === ROOT &&
    (inputs.keepKeys?.root ?? []).length === 0
  ) {
    failures.push({
      property: "keepKeys.root",
      reason:
        "is empty while wipeAuthorizedKeys is true: the deployer logs in as root by key and would lock itself " +
        "out; name the deployer's public key (and any other key that must keep access) here",
    });
  }
  return failures;
}

/** Things worth printing in preview that do not stop it. */
export function systemAccountsWarnings(inputs: SystemAccountsInputs): string[] {
  const warnings: string[] = [];
  if (inputs.vagrant && inputs.wipeAuthorizedKeys) {
    warnings.push(
      "wipeAuthorizedKeys is ignored on a Vagrant box (handbook 15.3: skip the step if you use Vagrant)",
    );
  }
  if (inputs.rootPassword === undefined) {
    warnings.push(
      "rootPassword is not set: a VM image keeps its default root password (the audit reports it)",
    );
  }
  return warnings;
}
