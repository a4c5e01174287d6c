/**
 * Sipwise support access (handbook 15.1), the pure part: inputs, the handbook's commands as argv arrays, the
 * read script and its parser, the plan, and the success-line check.
 *
 * Handbook 15.1, as root on each node:
 *   disable: `ngcp-support-access --disable && apt-get install ngcp-support-noaccess`
 *   enable:  `apt-get install ngcp-support-access && ngcp-support-access --enable`
 * and "please ensure that the script complete successfully: Support access successfully disabled."
 * (resp. "… enabled."). The two packages conflict: installing one removes the other, and with
 * ngcp-support-access goes the tool itself — so the order matters, and the plan reads the packages first.
 *
 * apt-get runs unattended: `-y` answers apt's own question, and `env DEBIAN_FRONTEND=noninteractive` keeps
 * debconf from prompting. The environment goes in argv through `env(1)` rather than as an SSH environment
 * request, because sshd only accepts the variables its `AcceptEnv` lists (Debian: LANG, LC_*), and the
 * transport's one way to run a program is an argv. Neither word is a secret.
 */

export interface SupportAccessInputs {
  /**
   * Whether Sipwise's operations team may log in (user sipwise, by key, from jump.sipwise.com).
   * `false` runs the disable sequence and installs ngcp-support-noaccess. @default none: required
   */
  readonly enabled: boolean;
}

export const SUPPORT_TOOL = "ngcp-support-access";
export const ACCESS_PACKAGE = "ngcp-support-access";
export const NOACCESS_PACKAGE = "ngcp-support-noaccess";

/** The lines the tool prints on success (handbook 15.1). */
export const SUCCESS_LINES = {
  enabled: "Support access successfully enabled.",
  disabled: "Support access successfully disabled.",
} as const;

const APT_INSTALL = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y"];

/** One step of a sequence: run `argv`; if `expectSuccessLine`, its output must carry that line. */
export interface SupportStep {
  readonly argv: readonly string[];
  readonly description: string;
  /** For the tool's own steps: `succeeded(output, enabled)` must hold, else the sequence fails here. */
  readonly expectSuccessLine?: boolean;
}

export function disableToolStep(): SupportStep {
  return {
    argv: [SUPPORT_TOOL, "--disable"],
    description: "ngcp-support-access --disable",
    expectSuccessLine: true,
  };
}

export function enableToolStep(): SupportStep {
  return {
    argv: [SUPPORT_TOOL, "--enable"],
    description: "ngcp-support-access --enable",
    expectSuccessLine: true,
  };
}

export function installStep(pkg: typeof ACCESS_PACKAGE | typeof NOACCESS_PACKAGE): SupportStep {
  return { argv: [...APT_INSTALL, pkg], description: `apt-get install ${pkg}` };
}

/** The handbook's full sequence for a state, in order; each step runs only if the previous succeeded (`&&`). */
export function handbookSequence(enabled: boolean): SupportStep[] {
  return enabled
    ? [installStep(ACCESS_PACKAGE), enableToolStep()]
    : [disableToolStep(), installStep(NOACCESS_PACKAGE)];
}

/** Strips ANSI colour codes, which some tools add on a terminal. */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
}

/**
 * True only when the tool's output (stdout and stderr joined) carries the success line for `enabled` on a
 * line of its own (a leading `* `/`- ` bullet or log prefix allowed). The opposite state's line, an error, or
 * silence is false.
 */
export function succeeded(output: string, enabled: boolean): boolean {
  const wanted = enabled ? SUCCESS_LINES.enabled : SUCCESS_LINES.disabled;
  return plain(output)
    .split(/\r?\n/)
    .some((line) => {
      const t = line.trim();
      // a bullet (`* `, `- `, `--> `) or a timestamp before the line is fine; words are not ("NOT …")
      return (
        t === wanted || (t.endsWith(` ${wanted}`) && /^[\s*\->:[\]\d.T+/]*$/.test(t.slice(0, -wanted.length)))
      );
    });
}

/**
 * The read script (POSIX sh, run with the transport's `script()`, one round trip): dpkg's view of both
 * packages, whether the tool is on PATH, and how many keys user sipwise has (evidence only).
 * Output, one record per line:
 *   `package <name> <dpkg Status field, or "not-installed">`
 *   `tool <path or ->`
 *   `sipwise-keys <count or ->`
 */
export function renderReadScript(): string {
  return [
    "for p in ngcp-support-access ngcp-support-noaccess; do",
    "  s=$(dpkg-query -W -f='${Status}' \"$p\" 2>/dev/null) || s=not-installed",
    '  [ -n "$s" ] || s=not-installed',
    '  printf \'package %s %s\\n\' "$p" "$s"',
    "done",
    "t=$(command -v ngcp-support-access 2>/dev/null) || t=-",
    "printf 'tool %s\\n' \"${t:--}\"",
    "h=$(getent passwd sipwise | cut -d: -f6)",
    'if [ -n "$h" ] && [ -f "$h/.ssh/authorized_keys" ]; then',
    "  n=$(grep -cE '^[^#]*(ssh-|ecdsa-|sk-)' \"$h/.ssh/authorized_keys\" 2>/dev/null) || n=0",
    "else n=-; fi",
    "printf 'sipwise-keys %s\\n' \"$n\"",
    "",
  ].join("\n");
}

export interface PackageState {
  readonly name: string;
  /** dpkg's Status is "… ok installed" (the third word; `deinstall ok config-files` is not installed). */
  readonly installed: boolean;
  /** The Status field verbatim, or `not-installed`. */
  readonly status: string;
}

export interface SupportState {
  readonly access: PackageState;
  readonly noaccess: PackageState;
  /** Path of the tool, when on PATH. */
  readonly toolPath?: string;
  /** Keys in ~sipwise/.ssh/authorized_keys; undefined when the file does not exist. Evidence, not state. */
  readonly sipwiseKeys?: number;
  /**
   * `enabled`: ngcp-support-access installed, noaccess not; `disabled`: noaccess installed, access not;
   * `inconsistent`: anything else (neither, or the tool missing while its package is installed).
   */
  readonly state: "enabled" | "disabled" | "inconsistent";
}

function packageState(name: string, status: string | undefined): PackageState {
  const s = (status ?? "not-installed").trim();
  const words = s.split(/\s+/);
  return { name, installed: words.length >= 3 && words[2] === "installed", status: s };
}

/** Parses what {@link renderReadScript} printed. Throws when a package record is missing. */
export function parseSupportState(output: string): SupportState {
  const packages = new Map<string, string>();
  let toolPath: string | undefined;
  let sipwiseKeys: number | undefined;
  for (const line of output.split("\n")) {
    const pkg = /^package (\S+) (.*)$/.exec(line.trim());
    if (pkg) {
      packages.set(pkg[1], pkg[2]);
      continue;
    }
    const tool = /^tool (.+)$/.exec(line.trim());
    if (tool) {
      toolPath = tool[1] === "-" ? undefined : tool[1];
      continue;
    }
    const keys = /^sipwise-keys (\d+|-)$/.exec(line.trim());
    if (keys) {
      sipwiseKeys = keys[1] === "-" ? undefined : Number(keys[1]);
    }
  }
  if (!packages.has(ACCESS_PACKAGE) || !packages.has(NOACCESS_PACKAGE)) {
    throw new Error(
      `the support-access read script printed no package record for ${ACCESS_PACKAGE} and ${NOACCESS_PACKAGE}`,
    );
  }
  const access = packageState(ACCESS_PACKAGE, packages.get(ACCESS_PACKAGE));
  const noaccess = packageState(NOACCESS_PACKAGE, packages.get(NOACCESS_PACKAGE));
  const state =
    access.installed && !noaccess.installed && toolPath !== undefined
      ? "enabled"
      : noaccess.installed && !access.installed
        ? "disabled"
        : "inconsistent";
  return {
    access,
    noaccess,
    ...(toolPath !== undefined ? { toolPath } : {}),
    ...(sipwiseKeys !== undefined ? { sipwiseKeys } : {}),
    state,
  };
}

export interface SupportPlan {
  /** Steps to run in order, stopping at the first failure; empty when the node is already there. */
  readonly steps: readonly SupportStep[];
  readonly description: string;
  readonly warnings: readonly string[];
}

/**
 * The steps from the live state to `desired`. The handbook's sequence when a change is needed; when the node
 * is half-way (one step done by hand, a run interrupted), only the steps still missing and still possible:
 * `--disable` is skipped once the tool is gone (noaccess removed it), and an already installed package is
 * not reinstalled.
 */
export function planSupportAccess(desired: SupportAccessInputs, live: SupportState): SupportPlan {
  const warnings: string[] = [];
  if (desired.enabled) {
    if (live.state === "enabled") {
      if (live.sipwiseKeys === 0 || live.sipwiseKeys === undefined) {
        warnings.push("support access is enabled by its packages, but user sipwise has no authorized key");
      }
      return { steps: [], description: "support access already enabled", warnings };
    }
    const steps: SupportStep[] = [];
    if (!live.access.installed || live.noaccess.installed || live.toolPath === undefined) {
      steps.push(installStep(ACCESS_PACKAGE));
    }
    steps.push(enableToolStep());
    return {
      steps,
      description: `enable support access (${steps.map((s) => s.description).join(" && ")})`,
      warnings,
    };
  }
  if (live.state === "disabled") {
    return { steps: [], description: "support access already disabled", warnings };
  }
  const steps: SupportStep[] = [];
  if (live.access.installed && live.toolPath !== undefined) {
    steps.push(disableToolStep());
  } else if (live.access.installed) {
    warnings.push(
      "ngcp-support-access is installed but its tool is not on PATH: only the package swap is done",
    );
  }
  steps.push(installStep(NOACCESS_PACKAGE));
  return {
    steps,
    description: `disable support access (${steps.map((s) => s.description).join(" && ")})`,
    warnings,
  };
}
