/**
 * `tls` (handbook 15.4): certificates of the web interfaces (shared or one per interface) and of SIP over
 * TLS. Each PEM field is given inline (a secret) or as a file on the deployer (`…File`, relative to the
 * project). Unmanaged when absent.
 */
import { z } from "zod";

/** A certificate, its chain and key: inline PEM, or files on the deployer. */
const material = z.strictObject({
  certificate: z.string().optional(),
  certificateFile: z.string().optional(),
  chain: z.string().optional(),
  chainFile: z.string().optional(),
  /** A secret when inline. */
  privateKey: z.string().optional(),
  privateKeyFile: z.string().optional(),
  /** The name the certificate must cover. @default none */
  hostname: z.string().optional(),
});

export const WEB_SERVICES = ["provisioning", "rest", "admin", "csc"] as const;

export const tlsSchema = z.strictObject({
  /** `shared` (one certificate, `web`) or `perService` (`services`). @default shared when `web` is set */
  mode: z.enum(["shared", "perService"], { error: `must be one of "shared", "perService"` }).optional(),
  /** The certificate shared by provisioning, REST, admin and self-care. @default none */
  web: material.optional(),
  /** One certificate per interface. @default none */
  services: z.strictObject(Object.fromEntries(WEB_SERVICES.map((s) => [s, material.optional()]))).optional(),
  /** SIP over TLS: kamailio.lb.tls.enable and its certificate. @default unmanaged */
  sipTls: material.extend({ enable: z.boolean().optional() }).optional(),
  /** Production checks (a CA-signed certificate for self-care). @default environment is production */
  production: z.boolean().optional(),
  /** Accept self-signed certificates outside production. @default false */
  allowSelfSigned: z.boolean().optional(),
  /** Warn when fewer days are left. @default 30 */
  warnDays: z.number().int().min(0).optional(),
});

export type TlsSpecSettings = z.output<typeof tlsSchema>;
