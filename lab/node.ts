import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { parse } from "yaml";
import { cryptPassword, random } from "./artifacts";
import { LAB_ENV, run, runRaw, waitFor } from "./exec";
import { deleteNamespace, ensureNamespaceLink } from "./network";
import type { LabPaths } from "./paths";
import {
  isAlive,
  namedNetnsInode,
  nsInode,
  pidsInNamespaces,
  procRef,
  procStartTime,
  stopPids,
} from "./processes";
import type { DaemonName, NodeState, ProcRef } from "./state";
import type { Edition } from "./core/editions";
import { NGCP_VERSION } from "./core/editions";
import {
  HOLDER_READY,
  hostPathOf,
  NODE_BIN,
  SERVICES_BUILD,
  SERVICES_PID,
  SERVICES_STATUS,
} from "./core/layout";
import { renderHolderScript } from "./core/render/holder";
import { publicKeyWithoutComment } from "./core/render/stack";
import { standinScript } from "./core/render/wrappers";
import { setShadowPassword } from "./core/seed/accounts";
import { renderConfigYml } from "./core/seed/configYml";
import {
  parseConstantsCredentials,
  passwordFromBytes,
  renderConstantsYml,
  renderDebianCnf,
  renderSipwiseCnf,
  SERVICE_USERS,
} from "./core/seed/credentials";
import { debianSysMaintSql, setPasswordsSql } from "./core/seed/database";
import { renderHosts, renderNetworkYml } from "./core/seed/system";
import { planServices } from "./core/services";
import type { NodeSpec } from "./core/topology";
import { seedWebAdminsIfAbsent } from "./webAdminsSeed";

/** What creating a node's disk needs from the shared artifacts. */
export interface DiskInput {
  readonly edition: Edition;
  readonly memTotalMb: number;
  readonly imageDir: string;
  readonly mysqlTemplate: string;
  readonly hostKeyDir: string;
  readonly defaultCert: { readonly cert: string; readonly key: string };
}

/** Marker on a node's disk: MariaDB has not yet been given the node's own service passwords. */
const FIRST_BOOT_MARKER = "/var/lib/ngcp-lab/first-boot.pending";
/** The root password of Sipwise's VM images (15.3: "The default password of the system account root is sipwise"). */
export const IMAGE_ROOT_PASSWORD = "sipwise";

export function nodeDir(p: LabPaths, name: string): string {
  return path.join(p.nodesDir, name);
}

const gitEnv = (name: string): Record<string, string> => ({
  ...LAB_ENV,
  // Hermetic: the host's ~/.gitconfig plays no part in a node's repository.
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "ngcp-config",
  GIT_AUTHOR_EMAIL: `root@${name}`,
  GIT_COMMITTER_NAME: "ngcp-config",
  GIT_COMMITTER_EMAIL: `root@${name}`,
});

/**
 * Creates a node's disk from the image: its own /etc (host key, hostname, the seeded /etc/ngcp-config git
 * repository, unique service passwords), a copy of the template datadir, and the image's homes and /var.
 */
export async function createDisk(p: LabPaths, spec: NodeSpec, input: DiskInput): Promise<string> {
  const dir = nodeDir(p, spec.name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  await run("cp", ["-a", "--", `${input.imageDir}/.`, `${dir}/`]);
  await run("cp", ["-a", "--sparse=always", "--", `${input.mysqlTemplate}/.`, `${dir}/var/lib/mysql/`]);
  const at = (nodePath: string): string => hostPathOf(dir, nodePath);
  const write = (nodePath: string, content: string, mode = 0o644): void => {
    fs.mkdirSync(path.dirname(at(nodePath)), { recursive: true });
    fs.writeFileSync(at(nodePath), content, { mode });
    fs.chmodSync(at(nodePath), mode);
  };

  fs.copyFileSync(path.join(input.hostKeyDir, "ssh_host_ed25519_key"), at("/etc/ssh/ssh_host_ed25519_key"));
  fs.chmodSync(at("/etc/ssh/ssh_host_ed25519_key"), 0o600);
  fs.copyFileSync(
    path.join(input.hostKeyDir, "ssh_host_ed25519_key.pub"),
    at("/etc/ssh/ssh_host_ed25519_key.pub"),
  );
  write("/etc/hostname", `${spec.name}\n`);
  write("/etc/mailname", `${spec.name}\n`);
  write("/etc/hosts", renderHosts(spec));
  write("/etc/machine-id", random(16).toString("hex") + "\n", 0o444);
  write("/etc/ngcp_version", `${NGCP_VERSION[input.edition]}\n`);
  const shadow = setShadowPassword(
    fs.readFileSync(at("/etc/shadow"), "utf8"),
    "root",
    await cryptPassword(IMAGE_ROOT_PASSWORD),
  );
  fs.writeFileSync(at("/etc/shadow"), shadow);

  // Unique per node, as the installer makes them (15.3).
  const creds = SERVICE_USERS.map((u) => ({
    key: u.key,
    user: u.user,
    password: passwordFromBytes(random(24)),
  }));
  const sipwise = creds.find((c) => c.key === "sipwise");
  if (!sipwise) {
    throw new Error("SERVICE_USERS lacks the sipwise user");
  }
  write("/etc/mysql/sipwise.cnf", renderSipwiseCnf(sipwise.password), 0o600);
  if (input.edition === "000") {
    write("/etc/mysql/debian.cnf", renderDebianCnf(passwordFromBytes(random(24))), 0o600);
  }

  const cfg = "/etc/ngcp-config";
  const config = renderConfigYml({ edition: input.edition, memTotalMb: input.memTotalMb });
  write(`${cfg}/config.yml`, config);
  write(`${cfg}/constants.yml`, renderConstantsYml(creds), 0o640);
  write(`${cfg}/network.yml`, renderNetworkYml(spec));
  fs.mkdirSync(at(`${cfg}/ssl`), { recursive: true });
  fs.copyFileSync(input.defaultCert.cert, at(`${cfg}/ssl/myserver.crt`));
  fs.copyFileSync(input.defaultCert.key, at(`${cfg}/ssl/myserver.key`));
  fs.chmodSync(at(`${cfg}/ssl/myserver.key`), 0o600);
  write(
    `${cfg}/templates/etc/motd.tt2`,
    "\nsip:provider CE [% general.ngcp_version || 'node' %] — configuration managed by ngcpcfg.\n\n",
  );
  const git = (args: string[]): Promise<unknown> =>
    run("git", ["-C", at(cfg), ...args], { env: gitEnv(spec.name) });
  await git(["init", "-q", "-b", "master"]);
  await git(["config", "user.name", "ngcp-config"]);
  await git(["config", "user.email", `root@${spec.name}`]);
  await git(["add", "-A"]);
  await git(["commit", "-q", "-m", `initial import of ngcp-config [${new Date().toISOString()}]`]);

  // What `ngcpcfg build` would generate from the seed, so the services start right at first boot.
  const plan = planServices(parse(config));
  if (!plan.ok) {
    throw new Error(`the seeded config.yml of ${spec.name} does not plan: ${plan.errors.join("; ")}`);
  }
  write(SERVICES_BUILD, JSON.stringify(plan.build, null, 2) + "\n");
  write(FIRST_BOOT_MARKER, "");
  seedWebAdminsIfAbsent((nodePath) => hostPathOf(dir, nodePath));
  return dir;
}

/** A fresh /run for a boot (it is a tmpfs on a real node: nothing survives a reboot). */
function freshRun(dir: string, mysqlUid: number, mysqlGid: number): void {
  const run = path.join(dir, "run");
  fs.rmSync(run, { recursive: true, force: true });
  fs.mkdirSync(run, { mode: 0o755 });
  for (const [d, mode] of [
    ["sshd", 0o755],
    ["ngcp-lab", 0o755],
    ["lock", 0o1777],
    ["mysqld", 0o755],
  ] as const) {
    fs.mkdirSync(path.join(run, d), { mode });
    fs.chmodSync(path.join(run, d), mode);
  }
  fs.chownSync(path.join(run, "mysqld"), mysqlUid, mysqlGid);
}

function userIds(dir: string, name: string): { uid: number; gid: number } {
  const line = fs
    .readFileSync(path.join(dir, "etc", "passwd"), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  if (!line) {
    throw new Error(`no user ${name} in ${dir}/etc/passwd`);
  }
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Starts a long-running process detached from this one (it outlives the CLI), output to a host-side log. */
function spawnDetached(argv: readonly string[], logFile: string): number {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, "a");
  try {
    const child = spawn(argv[0], argv.slice(1), {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...LAB_ENV },
    });
    child.on("error", () => undefined);
    child.unref();
    if (child.pid === undefined) {
      throw new Error(`cannot start ${argv.join(" ")}`);
    }
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

/** argv that runs a command inside a node: its mount, UTS and network namespaces, through its holder. */
export function inNode(holderPid: number, argv: readonly string[]): string[] {
  return ["nsenter", "-t", String(holderPid), "-m", "-u", "-n", "--", ...argv];
}

async function sshBanner(host: string): Promise<true | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port: 22 });
    const done = (v: true | undefined): void => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(1000, () => done(undefined));
    sock.once("data", (d: Buffer) => done(d.toString("latin1").startsWith("SSH-2.0-") ? true : undefined));
    sock.once("error", () => done(undefined));
  });
}

interface ServicesStatus {
  readonly pid: number;
  readonly generation: number;
}

function readServicesStatus(dir: string): ServicesStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(hostPathOf(dir, SERVICES_STATUS), "utf8")) as ServicesStatus;
  } catch {
    return undefined;
  }
}

/** Boots a node whose disk exists: namespaces, holder, MariaDB, sshd, cron and the services stand-in. */
export async function bootNode(
  p: LabPaths,
  spec: NodeSpec,
  edition: Edition,
  hostKeyPub: string,
): Promise<NodeState> {
  const dir = nodeDir(p, spec.name);
  const mysql = userIds(dir, "mysql");
  freshRun(dir, mysql.uid, mysql.gid);
  await ensureNamespaceLink(spec);
  const log = (what: string): string => path.join(p.logsDir, `${spec.name}.${what}.log`);

  const script = renderHolderScript({
    name: spec.name,
    nodeDir: dir,
    runtimeDir: p.runtimeDir,
    nodeBinary: process.execPath,
  });
  const holderPid = spawnDetached(
    [
      "ip",
      "netns",
      "exec",
      spec.namespace,
      "unshare",
      "--mount",
      "--uts",
      "--propagation",
      "private",
      "--",
      "sh",
      "-c",
      script,
    ],
    log("holder"),
  );
  await waitFor(`${spec.name}'s namespace holder (see ${log("holder")})`, 15_000, async () => {
    if (procStartTime(holderPid) === undefined) {
      throw new Error("the holder exited");
    }
    try {
      return fs.readFileSync(hostPathOf(dir, HOLDER_READY), "utf8").trim() === String(holderPid)
        ? true
        : undefined;
    } catch {
      return undefined;
    }
  });
  const holder = procRef(holderPid);
  const netnsInode = nsInode(holderPid, "net");
  const mntnsInode = nsInode(holderPid, "mnt");
  if (netnsInode === undefined || mntnsInode === undefined) {
    throw new Error(`${spec.name}: cannot read the holder's namespaces`);
  }
  const start = (name: DaemonName, argv: readonly string[]): ProcRef =>
    procRef(spawnDetached(inNode(holderPid, argv), log(name)));

  const mariadb = start("mariadb", ["/usr/sbin/mariadbd", "--user=mysql"]);
  const sshd = start("sshd", [
    "/usr/sbin/sshd",
    "-D",
    "-E",
    "/var/log/sshd.log",
    "-f",
    "/etc/ssh/sshd_config",
  ]);
  const cron = start("cron", ["/usr/sbin/cron", "-f"]);

  await waitFor(
    `MariaDB on ${spec.name} (see its /var/log/mysql/error.log)`,
    90_000,
    async () => {
      if (!isAlive(mariadb)) {
        throw new Error("mariadbd exited");
      }
      const r = await runRaw(
        "nsenter",
        inNode(holderPid, [
          "mariadb-admin",
          "--no-defaults",
          "--socket=/run/mysqld/mysqld.sock",
          "-uroot",
          "ping",
        ]).slice(1),
      );
      return r.code === 0 ? true : undefined;
    },
    100,
  );
  if (fs.existsSync(hostPathOf(dir, FIRST_BOOT_MARKER))) {
    await firstBootSql(dir, holderPid, edition);
    fs.rmSync(hostPathOf(dir, FIRST_BOOT_MARKER));
  }

  const services = start("services", [NODE_BIN, standinScript("services")]);
  await waitFor(
    `the services stand-in on ${spec.name} (see its /var/log/ngcp-lab/services.log)`,
    30_000,
    async () => {
      if (!isAlive(services)) {
        throw new Error("the services stand-in exited");
      }
      const st = readServicesStatus(dir);
      return st && st.pid === services.pid && st.generation >= 1 ? true : undefined;
    },
  );
  await waitFor(`sshd on ${spec.name} (${spec.ipv4}:22)`, 30_000, async () => {
    if (!isAlive(sshd)) {
      throw new Error("sshd exited");
    }
    return sshBanner(spec.ipv4);
  });
  if (!isAlive(cron)) {
    throw new Error(`cron exited on ${spec.name}; see ${log("cron")}`);
  }
  return {
    name: spec.name,
    index: spec.index,
    namespace: spec.namespace,
    ipv4: spec.ipv4,
    ipv6: spec.ipv6,
    vethHost: spec.vethHost,
    dir,
    hostKey: publicKeyWithoutComment(hostKeyPub),
    netnsInode,
    mntnsInode,
    holder,
    daemons: { mariadb, sshd, cron, services },
  };
}

/** Gives MariaDB the node's own service passwords (from its constants.yml) and, on 000, debian-sys-maint. */
async function firstBootSql(dir: string, holderPid: number, edition: Edition): Promise<void> {
  const creds = parseConstantsCredentials(
    fs.readFileSync(hostPathOf(dir, "/etc/ngcp-config/constants.yml"), "utf8"),
  );
  let sql = setPasswordsSql(creds);
  if (edition === "000") {
    const m = /^password\s*=\s*(\S+)$/m.exec(
      fs.readFileSync(hostPathOf(dir, "/etc/mysql/debian.cnf"), "utf8"),
    );
    if (!m) {
      throw new Error("debian.cnf has no password line");
    }
    sql += debianSysMaintSql(m[1]);
  }
  await run(
    "nsenter",
    inNode(holderPid, ["mariadb", "--no-defaults", "--socket=/run/mysqld/mysqld.sock", "-uroot"]).slice(1),
    { input: sql },
  );
}

export interface NodeHealth {
  readonly healthy: boolean;
  readonly problems: readonly string[];
  /** PID of the services stand-in now (ngcpcfg apply may have restarted it). */
  readonly servicesPid?: number;
}

/** Whether a booted node still runs everything `lab up` started. */
export function nodeHealth(node: NodeState): NodeHealth {
  const problems: string[] = [];
  if (!isAlive(node.holder)) {
    problems.push("namespace holder is gone");
  }
  if (namedNetnsInode(node.namespace) !== node.netnsInode) {
    problems.push(`network namespace ${node.namespace} is gone or replaced`);
  }
  for (const d of ["mariadb", "sshd", "cron"] as const) {
    if (!isAlive(node.daemons[d])) {
      problems.push(`${d} is not running`);
    }
  }
  let servicesPid: number | undefined;
  try {
    servicesPid = Number(fs.readFileSync(hostPathOf(node.dir, SERVICES_PID), "utf8").trim());
  } catch {
    servicesPid = undefined;
  }
  if (
    servicesPid === undefined ||
    procStartTime(servicesPid) === undefined ||
    nsInode(servicesPid, "net") !== node.netnsInode
  ) {
    problems.push("services stand-in is not running");
    servicesPid = undefined;
  }
  return { healthy: problems.length === 0, problems, servicesPid };
}

/**
 * Stops everything of a node by PID: the processes recorded at boot plus every process still inside its
 * network or mount namespace (ssh sessions, cron jobs, a restarted services stand-in, `ip netns exec` leftovers).
 * The node's mounts live only in its private mount namespace and vanish with its last process. Then the
 * named network namespace and the veth go. `graceMs` is how long MariaDB and the others get after SIGTERM:
 * long when the disk is kept (a reboot), short when the disk is deleted anyway.
 */
export async function shutdownNode(
  node: {
    namespace: string;
    vethHost: string;
    mntnsInode?: number;
    holder?: ProcRef;
    daemons?: Readonly<Record<DaemonName, ProcRef>>;
  },
  graceMs = 8000,
): Promise<void> {
  const netInodes = new Set<number>();
  const mntInodes = new Set<number>();
  const ino = namedNetnsInode(node.namespace);
  if (ino !== undefined) {
    netInodes.add(ino);
  }
  if (node.mntnsInode !== undefined) {
    mntInodes.add(node.mntnsInode);
  }
  const pids = new Set(pidsInNamespaces(netInodes, mntInodes));
  for (const ref of [node.holder, ...Object.values(node.daemons ?? {})]) {
    if (ref && isAlive(ref)) {
      pids.add(ref.pid);
    }
  }
  await stopPids([...pids], graceMs);
  await deleteNamespace(node.namespace, node.vethHost);
}
