import { z } from "zod";
import { FEATURE_SCHEMAS } from "./features";
import { overrideSchema } from "./features/partial";
import { parsePublicKeyLine } from "./hostKey";

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
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    "must be lower-case letters, digits and '-', starting with a letter or digit",
  );

/** Handbook edition of a node's config keys: "current" = seed 001, "older" = seed 000. */
const edition = z.enum(["current", "older"]);

/**
 * Each feature's settings, as the cluster and each node may give them: its schema in spec/features/ (every key,
 * its default and handbook section), any part of it. Merged settings are validated again per node
 * (spec/resolve.ts), where a part set for the cluster may meet a node's override.
 */
const featureSettings = {
  /** Table-10 tunables (handbook 15.7): profile, sizing, explicit values. @default unmanaged */
  performance: overrideSchema(FEATURE_SCHEMAS.performance).optional(),
  /** Certificates of the web interfaces and SIP over TLS (handbook 15.4). @default unmanaged */
  tls: overrideSchema(FEATURE_SCHEMAS.tls).optional(),
  /** INPUT filtering for tables 8 and 9, the RTPENGINE rule (handbook 15.2). @default unmanaged */
  firewall: overrideSchema(FEATURE_SCHEMAS.firewall).optional(),
  /** MySQL root password and extra users (handbook 15.3). @default unmanaged */
  mysql: overrideSchema(FEATURE_SCHEMAS.mysql).optional(),
  /** cdrexport login, root password, preinstalled authorized_keys (handbook 15.3). @default unmanaged */
  systemAccounts: overrideSchema(FEATURE_SCHEMAS.systemAccounts).optional(),
  /** Sipwise support access enabled or disabled (handbook 15.1). @default unmanaged */
  supportAccess: overrideSchema(FEATURE_SCHEMAS.supportAccess).optional(),
  /** Web `administrator` and `ngcpsoap` passwords (handbook 15.3). @default unmanaged */
  webCredentials: overrideSchema(FEATURE_SCHEMAS.webCredentials).optional(),
  /** Backup schedule (handbook 15.5.1). @default unmanaged */
  backup: overrideSchema(FEATURE_SCHEMAS.backup).optional(),
};

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
  /** Handbook edition of this node's config.yml. @default detected from the node */
  edition: edition.optional(),
  /** Overrides of the cluster-wide feature settings for this node (any part; merged at every depth). */
  ...featureSettings,
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
    /** Rollout waves: canary nodes first, then batches; HA pairs never in one wave. */
    rollout: z
      .strictObject({
        /** Nodes in the first wave. @default 1 */
        canary: z.number().int().min(0).default(1),
        /** Nodes per later wave. @default 10 */
        batchSize: z.number().int().min(1).default(10),
        /** Pairs of node names that must never converge in the same wave. @default [] */
        haPairs: z.array(z.tuple([z.string(), z.string()])).default([]),
      })
      .default({ canary: 1, batchSize: 10, haPairs: [] }),
    /** Handbook edition of the nodes' config.yml. @default detected from each node */
    edition: edition.optional(),
    // A feature set here applies to every node; `nodes[].<feature>` overrides parts of it.
    ...featureSettings,
  })
  .superRefine((spec, ctx) => {
    const seen = new Map<string, number>();
    spec.nodes.forEach((node, index) => {
      const first = seen.get(node.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["nodes", index, "name"],
          message: `duplicates nodes[${first}].name "${node.name}"`,
        });
      }
      seen.set(node.name, index);
      if (!node.hostKey && !spec.ssh.trustUnknownHostKeys) {
        ctx.addIssue({
          code: "custom",
          path: ["nodes", index, "hostKey"],
          message:
            "is required (pin the node's host key, e.g. from `ssh-keyscan -t ed25519 HOST`), or set ssh.trustUnknownHostKeys: true",
        });
      }
    });
  });

export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type SshSpec = z.infer<typeof SshSpecSchema>;
export type ClusterSpec = z.infer<typeof ClusterSpecSchema>;
