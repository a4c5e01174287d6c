/**
 * `check` of the MySQL credentials resource (pure). Every failure names the input property and says what is
 * allowed; no reason quotes a password (the property path names a user by index, and a password equal to
 * its user name is reported without quoting either).
 */
import type { CheckFailure } from "../common/checkTarget";
import { checkPassword } from "../systemAccounts/passwordStrength";
import { parseGrantTarget } from "./grants";
import { DEFAULT_HOST, privilegeList, type MysqlCredentialsInputs } from "./inputs";
import {
  canonicalPrivilege,
  isKnownPrivilege,
  levelProblem,
  MARIADB_PRIVILEGES,
  spellPrivilege,
} from "./privileges";
import { KNOWN_NGCP_SERVICE_USERS, MARIADB_SYSTEM_USERS } from "./serviceUsers";

/** MariaDB (10.0+) allows 80 characters in a user name (MySQL 5.x: 16/32). */
export const MAX_USER_NAME_LENGTH = 80;
/** MariaDB 10.x stores up to 255 characters of host (older servers: 60). */
export const MAX_HOST_LENGTH = 255;

const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const HOST_CHARS = /^[A-Za-z0-9.:%_-]+$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Why a user name is not acceptable for a new account, or undefined. */
export function userNameProblem(name: string): string | undefined {
  if (typeof name !== "string" || name.length === 0) {
    return "must not be empty";
  }
  if (name.length > MAX_USER_NAME_LENGTH) {
    return `is ${name.length} characters long; MariaDB allows at most ${MAX_USER_NAME_LENGTH}`;
  }
  if (!USER_NAME.test(name)) {
    return (
      `${JSON.stringify(name)} has characters outside A-Z a-z 0-9 _ . - (or starts with . or -); ` +
      "such names need quoting in every option file and shell that uses them"
    );
  }
  return undefined;
}

/** Why a host part is not acceptable, or undefined. */
export function hostProblem(host: string): string | undefined {
  if (typeof host !== "string" || host.length === 0) {
    return `must not be empty (use "localhost", an address, a hostname or a pattern such as "10.0.0.%")`;
  }
  if (host.length > MAX_HOST_LENGTH) {
    return `is ${host.length} characters long; MariaDB allows at most ${MAX_HOST_LENGTH}`;
  }
  const slash = host.indexOf("/");
  if (slash >= 0) {
    const [addr, mask] = [host.slice(0, slash), host.slice(slash + 1)];
    if (!IPV4.test(addr) || !IPV4.test(mask)) {
      return `${JSON.stringify(host)}: the netmask form is IPv4 "address/netmask", e.g. "10.0.0.0/255.255.255.0"`;
    }
    return undefined;
  }
  if (!HOST_CHARS.test(host)) {
    return (
      `${JSON.stringify(host)} is not a host pattern: use "localhost", an IPv4/IPv6 address, a hostname, ` +
      `a pattern with % or _ ("10.0.0.%", "%.example.net") or "address/netmask"`
    );
  }
  if (host.startsWith(".") || host.endsWith(".") || host.includes("..")) {
    return `${JSON.stringify(host)} has an empty label`;
  }
  return undefined;
}

function grantFailures(property: string, grants: unknown): CheckFailure[] {
  if (grants === undefined) {
    return [];
  }
  if (!Array.isArray(grants)) {
    return [{ property, reason: "must be a list of { privileges, on } grants" }];
  }
  const failures: CheckFailure[] = [];
  grants.forEach((grant: { privileges?: unknown; on?: unknown }, gi) => {
    const p = `${property}[${gi}]`;
    const parsed =
      typeof grant?.on === "string"
        ? parseGrantTarget(grant.on)
        : { problem: 'is required: "*.*", "db.*" or "db.table"' };
    if ("problem" in parsed) {
      failures.push({ property: `${p}.on`, reason: parsed.problem });
    }
    const raw = grant?.privileges;
    const list = typeof raw === "string" || Array.isArray(raw) ? privilegeList(raw as string | string[]) : [];
    if (list.length === 0) {
      failures.push({
        property: `${p}.privileges`,
        reason: "must name at least one privilege (USAGE for none)",
      });
      return;
    }
    const canon = list.map(canonicalPrivilege);
    for (const name of list) {
      if (!isKnownPrivilege(name)) {
        failures.push({
          property: `${p}.privileges`,
          reason: `unknown privilege ${JSON.stringify(spellPrivilege(name))}; MariaDB's privileges are: ${MARIADB_PRIVILEGES.join(", ")}`,
        });
      } else if ("target" in parsed) {
        const problem = levelProblem(name, parsed.target.level);
        if (problem) {
          failures.push({ property: `${p}.privileges`, reason: problem });
        }
      }
    }
    if (
      canon.includes("ALL PRIVILEGES") &&
      canon.some((c) => c !== "ALL PRIVILEGES" && c !== "GRANT OPTION")
    ) {
      failures.push({
        property: `${p}.privileges`,
        reason: "ALL PRIVILEGES already includes every other privilege; list it alone",
      });
    }
    if (canon.includes("USAGE") && canon.some((c) => c !== "USAGE")) {
      failures.push({
        property: `${p}.privileges`,
        reason: "USAGE means no privilege; do not combine it with others",
      });
    }
  });
  return failures;
}

/**
 * Validates the inputs. `serviceUsers`: the service users the node names (constants.yml, sipwise.cnf), on top
 * of the documented list; unknown at preview time for a node not read yet, so the documented list alone is
 * checked then.
 */
export function validateMysqlCredentials(
  inputs: MysqlCredentialsInputs,
  serviceUsers: readonly string[] = [],
): CheckFailure[] {
  const failures: CheckFailure[] = [];
  if (inputs.rootPassword !== undefined) {
    failures.push(...checkPassword("rootPassword", inputs.rootPassword, { userNames: ["root"] }));
  }
  if (inputs.users !== undefined && !Array.isArray(inputs.users)) {
    return [...failures, { property: "users", reason: "must be a list of users" }];
  }
  const service = new Set([...KNOWN_NGCP_SERVICE_USERS, ...serviceUsers]);
  const system = new Set(MARIADB_SYSTEM_USERS);
  const seen = new Map<string, number>();
  (inputs.users ?? []).forEach((user, i) => {
    const p = `users[${i}]`;
    const name = user?.name;
    const nameIssue = userNameProblem(name);
    if (nameIssue) {
      failures.push({ property: `${p}.name`, reason: nameIssue });
    } else if (name === "root") {
      failures.push({
        property: `${p}.name`,
        reason: "root is managed by rootPassword, not as an extra user",
      });
    } else if (service.has(name)) {
      failures.push({
        property: `${p}.name`,
        reason:
          `${name} is an NGCP service user (handbook 15.3: created at installation, unique per node, ` +
          "never to be changed); choose another name",
      });
    } else if (system.has(name)) {
      failures.push({
        property: `${p}.name`,
        reason: `${name} is MariaDB's own account; choose another name`,
      });
    }
    const host = user?.host ?? DEFAULT_HOST;
    const hostIssue = hostProblem(host);
    if (hostIssue) {
      failures.push({ property: `${p}.host`, reason: hostIssue });
    }
    if (!nameIssue && !hostIssue) {
      const key = `${name}@${host.toLowerCase()}`;
      const first = seen.get(key);
      if (first !== undefined) {
        failures.push({
          property: `${p}`,
          reason: `${key} is already declared as users[${first}]; declare each account once`,
        });
      } else {
        seen.set(key, i);
      }
    }
    failures.push(
      ...checkPassword(`${p}.password`, user?.password, {
        userNames: typeof name === "string" ? [name] : [],
      }),
    );
    failures.push(...grantFailures(`${p}.grants`, user?.grants));
  });
  return failures;
}

/** Worth printing in preview, not worth stopping for. */
export function mysqlCredentialWarnings(inputs: MysqlCredentialsInputs): string[] {
  const warnings: string[] = [];
  if (inputs.rootPassword === undefined) {
    warnings.push("rootPassword is not set: MariaDB root keeps whatever it has (a fresh CE: no password)");
  }
  (inputs.users ?? []).forEach((user, i) => {
    if ((user.host ?? DEFAULT_HOST) === "%") {
      warnings.push(
        `users[${i}] (${user.name}) may connect from any host ("%"); NGCP keeps its users on localhost`,
      );
    }
  });
  return warnings;
}
