import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";
import type { NodeTarget } from "../transport/target";
import type { ScalarValue } from "./document";
import { type OwnedSetting } from "./provider";

export interface NgcpConfigArgs {
  /** How to reach the node. */
  readonly target: pulumi.Input<NodeTarget>;
  /** Stack name, used in the `ngcpcfg apply` message. */
  readonly stack: pulumi.Input<string>;
  /** Desired config.yml keys (dotted) with their owning resource, merged from every feature of the node. @default {} */
  readonly settings: pulumi.Input<Record<string, pulumi.Input<OwnedSetting>>>;
  /** Values whose change needs an `ngcpcfg apply` although config.yml may not change (certificate fingerprints). @default {} */
  readonly applyTriggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Keys whose live values are published in `effective` (ports the firewall opens). @default [] */
  readonly watchKeys?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * A node's /etc/ngcp-config/config.yml and its single `ngcpcfg apply` per run (handbook 15.4, 15.7):
 * the only writer of config.yml, so every feature's keys land in one atomic write and one apply.
 */
export class NgcpConfig extends pulumi.dynamic.Resource {
  declare readonly live: pulumi.Output<Record<string, ScalarValue | null>>;
  declare readonly effective: pulumi.Output<Record<string, ScalarValue | null>>;
  declare readonly lastApplyMessage: pulumi.Output<string>;

  constructor(name: string, args: NgcpConfigArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("ngcpConfig"),
      name,
      {
        applyTriggers: {},
        watchKeys: [],
        ...args,
        live: undefined,
        effective: undefined,
        lastApplyMessage: undefined,
      },
      opts,
      "ngcp-fleet",
      "NgcpConfig",
    );
  }
}
