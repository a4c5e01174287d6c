import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { NODE_BIN, SERVICES_BUILD, SERVICES_PID, SERVICES_STATUS } from "../core/layout";
import { standinScript } from "../core/render/wrappers";

/**
 * I/O shared by the stand-ins. They run inside a node (its own /etc, /var, /run), as root, started by the
 * wrappers in /usr/local/sbin.
 */

export const CONFIG_DIR = "/etc/ngcp-config";

// A reader that stops early (`ngcpcfg status | head`) is not an error of the tool.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") {
    process.exit(0);
  }
});

/** Exit with a message on stderr. */
export function die(message: string, code = 1): never {
  process.stderr.write(message.endsWith("\n") ? message : message + "\n");
  process.exit(code);
}

export function out(line = ""): void {
  process.stdout.write(line + "\n");
}

/** Runs a program and returns its stdout; throws with its stderr when it fails. */
export function sh(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; input?: string } = {},
): string {
  const r = spawnSync(file, args, { cwd: opts.cwd, input: opts.input, encoding: "utf8" });
  if (r.error) {
    throw new Error(`cannot run ${file}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    throw new Error(
      `${file} ${args.join(" ")} exited with status ${r.status}: ${(r.stderr || r.stdout).trim()}`,
    );
  }
  return r.stdout;
}

/** git in /etc/ngcp-config, with the identity ngcpcfg sets on its repository. */
export function git(args: readonly string[]): string {
  return execFileSync("git", ["-C", CONFIG_DIR, ...args], {
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" },
  });
}

/**
 * Replaces a file atomically (temp file in the same directory, fsync, rename), keeping the old file's mode
 * and owner, so a reader never sees half a file and a crash never loses the old one.
 */
export function atomicWrite(file: string, content: string, fallbackMode = 0o644): void {
  let mode = fallbackMode;
  let uid = 0;
  let gid = 0;
  try {
    const st = fs.statSync(file);
    mode = st.mode & 0o7777;
    uid = st.uid;
    gid = st.gid;
  } catch {
    // New file.
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, "w", mode);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(tmp, mode);
  fs.chownSync(tmp, uid, gid);
  fs.renameSync(tmp, file);
}

export interface ServicesStatusFile {
  readonly pid: number;
  readonly generation: number;
  /** sha256 of the services.json the daemon loaded last. */
  readonly buildHash: string;
  readonly listeners: ReadonlyArray<{
    readonly service: string;
    readonly kind: string;
    readonly port: number;
    readonly state: "listening" | "stopped" | "failed";
    readonly error?: string;
  }>;
}

export function readServicesStatus(): ServicesStatusFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(SERVICES_STATUS, "utf8")) as ServicesStatusFile;
  } catch {
    return undefined;
  }
}

export function buildHash(): string {
  try {
    return createHash("sha256").update(fs.readFileSync(SERVICES_BUILD)).digest("hex");
  } catch {
    return "";
  }
}

/** PID of the running services daemon, if any. */
export function servicesPid(): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(SERVICES_PID, "utf8").trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) {
    return undefined;
  }
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // A PID file can outlive its process and the PID be reused: check it really is our daemon.
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes(standinScript("services")) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function waitStatus(
  what: string,
  ok: (s: ServicesStatusFile | undefined) => boolean,
  timeoutMs = 20_000,
): ServicesStatusFile {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = readServicesStatus();
    if (ok(s) && s) {
      return s;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for the services daemon to ${what}; see /var/log/ngcp-lab/services.log`,
      );
    }
    sleepSync(50);
  }
}

/** Starts the services daemon in the background (its own session: it outlives the SSH session). */
export function startServices(): ServicesStatusFile {
  fs.mkdirSync("/var/log/ngcp-lab", { recursive: true });
  const log = fs.openSync("/var/log/ngcp-lab/services.log", "a");
  const child = spawn(NODE_BIN, [standinScript("services")], { detached: true, stdio: ["ignore", log, log] });
  fs.closeSync(log);
  child.unref();
  const pid = child.pid;
  return waitStatus("start", (s) => s !== undefined && s.pid === pid && s.generation >= 1);
}

/** Makes the daemon re-read services.json and rebind (SIGHUP), or starts it when it is not running. */
export function reloadOrStartServices(): { status: ServicesStatusFile; action: "started" | "reloaded" } {
  const pid = servicesPid();
  if (pid === undefined) {
    return { status: startServices(), action: "started" };
  }
  const before = readServicesStatus()?.generation ?? 0;
  process.kill(pid, "SIGHUP");
  return {
    status: waitStatus("reload", (s) => s !== undefined && s.pid === pid && s.generation > before),
    action: "reloaded",
  };
}

/** Stops the daemon (SIGTERM) and waits until it is gone. */
export function stopServices(): boolean {
  const pid = servicesPid();
  if (pid === undefined) {
    return false;
  }
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    sleepSync(50);
  }
  process.kill(pid, "SIGKILL");
  return true;
}

/** Listener failures of a status, as lines for an error message. */
export function failedListeners(s: ServicesStatusFile): string[] {
  return s.listeners
    .filter((l) => l.state === "failed")
    .map((l) => `${l.service} (${l.kind} port ${l.port}): ${l.error ?? "failed"}`);
}
