/**
 * Which stack-config values are secrets, and the guard that none of them is written in clear (pure).
 *
 * Pulumi encrypts a whole object in the program's view as soon as one leaf under it is `secure:`, so asking
 * the SDK whether `ngcp-fleet:mysql` is secret says nothing about `mysql.rootPassword` beside a secure
 * `mysql.users[0].password`: the plain one sits in clear in the committed `Pulumi.<stack>.yaml`. The guard
 * therefore reads the stack file itself and checks every secret leaf.
 */

/** Names of the settings that hold secret text, wherever they appear (cluster-wide or under `nodes[i]`). */
export const SECRET_LEAF_NAMES: ReadonlySet<string> = new Set([
  "password",
  "rootPassword",
  "currentPassword",
  "currentRootPassword",
  "privateKey",
]);

/** Top-level keys that are secrets as a whole. */
export const SECRET_TOP_KEYS: ReadonlySet<string> = new Set(["sshPrivateKey"]);

/** A stack-config key as `pulumi config set --path` takes it: `ngcp-fleet:mysql.users[0].password`. */
function pathKey(namespace: string, path: readonly (string | number)[]): string {
  let key = "";
  for (const part of path) {
    key += typeof part === "number" ? `[${part}]` : `${key ? "." : ""}${part}`;
  }
  return `${namespace}:${key}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value Pulumi encrypted: `{ secure: "v1:…" }` (every leaf under it is secret). */
function isSecure(value: unknown): boolean {
  return isRecord(value) && Object.keys(value).length === 1 && typeof value.secure === "string";
}

/**
 * The paths of secret leaves under `value` that hold text in clear. `path` is where `value` sits, its first
 * part the top-level key.
 */
export function plainSecretPaths(value: unknown, path: readonly (string | number)[]): (string | number)[][] {
  if (isSecure(value)) {
    return [];
  }
  const leaf = path[path.length - 1];
  const secretHere =
    (path.length === 1 && typeof leaf === "string" && SECRET_TOP_KEYS.has(leaf)) ||
    (path.length > 1 && typeof leaf === "string" && SECRET_LEAF_NAMES.has(leaf));
  if (secretHere && typeof value === "string" && value !== "") {
    return [[...path]];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => plainSecretPaths(item, [...path, index]));
  }
  if (isRecord(value)) {
    return Object.entries(value).flatMap(([key, item]) => plainSecretPaths(item, [...path, key]));
  }
  return [];
}

/** The stack file as written: its name (for messages) and its `config:` block. */
export interface StackFile {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function fixFor(key: string): string {
  // Without a value on the command line, `pulumi config set` reads it from the terminal: it stays out of the
  // shell's history and the process list.
  return `pulumi config set --secret --path '${key}'`;
}

/** Every secret of the stack file written in clear, by its full key, with the command that fixes it. */
export function plainSecretProblems(file: StackFile, namespace: string): string[] {
  return Object.entries(file.config).flatMap(([fullKey, value]) => {
    const [space, key] = fullKey.split(":", 2);
    if (space !== namespace || key === undefined) {
      return [];
    }
    // A value set without --path is one string holding JSON, which the program reads as the object it spells.
    return plainSecretPaths(typeof value === "string" ? jsonOrText(value) : value, [key]).map((path) => {
      const configKey = pathKey(namespace, path);
      return `${configKey}: is a secret but is written in clear in ${file.name}; make it secret with \`${fixFor(configKey)}\``;
    });
  });
}

/**
 * Without the stack file (config given another way), the guard falls back to what the program sees: a
 * top-level key holding a secret leaf must be secret as a whole.
 */
export function unsecretKeyProblems(
  raw: Readonly<Record<string, unknown>>,
  namespace: string,
  isSecret: (configKey: string) => boolean,
): string[] {
  return Object.entries(raw).flatMap(([key, value]) => {
    const paths = plainSecretPaths(value, [key]);
    const configKey = `${namespace}:${key}`;
    return paths.length > 0 && !isSecret(configKey)
      ? paths.map(
          (path) =>
            `${pathKey(namespace, path)}: is a secret but ${configKey} is not secret; make it secret with \`${fixFor(pathKey(namespace, path))}\``,
        )
      : [];
  });
}

/**
 * Whether a stack-config key is secret, as the running program sees it: the SDK's answer (an internal API of
 * @pulumi/pulumi 3.x), else the language host's list of secret keys.
 */
export function stackConfigIsSecret(configKey: string, runtime: unknown, env: NodeJS.ProcessEnv): boolean {
  // The SDK's runtime module, typed only as far as this one optional function.
  const sdk = runtime as { isConfigSecret?: (key: string) => boolean };
  const listed = env.PULUMI_CONFIG_SECRET_KEYS;
  return (
    sdk.isConfigSecret?.(configKey) === true || (listed !== undefined && listed.includes(`"${configKey}"`))
  );
}
