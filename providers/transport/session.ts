import { Client, type ClientChannel, type SFTPWrapper } from "ssh2";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { commandLine } from "./quote";
import { redact } from "./redact";
import {
  CommandTimeoutError,
  HostKeyMismatchError,
  NodeUnreachableError,
  RemoteCommandError,
} from "./errors";
import { type NodeTarget, describeTarget, fingerprint, parsePublicKeyLine } from "./target";

export interface ExecOptions {
  /** Bytes for the command's standard input: the only way a secret reaches a node. */
  readonly stdin?: string | Buffer;
  /** @default target.commandTimeoutMs, else 120000 */
  readonly timeoutMs?: number;
  /** Values to redact from the command line and output in any error. */
  readonly secrets?: readonly (string | undefined)[];
  /** Exit codes that are not failures (e.g. `grep` returning 1). @default [0] */
  readonly okExitCodes?: readonly number[];
  /**
   * The command only reads. Any other command counts as a change of the node: snapshots taken before it
   * (transport/snapshot.ts) are not used again. @default false
   */
  readonly readOnly?: boolean;
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface WriteFileOptions {
  /** @default 0o644 */
  readonly mode?: number;
  /** @default 0 (root) */
  readonly uid?: number;
  /** @default 0 (root) */
  readonly gid?: number;
}

/** A file's permission bits and owner, as `stat` reports them. */
export interface FileOwnership {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** readFile under sudo: `present` and the content in base64, or `absent`. */
const READ_SCRIPT =
  'if [ -e "$1" ]; then printf "present\\n"; base64 -w0 < "$1"; else printf "absent\\n"; fi';

/**
 * writeFileAtomic under sudo, the same steps as over SFTP: a temporary file beside the target, created
 * unreadable to others (umask 077) and given its mode and owner before any rename, fsynced, renamed.
 */
const WRITE_SCRIPT = [
  "set -e",
  "path=$1 mode=$2 owner=$3 temp=$4",
  "umask 077",
  "trap 'rm -f \"$temp\"' EXIT",
  'cat > "$temp"',
  'chmod "$mode" "$temp"',
  'chown "$owner" "$temp"',
  'sync "$temp"',
  'mv -f "$temp" "$path"',
  "trap - EXIT",
].join("\n");

/** OpenSSH allows 10 sessions per connection by default (MaxSessions); stay below it. */
const MAX_CHANNELS_PER_CONNECTION = 8;

/**
 * One SSH connection to one node, multiplexing commands, SFTP and tunnels.
 * Created only through the pool below, so every resource of a provider process
 * shares it.
 */
export class NodeSession {
  private sftpChannel: Promise<SFTPWrapper> | undefined;
  private activeChannels = 0;
  private readonly waiting: (() => void)[] = [];
  /**
   * Rejects when the connection is gone. Every request races it: ssh2 fails the SFTP requests pending when a
   * connection closes, but silently keeps any made after that (a clean-up after a failed write, or the next
   * step of a procedure that holds this session) and never answers them.
   */
  private readonly lost: Promise<never>;
  closed = false;

  constructor(
    readonly target: NodeTarget,
    readonly client: Client,
  ) {
    this.lost = new Promise<never>((_resolve, reject) => {
      client.on("close", () => {
        this.closed = true;
        reject(new NodeUnreachableError(target.name, describeTarget(target), "the connection was lost"));
      });
    });
    this.lost.catch(() => undefined);
  }

  /** The request's outcome, or the connection's loss if that comes first (or came before). */
  private whileConnected<T>(request: Promise<T>): Promise<T> {
    return Promise.race([this.lost, request]);
  }

  /**
   * Whether commands run through `sudo -n` (a non-root login with `ssh.sudo`). SFTP cannot: the
   * subsystem runs as the login user, so files are then read and written by commands under sudo.
   */
  private get viaSudo(): boolean {
    return Boolean(this.target.sudo) && (this.target.user ?? "root") !== "root";
  }

  /** Runs argv on the node (each word quoted by `commandLine`); fails on exit status, not on stderr. */
  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (this.viaSudo) {
      // sudo resets the environment; the login shell expands $SSH_CONNECTION before sudo runs, so the
      // command still sees the deployer's address (the firewall's lockout guard needs it).
      const keep = 'env SSH_CONNECTION="$SSH_CONNECTION"';
      return this.execLine(`sudo -n -- ${keep} ${commandLine(argv)}`, options);
    }
    return this.execLine(commandLine(argv), options);
  }

  /**
   * Runs a POSIX sh script fed on stdin (`sh -s`): many reads in one round trip,
   * and nothing of the script appears in the node's process list.
   */
  async script(script: string, options: Omit<ExecOptions, "stdin"> = {}): Promise<ExecResult> {
    return this.exec(["sh", "-s"], { ...options, stdin: script });
  }

  private async execLine(line: string, options: ExecOptions): Promise<ExecResult> {
    const node = this.target.name;
    if (options.readOnly !== true) {
      changedNode(this.target);
    }
    const shown = redact(line, options.secrets);
    const timeoutMs = options.timeoutMs ?? this.target.commandTimeoutMs ?? 120_000;
    await this.acquireChannel();
    try {
      const channel = await this.openExecChannel(line);
      const result = await new Promise<ExecResult & { signal?: string }>((resolve, reject) => {
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let exitCode: number | null = null;
        let signal: string | undefined;
        const timer = setTimeout(() => {
          channel.close();
          reject(new CommandTimeoutError(node, shown, timeoutMs));
        }, timeoutMs);
        channel.on("data", (chunk: Buffer) => out.push(chunk));
        channel.stderr.on("data", (chunk: Buffer) => err.push(chunk));
        channel.on("exit", (code: number | null, sig?: string) => {
          exitCode = code;
          signal = sig;
        });
        channel.on("close", (code?: number | null, sig?: string) => {
          // ssh2 reports the exit status on "exit" or, when it arrives with the close, only here.
          exitCode = exitCode ?? (typeof code === "number" ? code : null);
          signal = signal ?? sig;
          clearTimeout(timer);
          resolve({
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8"),
            exitCode: exitCode ?? -1,
            signal,
          });
        });
        channel.end(options.stdin ?? "");
      });
      if (result.exitCode === -1 && result.signal === undefined && this.closed) {
        // The channel closed with the connection, before any exit status: say so, not "exit code null".
        await this.lost;
      }
      const ok = options.okExitCodes ?? [0];
      if (!ok.includes(result.exitCode)) {
        throw new RemoteCommandError(
          node,
          shown,
          result.exitCode === -1 ? null : result.exitCode,
          result.signal,
          redact(result.stderr, options.secrets),
          redact(result.stdout, options.secrets),
        );
      }
      return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
    } finally {
      this.releaseChannel();
    }
  }

  /**
   * Opens an exec channel. sshd frees a session slot only after its own side of a closed channel is
   * gone, so under a burst it may briefly refuse a new one ("Channel open failure") although we stay
   * below MaxSessions: retry that refusal a few times with a growing pause.
   */
  private async openExecChannel(line: string): Promise<ClientChannel> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.whileConnected(
          new Promise<ClientChannel>((resolve, reject) => {
            this.client.exec(line, (err, stream) => (err ? reject(err) : resolve(stream)));
          }),
        );
      } catch (err) {
        if (attempt >= 6 || !/Channel open failure/.test((err as Error).message)) {
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }

  /** Reads a file over SFTP; `undefined` when it does not exist. */
  async readFile(path: string): Promise<Buffer | undefined> {
    if (this.viaSudo) {
      const { stdout } = await this.exec(["sh", "-c", READ_SCRIPT, "sh", path]);
      return stdout.startsWith("present\n") ? Buffer.from(stdout.slice(8), "base64") : undefined;
    }
    const sftp = await this.sftp();
    return this.whileConnected(
      new Promise((resolve, reject) => {
        sftp.readFile(path, (err: NodeJS.ErrnoException | undefined | null, data: Buffer) => {
          if (err) {
            // SFTP status 2 is "no such file".
            return (err as { code?: unknown }).code === 2
              ? resolve(undefined)
              : reject(this.sftpError("read", path, err));
          }
          resolve(data);
        });
      }),
    );
  }

  /** A file's permission bits and owner; `undefined` when it does not exist. */
  async stat(path: string): Promise<FileOwnership | undefined> {
    if (this.viaSudo) {
      const { stdout } = await this.exec([
        "sh",
        "-c",
        'stat -c "%a %u %g" -- "$1" 2>/dev/null || true',
        "sh",
        path,
      ]);
      const [mode, uid, gid] = stdout.trim().split(" ");
      return mode === undefined || mode === ""
        ? undefined
        : { mode: parseInt(mode, 8), uid: Number(uid), gid: Number(gid) };
    }
    const sftp = await this.sftp();
    return this.whileConnected(
      new Promise((resolve, reject) => {
        sftp.stat(path, (err, stats) => {
          if (err) {
            return (err as { code?: unknown }).code === 2
              ? resolve(undefined)
              : reject(this.sftpError("stat", path, err));
          }
          resolve({ mode: stats.mode & 0o7777, uid: stats.uid, gid: stats.gid });
        });
      }),
    );
  }

  /**
   * Writes a file atomically: a temporary file in the same directory, written,
   * fsynced, given its mode and owner, then renamed over the target. A reader
   * sees the old file or the new one, never half of either.
   */
  async writeFileAtomic(path: string, data: string | Buffer, options: WriteFileOptions = {}): Promise<void> {
    changedNode(this.target);
    const mode = options.mode ?? 0o644;
    const slash = path.lastIndexOf("/");
    if (slash < 0) {
      throw new Error(`writeFileAtomic needs an absolute path, got: ${path}`);
    }
    const temp = `${path.slice(0, slash)}/.${path.slice(slash + 1)}.ngcp-fleet-${randomBytes(6).toString("hex")}`;
    if (this.viaSudo) {
      const owner = `${options.uid ?? 0}:${options.gid ?? 0}`;
      // The content goes on stdin only: it may be a secret.
      await this.exec(["sh", "-c", WRITE_SCRIPT, "sh", path, mode.toString(8), owner, temp], { stdin: data });
      return;
    }
    const sftp = await this.sftp();
    const call = <T>(what: string, fn: (cb: (err: Error | null | undefined, value?: T) => void) => void) =>
      this.whileConnected(
        new Promise<T>((resolve, reject) =>
          fn((err, value) => (err ? reject(this.sftpError(what, path, err)) : resolve(value as T))),
        ),
      );
    // Created with the final mode so a secret is never readable, not even briefly.
    const handle = await call<Buffer>("open", (cb) => sftp.open(temp, "w", { mode }, cb));
    try {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      let offset = 0;
      while (offset < bytes.length) {
        const length = Math.min(32 * 1024, bytes.length - offset);
        await call("write", (cb) => sftp.write(handle, bytes, offset, length, offset, cb));
        offset += length;
      }
      await call("fchmod", (cb) => sftp.fchmod(handle, mode, cb));
      await call("fchown", (cb) => sftp.fchown(handle, options.uid ?? 0, options.gid ?? 0, cb));
      await call("fsync", (cb) => sftp.ext_openssh_fsync(handle, cb));
    } catch (err) {
      await call("close", (cb) => sftp.close(handle, cb)).catch(() => undefined);
      await call("unlink", (cb) => sftp.unlink(temp, cb)).catch(() => undefined);
      throw await this.explainWriteFailure(err as Error, path.slice(0, slash) || "/", data.length);
    }
    await call("close", (cb) => sftp.close(handle, cb));
    // Plain SFTP rename refuses to replace; OpenSSH's posix-rename is rename(2).
    await call("rename", (cb) => sftp.ext_openssh_rename(temp, path, cb)).catch(async (err) => {
      await call("unlink", (cb) => sftp.unlink(temp, cb)).catch(() => undefined);
      throw err;
    });
  }

  /** Opens a TCP stream from the node to one of its own ports (e.g. MariaDB on 127.0.0.1:3306). */
  async forward(host: string, port: number): Promise<ClientChannel> {
    return this.whileConnected(
      new Promise((resolve, reject) => {
        this.client.forwardOut("127.0.0.1", 0, host, port, (err, stream) =>
          err
            ? reject(
                new Error(
                  `node ${this.target.name}: cannot open a tunnel to ${host}:${port}: ${err.message}`,
                ),
              )
            : resolve(stream),
        );
      }),
    );
  }

  private sftp(): Promise<SFTPWrapper> {
    if (!this.sftpChannel) {
      const opening = this.whileConnected(
        new Promise<SFTPWrapper>((resolve, reject) => {
          this.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)));
        }),
      );
      this.sftpChannel = opening;
      const forget = () => {
        if (this.sftpChannel === opening) {
          this.sftpChannel = undefined;
        }
      };
      // A channel closed on its own (the connection still up) is opened again by the next request.
      opening.then((sftp) => sftp.on("close", forget), forget);
    }
    return this.sftpChannel;
  }

  /**
   * SFTP reports most write errors as a bare "Failure" (SSH_FX_FAILURE): a full filesystem is then named from
   * the node's `df`, so the operator reads the cause, not the protocol's status.
   */
  private async explainWriteFailure(err: Error, dir: string, bytes: number): Promise<Error> {
    if (!/: Failure$/.test(err.message)) {
      return err;
    }
    try {
      const df = await this.exec(["df", "-Pk", "--", dir], { readOnly: true });
      const fields = df.stdout.trim().split("\n").pop()?.split(/\s+/) ?? [];
      const availableKb = Number(fields[3]);
      if (Number.isFinite(availableKb) && availableKb * 1024 < bytes + 4096) {
        return new Error(
          `${err.message}: No space left on device (the filesystem of ${dir}, ${fields[5] ?? "?"}, has ` +
            `${availableKb} KB free; the file needs ${Math.ceil(bytes / 1024)} KB); nothing was replaced`,
        );
      }
    } catch {
      // The probe is only an explanation: the original error stands.
    }
    return err;
  }

  private sftpError(op: string, path: string, err: Error): Error {
    return new Error(`node ${this.target.name}: SFTP ${op} ${path} failed: ${err.message}`);
  }

  private async acquireChannel(): Promise<void> {
    if (this.activeChannels >= MAX_CHANNELS_PER_CONNECTION) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.activeChannels++;
  }

  private releaseChannel(): void {
    this.activeChannels--;
    this.waiting.shift()?.();
  }

  end(): void {
    this.closed = true;
    this.client.end();
  }
}

/**
 * The key a target logs in with: inline (the CLI), the stack's secret (the provider's configuration), or a
 * file on the deployer; undefined for the SSH agent. Throws, naming the node, when the key cannot be had.
 */
export function privateKeyText(target: NodeTarget): string | undefined {
  if (target.privateKey) {
    return target.privateKey;
  }
  if (target.stackKey === true) {
    const key = globalThis.__ngcpFleetStackKey;
    if (!key) {
      throw new Error(
        `node ${target.name}: the stack's ngcp-fleet:sshPrivateKey did not reach the provider (its configuration had no such key)`,
      );
    }
    return key;
  }
  if (target.privateKeyPath) {
    try {
      return readFileSync(target.privateKeyPath, "utf8");
    } catch (err) {
      throw new Error(
        `node ${target.name}: cannot read ssh.privateKeyPath ${target.privateKeyPath}: ${(err as Error).message}`,
      );
    }
  }
  return undefined;
}

/** Opens a new, unpooled connection. Most code wants `sessionFor` instead. */
export function connect(target: NodeTarget): Promise<NodeSession> {
  const address = describeTarget(target);
  const pinned = target.hostKey ? parsePublicKeyLine(target.hostKey) : undefined;
  if (!pinned && !target.trustUnknownHostKey) {
    return Promise.reject(
      new Error(
        `node ${target.name}: no pinned host key (nodes[].hostKey) and trustUnknownHostKey is not set`,
      ),
    );
  }
  let privateKey: string | undefined;
  try {
    privateKey = privateKeyText(target);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  if (!privateKey && !process.env.SSH_AUTH_SOCK) {
    return Promise.reject(
      new Error(
        `node ${target.name}: no private key (ngcp-fleet:sshPrivateKey or ssh.privateKeyPath) and no SSH agent`,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const client = new Client();
    let mismatch: HostKeyMismatchError | undefined;
    let settled = false;
    client.on("ready", () => {
      settled = true;
      resolve(new NodeSession(target, client));
    });
    client.on("error", (err: Error & { level?: string }) => {
      if (settled) {
        return;
      }
      settled = true;
      reject(mismatch ?? new NodeUnreachableError(target.name, address, err.message));
    });
    // ssh2 reports an error for a connection lost before the server's banner, but one lost after it (sshd
    // gone during key exchange or login, or too busy: mscdex/ssh2#928) only closes. Without this, the pool
    // would keep a connection that never settles and every later command on the node would wait forever.
    client.on("close", () => {
      if (settled) {
        return;
      }
      settled = true;
      reject(
        mismatch ??
          new NodeUnreachableError(target.name, address, "the connection closed before the login completed"),
      );
    });
    client.connect({
      host: target.host,
      port: target.port ?? 22,
      username: target.user ?? "root",
      privateKey,
      agent: privateKey ? undefined : process.env.SSH_AUTH_SOCK,
      readyTimeout: target.connectTimeoutMs ?? 10_000,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer) => {
        if (!pinned) {
          return true;
        }
        if (key.equals(pinned.blob)) {
          return true;
        }
        mismatch = new HostKeyMismatchError(target.name, fingerprint(pinned.blob), fingerprint(key));
        return false;
      },
    });
  });
}

interface Pool {
  sessions: Map<string, Promise<NodeSession>>;
  opened: Map<string, number>;
  /** Per node: how many times this process changed it (see ExecOptions.readOnly). */
  generations: Map<string, number>;
}

declare global {
  // One pool per process, whichever copy of this module asks (the runtime package, or dist/ in the CLI).
  var __ngcpFleetSshPool: Pool | undefined;
  // The stack's SSH key, as the engine configured the provider process (see useStackKey).
  var __ngcpFleetStackKey: string | undefined;
}

/**
 * Keeps the stack's `ngcp-fleet:sshPrivateKey` for targets with `stackKey`: the engine passes the stack
 * config to the dynamic-provider process when it configures the provider, so the key is never a resource
 * input. Called from the providers' `configure`.
 */
export function useStackKey(privateKey: string | undefined): void {
  if (privateKey !== undefined && privateKey !== "") {
    globalThis.__ngcpFleetStackKey = privateKey;
  }
}

/**
 * The process's pool: one connection per node shared by every resource and command. A pool an earlier layout
 * made in this process (its provider code, copied into a state, runs the refresh of an adoption) lacks the
 * generations: they are added, and its connections are shared.
 */
function pool(): Pool {
  const existing = globalThis.__ngcpFleetSshPool;
  if (existing === undefined) {
    globalThis.__ngcpFleetSshPool = { sessions: new Map(), opened: new Map(), generations: new Map() };
  } else {
    existing.generations ??= new Map();
  }
  return globalThis.__ngcpFleetSshPool as Pool;
}

/** The node as a place (login, address, port), whatever the connection. */
function nodeKey(target: NodeTarget): string {
  return `${target.user ?? "root"}@${target.host}:${target.port ?? 22}`;
}

/** Records that this process is changing the node: snapshots taken before are stale. */
function changedNode(target: NodeTarget): void {
  const { generations } = pool();
  const key = nodeKey(target);
  generations.set(key, (generations.get(key) ?? 0) + 1);
}

/** How many changes this process made to the node so far (a snapshot is good while this stays put). */
export function nodeGeneration(target: NodeTarget): number {
  return pool().generations.get(nodeKey(target)) ?? 0;
}

function poolKey(target: NodeTarget): string {
  return `${describeTarget(target)}|${target.hostKey ?? "tofu"}`;
}

/** The shared connection to a node: opened on first use, reopened if it dropped. */
export async function sessionFor(target: NodeTarget): Promise<NodeSession> {
  const { sessions, opened } = pool();
  const key = poolKey(target);
  const existing = sessions.get(key);
  if (existing) {
    const session = await existing.catch(() => undefined);
    if (session && !session.closed) {
      return session;
    }
  }
  const fresh = connect(target);
  sessions.set(key, fresh);
  opened.set(key, (opened.get(key) ?? 0) + 1);
  fresh.catch(() => sessions.delete(key));
  return fresh;
}

/** How many connections the pool opened per node in this process (for benchmarks and tests). */
export function connectionsOpened(): Record<string, number> {
  return Object.fromEntries(pool().opened);
}

/** Closes every pooled connection (CLI commands call this before exiting). */
export async function closeAll(): Promise<void> {
  const { sessions } = pool();
  const all = [...sessions.values()];
  sessions.clear();
  for (const pending of all) {
    const session = await pending.catch(() => undefined);
    session?.end();
  }
}
