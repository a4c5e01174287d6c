import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LAB_ENV, run, runRaw, waitFor } from "./exec";
import type { LabPaths } from "./paths";
import { addUser, type AccountFiles } from "./core/seed/accounts";
import { createServiceUsersSql, rootAccountsSql, schemaSql, seedRowsSql } from "./core/seed/database";
import { SERVICE_USERS } from "./core/seed/credentials";
import { renderCommandLogger, renderSshdConfig } from "./core/render/sshd";
import { renderWrapper, STANDINS } from "./core/render/wrappers";
import { NODE_BIN, NODE_RUNTIME } from "./core/layout";
import { renderStanza, supportPackages, SUPPORT_ACCESS } from "./core/dpkg";
import type { Edition } from "./core/editions";
import { NGCP_VERSION } from "./core/editions";
import { DEPLOYER } from "./core/topology";

/**
 * Things the lab makes once and shares between nodes: key pairs, the default certificate, the MariaDB
 * template datadir, the compiled stand-ins (runtime) and the node image. All of them live in the lab
 * directory; nothing here writes outside it.
 */

/** Comment of the key baked into the "VM image" (root's and sipwise's authorized_keys; 15.3 says wipe them). */
export const IMAGE_KEY_COMMENT = "sipwise-vm-image";
/** Comment of the Sipwise support key (sipwise's authorized_keys while support access is enabled, 15.1). */
export const SUPPORT_KEY_COMMENT = "sipwise-support@jump.sipwise.com";
/**
 * The support key may be used only from Sipwise's jump host (15.1: "from dedicated access server
 * jump.sipwise.com only"). In the lab the deployer plays jump.sipwise.com, so a test can prove the key
 * works while access is enabled.
 */
export const SUPPORT_KEY_FROM = `${DEPLOYER.ipv4},${DEPLOYER.ipv6}`;

async function ensureKeyPair(file: string, comment: string): Promise<string> {
  if (!fs.existsSync(file) || !fs.existsSync(`${file}.pub`)) {
    fs.rmSync(file, { force: true });
    fs.rmSync(`${file}.pub`, { force: true });
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
  }
  return fs.readFileSync(`${file}.pub`, "utf8").trim();
}

export interface SharedKeys {
  readonly deployerPub: string;
  readonly imagePub: string;
  readonly supportPub: string;
}

/** The deployer key pair (authorized for root on every node), and the image and support key pairs. */
export async function ensureKeys(p: LabPaths): Promise<SharedKeys> {
  fs.mkdirSync(p.keysDir, { recursive: true, mode: 0o700 });
  const [deployerPub, imagePub, supportPub] = await Promise.all([
    ensureKeyPair(p.deployerKey, "ngcp-fleet-lab-deployer"),
    ensureKeyPair(path.join(p.keysDir, "vm_image_ed25519"), IMAGE_KEY_COMMENT),
    ensureKeyPair(path.join(p.keysDir, "sipwise_support_ed25519"), SUPPORT_KEY_COMMENT),
  ]);
  return { deployerPub, imagePub, supportPub };
}

/** A node's host key pair, generated at its first up and kept by `lab down` (stacks pin it). */
export async function ensureHostKey(p: LabPaths, name: string): Promise<{ dir: string; pub: string }> {
  const dir = path.join(p.hostKeysDir, name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pub = await ensureKeyPair(path.join(dir, "ssh_host_ed25519_key"), `root@${name}`);
  return { dir, pub };
}

/**
 * The default self-signed certificate, the same on every node ("these certificates are common for every
 * installation", 15.4). RSA 2048, ten years, CN=myserver.
 */
export async function ensureDefaultCert(p: LabPaths): Promise<{ cert: string; key: string }> {
  const cert = path.join(p.sslDir, "myserver.crt");
  const key = path.join(p.sslDir, "myserver.key");
  if (!fs.existsSync(cert) || !fs.existsSync(key)) {
    fs.mkdirSync(p.sslDir, { recursive: true, mode: 0o700 });
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-sha256",
      "-days",
      "3650",
      "-keyout",
      key,
      "-out",
      cert,
      "-subj",
      "/O=Sipwise default certificate (ngcp-fleet lab)/CN=myserver",
      "-addext",
      "subjectAltName=DNS:myserver",
    ]);
  }
  return { cert, key };
}

/** The lab's MariaDB settings (also written into each node's /etc/mysql/mariadb.conf.d). */
export function labMariadbCnf(): string {
  return [
    "# ngcp-fleet lab: a small MariaDB so ten nodes fit on one machine. A real CE sizes the buffer pool from",
    "# config.yml database→bufferpoolsize; the lab keeps it small whatever that key says.",
    "[mysqld]",
    "innodb_buffer_pool_size = 16M",
    "innodb_log_file_size = 8M",
    "performance_schema = OFF",
    "key_buffer_size = 1M",
    "max_connections = 60",
    "log_error = /var/log/mysql/error.log",
    "socket = /run/mysqld/mysqld.sock",
    "bind-address = 127.0.0.1",
    "",
  ].join("\n");
}

async function mariadbVersion(): Promise<string> {
  return (await run("mariadbd", ["--version"])).stdout.trim();
}

/**
 * A datadir with the NGCP databases and service users, built once with mariadb-install-db
 * (`--auth-root-authentication-method=normal`: root@localhost with no password, usable over TCP, as on a
 * fresh CE) and reused for every node until what it contains changes. Service users get throwaway
 * passwords here; each node's first boot sets its own unique ones.
 */
export async function ensureMysqlTemplate(p: LabPaths): Promise<string> {
  const throwaway = (key: string): string => `template-${key}`;
  const seed =
    rootAccountsSql() + schemaSql() + seedRowsSql() + createServiceUsersSql(SERVICE_USERS, throwaway);
  const hash = createHash("sha256")
    .update(await mariadbVersion())
    .update(labMariadbCnf())
    .update(seed)
    .digest("hex")
    .slice(0, 16);
  const dir = path.join(p.cacheDir, `mysql-${hash}`);
  if (fs.existsSync(dir)) {
    return dir;
  }
  fs.mkdirSync(p.cacheDir, { recursive: true });
  const work = `${dir}.build-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  // The socket lives in a short private temp dir: a unix socket path may not exceed 107 bytes.
  const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), "ngcplab-mysql-"));
  const sock = path.join(sockDir, "s.sock");
  const common = [
    "--no-defaults",
    `--datadir=${work}`,
    "--user=root",
    "--innodb-log-file-size=8M",
    "--innodb-buffer-pool-size=16M",
  ];
  try {
    // As root, then chown: the lab directory may sit under a path (/root/…) the mysql user cannot traverse.
    await run("mariadb-install-db", [
      ...common,
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
    ]);
    const server = spawn(
      "mariadbd",
      [
        ...common,
        `--socket=${sock}`,
        "--skip-networking",
        "--performance-schema=OFF",
        `--pid-file=${sockDir}/pid`,
        `--log-error=${sockDir}/error.log`,
      ],
      { env: { ...LAB_ENV }, stdio: "ignore" },
    );
    try {
      await waitFor(
        "the template MariaDB to start",
        60_000,
        async () =>
          (await runRaw("mariadb-admin", [`--socket=${sock}`, "-uroot", "ping"])).code === 0
            ? true
            : undefined,
        100,
      );
      await run("mariadb", [`--socket=${sock}`, "-uroot"], { input: seed });
      await run("mariadb-admin", [`--socket=${sock}`, "-uroot", "shutdown"]);
      await waitFor(
        "the template MariaDB to stop",
        60_000,
        async () => (server.exitCode !== null || server.signalCode !== null ? true : undefined),
        100,
      );
    } finally {
      if (server.exitCode === null && server.signalCode === null) {
        server.kill("SIGKILL");
      }
    }
    await run("chown", ["-R", "mysql:mysql", work]);
    fs.renameSync(work, dir);
  } finally {
    fs.rmSync(sockDir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

function walkTs(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      walkTs(full, out);
    } else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) {
      out.push(full);
    }
  }
  return out;
}

/**
 * The code the stand-ins run on inside the nodes: `<labDir>/runtime/lab/**.js` plus the one package they
 * use (`yaml`), mounted read-only at /var/lib/ngcp-lab/runtime in every node.
 *
 * It always comes from the same code as the running lab: compiled dist/lab/*.js when the lab itself runs
 * compiled (`npm run build`, CI), or this source tree transpiled with TypeScript's `transpileModule` when
 * it runs under ts-node (no stale dist/ can sneak in). Either way the nodes never depend on dist/ being
 * rebuilt while they run.
 */
export async function buildRuntime(p: LabPaths): Promise<string> {
  const out = path.join(p.runtimeDir, "lab");
  fs.mkdirSync(out, { recursive: true });
  const labSrc = __dirname;
  if (__filename.endsWith(".ts")) {
    const ts = await import("typescript");
    for (const file of walkTs(labSrc)) {
      const rel = path.relative(labSrc, file);
      const target = path.join(out, rel.replace(/\.ts$/, ".js"));
      if (fs.existsSync(target) && fs.statSync(target).mtimeMs >= fs.statSync(file).mtimeMs) {
        continue;
      }
      const js = ts.transpileModule(fs.readFileSync(file, "utf8"), {
        fileName: file,
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
        },
      }).outputText;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, js);
    }
  } else {
    await run("cp", ["-a", "--", `${labSrc}/.`, `${out}/`]);
  }
  const yamlPkg = path.dirname(require.resolve("yaml/package.json"));
  const yamlTarget = path.join(p.runtimeDir, "node_modules", "yaml");
  const version = (d: string): string | undefined => {
    try {
      return (JSON.parse(fs.readFileSync(path.join(d, "package.json"), "utf8")) as { version?: string })
        .version;
    } catch {
      return undefined;
    }
  };
  if (version(yamlTarget) !== version(yamlPkg)) {
    fs.rmSync(yamlTarget, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(yamlTarget), { recursive: true });
    await run("cp", ["-a", "--", yamlPkg, yamlTarget]);
  }
  return p.runtimeDir;
}

/** Ownership numbers from the image's own /etc/passwd and /etc/group. */
function idsOf(etc: string): { uid: (name: string) => number; gid: (name: string) => number } {
  const table = (file: string): Map<string, number> =>
    new Map(
      fs
        .readFileSync(path.join(etc, file), "utf8")
        .split("\n")
        .filter((l) => l.includes(":"))
        .map((l) => {
          const f = l.split(":");
          return [f[0], Number(f[2])] as [string, number];
        }),
    );
  const users = table("passwd");
  const groups = table("group");
  const get =
    (m: Map<string, number>, kind: string) =>
    (name: string): number => {
      const v = m.get(name);
      if (v === undefined) {
        throw new Error(`the node image has no ${kind} ${name}`);
      }
      return v;
    };
  return { uid: get(users, "user"), gid: get(groups, "group") };
}

function mkdir(dir: string, mode: number, uid = 0, gid = 0): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, mode);
  fs.chownSync(dir, uid, gid);
}

function writeFile(file: string, content: string | Buffer, mode: number, uid = 0, gid = 0): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.chmodSync(file, mode);
  fs.chownSync(file, uid, gid);
}

/** Empties a directory but keeps Debian's `.placeholder`. */
function emptyDir(dir: string): void {
  if (!fs.existsSync(dir)) {
    return;
  }
  for (const e of fs.readdirSync(dir)) {
    if (e !== ".placeholder") {
      fs.rmSync(path.join(dir, e), { recursive: true, force: true });
    }
  }
}

/** A few files as the CDR exporter leaves them in /home/jail/home/cdrexport (15.5.1 "Exported CDRs"). */
function sampleCdrFiles(): Array<{ name: string; content: string }> {
  const files: Array<{ name: string; content: string }> = [];
  for (let f = 1; f <= 3; f++) {
    const stamp = `2024010${f}000000`;
    const rows: string[] = [];
    for (let r = 1; r <= 5; r++) {
      const id = (f - 1) * 5 + r;
      rows.push(
        [
          id,
          `2024-01-0${f} 0${r}:00:00`,
          `4312345${String(id).padStart(4, "0")}`,
          "voip.example.org",
          `4398765${String(id).padStart(4, "0")}`,
          "call",
          "ok",
          "200",
          30 + id,
          "0.01",
        ].join(","),
      );
    }
    files.push({
      name: `sipwise_007_${stamp}_${String(f).padStart(10, "0")}.cdr`,
      content: `007,${rows.length}\n${rows.join("\n")}\n${createHash("md5").update(rows.join("\n")).digest("hex")}\n`,
    });
  }
  return files;
}

export interface ImageInput {
  readonly edition: Edition;
  readonly keys: SharedKeys;
}

/**
 * The node image: what every node's disk starts as, like the sip:provider CE VM image. A copy of the
 * host's /etc (so PAM, NSS, cron and MariaDB configuration are Debian's own) with the lab's sshd, users and
 * MariaDB settings; a fresh minimal /var; root's and the users' homes with their preinstalled keys; the
 * stand-in wrappers for /usr/local/sbin. Built once per `lab up` that creates a disk.
 */
export async function buildImage(p: LabPaths, input: ImageInput): Promise<string> {
  const img = p.imageDir;
  fs.rmSync(img, { recursive: true, force: true });
  mkdir(img, 0o755);
  await run("cp", ["-a", "--", "/etc", path.join(img, "etc")]);
  const etc = path.join(img, "etc");

  // sshd: the lab's configuration, no host keys (each node gets its own), no drop-ins of the host.
  for (const f of fs.readdirSync(path.join(etc, "ssh"))) {
    if (f.startsWith("ssh_host_")) {
      fs.rmSync(path.join(etc, "ssh", f));
    }
  }
  emptyDir(path.join(etc, "ssh", "sshd_config.d"));
  writeFile(path.join(etc, "ssh", "sshd_config"), renderSshdConfig(), 0o644);

  // Accounts of the VM image: sipwise (support, key only) and cdrexport (jailed, login disabled).
  const read = (f: string): string => fs.readFileSync(path.join(etc, f), "utf8");
  let files: AccountFiles = {
    passwd: read("passwd"),
    group: read("group"),
    shadow: read("shadow"),
    gshadow: read("gshadow"),
  };
  const sipwise = addUser(files, {
    name: "sipwise",
    gecos: "Sipwise support,,,",
    home: "/home/sipwise",
    shell: "/bin/bash",
    shadowPassword: "*",
  });
  files = sipwise.files;
  const cdr = addUser(files, {
    name: "cdrexport",
    gecos: "CDR export,,,",
    home: "/home/jail/home/cdrexport",
    shell: "/bin/sh",
    shadowPassword: "!",
  });
  files = cdr.files;
  writeFile(path.join(etc, "passwd"), files.passwd, 0o644);
  writeFile(path.join(etc, "group"), files.group, 0o644);
  const shadowGid = idsOf(etc).gid("shadow");
  writeFile(path.join(etc, "shadow"), files.shadow, 0o640, 0, shadowGid);
  writeFile(path.join(etc, "gshadow"), files.gshadow, 0o640, 0, shadowGid);
  const ids = idsOf(etc);

  // cron: a quiet node. Debian's periodic jobs (man-db, apt, e2scrub) would act on the shared host /usr or
  // scan the host's disks; the node's own cron.d and crontabs are what features install into.
  for (const d of ["cron.d", "cron.hourly", "cron.daily", "cron.weekly", "cron.monthly", "cron.yearly"]) {
    emptyDir(path.join(etc, d));
  }
  writeFile(path.join(etc, "mysql", "mariadb.conf.d", "90-ngcp-lab.cnf"), labMariadbCnf(), 0o644);
  mkdir(path.join(etc, "ngcp-lab"), 0o755);
  mkdir(path.join(etc, "ngcp-config"), 0o755);
  writeFile(path.join(etc, "motd"), "\nsip:provider CE node of the ngcp-fleet lab.\n\n", 0o644);

  // /root and the homes, with the keys a VM image ships (15.3 asks to wipe them) and the support key (15.1).
  const root = path.join(img, "root");
  mkdir(root, 0o700);
  for (const f of [".bashrc", ".profile"]) {
    fs.copyFileSync(path.join("/etc/skel", f), path.join(root, f));
  }
  writeFile(
    path.join(root, ".ssh", "authorized_keys"),
    `${input.keys.deployerPub}\n${input.keys.imagePub}\n`,
    0o600,
  );
  fs.chmodSync(path.join(root, ".ssh"), 0o700);
  const home = path.join(img, "home");
  mkdir(home, 0o755);
  const sw = path.join(home, "sipwise");
  mkdir(sw, 0o755, ids.uid("sipwise"), ids.gid("sipwise"));
  for (const f of [".bashrc", ".profile", ".bash_logout"]) {
    writeFile(
      path.join(sw, f),
      fs.readFileSync(path.join("/etc/skel", f)),
      0o644,
      ids.uid("sipwise"),
      ids.gid("sipwise"),
    );
  }
  mkdir(path.join(sw, ".ssh"), 0o700, ids.uid("sipwise"), ids.gid("sipwise"));
  writeFile(
    path.join(sw, ".ssh", "authorized_keys"),
    `${input.keys.imagePub}\nfrom="${SUPPORT_KEY_FROM}" ${input.keys.supportPub}\n`,
    0o600,
    ids.uid("sipwise"),
    ids.gid("sipwise"),
  );
  mkdir(path.join(home, "jail"), 0o755);
  mkdir(path.join(home, "jail", "home"), 0o755);
  const cdrHome = path.join(home, "jail", "home", "cdrexport");
  mkdir(cdrHome, 0o750, ids.uid("cdrexport"), ids.gid("cdrexport"));
  for (const f of sampleCdrFiles()) {
    writeFile(path.join(cdrHome, f.name), f.content, 0o640, ids.uid("cdrexport"), ids.gid("cdrexport"));
  }

  // /var: a fresh minimal tree with Debian's modes.
  const v = path.join(img, "var");
  mkdir(v, 0o755);
  for (const d of [
    "backups",
    "cache",
    "lib",
    "local",
    "mail",
    "opt",
    "spool",
    "log/ngcp",
    "lib/git",
    "spool/cron",
  ]) {
    mkdir(path.join(v, d), 0o755);
  }
  mkdir(path.join(v, "tmp"), 0o1777);
  mkdir(path.join(v, "log"), 0o755);
  mkdir(path.join(v, "log", "mysql"), 0o2750, ids.uid("mysql"), ids.gid("adm"));
  mkdir(path.join(v, "log", "ngcp-lab"), 0o755);
  // Every user's commands are recorded (sipwise, cdrexport, a sudo user), so anyone may append; only root reads.
  writeFile(path.join(v, "log", "ngcp-lab", "commands.log"), "", 0o622);
  mkdir(path.join(v, "lib", "mysql"), 0o755, ids.uid("mysql"), ids.gid("mysql"));
  mkdir(path.join(v, "spool", "cron", "crontabs"), 0o1730, 0, ids.gid("crontab"));
  fs.symlinkSync("/run", path.join(v, "run"));
  fs.symlinkSync("/run/lock", path.join(v, "lock"));
  // dpkg: the host's package list plus the support package, so the real dpkg-query answers on the node.
  const dpkg = path.join(v, "lib", "dpkg");
  mkdir(dpkg, 0o755);
  for (const d of ["updates", "info", "alternatives"]) {
    mkdir(path.join(dpkg, d), 0o755);
  }
  const hostStatus = fs.readFileSync("/var/lib/dpkg/status", "utf8").replace(/\n+$/, "");
  const pkgs = supportPackages(NGCP_VERSION[input.edition]);
  writeFile(path.join(dpkg, "status"), `${hostStatus}\n\n${renderStanza(pkgs[SUPPORT_ACCESS])}\n`, 0o644);
  for (const f of ["diversions", "statoverride"]) {
    if (fs.existsSync(`/var/lib/dpkg/${f}`)) {
      fs.copyFileSync(`/var/lib/dpkg/${f}`, path.join(dpkg, f));
    }
  }
  // The stand-ins' state, the mount points of the runtime and of the node binary.
  const labState = path.join(v, "lib", "ngcp-lab");
  mkdir(labState, 0o755);
  mkdir(path.join(img, "var", NODE_RUNTIME.replace(/^\/var\//, "")), 0o755);
  writeFile(path.join(img, "var", NODE_BIN.replace(/^\/var\//, "")), "", 0o755);
  writeFile(
    path.join(labState, "support", "sipwise-support.pub"),
    `from="${SUPPORT_KEY_FROM}" ${input.keys.supportPub}\n`,
    0o644,
  );
  writeFile(path.join(labState, "support-access"), "enabled\n", 0o644);

  mkdir(path.join(img, "tmp"), 0o1777);
  mkdir(path.join(img, "run"), 0o755);
  const sbin = path.join(img, "usr-local-sbin");
  mkdir(sbin, 0o755);
  for (const s of STANDINS) {
    if (s.preinstalled) {
      writeFile(path.join(sbin, s.command), renderWrapper(s), 0o755);
    }
  }
  writeFile(path.join(sbin, "ngcp-lab-command-logger"), renderCommandLogger(), 0o755);
  return img;
}

/** A crypt(3) SHA-512 hash of a password (the VM image's root password), with a fresh salt. */
export async function cryptPassword(password: string): Promise<string> {
  return (await run("openssl", ["passwd", "-6", "-stdin"], { input: password + "\n" })).stdout.trim();
}

/** Random bytes for passwords and ids. */
export const random = (n: number): Buffer => randomBytes(n);
