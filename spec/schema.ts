import { z } from "zod";
import { parsePublicKeyLine } from "../providers/transport/target";

/** The stack-config namespace: every key is `ngcp-fleet:<key>`. */
export const CONFIG_NAMESPACE = "ngcp-fleet";

const hostKey = z.string().superRefine((value, ctx) => {
  try {
    parsePublicKeyLine(value);
  } catch (err) {
    ctx.addIssue({
      code: "custom",
      message: `${(err as Error).message}; use the node's host public key, e.g. the output of \`ssh-keyscan -t ed25519 HOST\``,
    });
  }
});

const nodeName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and '-', starting with a letter or digit");

export const NodeSpecSchema = z.strictObject({
  /** Node name: resource names and messages use it. */
  name: nodeName,
  /** Address the deployer reaches the node's SSH at. */
  host: z.string().min(1, "must name the node's address"),
  /** @default 22 */
  port: z.number().int().min(1).max(65535).optional(),
  /** @default ssh.user */
  user: z.string().min(1).optional(),
  /** Pinned OpenSSH host public key (`ssh-ed25519 AAAA…`). Required unless ssh.trustUnknownHostKeys. */
  hostKey: hostKey.optional(),
});

export const SshSpecSchema = z.strictObject({
  /** @default "root" */
  user: z.string().min(1).default("root"),
  /** Private key file on the deployer; or set the secret `ngcp-fleet:sshPrivateKey`. */
  privateKeyPath: z.string().min(1).optional(),
  /** Run commands through `sudo -n` when user is not root. @default false */
  sudo: z.boolean().default(false),
  /** @default 10000 */
  connectTimeoutMs: z.number().int().min(1000).max(600_000).default(10_000),
  /** @default 120000 */
  commandTimeoutMs: z.number().int().min(1000).max(3_600_000).default(120_000),
  /** Accept host keys that are not pinned (trust on first use). @default false */
  trustUnknownHostKeys: z.boolean().default(false),
});

export const ClusterSpecSchema = z
  .strictObject({
    /** Environment name; `production` turns on the production-only checks. @default "lab" */
    environment: z.string().min(1).default("lab"),
    ssh: SshSpecSchema.default(SshSpecSchema.parse({})),
    nodes: z.array(NodeSpecSchema).min(1, "must list at least one node"),
    /** Networks allowed to reach the admin ports (handbook 15.2, table 9). @default none */
    adminSources: z.array(z.string()).default([]),
  })
  .superRefine((spec, ctx) => {
    const seen = new Map<string, number>();
    spec.nodes.forEach((node, index) => {
      const first = seen.get(node.name);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["nodes", index, "name"], message: `duplicates nodes[${first}].name "${node.name}"` });
      }
      seen.set(node.name, index);
      if (!node.hostKey && !spec.ssh.trustUnknownHostKeys) {
        ctx.addIssue({
          code: "custom",
          path: ["nodes", index, "hostKey"],
          message: "is required (pin the node's host key, e.g. from `ssh-keyscan -t ed25519 HOST`), or set ssh.trustUnknownHostKeys: true",
        });
      }
    });
  });

export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type SshSpec = z.infer<typeof SshSpecSchema>;
export type ClusterSpec = z.infer<typeof ClusterSpecSchema>;
