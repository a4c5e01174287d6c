/**
 * What the provider package adds around every implementation: the version of the code that last wrote a
 * node into each resource's outputs, and the adoption of a state written by an earlier layout.
 *
 * Adoption: a resource whose stored `__provider` is not the stub the program sends now (the by-value
 * provider code of an earlier layout, or an older stub) is reported as changed even when nothing else is,
 * so the next `up` stores the new stub. Such an update writes nothing on the node: the implementation's own
 * diff says nothing changed, so the outputs are restated from the stored ones.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PackagedProvider } from "./packaged";

/** The key under which the dynamic-provider host keeps the serialized provider in inputs and outputs. */
export const PROVIDER_KEY = "__provider";

/** The output that names the provider package version that last created or updated the resource. */
export const VERSION_KEY = "providerVersion";

/** An implementation: the SDK's provider interface (only `create` is required). */
export type ProviderMethods = pulumi.dynamic.ResourceProvider;

type Props = Record<string, unknown>;

/** True when the stored provider differs from the one this run's program sends (an earlier layout). */
export function providerChanged(olds: Props | undefined, news: Props | undefined): boolean {
  const stored = olds?.[PROVIDER_KEY];
  const sent = news?.[PROVIDER_KEY];
  return typeof stored === "string" && typeof sent === "string" && stored !== sent;
}

/** Outputs without the host's own key and our version (the implementation never sees either). */
function withoutLayoutKeys(props: Props): Props {
  const { [PROVIDER_KEY]: _provider, [VERSION_KEY]: _version, ...rest } = props;
  return rest;
}

/**
 * The outputs an adoption stores: the stored outputs with the new inputs over them. Nothing is read or
 * written on the node; `restate` lets an implementation drop what earlier layouts stored and it no
 * longer keeps.
 */
export type Restate = (olds: Props, news: Props) => Props;

const defaultRestate: Restate = (olds, news) => ({ ...olds, ...news });

/** A restate that leaves out outputs the implementation no longer stores (earlier layouts did). */
export function restateWithout(...keys: readonly string[]): Restate {
  return (olds, news) =>
    Object.fromEntries(Object.entries({ ...olds, ...news }).filter(([key]) => !keys.includes(key)));
}

/** The SDK's parameter types of `diff`: each implementation types its own olds and news, as for `diff`. */
type DiffParameters = Parameters<NonNullable<pulumi.dynamic.ResourceProvider["diff"]>>;

export interface LayoutOptions {
  /** The outputs an adoption stores (default: the stored outputs with the new inputs over them). */
  readonly restate?: Restate;
  /**
   * For an implementation whose `diff` leaves input changes to the engine (no verdict, `changes`
   * undefined): whether the new inputs are what the last write applied. Only asked when adopting.
   */
  readonly unchanged?: (olds: DiffParameters[1], news: DiffParameters[2]) => Promise<boolean>;
}

/** The implementation as the package exports it: versioned outputs, and adoption of earlier states. */
export function packaged(
  implementation: ProviderMethods,
  version: string,
  options: LayoutOptions = {},
): PackagedProvider {
  const restate = options.restate ?? defaultRestate;
  // Without a diff of its own, the engine compares inputs (the SDK's "unknown" answer).
  const ownDiff = async (id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> =>
    implementation.diff ? implementation.diff(id, olds, news) : {};
  const stamp = <T extends { outs?: Props }>(result: T): T =>
    result.outs === undefined ? result : { ...result, outs: { ...result.outs, [VERSION_KEY]: version } };
  return {
    check: async (olds: Props, news: Props) =>
      implementation.check
        ? implementation.check(withoutLayoutKeys(olds ?? {}), withoutLayoutKeys(news))
        : { inputs: news, failures: [] },
    diff: async (id: string, olds: Props, news: Props) => {
      const result = await ownDiff(id, withoutLayoutKeys(olds), withoutLayoutKeys(news));
      if (result.changes !== true && providerChanged(olds, news)) {
        return { ...result, changes: true };
      }
      return result;
    },
    create: async (inputs: Props) => stamp(await implementation.create(withoutLayoutKeys(inputs))),
    update: async (id: string, olds: Props, news: Props) => {
      const [old, fresh] = [withoutLayoutKeys(olds), withoutLayoutKeys(news)];
      const own = await ownDiff(id, old, fresh);
      const nothingToDo =
        own.changes === false ||
        (own.changes === undefined &&
          options.unchanged !== undefined &&
          (await options.unchanged(old, fresh)));
      if (nothingToDo && (own.replaces ?? []).length === 0 && providerChanged(olds, news)) {
        return stamp({ outs: restate(old, fresh) });
      }
      if (implementation.update === undefined) {
        return stamp({ outs: { ...old, ...fresh } });
      }
      return stamp(await implementation.update(id, old, fresh));
    },
    read: async (id: string, props: Props) => {
      if (implementation.read === undefined) {
        return { id, props };
      }
      const result = await implementation.read(id, withoutLayoutKeys(props));
      const version = props[VERSION_KEY];
      return typeof version === "string" && result.props !== undefined
        ? { ...result, props: { ...result.props, [VERSION_KEY]: version } }
        : result;
    },
    delete: async (id: string, props: Props) => {
      await implementation.delete?.(id, withoutLayoutKeys(props));
    },
  };
}
