/**
 * The MySQL credentials provider (handbook 15.3): reads the node's MariaDB through mysql2 over the SSH
 * tunnel, plans with the pure core (planner.ts), runs the statements with placeholders, proves the result
 * by logging in, and writes root's 0600 option file. No password ever reaches a command line: the only
 * remote operations are SFTP reads, the atomic SFTP write of the option file, and SQL through the tunnel.
 */
import { FleetError } from "../common/fleetError";
import type * as pulumi from "@pulumi/pulumi";
import type { Connection, RowDataPacket } from "mysql2/promise";
import { checkTarget } from "../common/checkTarget";
import { loginCandidates, describeCandidate, type LoginCandidate } from "../systemAccounts/loginCandidates";
import {
  redactedMessage,
  newSalt,
  sameValue,
  keyOf,
  matchesFingerprint,
  nodeFingerprint,
  nodeKeyFor,
  secretFingerprint,
  settingsShapeFailures,
  targetMoved,
  underKey,
} from "../systemAccounts/providerKit";
import { withMysql } from "../transport/mysql";
import { sessionFor, type NodeSession } from "../transport/session";
import type { NodeTarget } from "../transport/target";
import { displayTarget, parseGrantTarget } from "./grants";
import {
  DEFAULT_HOST,
  privilegeList,
  ROOT_OPTION_FILE,
  ROOT_OPTION_FILE_MODE,
  type MysqlCredentialsInputs,
  type MysqlGrantInput,
} from "./inputs";
import { parseShowCreateUser } from "./nativePassword";
import { parseClientOptionFile, renderClientOptionFile } from "./optionFile";
import {
  desiredMysqlUsers,
  normalizePrivileges,
  planMysqlUsers,
  planSecrets,
  type LiveMysqlUser,
  type MysqlPlan,
} from "./planner";
import {
  missingServiceUsers,
  parseSipwiseCnf,
  protectedUserNames,
  serviceUsersFromConstants,
} from "./serviceUsers";
import {
  displayAccount,
  LIST_ACCOUNTS_SQL,
  parseServerVersion,
  quoteAccount,
  SERVER_VERSION_SQL,
  showCreateUserStatement,
  showGrantsStatement,
  type ServerVersion,
} from "./sql";
import { mysqlCredentialWarnings, validateMysqlCredentials } from "./validate";

/** The settings keys of `ngcp-fleet:mysql`. */
export const MYSQL_SETTINGS: readonly string[] = [
  "rootPassword",
  "currentRootPassword",
  "users",
  "writeRootOptionFile",
];

import { nodeSnapshot } from "../common/nodeReads";
import { CONSTANTS_YML, CREDENTIALS_KEY_FILE, SIPWISE_CNF } from "../common/nodeContract";

/** One account as the preview shows it: no password, no hash. */
export interface AccountShape {
  readonly account: string;
  /** `SELECT, LOCK TABLES on *.*` per grant, privileges normalized and sorted. */
  readonly grants: readonly string[];
}

/** What the preview may show of the settings (they are secret as a whole). Computed in `check`. */
export interface MysqlShape {
  readonly rootPassword: "managed" | "unmanaged";
  readonly users: readonly AccountShape[];
  readonly optionFile: string | null;
  readonly warnings: readonly string[];
}

/** What the provider receives. `mysql` is secret in the state (the resource wraps it). */
export interface MysqlCredentialsResourceInputs {
  readonly target: NodeTarget;
  readonly mysql: MysqlCredentialsInputs;
  /** Computed by `check`. */
  readonly shape?: MysqlShape;
}

/** The settings without their secrets: what `read` and `delete` plan with (they get outputs only). */
export interface DeclaredMysql {
  readonly users: readonly { name: string; host: string; grants: readonly MysqlGrantInput[] }[];
}

/**
 * What the provider stores as outputs. No password and no fast hash of one: the engine hands outputs back to
 * the program, whose `--debug` log prints them (see providerKit.ts). Root's password is read from the node's
 * own option file when the provider needs to log in without the inputs (rotation, refresh, delete).
 */
export interface MysqlCredentialsOutputs {
  readonly target: NodeTarget;
  readonly shape: MysqlShape;
  readonly declared: DeclaredMysql;
  /** Salt of the fingerprints below (per resource, not a secret). */
  readonly salt: string;
  /** Fingerprints of the password inputs (`rootPassword`, `user@host`): tell a changed input in `diff`. */
  readonly inputFingerprints: Readonly<Record<string, string>>;
  /** Fingerprints of each managed account's SHOW CREATE USER after the apply: tell a change made on the node. */
  readonly authFingerprints: Readonly<Record<string, string>>;
  /** Extra accounts the stack declares (`user@host`). */
  readonly accounts: readonly string[];
  /** Accounts this resource created (dropped again when the stack stops naming them, and on delete). */
  readonly managed: readonly { user: string; host: string }[];
  /** Root accounts whose password the resource manages. */
  readonly rootAccounts: readonly string[];
  /** NGCP service users the node names (constants.yml, sipwise.cnf) and MariaDB has: verified, never changed. */
  readonly serviceUsers: readonly string[];
  /** Service users the node names but MariaDB lacks (a broken install). */
  readonly missingServiceUsers: readonly string[];
  readonly serverVersion: string;
  /** Root's option file, when written. */
  readonly optionFile: string | null;
  /** What the last apply did (descriptions only). */
  readonly lastChanges: readonly string[];
  /** What the last refresh found changed outside the stack (descriptions only). */
  readonly drift: readonly string[];
}

/** The accounts and grants the settings ask for, for preview and diff (normalized, no secrets). */
export function mysqlShape(inputs: MysqlCredentialsInputs): MysqlShape {
  const users = (inputs.users ?? [])
    .map((u) => ({
      account: accountKey(u.name, u.host),
      grants: (u.grants ?? [])
        .map((g) => {
          const t = parseGrantTarget(g.on);
          const on = "target" in t ? displayTarget(t.target) : g.on;
          const privileges = normalizePrivileges(privilegeList(g.privileges)).join(", ");
          return `${privileges} on ${on}${g.withGrantOption ? " with grant option" : ""}`;
        })
        .sort(),
    }))
    .sort((a, b) => a.account.localeCompare(b.account));
  return {
    rootPassword: inputs.rootPassword !== undefined ? "managed" : "unmanaged",
    users,
    optionFile: writesOptionFile(inputs) ? ROOT_OPTION_FILE : null,
    warnings: mysqlCredentialWarnings(inputs),
  };
}

/** `user@host` with the host as MariaDB compares it (case-insensitively), the default host filled in. */
function accountKey(user: string, host: string | undefined): string {
  return displayAccount(user, (host ?? DEFAULT_HOST).toLowerCase());
}

function writesOptionFile(inputs: MysqlCredentialsInputs): boolean {
  return inputs.rootPassword !== undefined && inputs.writeRootOptionFile !== false;
}

function declaredOf(inputs: MysqlCredentialsInputs): DeclaredMysql {
  return {
    users: (inputs.users ?? []).map((u) => ({
      name: u.name,
      host: u.host ?? DEFAULT_HOST,
      grants: u.grants ?? [],
    })),
  };
}

/** Every secret of the settings, for redaction. */
function secretsOf(inputs: MysqlCredentialsInputs | undefined): string[] {
  return [
    inputs?.rootPassword,
    inputs?.currentRootPassword,
    ...(inputs?.users ?? []).map((u) => u?.password),
  ].filter((s): s is string => typeof s === "string");
}

/** Fingerprints of the password inputs under `salt` (`currentRootPassword` is a login hint, not compared). */
function inputFingerprints(inputs: MysqlCredentialsInputs, salt: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (inputs.rootPassword !== undefined) {
    out.rootPassword = secretFingerprint(inputs.rootPassword, salt);
  }
  for (const u of inputs.users ?? []) {
    out[accountKey(u.name, u.host)] = secretFingerprint(u.password, salt);
  }
  return out;
}

/** The preview's view of the settings minus its warnings (which depend on nothing the node has). */
function comparableShape(shape: MysqlShape | undefined) {
  return shape
    ? { rootPassword: shape.rootPassword, users: shape.users, optionFile: shape.optionFile }
    : undefined;
}

/** What the node says about its service users (files read over SFTP; passwords in them are not kept). */
interface NodeServiceUsers {
  readonly expected: string[];
  readonly protectedNames: string[];
}

/** Reads a node file: over the session (before a change) or from the node's shared batched read. */
interface NodeFiles {
  readonly node: string;
  readFile(path: string): Promise<Buffer | undefined>;
  /** The node's credentials key, from the shared read (refresh only). */
  readonly nodeKey?: Buffer;
}

function sessionFiles(session: NodeSession): NodeFiles {
  return { node: session.target.name, readFile: (path) => session.readFile(path) };
}

async function sharedFiles(target: NodeTarget): Promise<NodeFiles> {
  const snapshot = await nodeSnapshot(target, {
    files: [CONSTANTS_YML, SIPWISE_CNF, ROOT_OPTION_FILE, CREDENTIALS_KEY_FILE],
  });
  const nodeKey = keyOf(snapshot.file(CREDENTIALS_KEY_FILE)?.content.toString("utf8"));
  return {
    node: target.name,
    readFile: async (path) => snapshot.file(path)?.content ?? undefined,
    ...(nodeKey === undefined ? {} : { nodeKey }),
  };
}

async function readServiceUsers(files: NodeFiles): Promise<NodeServiceUsers> {
  const node = files.node;
  const constants = await files.readFile(CONSTANTS_YML);
  let fromConstants: string[] = [];
  if (constants) {
    try {
      fromConstants = serviceUsersFromConstants(constants.toString("utf8"));
    } catch (err) {
      // The YAML library quotes the offending source lines, and this file holds passwords: say where only.
      const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
      throw new Error(
        `node ${node}: ${CONSTANTS_YML} is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ""}`,
      );
    }
  }
  const cnf = await files.readFile(SIPWISE_CNF);
  const sipwiseCnf = cnf ? parseSipwiseCnf(cnf.toString("utf8")) : undefined;
  const expected = [...new Set([...fromConstants, ...(sipwiseCnf?.user ? [sipwiseCnf.user] : [])])].sort();
  return { expected, protectedNames: protectedUserNames({ fromConstants, sipwiseCnf }) };
}

/** Root's password as the node's option file holds it (what the last apply set), if the file exists. */
async function optionFilePassword(files: NodeFiles): Promise<string | undefined> {
  const text = await files.readFile(ROOT_OPTION_FILE);
  return text === undefined ? undefined : parseClientOptionFile(text.toString("utf8")).password;
}

interface LiveServer {
  readonly version: ServerVersion;
  readonly versionText: string;
  readonly accounts: LiveMysqlUser[];
  /** SHOW CREATE USER of each detailed account (`user@host` as the server spells the host). */
  readonly createUser: Readonly<Record<string, string>>;
}

/** Accounts with their auth; grants and SHOW CREATE USER only for the accounts `detailFor` names. */
async function readServer(
  db: Connection,
  detailFor: (user: string, host: string) => boolean,
): Promise<LiveServer> {
  const [versionRows] = await db.query<RowDataPacket[]>(SERVER_VERSION_SQL.sql);
  const versionText = String(versionRows[0]?.version ?? "");
  const version = parseServerVersion(versionText);
  const [rows] = await db.query<RowDataPacket[]>(LIST_ACCOUNTS_SQL.sql);
  const accounts: LiveMysqlUser[] = [];
  const createUser: Record<string, string> = {};
  for (const row of rows) {
    const user = String(row.user);
    const host = String(row.host);
    const base = {
      user,
      host,
      plugin: String(row.plugin ?? ""),
      authString: String(row.authString || row.legacyHash || ""),
    };
    if (!detailFor(user, host)) {
      accounts.push({ ...base, grants: [] });
      continue;
    }
    const [grants] = await db.query<RowDataPacket[]>(showGrantsStatement(user, host).sql);
    const [created] = await db.query<RowDataPacket[]>(showCreateUserStatement(user, host).sql);
    const createText = String(Object.values(created[0] ?? {})[0] ?? "");
    createUser[accountKey(user, host)] = createText;
    accounts.push({
      ...base,
      grants: grants.map((g) => String(Object.values(g)[0])),
      auth: createText ? parseShowCreateUser(createText).auth : undefined,
    });
  }
  return { version, versionText, accounts, createUser };
}

/** Thrown by {@link withRoot} when no candidate password is accepted. */
class RootLoginRejected extends FleetError {
  constructor(
    node: string,
    readonly tried: readonly LoginCandidate[],
  ) {
    super(
      `node ${node}: MariaDB refused root with ${tried.map((c) => describeCandidate(c.source)).join(", ")}. ` +
        "Root's password was changed outside this stack: set mysql.currentRootPassword to the password it has " +
        "now (as a secret), run `pulumi up`, then remove it.",
      "RootLoginRejected",
    );
  }
}

/**
 * Logs in as root with each candidate in turn. Only "access denied" moves on to the next candidate; any
 * other error (tunnel, server down) fails at once.
 */
async function withRoot<T>(
  target: NodeTarget,
  candidates: readonly LoginCandidate[],
  fn: (db: Connection, used: LoginCandidate) => Promise<T>,
): Promise<T> {
  for (const candidate of candidates) {
    let entered = false;
    try {
      return await withMysql(target, { user: "root", password: candidate.password }, (db) => {
        entered = true;
        return fn(db, candidate);
      });
    } catch (err) {
      if (!entered && /Access denied/i.test(err instanceof Error ? err.message : String(err))) {
        continue;
      }
      throw err;
    }
  }
  throw new RootLoginRejected(target.name, candidates);
}

/**
 * Root's login candidates for an apply: the desired password (a no-op `up` needs one login), the operator's
 * `currentRootPassword`, the password of the node's option file (what the last apply set: a rotation), and
 * none (a fresh CE, handbook 15.3). The option file stands in for "the previous password" so the state never
 * has to keep one.
 */
function rootCandidates(
  inputs: MysqlCredentialsInputs | undefined,
  fromNode: string | undefined,
): LoginCandidate[] {
  return loginCandidates({
    desired: inputs?.rootPassword ?? fromNode ?? "",
    current: inputs?.currentRootPassword,
    previous: fromNode,
    vendorDefault: "",
  });
}

function planFor(
  inputs: MysqlCredentialsInputs,
  server: LiveServer,
  service: NodeServiceUsers,
  previouslyManaged: readonly { user: string; host: string }[],
): MysqlPlan & { rootAccounts: string[] } {
  const desired = desiredMysqlUsers(inputs, server.accounts);
  const plan = planMysqlUsers(desired.users, server.accounts, {
    serverVersion: server.version,
    previouslyManaged,
    protectedUsers: service.protectedNames,
  });
  return {
    ...plan,
    warnings: [...desired.warnings, ...plan.warnings],
    rootAccounts: desired.users
      .filter((u) => u.name === "root")
      .map((u) => displayAccount(u.name, u.host ?? "")),
  };
}

/** Proves a password by logging in with it (a fresh connection through the tunnel). */
async function proveLogin(target: NodeTarget, user: string, password: string): Promise<void> {
  await withMysql(target, { user, password }, async (db) => {
    await db.query("SELECT CURRENT_USER() AS account");
  });
}

/** Which accounts to read in detail: root, the declared ones, the ones this resource created. */
function detailFilter(declared: DeclaredMysql, managed: readonly { user: string; host: string }[]) {
  const wanted = new Set(declared.users.map((u) => accountKey(u.name, u.host)));
  const mine = new Set(managed.map((m) => accountKey(m.user, m.host)));
  return (user: string, host: string): boolean => {
    const key = accountKey(user, host);
    return user === "root" || wanted.has(key) || mine.has(key);
  };
}

/** Fingerprints of the stored authentication of root and the declared accounts, as the server has them now. */
function authFingerprintsOf(
  server: LiveServer,
  keys: readonly string[],
  nodeKey: Buffer,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const text = server.createUser[key];
    if (text !== undefined) {
      out[key] = nodeFingerprint(text, nodeKey);
    }
  }
  return out;
}

/**
 * Converges the node: log in as root, read, plan, run the statements in order, prove root's (and every
 * changed local user's) password by logging in with it, write the option file.
 */
async function converge(
  inputs: MysqlCredentialsResourceInputs,
  olds: MysqlCredentialsOutputs | undefined,
): Promise<MysqlCredentialsOutputs> {
  const { target, mysql } = inputs;
  const session = await sessionFor(target);
  const files = sessionFiles(session);
  const service = await readServiceUsers(files);
  const previouslyManaged = olds?.managed ?? [];
  const declared = declaredOf(mysql);
  const secrets = secretsOf(mysql);
  const detail = detailFilter(declared, previouslyManaged);
  const fromNode = await optionFilePassword(files);

  const { server, plan } = await withRoot(target, rootCandidates(mysql, fromNode), async (db) => {
    const before = await readServer(db, detail);
    const planned = planFor(mysql, before, service, previouslyManaged);
    const statementSecrets = [...secrets, ...planSecrets(planned)];
    for (const action of planned.actions) {
      try {
        await db.query(action.statement.sql, [...action.statement.values]);
      } catch (err) {
        throw new Error(
          `node ${target.name}: MariaDB refused to ${action.description}: ${redactedMessage(err, statementSecrets)}`,
        );
      }
    }
    return { server: planned.actions.length > 0 ? await readServer(db, detail) : before, plan: planned };
  });

  if (mysql.rootPassword !== undefined) {
    await proveLogin(target, "root", mysql.rootPassword).catch((err) => {
      throw new Error(
        `node ${target.name}: logging in as root with its new MariaDB password failed: ${redactedMessage(err, secrets)}`,
      );
    });
  }
  const changedAccounts = new Set(
    plan.actions.filter((a) => a.kind === "createUser" || a.kind === "alterPassword").map((a) => a.account),
  );
  for (const user of mysql.users ?? []) {
    const host = user.host ?? DEFAULT_HOST;
    if (
      (host === "localhost" || host === "127.0.0.1") &&
      changedAccounts.has(displayAccount(user.name, host))
    ) {
      await proveLogin(target, user.name, user.password).catch((err) => {
        throw new Error(
          `node ${target.name}: ${displayAccount(user.name, host)} was set but cannot log in: ${redactedMessage(err, secrets)}`,
        );
      });
    }
  }

  let optionFile: string | null = null;
  if (writesOptionFile(mysql)) {
    const text = renderClientOptionFile({ password: mysql.rootPassword ?? "" });
    const live = await session.readFile(ROOT_OPTION_FILE);
    if (live === undefined || live.toString("utf8") !== text) {
      await session.writeFileAtomic(ROOT_OPTION_FILE, text, { mode: ROOT_OPTION_FILE_MODE });
    }
    optionFile = ROOT_OPTION_FILE;
  }

  const created = new Set(plan.actions.filter((a) => a.kind === "createUser").map((a) => a.account));
  const declaredKeys = declared.users.map((u) => accountKey(u.name, u.host));
  const managed = [
    ...previouslyManaged.filter((m) => declaredKeys.includes(accountKey(m.user, m.host))),
    ...declared.users
      .filter((u) => created.has(displayAccount(u.name, u.host)))
      .map((u) => ({ user: u.name, host: u.host })),
  ];
  const salt = olds?.salt ?? newSalt();
  const present = new Set(server.accounts.map((a) => a.user));
  return {
    target,
    shape: inputs.shape ?? mysqlShape(mysql),
    declared,
    salt,
    inputFingerprints: inputFingerprints(mysql, salt),
    authFingerprints: authFingerprintsOf(
      server,
      [...plan.rootAccounts, ...declaredKeys],
      await nodeKeyFor(session),
    ),
    accounts: [...declaredKeys].sort(),
    managed,
    rootAccounts: plan.rootAccounts,
    serviceUsers: service.expected.filter((u) => present.has(u)),
    missingServiceUsers: missingServiceUsers(service.expected, server.accounts),
    serverVersion: server.versionText,
    optionFile,
    lastChanges: plan.actions.map((a) => a.description),
    drift: [],
  };
}

/**
 * What refresh finds, from the outputs alone (no password): an account whose stored authentication differs
 * from the one recorded at the last apply, a missing account, grants that differ, a root that refuses the
 * option file's password, a missing option file.
 */
async function observeDrift(props: MysqlCredentialsOutputs): Promise<string[]> {
  const { target } = props;
  const files = await sharedFiles(target);
  const service = await readServiceUsers(files);
  const declared = props.declared ?? { users: [] };
  const managed = props.managed ?? [];
  const fromNode = await optionFilePassword(files);
  const drift: string[] = [];
  if (props.optionFile && fromNode === undefined) {
    drift.push(`${ROOT_OPTION_FILE} is missing (or holds no password)`);
  }
  try {
    await withRoot(target, rootCandidates(undefined, fromNode), async (db) => {
      const server = await readServer(db, detailFilter(declared, managed));
      for (const [account, recorded] of Object.entries(props.authFingerprints ?? {})) {
        const live = server.createUser[account];
        const same =
          live === undefined ? false : matchesFingerprint(live, recorded, files.nodeKey, props.salt);
        if (live === undefined) {
          drift.push(`${account} no longer exists (changed outside the stack)`);
        } else if (same === undefined) {
          drift.push(`cannot check ${account}: the node's credentials key is missing or was replaced`);
        } else if (!same) {
          drift.push(`the password of ${account} was changed outside the stack`);
        }
      }
      // Grants: plan with an empty password, keep only the grant and revoke statements.
      const desired = declared.users.map((u) => ({
        name: u.name,
        host: u.host,
        password: "",
        grants: u.grants,
      }));
      const plan = planMysqlUsers(desired, server.accounts, {
        serverVersion: server.version,
        protectedUsers: service.protectedNames,
      });
      drift.push(
        ...plan.actions
          .filter((a) => a.kind === "grant" || a.kind === "revoke")
          .map((a) => `${a.description} (changed outside the stack)`),
      );
    });
  } catch (err) {
    if (!(err instanceof RootLoginRejected)) {
      throw err;
    }
    drift.push(
      fromNode === undefined
        ? "MariaDB root refuses an empty password and the node has no option file: cannot check (changed outside the stack?)"
        : `MariaDB root refuses the password of ${ROOT_OPTION_FILE} (changed outside the stack)`,
    );
  }
  return drift;
}

/**
 * Handbook 15.3's MySQL part as a resource: root's password (set, rotated, proved), extra least-privilege
 * users with exactly their grants, the NGCP service users verified and never touched, and root's option file
 * for later tools on the node.
 */
export const mysqlCredentialsProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: MysqlCredentialsResourceInputs, news: MysqlCredentialsResourceInputs) {
    const shapeFailures = settingsShapeFailures("mysql", news.mysql, MYSQL_SETTINGS);
    const failures = [
      ...checkTarget(news.target, "target"),
      ...shapeFailures,
      ...(shapeFailures.some((f) => f.property === "mysql.(settings)")
        ? []
        : underKey("mysql", validateMysqlCredentials(news.mysql))),
    ];
    const current = news.mysql?.currentRootPassword;
    if (current !== undefined && (typeof current !== "string" || current.length === 0)) {
      failures.push({
        property: "mysql.currentRootPassword",
        reason: "must not be empty when given (leave it out)",
      });
    }
    if (failures.length > 0) {
      return { inputs: news, failures };
    }
    return { inputs: { ...news, shape: mysqlShape(news.mysql) }, failures: [] };
  },

  /**
   * Changes of the passwords are left to the engine, which compares the stored inputs with the new ones
   * (secrets included) when `diff` gives no verdict: fingerprinting each password here would cost one
   * scrypt per password per node on every preview. What the inputs cannot show (drift, a moved node, a
   * state without a salt) is a change.
   */
  async diff(_id: string, olds: MysqlCredentialsOutputs, news: MysqlCredentialsResourceInputs) {
    return {
      changes: mysqlStructural(olds, news) ? true : undefined,
      replaces: [],
      deleteBeforeReplace: false,
    };
  },

  async create(inputs: MysqlCredentialsResourceInputs) {
    return { id: `${inputs.target.name}:mysql-credentials`, outs: await converge(inputs, undefined) };
  },

  async update(_id: string, olds: MysqlCredentialsOutputs, news: MysqlCredentialsResourceInputs) {
    return { outs: await converge(news, olds) };
  },

  async read(id: string, props: MysqlCredentialsOutputs) {
    return { id, props: { ...props, drift: await observeDrift(props) } };
  },

  /**
   * Drops the accounts this resource created. Root's password and its option file stay: removing them would
   * reopen what handbook 15.3 closes (and the option file is the node's only record of the password).
   */
  async delete(_id: string, props: MysqlCredentialsOutputs) {
    const managed = props.managed ?? [];
    if (managed.length === 0) {
      return;
    }
    const session = await sessionFor(props.target);
    const files = sessionFiles(session);
    await withRoot(props.target, rootCandidates(undefined, await optionFilePassword(files)), async (db) => {
      for (const m of managed) {
        try {
          await db.query(`DROP USER IF EXISTS ${quoteAccount(m.user, m.host)}`);
        } catch (err) {
          throw new Error(
            `node ${props.target.name}: cannot drop ${displayAccount(m.user, m.host)}: ${redactedMessage(err, [])}`,
          );
        }
      }
    });
  },
};

/** What forces an update whatever the passwords: drift, a moved node, a changed shape, no salt yet. */
function mysqlStructural(olds: MysqlCredentialsOutputs, news: MysqlCredentialsResourceInputs): boolean {
  return (
    !olds.salt ||
    !sameValue(comparableShape(olds.shape), comparableShape(mysqlShape(news.mysql))) ||
    targetMoved(olds.target, news.target) ||
    (olds.drift ?? []).length > 0
  );
}

/** The new inputs are what the last write applied, passwords compared by their salted fingerprints. */
export async function mysqlUnchanged(
  olds: MysqlCredentialsOutputs,
  news: MysqlCredentialsResourceInputs,
): Promise<boolean> {
  return (
    !mysqlStructural(olds, news) &&
    sameValue(olds.inputFingerprints ?? {}, inputFingerprints(news.mysql, olds.salt))
  );
}
