import { Document, isMap, parseDocument, YAMLMap, YAMLSeq } from "yaml";
import { DEPLOYER } from "../topology";

export interface LabStackNode {
  readonly name: string;
  readonly host: string;
  /** `ssh-ed25519 AAAA…`: the node's host public key, pinned by the stack. */
  readonly hostKey: string;
}

export interface LabStackInput {
  /** Absolute path of the deployer's private key. */
  readonly privateKeyPath: string;
  readonly nodes: readonly LabStackNode[];
}

/** The keys `lab up` owns in stacks/Pulumi.lab.yaml; every other key of the file is left as it is. */
export const LAB_STACK_KEYS = [
  "ngcp-fleet:environment",
  "ngcp-fleet:ssh",
  "ngcp-fleet:nodes",
  "ngcp-fleet:adminSources",
] as const;

/** The deployer's own addresses as host routes: the lab's only admin network. */
export const LAB_ADMIN_SOURCES = [`${DEPLOYER.ipv4}/32`, `${DEPLOYER.ipv6}/128`] as const;

/**
 * stacks/Pulumi.lab.yaml (pure). Without an existing file it renders the documented shape. With one, it
 * rewrites only the keys `lab up` owns (LAB_STACK_KEYS) through the YAML document model, so the
 * `encryptionsalt:` of the stack's passphrase secrets, values set with `pulumi config set` (secrets
 * included) and comments all survive.
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
    input.nodes.map((n) => ({ name: n.name, host: n.host, hostKey: n.hostKey })),
  ) as YAMLSeq;
  nodes.commentBefore =
    " hostKey: each node's ed25519 host public key, pinned (written by `ngcp-fleet lab up`)";
  setOwned(doc, config, "ngcp-fleet:nodes", nodes);
  setOwned(doc, config, "ngcp-fleet:adminSources", [...LAB_ADMIN_SOURCES]);
  return doc.toString({ indentSeq: true, lineWidth: 0 });
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
