/**
 * The NGCP REST API calls of the web credentials resource (pure request builders and response parsers).
 * Only these documented calls are used (ngcp-panel, `NGCP::Panel::Controller::API::Admins` and
 * `…::Role::API::Admins`), and the lab's admin interface (lab/core/adminApi.ts) implements exactly these:
 *
 *   GET   /api/admins/?login=<login>         Accept: application/hal+json        → 200, HAL collection
 *   PATCH /api/admins/<id>                   Content-Type: application/json-patch+json
 *         [{"op":"replace","path":"/password","value":"<new>"}]                  → 200/204
 *
 * Both with HTTP basic auth as the account itself, over HTTPS to the admin interface (port 1443 by default,
 * `www_admin.http_admin.port`). The panel lets an admin change only its *own* password unless the caller has
 * the `system` role ("Only own user can change password"), so each login authenticates as itself.
 *
 * Secrets: the new password is only in the PATCH body; the current one only in the Authorization header,
 * which the request objects here never hold — the executor adds {@link basicAuthorization} when it sends,
 * and logs only {@link describeRequest}. Error messages never include a body.
 */

/** The two logins handbook 15.3 says to change. */
export type WebLogin = "administrator" | "ngcpsoap";
export const WEB_LOGINS: readonly WebLogin[] = ["administrator", "ngcpsoap"];

/** The admin interface's port (handbook tables 8–9: `www_admin.http_admin.port`, 1443). */
export const DEFAULT_ADMIN_PORT = 1443;

export interface WebRequest {
  readonly method: "GET" | "PATCH";
  /** Path and query, starting with `/api/`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text; holds the new password for PATCH. Never logged. */
  readonly body?: string;
}

/** `GET /api/admins/?login=<login>`: finds the account's id; a 200 also proves the credentials. */
export function findAdminRequest(login: string): WebRequest {
  return {
    method: "GET",
    path: `/api/admins/?login=${encodeURIComponent(login)}`,
    headers: { Accept: "application/hal+json" },
  };
}

/** `PATCH /api/admins/<id>` replacing the password (RFC 6902 JSON patch). */
export function patchPasswordRequest(id: number, newPassword: string): WebRequest {
  if (!Number.isInteger(id) || id <= 0) {
    throw new Error(`an admin id is a positive integer, got: ${String(id)}`);
  }
  return {
    method: "PATCH",
    path: `/api/admins/${id}`,
    headers: {
      "Content-Type": "application/json-patch+json",
      Accept: "application/hal+json",
      Prefer: "return=minimal",
    },
    body: JSON.stringify([{ op: "replace", path: "/password", value: newPassword }]),
  };
}

/** The Authorization header value for basic auth; added by the executor at send time only. */
export function basicAuthorization(login: string, password: string): string {
  if (login.includes(":")) {
    throw new Error("a basic-auth login cannot contain a colon");
  }
  return `Basic ${Buffer.from(`${login}:${password}`, "utf8").toString("base64")}`;
}

/** What may be logged about a request: method and path (no headers, no body). */
export function describeRequest(request: WebRequest): string {
  return `${request.method} ${request.path}${request.body !== undefined ? " (body withheld)" : ""}`;
}

/** How a login attempt went, from the HTTP status of {@link findAdminRequest}. */
export type LoginOutcome = "accepted" | "rejected" | "error";

/** 200 accepted; 401/403 rejected (wrong password, or banned); anything else an error to report. */
export function classifyLoginStatus(status: number): LoginOutcome {
  if (status === 200) {
    return "accepted";
  }
  if (status === 401 || status === 403) {
    return "rejected";
  }
  return "error";
}

/** 200 (with a body) and 204 (`Prefer: return=minimal`) both mean the PATCH was applied. */
export function patchSucceeded(status: number): boolean {
  return status === 200 || status === 204;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The id of the admin whose login is exactly `login`, from the HAL collection of {@link findAdminRequest}
 * (`_embedded["ngcp:admins"]`, an array — or one object when the collection has one item). The `login`
 * filter is a SQL LIKE on the server, so the exact match is checked here. Undefined when absent.
 */
export function parseAdminId(body: string, login: string): number | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new Error("the admins collection is not JSON");
  }
  const embedded = isRecord(doc) && isRecord(doc._embedded) ? doc._embedded["ngcp:admins"] : undefined;
  const items = Array.isArray(embedded) ? embedded : embedded !== undefined ? [embedded] : [];
  for (const item of items) {
    if (isRecord(item) && item.login === login) {
      const id = typeof item.id === "string" ? Number(item.id) : item.id;
      if (typeof id === "number" && Number.isInteger(id) && id > 0) {
        return id;
      }
    }
  }
  return undefined;
}
