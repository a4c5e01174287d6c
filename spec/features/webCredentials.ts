/** `webCredentials` (handbook 15.3): the admin interface's `administrator` and the provisioning `ngcpsoap`. */
import { z } from "zod";

const account = z.strictObject({
  /** The password to set, a secret, checked for strength. @default required */
  password: z.string({ error: "is required (a secret)" }),
  /** The password the account has now, when set by hand (adoption), a secret. @default none */
  currentPassword: z.string().optional(),
});

export const webCredentialsSchema = z.strictObject({
  /** `administrator` of the admin interface (default password `administrator`). @default unmanaged */
  administrator: account.optional(),
  /** `ngcpsoap` of the provisioning interfaces (handbook 12). @default unmanaged */
  ngcpsoap: account.optional(),
  /** The REST API's port, reached through the SSH tunnel (table 9). @default 1443 */
  port: z.number().int().min(1).max(65535).optional(),
});

export type WebCredentialsSettings = z.output<typeof webCredentialsSchema>;
