/**
 * Which password to log in with when the provider does not know which one is current (pure).
 *
 * MySQL root and the web logins are changed *through* themselves: the provider must authenticate with the
 * current password before it can set the desired one, and it never stores a password in clear to remember
 * which is current. It tries, in this order and each at most once:
 *
 * 1. `desired` — after the first `up` this is the current one, so a no-op `up` needs a single login;
 * 2. `current` — an operator-supplied "this is what the node has now" (adoption of a changed node);
 * 3. `previous` — the desired value of the last successful `up` (Pulumi hands the provider its old inputs,
 *    kept encrypted as secrets in the state), for a rotation;
 * 4. `vendorDefault` — what a fresh node has (MySQL root: empty; web administrator: `administrator`).
 *
 * Few tries on purpose: a web login that fails too often may be banned by the panel.
 */

export type CandidateSource = "desired" | "current" | "previous" | "vendorDefault";

export interface LoginCandidate {
  readonly source: CandidateSource;
  /** A secret. Never logged; the source names it in messages. */
  readonly password: string;
}

export interface CandidateInputs {
  readonly desired: string;
  readonly current?: string;
  readonly previous?: string;
  readonly vendorDefault?: string;
}

/** The candidates in order, duplicates (same password) dropped, undefined ones skipped. */
export function loginCandidates(inputs: CandidateInputs): LoginCandidate[] {
  const ordered: [CandidateSource, string | undefined][] = [
    ["desired", inputs.desired],
    ["current", inputs.current],
    ["previous", inputs.previous],
    ["vendorDefault", inputs.vendorDefault],
  ];
  const seen = new Set<string>();
  const out: LoginCandidate[] = [];
  for (const [source, password] of ordered) {
    if (password === undefined || seen.has(password)) {
      continue;
    }
    seen.add(password);
    out.push({ source, password });
  }
  return out;
}

/** Human wording of a candidate source for messages ("the previous password"), never the password itself. */
export function describeCandidate(source: CandidateSource): string {
  switch (source) {
    case "desired":
      return "the desired password";
    case "current":
      return "the given current password";
    case "previous":
      return "the previously applied password";
    case "vendorDefault":
      return "the vendor's default password";
  }
}
