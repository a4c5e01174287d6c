/**
 * Typed confirmations for the commands that destroy data: `restore` (handbook 15.5.2) and `reset-db`
 * (handbook 15.6: "All existing data will be wiped out without possibility of restoring"). The operator
 * types the node's name; anything else — another node's name, a different case, "yes" — is a refusal.
 */

/** The command `reset-db` runs on the node (handbook 15.6), as argv for `session.exec`. */
export const RESET_DB_ARGV: readonly string[] = ["ngcp-reset-db"];

/**
 * Whether `typed` confirms an operation on `nodeName`: exactly the name (case-sensitive), ignoring only
 * the whitespace around it (the newline of a terminal line). An empty node name never matches.
 */
export function confirmationMatches(typed: string, nodeName: string): boolean {
  return nodeName.trim().length > 0 && typed.trim() === nodeName;
}

/** What `reset-db` prints before asking (handbook 15.6), ending with the prompt. */
export function resetDbWarning(nodeName: string): string {
  return (
    `ngcp-reset-db on node ${nodeName} resets its database to the original state (handbook 15.6):\n` +
    "  - ALL existing data is wiped out: subscribers, billing, CDRs, preferences — every database.\n" +
    "  - There is NO way to restore it afterwards, except from a backup taken before.\n" +
    "  - It assigns new unique passwords to the NGCP services and restarts all services.\n" +
    `Type the node name (${nodeName}) to wipe it, anything else to stop: `
  );
}

/** The argv to run for `reset-db`, or why not (the confirmation did not name the node). */
export function planResetDb(
  nodeName: string,
  typed: string,
): { readonly ok: true; readonly argv: readonly string[] } | { readonly ok: false; readonly reason: string } {
  if (!confirmationMatches(typed, nodeName)) {
    return {
      ok: false,
      reason: `confirmation "${typed.trim()}" does not name the node ${nodeName}: nothing was run`,
    };
  }
  return { ok: true, argv: RESET_DB_ARGV };
}
