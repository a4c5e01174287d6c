/**
 * Inputs, validation and plan of the web credentials resource (pure): the web `administrator` and
 * `ngcpsoap` passwords (handbook 15.3: "The administrative web interface has a default user administrator
 * with password administrator. It should be changed within this interface." and "Generate new password for
 * user ngcpsoap to access the provisioning interfaces, see … Section 12").
 *
 * The provider never reads a password back (the panel stores a salted hash it does not expose); it learns
 * which password is current by logging in. Per login, in order, at most once each: the desired password,
 * the given current one, the previously applied one, the vendor default (loginCandidates.ts). The first one
 * accepted decides the plan; a no-op `up` costs one request per login.
 */
import type { CheckFailure } from "../common/checkTarget";
import {
  describeCandidate,
  loginCandidates,
  type CandidateSource,
  type LoginCandidate,
} from "../systemAccounts/loginCandidates";
import { checkPassword } from "../systemAccounts/passwordStrength";
import { DEFAULT_ADMIN_PORT, WEB_LOGINS, type LoginOutcome, type WebLogin } from "./api";

export interface WebAccountInputs {
  /** The new password. A secret, checked for strength; the vendor default is refused. */
  readonly password: string;
  /**
   * The password the node has now, when it is neither the vendor default nor the one this stack applied last
   * (adopting a node whose password was changed by hand). A secret. @default none
   */
  readonly currentPassword?: string;
}

export interface WebCredentialsInputs {
  /** The admin interface's `administrator`. @default none: not managed (the audit flags the default) */
  readonly administrator?: WebAccountInputs;
  /** The provisioning interfaces' `ngcpsoap`. @default none: not managed */
  readonly ngcpsoap?: WebAccountInputs;
  /**
   * HTTPS port of the REST API on the node, reached through the SSH tunnel at 127.0.0.1.
   * @default 1443 (`www_admin.http_admin.port`)
   */
  readonly port?: number;
}

/**
 * Factory passwords (handbook 15.3: administrator/administrator). ngcpsoap's is installation-specific on
 * current releases, so none is assumed: adopting a node needs `currentPassword` once.
 */
export const VENDOR_DEFAULT_PASSWORDS: Readonly<Partial<Record<WebLogin, string>>> = {
  administrator: "administrator",
};

/** Validates the inputs; an empty list means `check` passes. */
export function validateWebCredentials(inputs: WebCredentialsInputs): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const login of WEB_LOGINS) {
    const account = inputs[login];
    if (account === undefined) {
      continue;
    }
    const vendor = VENDOR_DEFAULT_PASSWORDS[login];
    failures.push(
      ...checkPassword(`${login}.password`, account.password, {
        userNames: [login],
        forbidden: vendor !== undefined ? [vendor] : [],
      }),
    );
    if (account.currentPassword !== undefined && account.currentPassword.length === 0) {
      failures.push({
        property: `${login}.currentPassword`,
        reason: "must not be empty when given (leave it out instead)",
      });
    }
  }
  if (inputs.administrator === undefined && inputs.ngcpsoap === undefined) {
    failures.push({
      property: "administrator",
      reason: "set administrator and/or ngcpsoap: nothing to manage otherwise",
    });
  }
  if (
    inputs.port !== undefined &&
    (!Number.isInteger(inputs.port) || inputs.port < 1 || inputs.port > 65535)
  ) {
    failures.push({ property: "port", reason: `must be a TCP port 1-65535, got: ${String(inputs.port)}` });
  }
  return failures;
}

/** The ordered passwords to try for a login (see loginCandidates.ts). `previous`: last applied, from olds. */
export function webLoginCandidates(
  login: WebLogin,
  account: WebAccountInputs,
  previous?: string,
): LoginCandidate[] {
  return loginCandidates({
    desired: account.password,
    current: account.currentPassword,
    previous,
    vendorDefault: VENDOR_DEFAULT_PASSWORDS[login],
  });
}

/** One login attempt's result, as the executor recorded it (no password: the source names it). */
export interface LoginAttempt {
  readonly source: CandidateSource;
  readonly outcome: LoginOutcome;
  /** HTTP status, for messages. */
  readonly status?: number;
}

export type WebPasswordPlan =
  | { readonly action: "none"; readonly login: WebLogin; readonly description: string }
  /** PATCH the password, authenticating with the candidate from `authenticateWith`. */
  | {
      readonly action: "patch";
      readonly login: WebLogin;
      readonly authenticateWith: CandidateSource;
      readonly description: string;
    }
  /** Try the next candidate (the executor calls the planner again with one more attempt). */
  | {
      readonly action: "tryNext";
      readonly login: WebLogin;
      readonly next: CandidateSource;
      readonly description: string;
    }
  | { readonly action: "fail"; readonly login: WebLogin; readonly description: string };

/**
 * Decides from the attempts so far (in candidate order). Stops at the first accepted one; an HTTP error
 * (neither accepted nor rejected) fails at once rather than burning the other candidates against a broken
 * service or a ban.
 */
export function planWebPassword(
  login: WebLogin,
  candidates: readonly LoginCandidate[],
  attempts: readonly LoginAttempt[],
): WebPasswordPlan {
  for (const attempt of attempts) {
    if (attempt.outcome === "error") {
      return {
        action: "fail",
        login,
        description: `the REST API answered ${attempt.status ?? "an error"} to ${login}'s login with ${describeCandidate(attempt.source)}`,
      };
    }
    if (attempt.outcome === "accepted") {
      return attempt.source === "desired"
        ? { action: "none", login, description: `${login} already has the desired password` }
        : {
            action: "patch",
            login,
            authenticateWith: attempt.source,
            description: `set the password of ${login} (logged in with ${describeCandidate(attempt.source)})`,
          };
    }
  }
  const tried = new Set(attempts.map((a) => a.source));
  const next = candidates.find((c) => !tried.has(c.source));
  if (next) {
    return {
      action: "tryNext",
      login,
      next: next.source,
      description: `log in as ${login} with ${describeCandidate(next.source)}`,
    };
  }
  return {
    action: "fail",
    login,
    description:
      `cannot log in as ${login} with ${candidates.map((c) => describeCandidate(c.source)).join(", ")}: ` +
      `its password was changed outside this stack; set ${login}.currentPassword to the password it has now`,
  };
}

/** For `read`/`refresh`: drift when the desired password is refused. */
export function webPasswordDrift(login: WebLogin, desiredOutcome: LoginOutcome): string | undefined {
  return desiredOutcome === "rejected" ? `the password of ${login} was changed outside the stack` : undefined;
}

export function adminPort(inputs: WebCredentialsInputs): number {
  return inputs.port ?? DEFAULT_ADMIN_PORT;
}
