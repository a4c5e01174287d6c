import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  buildImage,
  buildRuntime,
  ensureDefaultCert,
  ensureHostKey,
  ensureKeys,
  ensureMysqlTemplate,
} from "./artifacts";
import { mapLimit, run, runRaw, sleep } from "./exec";
import {
  deleteBridge,
  ensureBridge,
  ensureNamespaceLink,
  labNamespaces,
  runNetnsIsMountPoint,
} from "./network";
import { bootNode, createDisk, nodeDir, nodeHealth, shutdownNode } from "./node";
import { labPaths, type LabPaths } from "./paths";
import { procStartTime } from "./processes";
import { readState, writeState, type LabState, type NodeState } from "./state";
import { checkCapacity, parseMemAvailableMb, parseMemTotalMb } from "./core/capacity";
import type { Edition } from "./core/editions";
import { isEdition } from "./core/editions";
import {
  labStackNodeCount,
  publicKeyWithoutComment,
  renderKnownHosts,
  renderLabStack,
} from "./core/render/stack";
import { ensureLabTls } from "./labTls";
import {
  BRIDGE_NAME,
  DEPLOYER,
  nodeIndexFromName,
  nodeSpec,
  nodeSpecs,
  NETNS_PREFIX,
  outsiderSpec,
  VETH_PREFIX,
} from "./core/topology";

export { labPaths } from "./paths";
export type { LabPaths } from "./paths";
export type { LabState, NodeState } from "./state";
export { parseCommandLog } from "./core/commandLog";
export type { CommandRecord } from "./core/commandLog";
import { parseCommandLog as parseNodeCommandLog, type CommandRecord } from "./core/commandLog";
export { nodeSpec, outsiderSpec, DEPLOYER } from "./core/topology";
export type { Edition } from "./core/editions";
export { IMAGE_ROOT_PASSWORD, inNode } from "./node";

/**
 * SIGTERM-to-SIGKILL delay when a node's disk is deleted right after (lab down, fewer nodes): a clean
 * MariaDB shutdown would be wasted work there.
 */
const DISCARD_GRACE_MS = 1000;

/** Programs the lab runs on the host; checked before anything starts. */
const REQUIRED_TOOLS = [
  "ip",
  "unshare",
  "nsenter",
  "sshd",
  "ssh-keygen",
  "mariadbd",
  "mariadb-install-db",
  "mariadb",
  "mariadb-admin",
  "cron",
  "git",
  "openssl",
  "cp",
  "flock",
  "chown",
];

export interface LabUpOptions {
  /** Number of nodes, ngcp1..ngcpN. */
  readonly nodes: number;
  /** Handbook edition the nodes are seeded with. @default "001" */
  readonly edition?: Edition;
  /** Progress lines (the CLI prints them). */
  readonly log?: (line: string) => void;
  /**
   * How many nodes stacks/Pulumi.lab.yaml lists (ngcp1..ngcpK, at most the lab's). `ngcp-fleet lab up`
   * passes its `--nodes`; callers that only need a lab (tests) leave it out, so the stack keeps its nodes.
   * @default the count the stack file lists already, else every node of the lab
   */
  readonly stackNodes?: number;
}

export interface LabNodeStatus {
  readonly name: string;
  readonly namespace: string;
  readonly address: string;
  readonly address6: string;
  readonly hostKey: string;
  readonly healthy: boolean;
  readonly problems: readonly string[];
}

export interface LabStatus {
  readonly up: boolean;
  readonly edition?: Edition;
  readonly labDir: string;
  readonly nodes: readonly LabNodeStatus[];
  readonly outsider?: { readonly namespace: string; readonly address: string; readonly address6: string };
  readonly deployer?: { readonly address: string; readonly address6: string };
  /** Paths a client needs: the deployer's key and the known_hosts pinned to the nodes' host keys. */
  readonly deployerKey: string;
  readonly knownHosts: string;
}

export interface LabUpResult {
  readonly status: LabStatus;
  /** Nodes created or booted by this call (empty when the lab already matched: a no-op). */
  readonly started: readonly string[];
  readonly stopped: readonly string[];
  readonly seconds: number;
}

function preflight(): void {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new Error(
      "the lab needs root (network namespaces, bind mounts, daemons under other users): run it with sudo or as root",
    );
  }
  const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".split(":");
  const missing = REQUIRED_TOOLS.filter((t) => !PATH.some((d) => fs.existsSync(path.join(d, t))));
  if (missing.length > 0) {
    throw new Error(
      `the lab needs these programs, not found on this machine: ${missing.join(", ")} ` +
        "(Debian: apt-get install openssh-server mariadb-server cron iproute2 util-linux git openssl)",
    );
  }
  if (!fs.existsSync("/mnt")) {
    throw new Error("the lab stages node disks on /mnt, which does not exist here (mkdir /mnt)");
  }
}

/**
 * Serializes lab changes between processes (two test runs, a test run and a CLI): an exclusive lock file
 * holding the owner's PID; a lock whose owner is gone is taken over.
 */
async function withLock<T>(p: LabPaths, fn: () => Promise<T>, waitMs = 600_000): Promise<T> {
  fs.mkdirSync(p.labDir, { recursive: true, mode: 0o755 });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      fs.writeFileSync(p.lockFile, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        throw e;
      }
      const owner = Number(fs.readFileSync(p.lockFile, "utf8").trim());
      if (!Number.isInteger(owner) || owner <= 0 || procStartTime(owner) === undefined) {
        fs.rmSync(p.lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`another lab up/down (pid ${owner}) holds ${p.lockFile}`);
      }
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(p.lockFile, { force: true });
  }
}

function statusFrom(p: LabPaths, state: LabState | undefined): LabStatus {
  const base = { labDir: p.labDir, deployerKey: p.deployerKey, knownHosts: p.knownHosts };
  if (!state) {
    return { ...base, up: false, nodes: [] };
  }
  const nodes = state.nodes.map((n): LabNodeStatus => {
    const h = nodeHealth(n);
    return {
      name: n.name,
      namespace: n.namespace,
      address: n.ipv4,
      address6: n.ipv6,
      hostKey: n.hostKey,
      healthy: h.healthy,
      problems: h.problems,
    };
  });
  const o = outsiderSpec();
  return {
    ...base,
    up: nodes.length > 0 && nodes.every((n) => n.healthy),
    edition: state.edition,
    nodes,
    outsider: { namespace: o.namespace, address: o.ipv4, address6: o.ipv6 },
    deployer: { address: DEPLOYER.ipv4, address6: DEPLOYER.ipv6 },
  };
}

/** The lab as it is now, read from its state file and checked against the running processes. */
export function labStatus(): LabStatus {
  const p = labPaths();
  return statusFrom(p, readState(p.stateFile));
}

/** What a node's sshd recorded so far: logins accepted and commands run (the node's own logs). */
export interface NodeActivity {
  /** `Accepted publickey` lines of the node's sshd log. */
  readonly logins: number;
  /** Every command sshd ran for a client, an sftp session included (commands.log). */
  readonly commands: readonly CommandRecord[];
}

/**
 * A node's activity, read from its disk on the host: counting adds no login or command of its own (a
 * benchmark or test compares two readings).
 */
export function nodeActivity(name: string): NodeActivity {
  const log = path.join(labPaths().nodesDir, name, "var", "log");
  const read = (file: string): Buffer | undefined => {
    try {
      return fs.readFileSync(path.join(log, file));
    } catch {
      return undefined;
    }
  };
  const sshd = read("sshd.log")?.toString("utf8") ?? "";
  const commands = read(path.join("ngcp-lab", "commands.log"));
  return {
    logins: (sshd.match(/Accepted publickey/g) ?? []).length,
    commands: commands === undefined ? [] : parseNodeCommandLog(commands),
  };
}

/**
 * Brings the lab to `nodes` running nodes. Idempotent: on a lab that already runs that many healthy nodes
 * it changes nothing; with a different count it adds or removes nodes at the end (ngcpN…); a node whose
 * processes died is booted again on its existing disk. Refuses, before starting anything, when not root,
 * when the count does not fit the machine, or when the lab runs another edition.
 */
export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  const t0 = Date.now();
  const log = opts.log ?? ((): void => undefined);
  const edition = opts.edition ?? "001";
  if (!isEdition(edition)) {
    throw new Error(`--edition must be 001 or 000, got: ${String(edition)}`);
  }
  preflight();
  const p = labPaths();
  return withLock(p, async () => {
    const previous = readState(p.stateFile);
    if (previous && previous.nodes.length > 0 && previous.edition !== edition) {
      throw new Error(
        `the lab runs edition ${previous.edition}; bring it down first (ngcp-fleet lab down) to seed edition ${edition}`,
      );
    }
    const meminfo = fs.readFileSync("/proc/meminfo", "utf8");
    const healthyNow = (previous?.nodes ?? []).filter((n) => n.index <= opts.nodes && nodeHealth(n).healthy);
    const verdict = checkCapacity({
      requested: opts.nodes,
      running: healthyNow.length,
      memAvailableMb: parseMemAvailableMb(meminfo),
    });
    if (!verdict.ok) {
      throw new Error(verdict.reason);
    }
    const wanted = nodeSpecs(opts.nodes);
    const keep = new Map(healthyNow.map((n) => [n.name, n]));
    const toStop = (previous?.nodes ?? []).filter((n) => !keep.has(n.name));
    const toStart = wanted.filter((s) => !keep.has(s.name));
    if (toStart.length === 0 && toStop.length === 0 && previous) {
      writeStackFiles(p, previous, opts.stackNodes);
      return { status: statusFrom(p, previous), started: [], stopped: [], seconds: (Date.now() - t0) / 1000 };
    }

    const runNetnsMountedByLab = previous?.runNetnsMountedByLab ?? !runNetnsIsMountPoint();
    let nodes: NodeState[] = [...keep.values()];
    const save = (): LabState => {
      const state: LabState = {
        version: 1,
        edition,
        labDir: p.labDir,
        updatedAt: new Date().toISOString(),
        runNetnsMountedByLab,
        nodes: [...nodes].sort((a, b) => a.index - b.index),
      };
      writeState(p.stateFile, state);
      return state;
    };
    save();

    if (toStop.length > 0) {
      log(`stopping ${toStop.map((n) => n.name).join(", ")}`);
      await mapLimit(toStop, 8, async (n) => {
        const removed = !wanted.some((w) => w.name === n.name);
        await shutdownNode(n, removed ? DISCARD_GRACE_MS : undefined);
        if (removed) {
          fs.rmSync(n.dir, { recursive: true, force: true });
        }
      });
    }

    log("preparing keys, certificate, MariaDB template, stand-ins");
    const memTotalMb = parseMemTotalMb(meminfo);
    const needDisk = toStart.filter(
      (s) => !fs.existsSync(path.join(nodeDir(p, s.name), "etc", "ngcp-config", ".git")),
    );
    const [keys, cert, template, hostKeys] = await Promise.all([
      ensureKeys(p),
      ensureDefaultCert(p),
      needDisk.length > 0 ? ensureMysqlTemplate(p) : Promise.resolve(""),
      Promise.all(toStart.map(async (s) => [s.name, await ensureHostKey(p, s.name)] as const)),
      buildRuntime(p),
    ]);
    const hostKeyOf = new Map(hostKeys);
    const image = needDisk.length > 0 ? await buildImage(p, { edition, keys }) : "";
    fs.mkdirSync(p.nodesDir, { recursive: true });
    fs.mkdirSync(p.logsDir, { recursive: true });

    await ensureBridge();
    await ensureNamespaceLink(outsiderSpec());

    log(`starting ${toStart.map((s) => s.name).join(", ")}`);
    // Nodes boot in parallel; MariaDB's start dominates and is I/O-bound, so more than the CPU count helps.
    await mapLimit(toStart, Math.max(8, os.cpus().length * 4), async (spec) => {
      const hk = hostKeyOf.get(spec.name);
      if (!hk) {
        throw new Error(`no host key for ${spec.name}`);
      }
      // A node whose processes died but whose disk exists is rebooted, not re-created: its state survives.
      await shutdownNode({ namespace: spec.namespace, vethHost: spec.vethHost });
      if (needDisk.includes(spec)) {
        await createDisk(p, spec, {
          edition,
          memTotalMb,
          imageDir: image,
          mysqlTemplate: template,
          hostKeyDir: hk.dir,
          defaultCert: cert,
        });
      }
      const node = await bootNode(p, spec, edition, hk.pub);
      nodes.push(node);
      save();
      log(`  ${spec.name} up at ${spec.ipv4} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    });
    nodes = nodes.filter((n) => n.index <= opts.nodes);
    const state = save();
    if (image) {
      fs.rmSync(image, { recursive: true, force: true });
    }
    writeStackFiles(p, state, opts.stackNodes);
    return {
      status: statusFrom(p, state),
      started: toStart.map((s) => s.name),
      stopped: toStop.map((n) => n.name),
      seconds: (Date.now() - t0) / 1000,
    };
  });
}

function writeStackFiles(p: LabPaths, state: LabState, stackNodes: number | undefined): void {
  const nodes = state.nodes.map((n) => ({ name: n.name, host: n.ipv4, hostKey: n.hostKey }));
  fs.writeFileSync(p.knownHosts, renderKnownHosts(nodes), { mode: 0o644 });
  writeLabStack({ nodes: stackNodes });
}

export interface WriteLabStackOptions {
  /** How many nodes the stack lists (ngcp1..ngcpK). @default the count the file lists already, else all */
  readonly nodes?: number;
}

/**
 * Writes stacks/Pulumi.lab.yaml for the running lab (renderLabStack): environment, SSH user and key, nodes
 * with pinned host keys, the deployer as admin source, and every feature of the project turned on (the lab
 * certificate of `.lab/tls/` for `tls`). Other keys of an existing file (its `encryptionsalt:`, values set
 * with `pulumi config set`) and the secret passwords already in it are kept; the missing passwords are set
 * by `ensureLabStackSecrets` (engine/labSecrets.ts). Returns the file's path.
 */
export function writeLabStack(opts: WriteLabStackOptions = {}): string {
  const p = labPaths();
  const state = readState(p.stateFile);
  if (!state || state.nodes.length === 0) {
    throw new Error("the lab is not up: run `ngcp-fleet lab up --nodes N` first");
  }
  const existing = fs.existsSync(p.stackFile) ? fs.readFileSync(p.stackFile, "utf8") : undefined;
  const count = Math.min(opts.nodes ?? labStackNodeCount(existing) ?? state.nodes.length, state.nodes.length);
  const text = renderLabStack(existing, {
    privateKeyPath: p.deployerKey,
    deployerPublicKey: publicKeyWithoutComment(fs.readFileSync(`${p.deployerKey}.pub`, "utf8")),
    tls: ensureLabTls(p),
    nodes: [...state.nodes]
      .sort((a, b) => a.index - b.index)
      .slice(0, Math.max(1, count))
      .map((n) => ({ name: n.name, host: n.ipv4, hostKey: publicKeyWithoutComment(n.hostKey) })),
  });
  if (text !== existing) {
    fs.mkdirSync(path.dirname(p.stackFile), { recursive: true });
    const tmp = `${p.stackFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, p.stackFile);
  }
  return p.stackFile;
}

export interface LabDownOptions {
  /** Also delete the keys, host keys, certificate and MariaDB template (the next up makes new ones). */
  readonly purge?: boolean;
  readonly log?: (line: string) => void;
}

/**
 * Stops the lab and removes what it created on the host: every process in a lab namespace (by PID), the
 * namespaces, veths and bridge, the nodes' disks. Works from the state file and, for leftovers of an
 * interrupted run, from the lab's naming (`ngcplab-*`). Keeps the deployer key, host keys, default
 * certificate and template (so a new up pins the same host keys), and stacks/Pulumi.lab.yaml, unless `purge`.
 */
export async function labDown(opts: LabDownOptions = {}): Promise<{ seconds: number; stopped: string[] }> {
  const t0 = Date.now();
  const log = opts.log ?? ((): void => undefined);
  preflight();
  const p = labPaths();
  return withLock(p, async () => {
    const state = readState(p.stateFile);
    const known = new Map((state?.nodes ?? []).map((n) => [n.namespace, n]));
    const namespaces = new Set([...known.keys(), ...(await labNamespaces())]);
    const outsider = outsiderSpec();
    const stopped: string[] = [];
    await mapLimit([...namespaces], 16, async (ns) => {
      const node = known.get(ns);
      if (node) {
        await shutdownNode(node, DISCARD_GRACE_MS);
        stopped.push(node.name);
        return;
      }
      const name = ns.slice(NETNS_PREFIX.length);
      const index = nodeIndexFromName(name);
      const vethHost =
        ns === outsider.namespace
          ? outsider.vethHost
          : index !== undefined
            ? nodeSpec(index).vethHost
            : undefined;
      await shutdownNode({ namespace: ns, vethHost: vethHost ?? "" }, DISCARD_GRACE_MS);
      if (index !== undefined) {
        stopped.push(name);
      }
    });
    // Host-side veths of an interrupted up whose namespace is already gone.
    const links = (await runRaw("ip", ["-o", "link", "show"])).stdout;
    for (const m of links.matchAll(new RegExp(`^\\d+: (${VETH_PREFIX}[0-9o]+)[@:]`, "gm"))) {
      await runRaw("ip", ["link", "del", m[1]]);
    }
    await deleteBridge();
    if (state?.runNetnsMountedByLab && runNetnsIsMountPoint() && fs.readdirSync("/run/netns").length === 0) {
      await run("umount", ["/run/netns"]).catch(() => undefined);
    }
    for (const d of [p.nodesDir, p.imageDir, p.runtimeDir, p.logsDir]) {
      fs.rmSync(d, { recursive: true, force: true });
    }
    fs.rmSync(p.stateFile, { force: true });
    if (opts.purge) {
      for (const d of [p.hostKeysDir, p.keysDir, p.sslDir, p.cacheDir]) {
        fs.rmSync(d, { recursive: true, force: true });
      }
      for (const f of [p.deployerKey, `${p.deployerKey}.pub`, p.knownHosts]) {
        fs.rmSync(f, { force: true });
      }
    }
    log(`lab down: ${stopped.length} node(s) stopped, ${BRIDGE_NAME} removed`);
    return {
      seconds: (Date.now() - t0) / 1000,
      stopped: stopped.sort((a, b) => (nodeIndexFromName(a) ?? 0) - (nodeIndexFromName(b) ?? 0)),
    };
  });
}
