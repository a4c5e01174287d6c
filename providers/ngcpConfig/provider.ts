import type * as pulumi from "@pulumi/pulumi";
import { checkTarget, type CheckFailure } from "../common/checkTarget";
import { nodeSnapshot } from "../common/nodeReads";
import { isKnown } from "../common/unknown";
import { RemoteCommandError } from "../transport/errors";
import { sessionFor, type FileOwnership, type NodeSession } from "../transport/session";
import type { NodeTarget } from "../transport/target";
import {
  type ConfigValue,
  type ScalarValue,
  getKey,
  parseConfig,
  patchConfig,
  toNgcpValue,
} from "./document";

import { CONFIG_YML, VENDOR_COMMANDS } from "../common/nodeContract";

export { CONFIG_YML };
/** The file as it was before our last write, kept off /etc/ngcp-config so ngcpcfg does not commit it. */
export const PREVIOUS_CONFIG_YML = "/var/lib/ngcp-fleet/config.yml.previous";

/** One desired key: its value and the resource that owns it (named in previews and conflicts). */
export interface OwnedSetting {
  readonly value: ConfigValue;
  readonly owner: string;
}

/** What the provider receives and stores (plain values). */
export interface NgcpConfigInputs {
  readonly target: NodeTarget;
  /** Stack name, for the `ngcpcfg apply` message. */
  readonly stack: string;
  /** Desired keys of config.yml (dotted) merged from every feature of the node. */
  readonly settings: Record<string, OwnedSetting>;
  /**
   * Changes that need an apply although config.yml may not change (a certificate rotated at the same
   * path): any change of a value here runs `ngcpcfg apply`.
   */
  readonly applyTriggers: Record<string, string>;
  /** Keys whose live values other resources read (ports for the firewall), reported in `effective`. */
  readonly watchKeys: string[];
}

export interface NgcpConfigOutputs extends NgcpConfigInputs {
  /** Live value of every owned key (what refresh compares with `settings`). */
  readonly live: Record<string, ScalarValue | null>;
  /** Live value of every watched key. */
  readonly effective: Record<string, ScalarValue | null>;
  /** The message of the last `ngcpcfg apply` this resource ran. */
  readonly lastApplyMessage: string;
}

/** The value as config.yml holds it after we write it (booleans as yes/no). */
function written(value: ConfigValue): ScalarValue {
  return toNgcpValue(value);
}

/** Owned keys whose live value differs from the desired one, in a stable order. */
export function driftedKeys(
  settings: Record<string, OwnedSetting>,
  live: Record<string, ScalarValue | null>,
): string[] {
  return Object.keys(settings)
    .sort()
    .filter((key) => !Object.is(live[key] ?? null, written(settings[key].value)));
}

function changedTriggers(olds: Record<string, string> | undefined, news: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(olds ?? {}), ...Object.keys(news)]);
  return [...keys].sort().filter((key) => (olds ?? {})[key] !== news[key]);
}

/** The `ngcpcfg apply` message: what changed, short enough for a git log line. */
export function applyMessage(stack: string, node: string, keys: string[], triggers: string[]): string {
  const what = [...keys, ...triggers];
  const shown = what.slice(0, 6).join(", ") + (what.length > 6 ? `, and ${what.length - 6} more` : "");
  return `${stack}/${node}: ngcp-fleet set ${shown || "nothing"}`;
}

function liveValues(text: string, keys: readonly string[]): Record<string, ScalarValue | null> {
  const doc = parseConfig(text);
  const out: Record<string, ScalarValue | null> = {};
  for (const key of keys) {
    const value = getKey(doc, key);
    out[key] = value === undefined || (typeof value === "object" && value !== null) ? null : value;
  }
  return out;
}

async function sharedConfig(target: NodeTarget): Promise<string> {
  const file = (await nodeSnapshot(target)).file(CONFIG_YML);
  if (file === null || file === undefined) {
    throw new Error(`node ${target.name}: ${CONFIG_YML} is missing: is this a sip:provider CE node?`);
  }
  return file.content.toString("utf8");
}

async function readConfig(session: NodeSession): Promise<string> {
  const text = await session.readFile(CONFIG_YML);
  if (text === undefined) {
    throw new Error(`node ${session.target.name}: ${CONFIG_YML} is missing: is this a sip:provider CE node?`);
  }
  return text.toString("utf8");
}

/** config.yml's owned and watched keys: read now (after an apply), or from the node's shared batched read. */
async function readState(
  inputs: NgcpConfigInputs,
  fresh: boolean,
): Promise<Pick<NgcpConfigOutputs, "live" | "effective">> {
  const text = fresh ? await readConfig(await sessionFor(inputs.target)) : await sharedConfig(inputs.target);
  return {
    live: liveValues(text, Object.keys(inputs.settings)),
    effective: liveValues(text, inputs.watchKeys),
  };
}

/**
 * The handbook's procedure for a config change (15.4, 15.5.2): edit config.yml, then `ngcpcfg apply`
 * once. The file is patched key by key (comments and every other key kept byte for byte) and written
 * atomically; the previous file is kept. If `ngcpcfg apply` fails, the previous config.yml is put back
 * and the error carries ngcpcfg's output.
 */
async function converge(
  inputs: NgcpConfigInputs,
  oldTriggers: Record<string, string> | undefined,
): Promise<NgcpConfigOutputs> {
  const session = await sessionFor(inputs.target);
  const before = await readConfig(session);
  // An operator may have tightened config.yml (e.g. 0640 root:adm): a rewrite keeps its mode and owner.
  let ownership: FileOwnership = { mode: 0o644, uid: 0, gid: 0 };
  const patch = patchConfig(
    before,
    Object.entries(inputs.settings).map(([path, setting]) => ({ path, value: setting.value })),
  );
  const triggers = changedTriggers(oldTriggers, inputs.applyTriggers);
  let lastApplyMessage = "";
  if (patch.changed.length > 0 || triggers.length > 0) {
    if (patch.changed.length > 0) {
      ownership = (await session.stat(CONFIG_YML)) ?? ownership;
      await session.exec(["mkdir", "-p", "/var/lib/ngcp-fleet"]);
      await session.writeFileAtomic(PREVIOUS_CONFIG_YML, before, { mode: 0o600 });
      await session.writeFileAtomic(CONFIG_YML, patch.text, ownership);
    }
    lastApplyMessage = applyMessage(
      inputs.stack,
      inputs.target.name,
      patch.changed.map((change) => change.key),
      triggers,
    );
    // A trigger stands for a file outside config.yml (a certificate) that services read when they start;
    // ngcpcfg restarts only services whose generated config changed, so a changed trigger restarts all.
    const force = triggers.length > 0 ? ["--force-all-services"] : [];
    try {
      await session.exec([VENDOR_COMMANDS.apply, "apply", ...force, lastApplyMessage], {
        timeoutMs: 600_000,
      });
    } catch (err) {
      if (patch.changed.length > 0) {
        await session.writeFileAtomic(CONFIG_YML, before, ownership);
      }
      const output = err instanceof RemoteCommandError ? `${err.stdout}\n${err.stderr}`.trim() : String(err);
      throw new Error(
        `node ${inputs.target.name}: ngcpcfg apply failed; the previous ${CONFIG_YML} was put back. ngcpcfg said:\n${output}`,
      );
    }
  }
  if (lastApplyMessage === "") {
    // Nothing written: the file read above is the node's.
    return {
      ...inputs,
      live: liveValues(before, Object.keys(inputs.settings)),
      effective: liveValues(before, inputs.watchKeys),
      lastApplyMessage,
    };
  }
  return { ...inputs, ...(await readState(inputs, true)), lastApplyMessage };
}

export function checkSettings(settings: Record<string, OwnedSetting> | undefined): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const [key, setting] of Object.entries(settings ?? {})) {
    const type = typeof setting?.value;
    if (type !== "string" && type !== "number" && type !== "boolean") {
      failures.push({
        property: `settings.${key}`,
        reason: `owned by ${setting?.owner}: must be a string, number or boolean, got: ${type}`,
      });
    } else if (type === "number" && !Number.isFinite(setting.value)) {
      failures.push({
        property: `settings.${key}`,
        reason: `owned by ${setting.owner}: must be a finite number`,
      });
    }
  }
  return failures;
}

export const ngcpConfigProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: NgcpConfigInputs, news: NgcpConfigInputs) {
    // Settings a feature decides only at apply (a profile needing the RAM of a node not read yet) are
    // unknown during preview: checked when they are known.
    const settings = isKnown(news.settings) ? checkSettings(news.settings) : [];
    return { inputs: news, failures: [...checkTarget(news.target, "target"), ...settings] };
  },

  async diff(_id: string, olds: NgcpConfigOutputs, news: NgcpConfigInputs) {
    if (!isKnown(news.settings) || !isKnown(news.applyTriggers)) {
      return { changes: true, replaces: [], deleteBeforeReplace: false };
    }
    const drifted = driftedKeys(news.settings, olds.live ?? {});
    const triggers = changedTriggers(olds.applyTriggers, news.applyTriggers);
    const watch = [...news.watchKeys].sort().join() !== [...(olds.watchKeys ?? [])].sort().join();
    return {
      changes: drifted.length > 0 || triggers.length > 0 || watch,
      replaces: [],
      deleteBeforeReplace: false,
    };
  },

  async create(inputs: NgcpConfigInputs) {
    return { id: `${inputs.target.name}:${CONFIG_YML}`, outs: await converge(inputs, undefined) };
  },

  async update(_id: string, olds: NgcpConfigOutputs, news: NgcpConfigInputs) {
    return { outs: await converge(news, olds.applyTriggers) };
  },

  async read(id: string, props: NgcpConfigOutputs) {
    const state = await readState(props, false);
    // The refreshed inputs carry the live values, so the next preview shows each drifted key as
    // `live => desired` instead of an update with no visible cause.
    const liveSettings = Object.fromEntries(
      Object.entries(props.settings).map(([key, setting]) => [key, { ...setting, value: state.live[key] }]),
    );
    const inputs = {
      target: props.target,
      stack: props.stack,
      settings: liveSettings,
      applyTriggers: props.applyTriggers,
      watchKeys: props.watchKeys,
    };
    return { id, props: { ...props, ...state }, inputs };
  },

  async delete() {
    // Deleting stops management; the keys keep their values, as an operator would expect of config.yml.
  },
};
