/**
 * The program's side of the runtime package `@ngcp-fleet/runtime` (node_modules, built by
 * engine/providerPackage.ts: the compiled `providers/` and the `spec/` they use): each dynamic resource is
 * given the object a module of the package exports, `@ngcp-fleet/runtime/providers/kinds/<kind>.js`.
 *
 * Why: the engine serializes a dynamic resource's provider into the state. Code of the project's own modules
 * is copied by value (107–185 KB per resource, in its inputs and outputs, frozen at the last create or
 * update), while an object that is the exports of a module under node_modules is stored as a
 * `require("<package>/<path>")`. So each resource's state holds a few hundred bytes of provider, and every
 * `preview`, `refresh`, `up` and `destroy` runs the package installed now. The exported object is small and
 * loads the implementations only when the dynamic-provider process calls it (common/lazyProvider.ts).
 */
import type * as pulumi from "@pulumi/pulumi";

/** The package the dynamic-provider process loads (node_modules/@ngcp-fleet/runtime). */
export const PROVIDER_PACKAGE = "@ngcp-fleet/runtime";

/** The directories of dist/ the package holds, with their layout: providers import spec. */
export const PACKAGE_DIRECTORIES = ["providers", "spec"] as const;

/** Every dynamic resource type of the project, by the key its implementation has in the package. */
export const PROVIDER_KINDS = [
  "nodeFacts",
  "performanceProfile",
  "mysqlCredentials",
  "backupSchedule",
  "firewall",
  "tlsCertificates",
  "tlsHandshakeCheck",
  "systemAccounts",
  "supportAccess",
  "webCredentials",
  "ngcpConfig",
  "healthGate",
] as const;

export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** One implementation as the package exports it: every method the engine calls. */
export type PackagedProvider = Required<Omit<pulumi.dynamic.ResourceProvider, "configure">>;

/** The package's main module. */
export interface ProviderPackage {
  readonly version: string;
  readonly providers: Readonly<Record<ProviderKind, PackagedProvider>>;
}

/**
 * The provider of a resource type, loaded from the installed package (never from dist/: the engine would
 * copy that by value). Fails with the fix when the package is not built.
 */
export function packagedProvider(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
  const path = `${PROVIDER_PACKAGE}/providers/kinds/${kind}`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module's exports object itself is the point
    return require(path) as pulumi.dynamic.ResourceProvider;
  } catch (err) {
    throw new Error(
      `cannot load ${path} (npm run build installs the provider package): ${(err as Error).message}`,
    );
  }
}
