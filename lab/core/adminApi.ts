import type { ServiceName } from "./services";
import { setWebAdminPassword, verifyWebPassword, type WebAdmin } from "./webAdmins";

/**
 * The web listeners of a lab node (pure: request in, response out; the services daemon only does the I/O).
 *
 * Every web listener serves `GET /` (a page naming the node). The admin interface (`www_admin→http_admin→port`,
 * 1443) and the provisioning interface (`ossbss→apache→port`, 2443; handbook table 9 lists both for
 * administrators, and 15.3 sends `ngcpsoap` to "the provisioning interfaces") also serve exactly the two
 * ngcp-panel REST calls that providers/webCredentials uses, and no more:
 *
 *   GET   /api/admins/?login=<substring>   → 200 HAL collection (`total_count`; one item as an object)
 *   PATCH /api/admins/<own id>             Content-Type: application/json-patch+json
 *         [{"op":"replace","path":"/password","value":"<new>"}] → 204 with `Prefer: return=minimal`, else 200
 *
 * Both need HTTP basic auth as an existing admin (401 otherwise, for any path but `/`). A PATCH of another
 * admin's id is 403 "Only own user can change password" (the panel's rule for a caller without the system
 * role); another content type 415; a body that is not JSON 400; anything but one `replace` of `/password`
 * with a non-empty string 422; every other method or path 404. Contract: lab/README.md.
 */

/** The listeners that carry the REST API (handbook table 9: administrator and provisioning interfaces). */
export const REST_API_SERVICES: readonly ServiceName[] = ["admin", "provisioning"];

/** What the daemon hands over: the request line, headers (as node's `IncomingMessage` has them) and body. */
export interface LabWebRequest {
  readonly method: string;
  /** Path and query, as in the request line. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: string;
}

export interface LabWebResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Absent for 204. */
  readonly body?: string;
}

/** What a listener does with a request: its page, the REST API (needs the admins), or 404. */
export type WebRoute = "page" | "api" | "notFound";

export function routeWebRequest(service: ServiceName, method: string, url: string): WebRoute {
  if (method === "GET" && (url === "/" || url === "")) {
    return "page";
  }
  return REST_API_SERVICES.includes(service) ? "api" : "notFound";
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page of `GET /`: the service and the node's name. */
export function renderWebPage(service: string, hostname: string): string {
  return (
    `<!DOCTYPE html><html><head><title>sip:provider CE ${escapeHtml(service)}</title></head>` +
    `<body><h1>sip:provider CE — ${escapeHtml(service)}</h1><p>${escapeHtml(hostname)} (ngcp-fleet lab stand-in)</p></body></html>\n`
  );
}

export function pageResponse(service: string, hostname: string): LabWebResponse {
  return {
    status: 200,
    headers: { "Content-Type": "text/html; charset=utf-8" },
    body: renderWebPage(service, hostname),
  };
}

export const NOT_FOUND_PAGE: LabWebResponse = {
  status: 404,
  headers: { "Content-Type": "text/plain" },
  body: "not found\n",
};

const HAL = "application/hal+json";

function halError(status: number, message: string, extra: Record<string, string> = {}): LabWebResponse {
  return {
    status,
    headers: { "Content-Type": HAL, ...extra },
    body: JSON.stringify({ code: status, message }),
  };
}

function header(req: LabWebRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return typeof v === "string" ? v : Array.isArray(v) ? (v as readonly string[])[0] : undefined;
}

/** `login:password` of a `Basic` Authorization header; undefined when absent or malformed. */
export function parseBasicAuth(value: string | undefined): { login: string; password: string } | undefined {
  const m = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(value ?? "");
  if (!m) {
    return undefined;
  }
  const pair = Buffer.from(m[1], "base64").toString("utf8");
  const colon = pair.indexOf(":");
  return colon <= 0 ? undefined : { login: pair.slice(0, colon), password: pair.slice(colon + 1) };
}

/** The admin the Authorization header proves, or undefined (unknown login, wrong password, no header). */
export function authenticate(
  admins: readonly WebAdmin[],
  authorization: string | undefined,
): WebAdmin | undefined {
  const creds = parseBasicAuth(authorization);
  const admin = creds && admins.find((a) => a.login === creds.login);
  return admin && creds && verifyWebPassword(creds.password, admin.passwordHash) ? admin : undefined;
}

function halItem(a: WebAdmin): Record<string, unknown> {
  return {
    _links: { self: { href: `/api/admins/${a.id}` }, collection: { href: "/api/admins/" } },
    id: a.id,
    login: a.login,
    is_active: true,
  };
}

/** `GET /api/admins/?login=`: the collection, filtered by login substring (the panel's LIKE). */
export function renderAdminsCollection(admins: readonly WebAdmin[], loginFilter: string): string {
  const items = admins.filter((a) => a.login.includes(loginFilter)).map(halItem);
  return JSON.stringify({
    _links: { self: { href: `/api/admins/?login=${encodeURIComponent(loginFilter)}` } },
    // The panel renders a one-item embedded collection as the object itself (HAL's single-resource form).
    _embedded: { "ngcp:admins": items.length === 1 ? items[0] : items },
    total_count: items.length,
  });
}

/** The new password of a JSON patch, or why the patch is refused (400 not JSON, 422 anything else). */
export function parsePasswordPatch(
  body: string,
): { password: string } | { status: 400 | 422; message: string } {
  let ops: unknown;
  try {
    ops = JSON.parse(body);
  } catch {
    return { status: 400, message: "Malformed JSON" };
  }
  const op: unknown = Array.isArray(ops) && ops.length === 1 ? ops[0] : undefined;
  if (
    op === null ||
    typeof op !== "object" ||
    (op as { op?: unknown }).op !== "replace" ||
    (op as { path?: unknown }).path !== "/password" ||
    typeof (op as { value?: unknown }).value !== "string" ||
    (op as { value: string }).value === ""
  ) {
    return { status: 422, message: "Only a replace of /password with a non-empty string is supported" };
  }
  return { password: (op as { value: string }).value };
}

export interface AdminApiOutcome {
  readonly response: LabWebResponse;
  /** The accounts after a successful PATCH: the daemon writes them back. Absent when nothing changed. */
  readonly admins?: readonly WebAdmin[];
}

/**
 * One request of the REST API against the accounts as the file holds them now. `salt`: fresh random bytes
 * for the hash of a new password (used only by a successful PATCH). Never puts a password or the request
 * body into a response.
 */
export function handleAdminApi(
  req: LabWebRequest,
  admins: readonly WebAdmin[],
  salt: Uint8Array,
): AdminApiOutcome {
  const caller = authenticate(admins, header(req, "authorization"));
  if (!caller) {
    return {
      response: halError(401, "Invalid user or password", {
        "WWW-Authenticate": 'Basic realm="api_admin_http"',
      }),
    };
  }
  let url: URL;
  try {
    url = new URL(req.url, "https://localhost");
  } catch {
    return { response: halError(404, "Not found") };
  }
  if (req.method === "GET" && url.pathname === "/api/admins/") {
    return {
      response: {
        status: 200,
        headers: { "Content-Type": HAL },
        body: renderAdminsCollection(admins, url.searchParams.get("login") ?? ""),
      },
    };
  }
  const target = /^\/api\/admins\/(\d+)$/.exec(url.pathname);
  if (req.method === "PATCH" && target) {
    const mediaType = (header(req, "content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (mediaType !== "application/json-patch+json") {
      return { response: halError(415, "Unsupported media type, use application/json-patch+json") };
    }
    if (Number(target[1]) !== caller.id) {
      return { response: halError(403, "Only own user can change password") };
    }
    const patch = parsePasswordPatch(req.body);
    if (!("password" in patch)) {
      return { response: halError(patch.status, patch.message) };
    }
    const changed = setWebAdminPassword(admins, caller.login, patch.password, salt);
    const minimal = (header(req, "prefer") ?? "").trim() === "return=minimal";
    return {
      admins: changed,
      response: minimal
        ? { status: 204, headers: { "Preference-Applied": "return=minimal" } }
        : { status: 200, headers: { "Content-Type": HAL }, body: JSON.stringify(halItem(caller)) },
    };
  }
  return { response: halError(404, "Not found") };
}
