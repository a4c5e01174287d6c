/**
 * The one password policy of the project (pure). Every resource that takes a password — MySQL users and root,
 * the root and cdrexport system accounts, the web `administrator` and `ngcpsoap` logins — checks it here, so
 * "strong" means the same thing everywhere and the audit can grade with the same rule.
 *
 * No function in this file ever puts the password, or any part of it, into a message: reasons name lengths,
 * character classes and rules only. (A password equal to a user name is reported as "the same as the user
 * name", never by quoting either.)
 */

/** Passwords a node ships with (handbook 15.3) or that every scanner tries first; refused whatever their length. */
export const KNOWN_DEFAULT_PASSWORDS: readonly string[] = [
  // handbook 15.3: root of the Vagrant/VirtualBox/VMware images
  "sipwise",
  // handbook 15.3: the web administrator's default
  "administrator",
  // the provisioning user's name (handbook 15.3, section 12): never its own password
  "ngcpsoap",
  "root",
  "password",
  "changeme",
  "vagrant",
  "admin",
];

/** The four character classes counted by {@link assessPassword}. */
export type CharacterClass = "lower case" | "upper case" | "digits" | "symbols";

/** A password is strong when it has at least this many characters from {@link MIN_CLASSES} classes … */
export const MIN_LENGTH = 12;
/** … of the four character classes … */
export const MIN_CLASSES = 3;
/** … or, whatever its classes, at least this many characters (a long passphrase of lower-case words is fine). */
export const PASSPHRASE_LENGTH = 20;
/** Longer is refused: chpasswd, option files and HTTP basic auth all cope, but nothing needs more. */
export const MAX_LENGTH = 256;

export interface PasswordAssessment {
  /** Length in Unicode code points (what a person counts), not UTF-16 units. */
  readonly length: number;
  readonly classes: readonly CharacterClass[];
  /** Problems, each a complete sentence fragment without the password; empty when the password is acceptable. */
  readonly problems: readonly string[];
}

export interface PasswordContext {
  /**
   * Account names the password must not contain or equal (case-insensitive), e.g. the MySQL user or the
   * system login. @default none
   */
  readonly userNames?: readonly string[];
  /** Extra passwords refused for this account, e.g. a vendor default. @default none */
  readonly forbidden?: readonly string[];
}

function classesOf(password: string): CharacterClass[] {
  const found = new Set<CharacterClass>();
  for (const ch of password) {
    if (/\p{Ll}/u.test(ch)) {
      found.add("lower case");
    } else if (/\p{Lu}/u.test(ch)) {
      found.add("upper case");
    } else if (/\p{Nd}/u.test(ch)) {
      found.add("digits");
    } else {
      found.add("symbols");
    }
  }
  const order: CharacterClass[] = ["lower case", "upper case", "digits", "symbols"];
  return order.filter((c) => found.has(c));
}

/**
 * Grades a password against the project's policy:
 * - not empty, at most {@link MAX_LENGTH} characters;
 * - no control characters (a newline would split a `chpasswd` line or an option-file value);
 * - at least {@link MIN_LENGTH} characters from {@link MIN_CLASSES} of the 4 classes, or at least
 *   {@link PASSPHRASE_LENGTH} characters;
 * - not a known default ({@link KNOWN_DEFAULT_PASSWORDS}, case-insensitive) nor `context.forbidden`;
 * - not equal to, nor containing, the account's name.
 */
export function assessPassword(password: string, context: PasswordContext = {}): PasswordAssessment {
  const length = [...password].length;
  const classes = classesOf(password);
  const problems: string[] = [];
  if (length === 0) {
    return { length, classes, problems: ["must not be empty"] };
  }
  if (length > MAX_LENGTH) {
    problems.push(`is too long: ${length} characters, at most ${MAX_LENGTH} allowed`);
  }
  if (/\p{Cc}/u.test(password)) {
    problems.push("must not contain control characters (newline, tab, NUL, …)");
  }
  const lowered = password.toLowerCase();
  const forbidden = [...KNOWN_DEFAULT_PASSWORDS, ...(context.forbidden ?? [])].map((p) => p.toLowerCase());
  if (forbidden.includes(lowered)) {
    problems.push("is a well-known default password (handbook 15.3: change the default passwords)");
  }
  for (const name of context.userNames ?? []) {
    if (name.length === 0) {
      continue;
    }
    if (lowered === name.toLowerCase()) {
      problems.push("must not be the same as the user name");
    } else if (name.length >= 3 && lowered.includes(name.toLowerCase())) {
      problems.push("must not contain the user name");
    }
  }
  const strongByMix = length >= MIN_LENGTH && classes.length >= MIN_CLASSES;
  const strongByLength = length >= PASSPHRASE_LENGTH;
  if (!strongByMix && !strongByLength) {
    problems.push(
      `is too weak: ${length} characters from ${classes.length} character class${classes.length === 1 ? "" : "es"}; ` +
        `use at least ${MIN_LENGTH} characters from ${MIN_CLASSES} of the 4 classes (lower case, upper case, ` +
        `digits, symbols), or at least ${PASSPHRASE_LENGTH} characters`,
    );
  }
  return { length, classes, problems };
}

/** True when {@link assessPassword} finds nothing wrong. */
export function isStrongPassword(password: string, context: PasswordContext = {}): boolean {
  return assessPassword(password, context).problems.length === 0;
}

/**
 * Check failures for one password input, in the `{ property, reason }` shape of a provider's `check`.
 * `password` undefined is "required".
 */
export function checkPassword(
  property: string,
  password: string | undefined,
  context: PasswordContext = {},
): { property: string; reason: string }[] {
  if (password === undefined || password === null) {
    return [{ property, reason: "is required" }];
  }
  if (typeof password !== "string") {
    return [{ property, reason: `must be a string, got: ${typeof password}` }];
  }
  return assessPassword(password, context).problems.map((reason) => ({ property, reason }));
}
