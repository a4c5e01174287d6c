import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";
import type { NodeTarget } from "../transport/target";

import type { SupportAccessInputs } from "./supportAccess";

export interface SupportAccessArgs {
  /** How to reach the node. */
  readonly target: pulumi.Input<NodeTarget>;
  /**
   * `{ enabled: true }`: `apt-get install ngcp-support-access && ngcp-support-access --enable`;
   * `{ enabled: false }`: `ngcp-support-access --disable && apt-get install ngcp-support-noaccess`
   * (handbook 15.1). @default none (required)
   */
  readonly supportAccess: pulumi.Input<SupportAccessInputs>;
}

/** Sipwise's SSH support access on one node (handbook 15.1), verified by the tool's success line and dpkg. */
export class SupportAccess extends pulumi.dynamic.Resource {
  /** `enabled`, `disabled` or `inconsistent`, as dpkg says after the last apply or refresh. */
  declare readonly state: pulumi.Output<string>;
  /** Keys in ~sipwise/.ssh/authorized_keys (evidence), null when the file does not exist. */
  declare readonly sipwiseKeys: pulumi.Output<number | null>;
  /** The commands the last apply ran, in order. */
  declare readonly lastCommands: pulumi.Output<string[]>;
  declare readonly warnings: pulumi.Output<string[]>;
  /** What the last refresh found changed outside the stack. */
  declare readonly drift: pulumi.Output<string[]>;

  constructor(name: string, args: SupportAccessArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("supportAccess"),
      name,
      {
        ...args,
        state: undefined,
        sipwiseKeys: undefined,
        lastCommands: undefined,
        warnings: undefined,
        drift: undefined,
      },
      opts,
      "ngcp-fleet",
      "SupportAccess",
    );
  }
}
