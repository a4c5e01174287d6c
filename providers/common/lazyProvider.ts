/**
 * The object a `providers/kinds/<kind>` module exports: the provider of one resource type whose methods load
 * the implementations (../index) on first call. The program loads only this small module (it never runs
 * a provider method); the dynamic-provider process loads the rest when the engine calls a method.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { PackagedProvider, ProviderKind, ProviderPackage } from "./packaged";

export function lazyProvider(
  kind: ProviderKind,
): PackagedProvider & Pick<pulumi.dynamic.ResourceProvider, "configure"> {
  const implementation = (): PackagedProvider => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first call, not by the program
    const loaded = require("../index") as ProviderPackage;
    return loaded.providers[kind];
  };
  const provider: PackagedProvider & Pick<pulumi.dynamic.ResourceProvider, "configure"> = {
    // The engine configures the provider process with the stack config: the SSH key comes from there.
    configure: async (request) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the transport, loaded in the provider process only
      const transport = require("../transport/session") as typeof import("../transport/session");
      transport.useStackKey(request.config.get("ngcp-fleet:sshPrivateKey"));
    },
    check: (olds, news) => implementation().check(olds, news),
    diff: (id, olds, news) => implementation().diff(id, olds, news),
    create: (inputs) => implementation().create(inputs),
    read: (id, props) => implementation().read(id, props),
    update: (id, olds, news) => implementation().update(id, olds, news),
    delete: (id, props) => implementation().delete(id, props),
  };
  return provider satisfies pulumi.dynamic.ResourceProvider;
}
