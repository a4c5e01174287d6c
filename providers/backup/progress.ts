/**
 * Running a long node-side script (a backup, a restore, a drill) while showing its progress lines as they
 * come. The transport's `exec` returns the output when the command ends; here the command's stdout goes
 * to a file on the node, which is read over SFTP every `pollMs` while the command runs, and each complete
 * new line is handed to `onLine`. stderr stays on the channel, so a failure's error carries it.
 *
 * The wrapper is a constant shell text: the output path and the command reach it as argv words quoted by
 * the transport, never interpolated.
 */
import { randomBytes } from "node:crypto";
import type { ExecOptions, ExecResult, NodeSession } from "../transport/session";

/** `bash -c WRAPPER ngcp-fleet-progress OUT ARGV...`: stdout into OUT (0600), then exec ARGV. */
const WRAPPER = 'umask 077; exec >"$1" || exit 125; shift; exec "$@"';

export interface ProgressOptions extends ExecOptions {
  /** Called once per complete stdout line, in order, while the command runs and after it ends. */
  readonly onLine: (line: string) => void;
  /** @default 500 */
  readonly pollMs?: number;
  /** Directory on the node for the temporary output file. @default "/run" */
  readonly outputDir?: string;
}

/**
 * Runs `argv` on the node like `session.exec`, streaming stdout lines to `onLine`. Resolves with the full
 * stdout; rejects like `exec` (RemoteCommandError with the exit code and stderr) after every line that
 * was printed has been delivered.
 */
export async function execWithProgress(
  session: NodeSession,
  argv: readonly string[],
  options: ProgressOptions,
): Promise<ExecResult> {
  const out = `${options.outputDir ?? "/run"}/ngcp-fleet-progress-${randomBytes(6).toString("hex")}.out`;
  let consumed = 0;
  let polling = Promise.resolve();
  const deliver = async (final: boolean): Promise<string> => {
    const data = (await session.readFile(out).catch(() => undefined)) ?? Buffer.alloc(0);
    let end = final ? data.length : data.lastIndexOf(0x0a) + 1;
    if (end < consumed) {
      end = consumed;
    }
    const fresh = data.subarray(consumed, end).toString("utf8");
    consumed = end;
    for (const line of fresh.split("\n")) {
      if (line !== "") {
        options.onLine(line);
      }
    }
    return data.toString("utf8");
  };
  let done = false;
  const timer = setInterval(() => {
    if (!done) {
      polling = polling.then(() => deliver(false).then(() => undefined));
    }
  }, options.pollMs ?? 500);
  const execOptions: ExecOptions = {
    stdin: options.stdin,
    timeoutMs: options.timeoutMs,
    secrets: options.secrets,
    okExitCodes: options.okExitCodes,
  };
  try {
    const result = await session.exec(
      ["bash", "-c", WRAPPER, "ngcp-fleet-progress", out, ...argv],
      execOptions,
    );
    done = true;
    clearInterval(timer);
    await polling;
    const stdout = await deliver(true);
    return { ...result, stdout };
  } catch (err) {
    done = true;
    clearInterval(timer);
    await polling.catch(() => undefined);
    await deliver(true).catch(() => undefined);
    throw err;
  } finally {
    await session.exec(["rm", "-f", "--", out]).catch(() => undefined);
  }
}
