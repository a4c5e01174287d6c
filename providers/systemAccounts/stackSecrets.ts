/**
 * Program-side guard for the credentials features (pure; the caller passes how to ask whether a config key is
 * secret). A password in a stack-config value that is not secret is in clear in `Pulumi.<stack>.yaml` and in
 * the state (the engine's default provider records the stack config as its inputs), whatever the resources do
 * with it afterwards. So a preview stops when a password sits in a plain value, naming the key and the fix.
 */

/** Where each feature's settings hold passwords (dotted, `[]` for every list item). */
export const PASSWORD_PATHS: Readonly<Record<string, readonly string[]>> = {
  mysql: ["rootPassword", "currentRootPassword", "users[].password"],
  systemAccounts: ["rootPassword", "cdrexport.password"],
  webCredentials: [
    "administrator.password",
    "administrator.currentPassword",
    "ngcpsoap.password",
    "ngcpsoap.currentPassword",
  ],
};

/** The paths of `settings` that hold a non-empty string at one of `paths` (`users[1].password`). */
export function passwordsPresent(settings: unknown, paths: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (value: unknown, parts: readonly string[], at: string): void => {
    if (parts.length === 0) {
      if (typeof value === "string" && value !== "") {
        found.push(at);
      }
      return;
    }
    const [head, ...rest] = parts;
    const list = head.endsWith("[]");
    const name = list ? head.slice(0, -2) : head;
    const next =
      typeof value === "object" && value !== null ? (value as Record<string, unknown>)[name] : undefined;
    const path = at ? `${at}.${name}` : name;
    if (list) {
      (Array.isArray(next) ? next : []).forEach((item, i) => walk(item, rest, `${path}[${i}]`));
    } else {
      walk(next, rest, path);
    }
  };
  for (const path of paths) {
    walk(settings, path.split("."), "");
  }
  return found;
}

/**
 * Problems for one feature of one node: its cluster-wide settings (`ngcp-fleet:<feature>`) and its node's
 * override (inside `ngcp-fleet:nodes`) must be secret values when they hold a password.
 */
export function plainPasswordProblems(
  feature: string,
  sources: readonly { configKey: string; settings: unknown; prefix: string }[],
  isSecret: (configKey: string) => boolean,
): string[] {
  const paths = PASSWORD_PATHS[feature] ?? [];
  return sources.flatMap(({ configKey, settings, prefix }) => {
    const present = passwordsPresent(settings, paths);
    return present.length > 0 && !isSecret(configKey)
      ? [
          `${configKey}: ${present.map((p) => `${prefix}${p}`).join(", ")} holds a password, but ${configKey} is not ` +
            `secret: set it with \`pulumi config set --secret ${configKey} …\` (or \`--path --secret\`)`,
        ]
      : [];
  });
}

/**
 * Whether a stack-config key is secret, as the running program sees it: the SDK's answer (an internal API of
 * @pulumi/pulumi 3.x), else the language host's list of secret keys.
 */
export function stackConfigIsSecret(configKey: string, runtime: unknown, env: NodeJS.ProcessEnv): boolean {
  const sdk = runtime as { isConfigSecret?: (key: string) => boolean };
  const listed = env.PULUMI_CONFIG_SECRET_KEYS;
  return (
    sdk.isConfigSecret?.(configKey) === true || (listed !== undefined && listed.includes(`"${configKey}"`))
  );
}
