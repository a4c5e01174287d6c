/** `systemAccounts` (handbook 15.3): root's password, cdrexport's login, the images' preinstalled keys. */
import { z } from "zod";

export const systemAccountsSchema = z.strictObject({
  /** cdrexport's login. @default none: left as installed (login disabled) */
  cdrexport: z
    .strictObject({
      /** `key` (SSH keys only, password locked) or `password` (a strong one, through chpasswd). */
      mode: z.enum(["key", "password"], { error: `must be one of "key", "password"` }),
      /** OpenSSH public key lines; at least one with `mode: key`. @default none */
      authorizedKeys: z.array(z.string()).optional(),
      /** With `mode: password`; a secret, checked for strength. @default none */
      password: z.string().optional(),
    })
    .optional(),
  /** Root's password (VM images ship `sipwise`), through chpasswd's stdin. A secret. @default unmanaged */
  rootPassword: z.string().optional(),
  /** Wipe root's and sipwise's preinstalled authorized_keys. @default false */
  wipeAuthorizedKeys: z.boolean().optional(),
  /** Keys that survive the wipe (the deployer's own, Sipwise's support key). @default none */
  keepKeys: z
    .strictObject({ root: z.array(z.string()).optional(), sipwise: z.array(z.string()).optional() })
    .optional(),
  /** A Vagrant box: the wipe is skipped (handbook 15.3). @default false */
  vagrant: z.boolean().optional(),
});

export type SystemAccountsSettings = z.output<typeof systemAccountsSchema>;
