/** Errors from the transport. Each names the node; none carries a secret. */

import { FleetError } from "../common/fleetError";

export { FleetError };

export class NodeUnreachableError extends FleetError {
  constructor(
    readonly node: string,
    readonly address: string,
    cause: string,
  ) {
    super(`node ${node} (${address}) is unreachable: ${cause}`, "NodeUnreachableError");
  }
}

export class HostKeyMismatchError extends FleetError {
  constructor(
    readonly node: string,
    readonly expected: string,
    readonly presented: string,
  ) {
    super(
      `node ${node}: host key mismatch: the stack pins ${expected} but the node presented ${presented}. ` +
        `If the node was reinstalled, update nodes[].hostKey in the stack config; otherwise do not connect.`,
      "HostKeyMismatchError",
    );
  }
}

/** Exit codes whose meaning a shell fixes, worth spelling out in an error. */
const EXIT_MEANINGS: Record<number, string> = {
  1: "general error",
  2: "misuse of shell builtins / bad arguments",
  124: "timed out",
  126: "command not executable",
  127: "command not found",
  130: "interrupted",
  137: "killed",
};

export class RemoteCommandError extends FleetError {
  constructor(
    readonly node: string,
    /** The command line with every secret already redacted. */
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: string | undefined,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    const meaning = exitCode === null ? "" : EXIT_MEANINGS[exitCode];
    const status =
      exitCode === null
        ? `signal ${signal ?? "unknown"}`
        : `exit code ${exitCode}${meaning ? ` (${meaning})` : ""}`;
    const detail = (stderr.trim() || stdout.trim()).split("\n").slice(-20).join("\n");
    super(
      `node ${node}: \`${command}\` failed with ${status}${detail ? `:\n${detail}` : ""}`,
      "RemoteCommandError",
    );
  }
}

export class CommandTimeoutError extends FleetError {
  constructor(
    readonly node: string,
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`node ${node}: \`${command}\` did not finish within ${timeoutMs} ms`, "CommandTimeoutError");
  }
}
