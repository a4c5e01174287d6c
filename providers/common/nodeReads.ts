/**
 * The baseline of the one batched read of a node (transport/snapshot.ts): everything the features read
 * when they check, diff or refresh a node in their default layout. The first resource of a node that reads
 * gets all of it in one command; every other resource of the node reuses it.
 */
import { DEFAULT_BACKUP_PATHS, BACKUP_INPUT_DEFAULTS } from "../backup/inputs";
import { backupLoginSection } from "../backup/nodeReads";
import { BEFORE_DIR, READ_SCRIPT as FIREWALL_READ_SCRIPT } from "../firewall/nodeScripts";
import { ROOT_OPTION_FILE } from "../mysqlCredentials/inputs";
import { factsScript } from "../nodeFacts/report";
import { renderReadScript as supportReadScript } from "../supportAccess/supportAccess";
import { READ_ACCOUNTS, AUTHORIZED_KEYS_EXPRESSION } from "../systemAccounts/nodeReads";
import { SSL_DIR } from "../tls/services";
import {
  readSnapshot,
  type NodeSnapshot,
  type SnapshotRequest,
  type SnapshotSection,
} from "../transport/snapshot";
import type { NodeTarget } from "../transport/target";
import { CONFIG_YML, CONSTANTS_YML, CREDENTIALS_KEY_FILE, SIPWISE_CNF } from "./nodeContract";

/** Section names of the baseline. */
export const SECTIONS = {
  facts: "facts",
  firewall: "firewall",
  supportAccess: "supportAccess",
  accounts: "accounts",
} as const;

const BASELINE_SECTIONS: readonly SnapshotSection[] = [
  { name: SECTIONS.facts, script: factsScript() },
  { name: SECTIONS.firewall, script: FIREWALL_READ_SCRIPT, args: [BEFORE_DIR] },
  { name: SECTIONS.supportAccess, script: supportReadScript() },
  { name: SECTIONS.accounts, script: READ_ACCOUNTS },
  backupLoginSection(BACKUP_INPUT_DEFAULTS.mysqlOptionsFile),
];

/** The baseline request (exported for tests: it must stay one command). */
export const NODE_BASELINE: SnapshotRequest = {
  sections: BASELINE_SECTIONS,
  files: [
    CONFIG_YML,
    CONSTANTS_YML,
    SIPWISE_CNF,
    ROOT_OPTION_FILE,
    CREDENTIALS_KEY_FILE,
    DEFAULT_BACKUP_PATHS.script,
    DEFAULT_BACKUP_PATHS.cronFile,
    DEFAULT_BACKUP_PATHS.statusFile,
    DEFAULT_BACKUP_PATHS.knownHostsFile,
    BACKUP_INPUT_DEFAULTS.mysqlOptionsFile,
  ],
  dynamicFiles: [{ name: "authorizedKeys", expression: AUTHORIZED_KEYS_EXPRESSION }],
  directories: [SSL_DIR],
};

/** The node's snapshot (one batched command per node and process, unless `extra` asks for more). */
export function nodeSnapshot(target: NodeTarget, extra?: SnapshotRequest): Promise<NodeSnapshot> {
  return readSnapshot(target, NODE_BASELINE, extra);
}
