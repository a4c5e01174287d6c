/**
 * The web credentials provider (handbook 15.3): the `administrator` and `ngcpsoap` passwords, changed through
 * the NGCP REST API (api.ts: only the documented calls) over HTTPS carried by the pooled SSH connection to the
 * node's own 127.0.0.1. It learns which password is current by logging in (planner.ts). The state never holds
 * a password: the outputs keep fingerprints of the inputs (diff) and the applied passwords sealed under a key
 * that stays on the node (rotation and refresh need the one applied last; see providerKit.ts).
 */
import type * as pulumi from "@pulumi/pulumi";
import { checkTarget } from "../common/checkTarget";
import type { CandidateSource } from "../systemAccounts/loginCandidates";
import {
  newSalt,
  keyOf,
  nodeSealingKey,
  redactedMessage,
  sameValue,
  seal,
  secretFingerprint,
  settingsShapeFailures,
  targetMoved,
  underKey,
  unseal,
} from "../systemAccounts/providerKit";
import { nodeSnapshot } from "../common/nodeReads";
import { CREDENTIALS_KEY_FILE } from "../common/nodeContract";
import { nodeHttps, type NodeHttpResponse } from "../transport/https";
import { sessionFor, type NodeSession } from "../transport/session";
import type { NodeTarget } from "../transport/target";
import {
  basicAuthorization,
  classifyLoginStatus,
  describeRequest,
  findAdminRequest,
  parseAdminId,
  patchPasswordRequest,
  patchSucceeded,
  WEB_LOGINS,
  type LoginOutcome,
  type WebLogin,
  type WebRequest,
} from "./api";
import {
  adminPort,
  planWebPassword,
  validateWebCredentials,
  webLoginCandidates,
  webPasswordDrift,
  type LoginAttempt,
  type WebCredentialsInputs,
} from "./planner";

/** The settings keys of `ngcp-fleet:webCredentials`. */
export const WEB_SETTINGS: readonly string[] = ["administrator", "ngcpsoap", "port"];
const ACCOUNT_SETTINGS: readonly string[] = ["password", "currentPassword"];
const REQUEST_TIMEOUT_MS = 30_000;

export interface WebCredentialsResourceInputs {
  readonly target: NodeTarget;
  /** Secret in the state (the resource wraps it). */
  readonly webCredentials: WebCredentialsInputs;
}

export interface WebCredentialsOutputs {
  readonly target: NodeTarget;
  /** Which logins are managed, and the port: what the preview may show. */
  readonly logins: readonly WebLogin[];
  readonly port: number;
  readonly salt: string;
  /** Fingerprints of the password inputs, per login: tell a changed input in `diff`. */
  readonly inputFingerprints: Readonly<Record<string, string>>;
  /** The applied passwords sealed under the node's key (providerKit.seal): the "previous" of a rotation. */
  readonly sealed: Readonly<Record<string, string>>;
  /** The admins' ids in the REST API. */
  readonly adminIds: Readonly<Record<string, number>>;
  /** What the last apply did (no secrets). */
  readonly lastChanges: readonly string[];
  /** What the last refresh found changed outside the stack. */
  readonly drift: readonly string[];
}

function managedLogins(inputs: WebCredentialsInputs): WebLogin[] {
  return WEB_LOGINS.filter((login) => inputs[login] !== undefined);
}

function inputFingerprints(inputs: WebCredentialsInputs, salt: string): Record<string, string> {
  return Object.fromEntries(
    managedLogins(inputs).map((login) => [login, secretFingerprint(inputs[login]?.password ?? "", salt)]),
  );
}

function secretsOf(inputs: WebCredentialsInputs | undefined): string[] {
  return WEB_LOGINS.flatMap((login) => [inputs?.[login]?.password, inputs?.[login]?.currentPassword]).filter(
    (s): s is string => typeof s === "string",
  );
}

/**
 * Sends one REST call to the node's admin interface through the transport (nodeHttps), with basic auth added
 * here and nowhere else.
 */
function send(
  session: NodeSession,
  port: number,
  req: WebRequest,
  login: string,
  password: string,
): Promise<NodeHttpResponse> {
  return nodeHttps(
    session,
    port,
    { ...req, headers: { ...req.headers, Authorization: basicAuthorization(login, password) } },
    REQUEST_TIMEOUT_MS,
  );
}

interface LoginResult {
  readonly outcome: LoginAttempt["outcome"];
  readonly status: number;
  readonly id?: number;
}

/** `GET /api/admins/?login=` as `login` with `password`: the request, the answer and how the login went. */
async function attemptLogin(
  session: NodeSession,
  port: number,
  login: WebLogin,
  password: string,
): Promise<{ req: WebRequest; res: NodeHttpResponse; outcome: LoginOutcome }> {
  const req = findAdminRequest(login);
  const res = await send(session, port, req, login, password);
  return { req, res, outcome: classifyLoginStatus(res.status) };
}

/** {@link attemptLogin}, with the admin's id when accepted. */
async function tryLogin(
  session: NodeSession,
  port: number,
  login: WebLogin,
  password: string,
): Promise<LoginResult> {
  const { req, res, outcome } = await attemptLogin(session, port, login, password);
  if (outcome !== "accepted") {
    return { outcome, status: res.status };
  }
  const id = parseAdminId(res.body, login);
  if (id === undefined) {
    throw new Error(
      `node ${session.target.name}: ${describeRequest(req)} answered 200 without an admin named ${login}`,
    );
  }
  return { outcome, status: res.status, id };
}

/**
 * Whether the node's web interface accepts `login` with `password`: one `GET /api/admins/?login=<login>`
 * (the provider's own login request, over the session's pooled SSH connection to the node's
 * 127.0.0.1:`port`), nothing changed. For checks such as "administrator still on its factory password"
 * (handbook 15.3). Resolves `accepted` (200) or `rejected` (401/403); any other answer or a transport
 * failure rejects with an error naming node, request, port and status, never the password.
 *
 * Each call is one login attempt: a panel may ban a source after repeated failures, so probe sparingly.
 *
 * @param port the admin interface's port (`www_admin.http_admin.port`, the stack's `webCredentials.port`;
 *   api.ts `DEFAULT_ADMIN_PORT`, 1443, when the stack does not set one).
 */
export async function probeWebLogin(
  session: NodeSession,
  port: number,
  login: WebLogin,
  password: string,
): Promise<"accepted" | "rejected"> {
  let attempt: Awaited<ReturnType<typeof attemptLogin>>;
  try {
    attempt = await attemptLogin(session, port, login, password);
  } catch (err) {
    throw new Error(redactedMessage(err, [password]));
  }
  const { req, res, outcome } = attempt;
  if (outcome === "error") {
    // Method and path only (the login, never the password), so nothing to redact: a password equal to
    // the login (`administrator`'s default) must not blank the path out.
    throw new Error(
      `node ${session.target.name}: ${describeRequest(req)} on port ${port} answered ${res.status}`,
    );
  }
  return outcome;
}

/** One login's password: log in with the candidates in order, PATCH when needed, prove the new one. */
async function convergeLogin(
  session: NodeSession,
  port: number,
  login: WebLogin,
  inputs: WebCredentialsInputs,
  previous: string | undefined,
): Promise<{ id: number; change?: string }> {
  const account = inputs[login];
  if (!account) {
    throw new Error(`${login} is not managed`);
  }
  const node = session.target.name;
  const candidates = webLoginCandidates(login, account, previous);
  const passwordOf = (source: CandidateSource): string =>
    candidates.find((c) => c.source === source)?.password ?? account.password;
  const attempts: LoginAttempt[] = [];
  let id: number | undefined;
  for (;;) {
    const plan = planWebPassword(login, candidates, attempts);
    switch (plan.action) {
      case "tryNext": {
        const result = await tryLogin(session, port, login, passwordOf(plan.next));
        attempts.push({ source: plan.next, outcome: result.outcome, status: result.status });
        id = result.id ?? id;
        continue;
      }
      case "fail":
        throw new Error(`node ${node}: ${plan.description}`);
      case "none":
        return { id: id ?? 0 };
      case "patch": {
        const req = patchPasswordRequest(id ?? 0, account.password);
        const res = await send(session, port, req, login, passwordOf(plan.authenticateWith));
        if (!patchSucceeded(res.status)) {
          throw new Error(
            `node ${node}: ${describeRequest(req)} as ${login} answered ${res.status}; the password was not changed`,
          );
        }
        const proof = await tryLogin(session, port, login, account.password);
        if (proof.outcome !== "accepted") {
          throw new Error(
            `node ${node}: ${login}'s new password was sent but logging in with it answered ${proof.status}`,
          );
        }
        return { id: id ?? 0, change: plan.description };
      }
    }
  }
}

async function converge(
  inputs: WebCredentialsResourceInputs,
  olds: WebCredentialsOutputs | undefined,
): Promise<WebCredentialsOutputs> {
  const { target, webCredentials: settings } = inputs;
  const session = await sessionFor(target);
  const port = adminPort(settings);
  const key = await nodeSealingKey(session, true);
  const salt = olds?.salt ?? newSalt();
  const sealed: Record<string, string> = {};
  const adminIds: Record<string, number> = {};
  const changes: string[] = [];
  for (const login of managedLogins(settings)) {
    const previousSealed = olds?.sealed?.[login];
    const previous = previousSealed && key ? unseal(previousSealed, key) : undefined;
    try {
      const result = await convergeLogin(session, port, login, settings, previous);
      adminIds[login] = result.id;
      if (result.change) {
        changes.push(result.change);
      }
    } catch (err) {
      throw new Error(redactedMessage(err, [...secretsOf(settings), ...(previous ? [previous] : [])]));
    }
    sealed[login] = seal(settings[login]?.password ?? "", key as Buffer);
  }
  return {
    target,
    logins: managedLogins(settings),
    port,
    salt,
    inputFingerprints: inputFingerprints(settings, salt),
    sealed,
    adminIds,
    lastChanges: changes,
    drift: [],
  };
}

/** Refresh: log in with each applied password (unsealed with the node's key); refused = changed by hand. */
async function observeDrift(props: WebCredentialsOutputs): Promise<string[]> {
  const session = await sessionFor(props.target);
  const snapshot = await nodeSnapshot(props.target);
  const key = keyOf(snapshot.file(CREDENTIALS_KEY_FILE)?.content.toString("utf8"));
  const drift: string[] = [];
  for (const [login, sealedText] of Object.entries(props.sealed ?? {})) {
    const password = key ? unseal(sealedText, key) : undefined;
    if (password === undefined) {
      drift.push(`cannot check ${login}: the node's credentials key is missing or was replaced`);
      continue;
    }
    const result = await tryLogin(session, props.port, login as WebLogin, password);
    const found =
      result.outcome === "error"
        ? `the REST API answered ${result.status} to ${login}'s login`
        : webPasswordDrift(login as WebLogin, result.outcome);
    if (found) {
      drift.push(found);
    }
  }
  return drift;
}

/** Handbook 15.3's web passwords as a resource: `administrator` and `ngcpsoap`, changed through the REST API. */
export const webCredentialsProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: WebCredentialsResourceInputs, news: WebCredentialsResourceInputs) {
    const shape = settingsShapeFailures("webCredentials", news.webCredentials, WEB_SETTINGS);
    const failures = [...checkTarget(news.target, "target"), ...shape];
    if (!shape.some((f) => f.property === "webCredentials.(settings)")) {
      for (const login of WEB_LOGINS) {
        const account = news.webCredentials[login];
        if (account !== undefined) {
          failures.push(...settingsShapeFailures(`webCredentials.${login}`, account, ACCOUNT_SETTINGS));
        }
      }
      failures.push(...underKey("webCredentials", validateWebCredentials(news.webCredentials)));
    }
    return { inputs: news, failures };
  },

  /**
   * Changes of the passwords are left to the engine, which compares the stored inputs with the new ones
   * (secrets included) when `diff` gives no verdict: fingerprinting each password here would cost one
   * scrypt per password per node on every preview. What the inputs cannot show (drift, a moved node, a
   * state without a salt) is a change.
   */
  async diff(_id: string, olds: WebCredentialsOutputs, news: WebCredentialsResourceInputs) {
    return {
      changes: webCredentialsStructural(olds, news) ? true : undefined,
      replaces: [],
      deleteBeforeReplace: false,
    };
  },

  async create(inputs: WebCredentialsResourceInputs) {
    return { id: `${inputs.target.name}:web-credentials`, outs: await converge(inputs, undefined) };
  },

  async update(_id: string, olds: WebCredentialsOutputs, news: WebCredentialsResourceInputs) {
    return { outs: await converge(news, olds) };
  },

  async read(id: string, props: WebCredentialsOutputs) {
    return { id, props: { ...props, drift: await observeDrift(props) } };
  },

  async delete() {
    // The passwords stay as set: putting back `administrator` would undo handbook 15.3.
  },
};

/** What forces an update whatever the passwords: drift, a moved node, a changed shape, no salt yet. */
function webCredentialsStructural(olds: WebCredentialsOutputs, news: WebCredentialsResourceInputs): boolean {
  return (
    !olds.salt ||
    !sameValue([...(olds.logins ?? [])], managedLogins(news.webCredentials)) ||
    olds.port !== adminPort(news.webCredentials) ||
    targetMoved(olds.target, news.target) ||
    (olds.drift ?? []).length > 0
  );
}

/** The new inputs are what the last write applied, passwords compared by their salted fingerprints. */
export async function webCredentialsUnchanged(
  olds: WebCredentialsOutputs,
  news: WebCredentialsResourceInputs,
): Promise<boolean> {
  return (
    !webCredentialsStructural(olds, news) &&
    sameValue(olds.inputFingerprints ?? {}, inputFingerprints(news.webCredentials, olds.salt))
  );
}
