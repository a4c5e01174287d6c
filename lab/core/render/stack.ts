import { Document, isMap, isScalar, isSeq, parseDocument, YAMLMap, YAMLSeq } from "yaml";
import { DEPLOYER } from "../topology";

export interface LabStackNode {
  readonly name: string;
  readonly host: string;
  /** `ssh-ed25519 AAAA…`: the node's host public key, pinned by the stack. */
  readonly hostKey: string;
}

/** The lab's certificate files on the deployer (absolute paths), issued by the lab CA. */
export interface LabStackTls {
  /** Leaf certificate for `*.ngcp-lab.test` (PEM). */
  readonly certificateFile: string;
  /** The lab CA's certificate: the chain served after the leaf (PEM). */
  readonly chainFile: string;
  /** The leaf's private key (PEM, 0600 on the deployer; only its path is in the stack). */
  readonly privateKeyFile: string;
}

export interface LabStackInput {
  /** Absolute path of the deployer's private key. */
  readonly privateKeyPath: string;
  /** The deployer's public key line: the one key root keeps when the stack wipes the preinstalled keys. */
  readonly deployerPublicKey: string;
  readonly nodes: readonly LabStackNode[];
  /** The certificates the `tls` feature installs. */
  readonly tls: LabStackTls;
}

/** DNS suffix of the lab's certificate (`*.ngcp-lab.test`); each node's TLS hostname is `<node>.<suffix>`. */
export const LAB_TLS_DOMAIN = "ngcp-lab.test";

/** The least-privilege MariaDB user of the lab stack: what a dump needs, nothing more (handbook 15.3). */
export const LAB_BACKUP_USER = "ngcp_fleet_backup";

/** The keys `lab up` owns in stacks/Pulumi.lab.yaml; every other key of the file is left as it is. */
export const LAB_STACK_KEYS = [
  "ngcp-fleet:environment",
  "ngcp-fleet:ssh",
  "ngcp-fleet:nodes",
  "ngcp-fleet:adminSources",
  "ngcp-fleet:rollout",
  "ngcp-fleet:performance",
  "ngcp-fleet:tls",
  "ngcp-fleet:firewall",
  "ngcp-fleet:mysql",
  "ngcp-fleet:systemAccounts",
  "ngcp-fleet:supportAccess",
  "ngcp-fleet:webCredentials",
  "ngcp-fleet:backup",
] as const;

/** The deployer's own addresses as host routes: the lab's only admin network. */
export const LAB_ADMIN_SOURCES = [`${DEPLOYER.ipv4}/32`, `${DEPLOYER.ipv6}/128`] as const;

/** One secret leaf of the lab stack: the config key and the path below it (`users[0].password`). */
export interface LabSecret {
  readonly key: string;
  readonly path: readonly (string | number)[];
}

/** The `pulumi config set --secret --path` name of a secret leaf: `ngcp-fleet:mysql.users[0].password`. */
export function secretPathName(secret: LabSecret): string {
  return secret.path.reduce<string>(
    (name, part) => (typeof part === "number" ? `${name}[${part}]` : `${name}.${part}`),
    secret.key,
  );
}

/**
 * The secret leaves of the lab stack: passwords `lab up` generates once and stores encrypted with the lab
 * passphrase (`pulumi config set --secret --path`). They are never rendered here: the renderer only keeps
 * the `secure:` values already in the file.
 */
export function labSecrets(): LabSecret[] {
  return [
    { key: "ngcp-fleet:mysql", path: ["rootPassword"] },
    { key: "ngcp-fleet:mysql", path: ["users", 0, "password"] },
    { key: "ngcp-fleet:systemAccounts", path: ["rootPassword"] },
    { key: "ngcp-fleet:systemAccounts", path: ["cdrexport", "password"] },
    { key: "ngcp-fleet:webCredentials", path: ["administrator", "password"] },
  ];
}

/**
 * The plain (non-secret) value of every feature key: each feature of the project turned on, with settings
 * that work on lab nodes. Secret leaves are absent (see {@link labSecrets}).
 */
export function labFeatureSettings(input: LabStackInput): Record<string, unknown> {
  const features: Record<string, unknown> = {
    // Handbook 15.7: `low` is the handbook's test-system profile (SIP over TLS stays the tls feature's key).
    "ngcp-fleet:performance": { profile: "low" },
    // Handbook 15.4: one certificate of the lab CA for the web interfaces and SIP over TLS.
    "ngcp-fleet:tls": {
      web: { ...input.tls },
      sipTls: { enable: true, ...input.tls },
      warnDays: 30,
    },
    // Handbook 15.2: the lab kernel has no RTPENGINE target; a user chain of that name stands in for it.
    "ngcp-fleet:firewall": { policy: "DROP", rtpengine: { kind: "userChain" }, rollbackSeconds: 30 },
    // Handbook 15.3: root's password and a least-privilege backup user (passwords: secrets).
    "ngcp-fleet:mysql": {
      users: [
        {
          name: LAB_BACKUP_USER,
          host: "localhost",
          grants: [{ privileges: ["SELECT", "LOCK TABLES", "SHOW VIEW", "EVENT", "TRIGGER"], on: "*.*" }],
        },
      ],
    },
    // Handbook 15.3: root's password, cdrexport by password, the image's keys wiped (the deployer's kept).
    "ngcp-fleet:systemAccounts": {
      cdrexport: { mode: "password" },
      wipeAuthorizedKeys: true,
      keepKeys: { root: [input.deployerPublicKey] },
    },
    // Handbook 15.1: Sipwise's support access off.
    "ngcp-fleet:supportAccess": { enabled: false },
    // Handbook 15.5.1: a nightly backup kept for a week.
    "ngcp-fleet:backup": {
      schedule: "30 3 * * *",
      destination: "/var/backups/ngcp-fleet",
      retention: { count: 7 },
    },
  };
  // Handbook 15.3: the web administrator's default password replaced (from its vendor default, which the
  // provider tries itself). ngcpsoap's password is per installation: managing it starts with adopting the
  // node's current one (`nodes[].webCredentials.ngcpsoap.currentPassword`), which a shared lab stack
  // cannot know; the credentials e2e test covers it.
  features["ngcp-fleet:webCredentials"] = { administrator: {} };
  return features;
}

/**
 * stacks/Pulumi.lab.yaml (pure). Without an existing file it renders the documented shape. With one, it
 * rewrites only the keys `lab up` owns (LAB_STACK_KEYS) through the YAML document model, so the
 * `encryptionsalt:` of the stack's passphrase secrets, values set with `pulumi config set` (secrets
 * included) and comments all survive. Inside an owned key, a secret leaf of {@link labSecrets} that the file
 * already holds (`secure: v1:…`) is carried over unchanged; an owned key an operator replaced by one whole
 * secret value is left alone.
 */
export function renderLabStack(existing: string | undefined, input: LabStackInput): string {
  let doc: Document;
  if (existing !== undefined && existing.trim() !== "") {
    doc = parseDocument(existing);
    if (doc.errors.length > 0) {
      throw new Error(
        `stacks/Pulumi.lab.yaml is not valid YAML (${doc.errors[0].message}); fix or delete it`,
      );
    }
    if (!isMap(doc.contents)) {
      throw new Error("stacks/Pulumi.lab.yaml must be a YAML mapping; fix or delete it");
    }
  } else {
    doc = new Document({});
  }
  if (!doc.has("config")) {
    doc.set("config", doc.createNode({}));
  }
  const config = doc.get("config");
  if (!isMap(config)) {
    throw new Error("stacks/Pulumi.lab.yaml: `config` must be a mapping; fix or delete the file");
  }
  setOwned(doc, config, "ngcp-fleet:environment", "lab");
  setOwned(doc, config, "ngcp-fleet:ssh", { user: "root", privateKeyPath: input.privateKeyPath });
  const nodes = doc.createNode(
    input.nodes.map((n) => ({
      name: n.name,
      host: n.host,
      hostKey: n.hostKey,
      // A per-node override: the node's own name, covered by the lab certificate's wildcard.
      tls: { web: { hostname: `${n.name}.${LAB_TLS_DOMAIN}` } },
    })),
  ) as YAMLSeq;
  nodes.commentBefore =
    " hostKey: each node's ed25519 host public key, pinned (written by `ngcp-fleet lab up`)";
  setOwned(doc, config, "ngcp-fleet:nodes", nodes);
  setOwned(doc, config, "ngcp-fleet:adminSources", [...LAB_ADMIN_SOURCES]);
  setOwned(doc, config, "ngcp-fleet:rollout", { canary: 1, batchSize: 10, haPairs: [] });

  const secrets = labSecrets();
  for (const [key, value] of Object.entries(labFeatureSettings(input))) {
    const before = config.get(key, true);
    if (isWholeSecret(before)) {
      continue;
    }
    const node = doc.createNode(value) as YAMLMap;
    for (const secret of secrets.filter((s) => s.key === key)) {
      const kept = isMap(before) ? before.getIn(secret.path, true) : undefined;
      if (isWholeSecret(kept)) {
        node.setIn(secret.path, kept);
      }
    }
    config.set(key, node);
  }
  return doc.toString({ indentSeq: true, lineWidth: 0 });
}

/** The secret leaves of {@link labSecrets} that the stack file does not hold yet (pure). */
export function missingLabSecrets(text: string): LabSecret[] {
  const doc = parseDocument(text);
  const config = doc.get("config");
  return labSecrets().filter((secret) => {
    const value = isMap(config) ? config.get(secret.key, true) : undefined;
    if (isWholeSecret(value)) {
      return false;
    }
    return !(isMap(value) && isWholeSecret(value.getIn(secret.path, true)));
  });
}

/** How many nodes the file's `ngcp-fleet:nodes` lists; undefined without a file or a list. */
export function labStackNodeCount(existing: string | undefined): number | undefined {
  if (existing === undefined || existing.trim() === "") {
    return undefined;
  }
  const doc = parseDocument(existing);
  const config = doc.get("config");
  const nodes = isMap(config) ? config.get("ngcp-fleet:nodes", true) : undefined;
  return isSeq(nodes) ? nodes.items.length : undefined;
}

/** A Pulumi secret in a stack file: a mapping with exactly one key `secure` and a string value. */
function isWholeSecret(node: unknown): boolean {
  if (!isMap(node) || node.items.length !== 1) {
    return false;
  }
  const [pair] = node.items;
  return isScalar(pair.key) && pair.key.value === "secure" && isScalar(pair.value);
}

function setOwned(doc: Document, config: YAMLMap, key: string, value: unknown): void {
  config.set(key, value instanceof YAMLSeq ? value : doc.createNode(value));
}

/** One known_hosts line per node, for the OpenSSH client (`lab ssh`) with StrictHostKeyChecking yes. */
export function renderKnownHosts(nodes: readonly LabStackNode[]): string {
  return nodes.map((n) => `${n.host} ${n.hostKey}`).join("\n") + (nodes.length > 0 ? "\n" : "");
}

/** `ssh-ed25519 AAAA… comment` → `ssh-ed25519 AAAA…` (the pinned form: type and key, no comment). */
export function publicKeyWithoutComment(line: string): string {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2) {
    throw new Error(`not an OpenSSH public key line: ${JSON.stringify(line.slice(0, 40))}`);
  }
  return `${parts[0]} ${parts[1]}`;
}
