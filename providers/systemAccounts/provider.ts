/**
 * The system accounts provider (handbook 15.3): root's password, the cdrexport login, the wipe of the
 * preinstalled authorized_keys of root and sipwise. Reads `getent passwd|shadow` and the key files, plans
 * with the pure core (shadow.ts, planner.ts, sshKeys.ts), applies with `chpasswd` on stdin, `passwd -l` and
 * atomic SFTP writes. Passwords travel on stdin only; outputs hold fingerprints of shadow hashes, never a
 * password (see providerKit.ts for why not even the hashes).
 */
import type * as pulumi from "@pulumi/pulumi";
import { utils as sshUtils } from "ssh2";
import { checkTarget, type CheckFailure } from "../common/checkTarget";
import { nodeSnapshot, SECTIONS } from "../common/nodeReads";
import { CREDENTIALS_KEY_FILE } from "../common/nodeContract";
import { privateKeyText, sessionFor, type NodeSession } from "../transport/session";
import { READ_ACCOUNTS } from "./nodeReads";
import { fingerprint, type NodeTarget } from "../transport/target";
import {
  CDREXPORT,
  ROOT,
  SIPWISE,
  type CdrexportInputs,
  type KeepKeysInputs,
  type SystemAccountsInputs,
} from "./inputs";
import { planCdrexportKeys, planKeyWipe, type KeysFileChange, type LiveKeysFile } from "./planner";
import {
  keyOf,
  matchesFingerprint,
  newSalt,
  nodeFingerprint,
  nodeKeyFor,
  redactedMessage,
  sameValue,
  secretFingerprint,
  settingsShapeFailures,
  targetMoved,
  underKey,
} from "./providerKit";
import {
  CHPASSWD_ARGV,
  lockCommand,
  parseShadow,
  parseVerifyOutput,
  planAccountPassword,
  renderChpasswdInput,
  renderVerifyStdin,
  verifyCommand,
  type ShadowEntry,
  type VerifyAnswer,
} from "./shadow";
import { authorizedKeysFiles, parseAuthorizedKeyLine, parsePasswd, type PasswdEntry } from "./sshKeys";
import { systemAccountsWarnings, validateSystemAccounts } from "./validate";

/** The settings keys of `ngcp-fleet:systemAccounts`. */
export const SYSTEM_ACCOUNTS_SETTINGS: readonly string[] = [
  "rootPassword",
  "cdrexport",
  "wipeAuthorizedKeys",
  "keepKeys",
  "vagrant",
];

export interface SystemAccountsResourceInputs {
  readonly target: NodeTarget;
  /** Secret in the state (the resource wraps it). */
  readonly systemAccounts: SystemAccountsInputs;
  /** Computed by `check`: what the preview may show. */
  readonly shape?: SystemAccountsShape;
}

/** The settings without their secrets: what the preview shows and what `read` re-plans the keys with. */
export interface SystemAccountsShape {
  readonly rootPassword: "managed" | "unmanaged";
  readonly cdrexport: {
    readonly mode: CdrexportInputs["mode"];
    readonly authorizedKeys: readonly string[];
  } | null;
  readonly wipeAuthorizedKeys: boolean;
  readonly keepKeys: { readonly root: readonly string[]; readonly sipwise: readonly string[] };
  readonly vagrant: boolean;
  /** Fingerprints of the deployer's own key when known (it must be among root's kept keys). */
  readonly deployerKey: string | null;
  readonly warnings: readonly string[];
}

export interface SystemAccountsOutputs {
  readonly target: NodeTarget;
  readonly shape: SystemAccountsShape;
  readonly salt: string;
  /** Fingerprints of the password inputs (`root`, `cdrexport`): tell a changed input in `diff`. */
  readonly inputFingerprints: Readonly<Record<string, string>>;
  /** Fingerprints of the shadow hashes right after the last apply: `read` compares the live hashes with them. */
  readonly hashFingerprints: Readonly<Record<string, string>>;
  /** cdrexport's home (in the jail on NGCP). */
  readonly cdrexportHome: string | null;
  /** What the last apply did (no secrets, no key material: fingerprints). */
  readonly lastChanges: readonly string[];
  /** What the last refresh found changed outside the stack. */
  readonly drift: readonly string[];
}

/** The fingerprint (`SHA256:…`) of the key the deployer logs in with, when the target names it. */
export function deployerKeyFingerprint(target: NodeTarget): string | undefined {
  let text: string | undefined;
  try {
    text = privateKeyText(target);
  } catch {
    return undefined;
  }
  if (!text) {
    return undefined; // an SSH agent: the key is not known here
  }
  const parsed = sshUtils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return key instanceof Error || !key ? undefined : fingerprint(key.getPublicSSH());
}

function keyFingerprints(lines: readonly string[] | undefined): string[] {
  return (lines ?? []).flatMap((line) => {
    const parsed = parseAuthorizedKeyLine(line);
    return parsed.kind === "key" ? [parsed.fingerprint] : [];
  });
}

export function systemAccountsShape(inputs: SystemAccountsInputs, deployerKey?: string): SystemAccountsShape {
  return {
    rootPassword: inputs.rootPassword !== undefined ? "managed" : "unmanaged",
    cdrexport: inputs.cdrexport
      ? { mode: inputs.cdrexport.mode, authorizedKeys: [...(inputs.cdrexport.authorizedKeys ?? [])] }
      : null,
    wipeAuthorizedKeys: inputs.wipeAuthorizedKeys ?? false,
    keepKeys: { root: [...(inputs.keepKeys?.root ?? [])], sipwise: [...(inputs.keepKeys?.sipwise ?? [])] },
    vagrant: inputs.vagrant ?? false,
    deployerKey: deployerKey ?? null,
    warnings: systemAccountsWarnings(inputs),
  };
}

/** The shape as planner inputs again (no passwords): what `read` re-plans the key files with. */
function keysOnly(shape: SystemAccountsShape): SystemAccountsInputs {
  return {
    ...(shape.cdrexport
      ? { cdrexport: { mode: shape.cdrexport.mode, authorizedKeys: shape.cdrexport.authorizedKeys } }
      : {}),
    wipeAuthorizedKeys: shape.wipeAuthorizedKeys,
    keepKeys: shape.keepKeys as KeepKeysInputs,
    vagrant: shape.vagrant,
  };
}

function comparableShape(shape: SystemAccountsShape | undefined) {
  return shape
    ? {
        rootPassword: shape.rootPassword,
        cdrexport: shape.cdrexport
          ? { mode: shape.cdrexport.mode, keys: keyFingerprints(shape.cdrexport.authorizedKeys) }
          : null,
        wipe: shape.wipeAuthorizedKeys && !shape.vagrant,
        keepKeys: {
          root: keyFingerprints(shape.keepKeys.root),
          sipwise: keyFingerprints(shape.keepKeys.sipwise),
        },
      }
    : undefined;
}

/** The accounts whose password the settings set, with the password (a secret). */
function passwordsOf(inputs: SystemAccountsInputs): { user: string; password: string }[] {
  return [
    ...(inputs.rootPassword !== undefined ? [{ user: ROOT, password: inputs.rootPassword }] : []),
    ...(inputs.cdrexport?.mode === "password" && inputs.cdrexport.password !== undefined
      ? [{ user: CDREXPORT, password: inputs.cdrexport.password }]
      : []),
  ];
}

function inputFingerprints(inputs: SystemAccountsInputs, salt: string): Record<string, string> {
  return Object.fromEntries(passwordsOf(inputs).map((p) => [p.user, secretFingerprint(p.password, salt)]));
}

/** Validates the settings against the target: shape, the core's rules, and the deployer's own key kept. */
export function checkSystemAccounts(target: NodeTarget, settings: unknown): CheckFailure[] {
  const shape = settingsShapeFailures("systemAccounts", settings, SYSTEM_ACCOUNTS_SETTINGS);
  if (shape.some((f) => f.property === "systemAccounts.(settings)")) {
    return shape;
  }
  const inputs = { ...(settings as SystemAccountsInputs), deployerUser: target.user ?? ROOT };
  const failures = [...shape, ...underKey("systemAccounts", validateSystemAccounts(inputs))];
  const deployer = deployerKeyFingerprint(target);
  const user = target.user ?? ROOT;
  if (inputs.wipeAuthorizedKeys && !inputs.vagrant && deployer && (user === ROOT || user === SIPWISE)) {
    const kept = keyFingerprints(user === ROOT ? inputs.keepKeys?.root : inputs.keepKeys?.sipwise);
    if (kept.length > 0 && !kept.includes(deployer)) {
      failures.push({
        property: `systemAccounts.keepKeys.${user}`,
        reason:
          `does not name the deployer's own key (${deployer}); the wipe would lock the deployer out. ` +
          `Add the public key of ${target.privateKeyPath ?? "the stack's ssh key"} to the list`,
      });
    }
  }
  return failures;
}

interface LiveAccounts {
  readonly passwd: PasswdEntry[];
  readonly shadow: ShadowEntry[];
}

function parseAccounts(stdout: string): LiveAccounts {
  const [passwd, shadow = ""] = stdout.split("@@shadow\n");
  return { passwd: parsePasswd(passwd), shadow: parseShadow(shadow) };
}

async function readAccounts(session: NodeSession): Promise<LiveAccounts> {
  return parseAccounts((await session.script(READ_ACCOUNTS, { readOnly: true })).stdout);
}

/** The node's accounts and their authorized_keys files, from the node's shared batched read. */
async function sharedAccounts(
  target: NodeTarget,
): Promise<{ live: LiveAccounts; files: KeyFileReader; nodeKey: Buffer | undefined }> {
  const snapshot = await nodeSnapshot(target);
  const live = parseAccounts(snapshot.section(SECTIONS.accounts).stdout);
  const wanted = [ROOT, SIPWISE, CDREXPORT].flatMap((user) => {
    const entry = homeOf(live, user);
    return entry ? authorizedKeysFiles(entry.home) : [];
  });
  const missing = wanted.filter((path) => snapshot.file(path) === undefined);
  const complete = missing.length === 0 ? snapshot : await nodeSnapshot(target, { files: missing });
  return {
    live,
    files: async (path) => complete.file(path)?.content ?? undefined,
    nodeKey: keyOf(snapshot.file(CREDENTIALS_KEY_FILE)?.content.toString("utf8")),
  };
}

/** Reads one file of the node: over the session, or from a snapshot. */
type KeyFileReader = (path: string) => Promise<Buffer | undefined>;

function homeOf(live: LiveAccounts, user: string): PasswdEntry | undefined {
  return live.passwd.find((p) => p.user === user);
}

async function readKeyFiles(read: KeyFileReader, live: LiveAccounts): Promise<LiveKeysFile[]> {
  const files: LiveKeysFile[] = [];
  for (const user of [ROOT, SIPWISE]) {
    const entry = homeOf(live, user);
    for (const path of entry ? authorizedKeysFiles(entry.home) : []) {
      files.push({ user, path, text: (await read(path))?.toString("utf8") });
    }
  }
  return files;
}

async function readCdrexportKeys(read: KeyFileReader, live: LiveAccounts): Promise<LiveKeysFile | undefined> {
  const entry = homeOf(live, CDREXPORT);
  if (!entry) {
    return undefined;
  }
  const path = authorizedKeysFiles(entry.home)[0];
  return { user: CDREXPORT, path, text: (await read(path))?.toString("utf8") };
}

/** Writes one authorized_keys file with the owner's ids, creating its 0700 `.ssh` directory if needed. */
async function writeKeysFile(
  session: NodeSession,
  owner: PasswdEntry,
  change: KeysFileChange,
): Promise<void> {
  const dir = change.path.slice(0, change.path.lastIndexOf("/"));
  await session.exec(["install", "-d", "-m", "700", "-o", String(owner.uid), "-g", String(owner.gid), dir]);
  await session.writeFileAtomic(change.path, change.plan.text, {
    mode: 0o600,
    uid: owner.uid,
    gid: owner.gid,
  });
}

/** Runs the verifier on the node: does `password` produce `hash`? (stdin only) */
async function verify(session: NodeSession, hash: string, password: string): Promise<VerifyAnswer> {
  const { argv, okExitCodes } = verifyCommand();
  const { stdout } = await session.exec(argv, {
    stdin: renderVerifyStdin(hash, password),
    okExitCodes,
    secrets: [password],
  });
  return parseVerifyOutput(stdout);
}

async function converge(
  inputs: SystemAccountsResourceInputs,
  olds: SystemAccountsOutputs | undefined,
): Promise<SystemAccountsOutputs> {
  const { target, systemAccounts: settings } = inputs;
  const session = await sessionFor(target);
  const salt = olds?.salt ?? newSalt();
  const nodeKey = await nodeKeyFor(session);
  const secrets = passwordsOf(settings).map((p) => p.password);
  const changes: string[] = [];
  let live = await readAccounts(session);

  // Passwords: root's and cdrexport's (set, verified or locked), through chpasswd's stdin.
  const wanted: {
    user: string;
    desired: { kind: "password"; changed: boolean; password: string } | { kind: "locked" };
  }[] = [
    ...passwordsOf(settings).map((p) => ({
      user: p.user,
      desired: {
        kind: "password" as const,
        changed:
          olds?.inputFingerprints?.[p.user] !== undefined &&
          olds.inputFingerprints[p.user] !== secretFingerprint(p.password, salt),
        password: p.password,
      },
    })),
    ...(settings.cdrexport?.mode === "key"
      ? [{ user: CDREXPORT, desired: { kind: "locked" as const } }]
      : []),
  ];
  const setEntries: { user: string; password: string }[] = [];
  for (const { user, desired } of wanted) {
    const entry = live.shadow.find((s) => s.user === user);
    const recorded = olds?.hashFingerprints?.[user];
    const situation = {
      user,
      desired: desired.kind === "locked" ? desired : { kind: "password" as const, changed: desired.changed },
      live: entry,
      // The planner compares hashes; the state keeps fingerprints of them: translate.
      recordedHash:
        recorded === undefined || !entry
          ? undefined
          : matchesFingerprint(entry.hash, recorded, nodeKey, olds?.salt) === true
            ? entry.hash
            : "(other)",
    };
    let action = planAccountPassword(situation);
    if (action.action === "verify" && entry && desired.kind === "password") {
      action = planAccountPassword({
        ...situation,
        verification: await verify(session, entry.hash, desired.password),
      });
    }
    switch (action.action) {
      case "missing":
        throw new Error(`node ${target.name}: ${action.reason}`);
      case "lock":
        await session.exec(lockCommand(user));
        changes.push(`lock the password login of ${user}`);
        break;
      case "set":
        if (desired.kind === "password") {
          setEntries.push({ user, password: desired.password });
          changes.push(`set the password of ${user} (${action.reason})`);
        }
        break;
      default:
        break;
    }
  }
  if (setEntries.length > 0) {
    try {
      await session.exec([...CHPASSWD_ARGV], { stdin: renderChpasswdInput(setEntries), secrets });
    } catch (err) {
      throw new Error(`node ${target.name}: chpasswd failed: ${redactedMessage(err, secrets)}`);
    }
  }

  // cdrexport's keys, then the wipe of root's and sipwise's preinstalled keys.
  const cdrKeys = planCdrexportKeys(
    settings,
    await readCdrexportKeys((path) => session.readFile(path), live),
  );
  const cdrOwner = homeOf(live, CDREXPORT);
  if (cdrKeys && cdrOwner) {
    await writeKeysFile(session, cdrOwner, cdrKeys);
    changes.push(cdrKeys.description);
  }
  const deployer = deployerKeyFingerprint(target);
  for (const change of planKeyWipe(settings, await readKeyFiles((path) => session.readFile(path), live))) {
    const owner = homeOf(live, change.user);
    if (!owner) {
      continue;
    }
    // Never lock the deployer out, whatever check let through (an agent key, a key file changed since).
    if (
      deployer &&
      change.user === (target.user ?? ROOT) &&
      !change.plan.kept.concat(change.plan.added).some((k) => k.fingerprint === deployer) &&
      change.path.endsWith("/authorized_keys")
    ) {
      throw new Error(
        `node ${target.name}: refusing to write ${change.path}: it would no longer hold the deployer's key ${deployer}`,
      );
    }
    await writeKeysFile(session, owner, change);
    changes.push(change.description);
  }

  live = setEntries.length > 0 || changes.length > 0 ? await readAccounts(session) : live;
  const hashFingerprints: Record<string, string> = {};
  for (const { user } of wanted) {
    const entry = live.shadow.find((s) => s.user === user);
    if (entry) {
      hashFingerprints[user] = nodeFingerprint(entry.hash, nodeKey);
    }
  }
  return {
    target,
    shape: inputs.shape ?? systemAccountsShape(settings, deployer),
    salt,
    inputFingerprints: inputFingerprints(settings, salt),
    hashFingerprints,
    cdrexportHome: homeOf(live, CDREXPORT)?.home ?? null,
    lastChanges: changes,
    drift: [],
  };
}

/** What refresh finds: a password changed with `passwd`, a lock removed, keys added or removed by hand. */
async function observeDrift(props: SystemAccountsOutputs): Promise<string[]> {
  const { live, files, nodeKey } = await sharedAccounts(props.target);
  const drift: string[] = [];
  for (const [user, recorded] of Object.entries(props.hashFingerprints ?? {})) {
    const entry = live.shadow.find((s) => s.user === user);
    const same = entry === undefined ? false : matchesFingerprint(entry.hash, recorded, nodeKey, props.salt);
    if (!entry) {
      drift.push(`account ${user} no longer exists on the node`);
    } else if (same === undefined) {
      drift.push(
        `cannot check the password of ${user}: the node's credentials key is missing or was replaced`,
      );
    } else if (!same) {
      drift.push(
        entry.locked && props.shape?.cdrexport?.mode === "key" && user === CDREXPORT
          ? `the locked password of ${user} was changed on the node`
          : `the password of ${user} was changed on the node (its /etc/shadow hash differs from the one the stack set)`,
      );
    }
  }
  if (
    props.shape?.cdrexport?.mode === "key" &&
    live.shadow.find((s) => s.user === CDREXPORT)?.locked === false
  ) {
    drift.push(`password login of ${CDREXPORT} was enabled on the node (the stack wants key login only)`);
  }
  const declared = props.shape ? keysOnly(props.shape) : {};
  const cdrKeys = planCdrexportKeys(declared, await readCdrexportKeys(files, live));
  const wipe = planKeyWipe(declared, await readKeyFiles(files, live));
  drift.push(
    ...[...(cdrKeys ? [cdrKeys] : []), ...wipe].map((c) => `${c.description} (changed outside the stack)`),
  );
  return [...new Set(drift)];
}

/**
 * Handbook 15.3's system accounts as a resource: root's password (the VM images' `sipwise` must go),
 * cdrexport by key or a strong password, and the preinstalled authorized_keys of root and sipwise wiped down
 * to the keys the stack names — never the deployer's own.
 */
export const systemAccountsProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: SystemAccountsResourceInputs, news: SystemAccountsResourceInputs) {
    const failures = [...checkTarget(news.target, "target")];
    if (news.target) {
      failures.push(...checkSystemAccounts(news.target, news.systemAccounts));
    }
    if (failures.length > 0) {
      return { inputs: news, failures };
    }
    return {
      inputs: {
        ...news,
        shape: systemAccountsShape(news.systemAccounts, deployerKeyFingerprint(news.target)),
      },
      failures: [],
    };
  },

  /**
   * Changes of the passwords are left to the engine, which compares the stored inputs with the new ones
   * (secrets included) when `diff` gives no verdict: fingerprinting each password here would cost one
   * scrypt per password per node on every preview. What the inputs cannot show (drift, a moved node, a
   * state without a salt) is a change.
   */
  async diff(_id: string, olds: SystemAccountsOutputs, news: SystemAccountsResourceInputs) {
    return {
      changes: systemAccountsStructural(olds, news) ? true : undefined,
      replaces: [],
      deleteBeforeReplace: false,
    };
  },

  async create(inputs: SystemAccountsResourceInputs) {
    return { id: `${inputs.target.name}:system-accounts`, outs: await converge(inputs, undefined) };
  },

  async update(_id: string, olds: SystemAccountsOutputs, news: SystemAccountsResourceInputs) {
    return { outs: await converge(news, olds) };
  },

  async read(id: string, props: SystemAccountsOutputs) {
    return { id, props: { ...props, drift: await observeDrift(props) } };
  },

  async delete() {
    // Passwords and keys stay as set: undoing them would bring back the defaults handbook 15.3 removes.
  },
};

/** What forces an update whatever the passwords: drift, a moved node, a changed shape, no salt yet. */
function systemAccountsStructural(olds: SystemAccountsOutputs, news: SystemAccountsResourceInputs): boolean {
  return (
    !olds.salt ||
    !sameValue(comparableShape(olds.shape), comparableShape(systemAccountsShape(news.systemAccounts))) ||
    targetMoved(olds.target, news.target) ||
    (olds.drift ?? []).length > 0
  );
}

/** The new inputs are what the last write applied, passwords compared by their salted fingerprints. */
export async function systemAccountsUnchanged(
  olds: SystemAccountsOutputs,
  news: SystemAccountsResourceInputs,
): Promise<boolean> {
  return (
    !systemAccountsStructural(olds, news) &&
    sameValue(olds.inputFingerprints ?? {}, inputFingerprints(news.systemAccounts, olds.salt))
  );
}
