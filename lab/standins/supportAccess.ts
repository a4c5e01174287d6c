import * as fs from "node:fs";
import { atomicWrite, die, out } from "./common";

/**
 * Stand-in for `ngcp-support-access --enable|--disable` (handbook 15.1): puts the Sipwise support key into
 * user sipwise's authorized_keys, or takes it out, and records the state. Prints exactly the success
 * lines the handbook tells operators to look for. Contract: lab/README.md.
 */

const AUTHORIZED_KEYS = "/home/sipwise/.ssh/authorized_keys";
const SUPPORT_KEY = "/var/lib/ngcp-lab/support/sipwise-support.pub";
const STATE = "/var/lib/ngcp-lab/support-access";

/** The base64 blob of a public key line (options like from="…" come before the key type). */
function keyBlob(line: string): string | undefined {
  const m = /(?:^|\s)(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+)\s+([A-Za-z0-9+/=]+)/.exec(line);
  return m ? m[2] : undefined;
}

function setState(enabled: boolean): void {
  const supportLine = fs.readFileSync(SUPPORT_KEY, "utf8").trim();
  const blob = keyBlob(supportLine);
  if (!blob) {
    die(`Error: cannot read the support key from ${SUPPORT_KEY}`);
  }
  const dir = "/home/sipwise/.ssh";
  const home = fs.statSync("/home/sipwise");
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chownSync(dir, home.uid, home.gid);
  }
  const current = fs.existsSync(AUTHORIZED_KEYS) ? fs.readFileSync(AUTHORIZED_KEYS, "utf8") : "";
  const others = current.split("\n").filter((l) => l.trim() !== "" && keyBlob(l) !== blob);
  const lines = enabled ? [...others, supportLine] : others;
  const existed = fs.existsSync(AUTHORIZED_KEYS);
  atomicWrite(AUTHORIZED_KEYS, lines.length > 0 ? lines.join("\n") + "\n" : "", 0o600);
  if (!existed) {
    fs.chownSync(AUTHORIZED_KEYS, home.uid, home.gid);
  }
  atomicWrite(STATE, enabled ? "enabled\n" : "disabled\n");
}

export function main(argv: string[]): void {
  if (geteuid() !== 0) {
    die("Error: ngcp-support-access must be run as root.");
  }
  switch (argv[0]) {
    case "--enable":
      setState(true);
      out("Support access successfully enabled.");
      return;
    case "--disable":
      setState(false);
      out("Support access successfully disabled.");
      return;
    default:
      die("Usage: ngcp-support-access --enable|--disable");
  }
}

function geteuid(): number {
  return typeof process.geteuid === "function" ? process.geteuid() : 0;
}

if (require.main === module) {
  main(process.argv.slice(2));
}
