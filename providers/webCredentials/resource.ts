import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";
import type { NodeTarget } from "../transport/target";
import type { WebCredentialsInputs } from "./planner";

export interface WebCredentialsArgs {
  /** How to reach the node. */
  readonly target: pulumi.Input<NodeTarget>;
  /**
   * The `administrator` and/or `ngcpsoap` passwords, and the REST API's port (handbook 15.3; see planner.ts).
   * Kept secret in the state: it holds passwords. @default none (required)
   */
  readonly webCredentials: pulumi.Input<WebCredentialsInputs>;
}

/**
 * The web `administrator` and `ngcpsoap` passwords of one node (handbook 15.3), changed through the NGCP REST
 * API over HTTPS carried by the SSH connection. `refresh` reports a password changed in the web interface.
 */
export class WebCredentials extends pulumi.dynamic.Resource {
  /** The managed logins. */
  declare readonly logins: pulumi.Output<string[]>;
  declare readonly port: pulumi.Output<number>;
  /** The admins' ids in the REST API. */
  declare readonly adminIds: pulumi.Output<Record<string, number>>;
  /** What the last apply did (no secrets). */
  declare readonly lastChanges: pulumi.Output<string[]>;
  /** What the last refresh found changed outside the stack. */
  declare readonly drift: pulumi.Output<string[]>;

  constructor(name: string, args: WebCredentialsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("webCredentials"),
      name,
      {
        target: args.target,
        // Secret whatever the caller passed: the inputs are stored in the state too, not only the outputs.
        webCredentials: pulumi.secret(args.webCredentials),
        logins: undefined,
        port: undefined,
        salt: undefined,
        inputFingerprints: undefined,
        sealed: undefined,
        adminIds: undefined,
        lastChanges: undefined,
        drift: undefined,
      },
      // Not passwords, but derived from them: kept encrypted in the state.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["inputFingerprints", "sealed"] }),
      "ngcp-fleet",
      "WebCredentials",
    );
  }
}
