/**
 * Reader of a node's /var/log/ngcp-lab/commands.log (pure): the sshd ForceCommand wrapper writes one
 * record per command, a header line and then the command's exact bytes (see renderCommandLogger).
 */

export interface CommandRecord {
  /** Seconds since the epoch, with microseconds, when sshd handed the command over. */
  readonly time: number;
  readonly user: string;
  /** The SSH client's address as sshd saw it. */
  readonly client: string;
  /** The command line, byte for byte. */
  readonly command: string;
}

const HEADER = /^@ngcp-lab-cmd (\S+) user=(\S*) client=(\S*) bytes=(\d+)$/;

/** Parses the whole log. Throws on a malformed record rather than guessing (a leak test must not miss one). */
export function parseCommandLog(log: Buffer | string): CommandRecord[] {
  const buf = typeof log === "string" ? Buffer.from(log, "utf8") : log;
  const out: CommandRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const eol = buf.indexOf(0x0a, pos);
    if (eol < 0) {
      throw new Error(`commands.log: truncated header at byte ${pos}`);
    }
    const header = buf.subarray(pos, eol).toString("utf8");
    const m = HEADER.exec(header);
    if (!m) {
      throw new Error(
        `commands.log: unexpected header at byte ${pos}: ${JSON.stringify(header.slice(0, 80))}`,
      );
    }
    const n = Number(m[4]);
    const start = eol + 1;
    const end = start + n;
    if (end >= buf.length || buf[end] !== 0x0a) {
      throw new Error(`commands.log: record at byte ${pos} announces ${n} bytes but is not terminated there`);
    }
    out.push({
      time: Number(m[1]),
      user: m[2],
      client: m[3],
      command: buf.subarray(start, end).toString("utf8"),
    });
    pos = end + 1;
  }
  return out;
}
