import * as pulumi from "@pulumi/pulumi";
import { packagedProvider } from "../common/packaged";
import type { NodeTarget } from "../transport/target";
import type { MysqlCredentialsInputs } from "./inputs";
import { type MysqlShape } from "./provider";

export interface MysqlCredentialsArgs {
  /** How to reach the node. */
  readonly target: pulumi.Input<NodeTarget>;
  /**
   * Root's password, extra users and grants, the option file (handbook 15.3; see inputs.ts for each field
   * and its default). Pass it as a secret: it holds passwords. @default none (required)
   */
  readonly mysql: pulumi.Input<MysqlCredentialsInputs>;
}

/**
 * MariaDB credentials of one node (handbook 15.3): root's password set and rotated (proved by logging in),
 * extra least-privilege users with exactly their grants, the NGCP service users only verified, and root's
 * option file `/etc/mysql/ngcp-fleet-root.cnf` (0600) for later tools.
 */
export class MysqlCredentials extends pulumi.dynamic.Resource {
  /** The accounts and grants the settings ask for, without passwords (what the preview shows). */
  declare readonly shape: pulumi.Output<MysqlShape>;
  /** Extra accounts the stack declares (`user@host`). */
  declare readonly accounts: pulumi.Output<string[]>;
  /** Root accounts whose password is managed (`root@localhost`, …). */
  declare readonly rootAccounts: pulumi.Output<string[]>;
  /** NGCP service users verified to exist (never changed). */
  declare readonly serviceUsers: pulumi.Output<string[]>;
  /** Service users the node names but MariaDB lacks. */
  declare readonly missingServiceUsers: pulumi.Output<string[]>;
  declare readonly serverVersion: pulumi.Output<string>;
  /** `/etc/mysql/ngcp-fleet-root.cnf` when written, else null. */
  declare readonly optionFile: pulumi.Output<string | null>;
  /** What the last apply did (descriptions, no secrets). */
  declare readonly lastChanges: pulumi.Output<string[]>;
  /** What the last refresh found changed outside the stack. */
  declare readonly drift: pulumi.Output<string[]>;

  constructor(name: string, args: MysqlCredentialsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      packagedProvider("mysqlCredentials"),
      name,
      {
        target: args.target,
        // Secret whatever the caller passed: the inputs are stored in the state too, not only the outputs.
        mysql: pulumi.secret(args.mysql),
        shape: undefined,
        declared: undefined,
        salt: undefined,
        inputFingerprints: undefined,
        authFingerprints: undefined,
        accounts: undefined,
        managed: undefined,
        rootAccounts: undefined,
        serviceUsers: undefined,
        missingServiceUsers: undefined,
        serverVersion: undefined,
        optionFile: undefined,
        lastChanges: undefined,
        drift: undefined,
      },
      // Not the password, but derived from it: kept encrypted in the state.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["inputFingerprints", "authFingerprints"] }),
      "ngcp-fleet",
      "MysqlCredentials",
    );
  }
}
