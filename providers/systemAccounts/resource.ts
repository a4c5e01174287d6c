import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";
import type { NodeTarget } from "../transport/target";
import type { SystemAccountsInputs } from "./inputs";
import { type SystemAccountsShape } from "./provider";

export interface SystemAccountsArgs {
  /** How to reach the node. */
  readonly target: pulumi.Input<NodeTarget>;
  /**
   * Root's password, the cdrexport login, the wipe of the preinstalled authorized_keys (handbook 15.3; see
   * inputs.ts for each field and its default). Kept secret in the state: it holds passwords.
   * @default none (required)
   */
  readonly systemAccounts: pulumi.Input<SystemAccountsInputs>;
}

/**
 * System accounts of one node (handbook 15.3): root's password set through `chpasswd` on stdin, cdrexport by
 * SSH key or a strong password, the preinstalled authorized_keys of root and sipwise wiped down to the keys
 * the stack names. `refresh` reports a password changed by hand (its /etc/shadow hash changed).
 */
export class SystemAccounts extends pulumi.dynamic.Resource {
  /** The settings without passwords (what the preview shows). */
  declare readonly shape: pulumi.Output<SystemAccountsShape>;
  declare readonly cdrexportHome: pulumi.Output<string | null>;
  /** What the last apply did (no secrets; keys by fingerprint). */
  declare readonly lastChanges: pulumi.Output<string[]>;
  /** What the last refresh found changed outside the stack. */
  declare readonly drift: pulumi.Output<string[]>;

  constructor(name: string, args: SystemAccountsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("systemAccounts"),
      name,
      {
        target: args.target,
        // Secret whatever the caller passed: the inputs are stored in the state too, not only the outputs.
        systemAccounts: pulumi.secret(args.systemAccounts),
        shape: undefined,
        salt: undefined,
        inputFingerprints: undefined,
        hashFingerprints: undefined,
        cdrexportHome: undefined,
        lastChanges: undefined,
        drift: undefined,
      },
      // Not passwords, but derived from them (and from /etc/shadow): kept encrypted in the state.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["inputFingerprints", "hashFingerprints"] }),
      "ngcp-fleet",
      "SystemAccounts",
    );
  }
}
