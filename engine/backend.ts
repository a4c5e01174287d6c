/**
 * Where a team keeps its Pulumi state: the backend URL `ngcp-fleet env --backend` (or NGCP_FLEET_BACKEND)
 * hands the engine. Pure: it only reads the URL.
 */

/** The URL schemes the engine this project builds takes as a state backend. */
export const BACKEND_SCHEMES = [
  "file:",
  "postgres:",
  "postgresql:",
  "s3:",
  "gs:",
  "azblob:",
  "https:",
] as const;

export interface BackendCheck {
  /** Why the URL cannot be used; nothing was started. */
  readonly problems: readonly string[];
  /** Legal but risky: printed on stderr, the URL is used. */
  readonly warnings: readonly string[];
}

/**
 * Checks a backend URL before any engine command sees it. A password inside the URL is refused: the URL is
 * printed by `ngcp-fleet env`, kept in the shell's environment and shown by `pulumi whoami -v`; PostgreSQL
 * reads it from PGPASSWORD or ~/.pgpass instead. A PostgreSQL URL without `sslmode=verify-full` gets a
 * warning: the state holds every node's address and the encrypted secrets.
 */
export function checkBackendUrl(url: string): BackendCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return {
      problems: [`backend URL "${url}" is not a URL (e.g. postgres://role@host:5432/db?sslmode=verify-full)`],
      warnings,
    };
  }
  if (!(BACKEND_SCHEMES as readonly string[]).includes(parsed.protocol)) {
    problems.push(
      `backend URL scheme "${parsed.protocol}" is not one the engine takes; allowed: ${BACKEND_SCHEMES.map((s) => `${s}//`).join(", ")}`,
    );
  }
  if (parsed.password !== "") {
    problems.push(
      "the backend URL holds a password: leave it out and give it to the engine in PGPASSWORD or ~/.pgpass " +
        "(a URL is printed, kept in your shell's environment and shown by `pulumi whoami -v`)",
    );
  }
  if (parsed.protocol === "postgres:" || parsed.protocol === "postgresql:") {
    const sslmode = parsed.searchParams.get("sslmode") ?? "prefer (the driver's default)";
    if (sslmode !== "verify-full") {
      warnings.push(
        `the PostgreSQL backend's sslmode is ${sslmode}: without sslmode=verify-full (and sslrootcert=<the ` +
          "server's CA>) a machine in the path can read and change the fleet's state",
      );
    }
  }
  return { problems, warnings };
}

/** The URL with any password replaced by `***`, for messages. */
export function redactBackendUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") {
      parsed.password = "***";
    }
    return parsed.toString();
  } catch {
    return "(not a URL)";
  }
}
