import type { NodeTarget } from "../transport/target";
import { parsePublicKeyLine } from "../transport/target";

export interface CheckFailure {
  property: string;
  reason: string;
}

/** Validates the connection part of any resource's inputs, naming the property. */
export function checkTarget(target: NodeTarget | undefined, property: string): CheckFailure[] {
  if (!target) {
    return [{ property, reason: "is required" }];
  }
  const failures: CheckFailure[] = [];
  if (!target.host) {
    failures.push({ property: `${property}.host`, reason: `node ${target.name}: host is required` });
  }
  if (target.hostKey) {
    try {
      parsePublicKeyLine(target.hostKey);
    } catch (err) {
      failures.push({
        property: `${property}.hostKey`,
        reason: `node ${target.name}: ${(err as Error).message}`,
      });
    }
  } else if (!target.trustUnknownHostKey) {
    failures.push({
      property: `${property}.hostKey`,
      reason: `node ${target.name}: a pinned host key is required`,
    });
  }
  if (!target.privateKey && !target.stackKey && !target.privateKeyPath && !process.env.SSH_AUTH_SOCK) {
    failures.push({
      property: `${property}.privateKey`,
      reason: `node ${target.name}: no private key and no SSH agent`,
    });
  }
  return failures;
}
