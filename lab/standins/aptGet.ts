import * as fs from "node:fs";
import { renderWrapper, STANDINS } from "../core/render/wrappers";
import { planInstall, supportPackages, SUPPORT_ACCESS, withoutPackage, withPackage } from "../core/dpkg";
import { atomicWrite, die, out } from "./common";

/**
 * Stand-in for `apt-get`, handling only what handbook 15.1 runs: `apt-get install [-y]
 * ngcp-support-access|ngcp-support-noaccess`. The two packages conflict, so installing one removes the
 * other; the node's /var/lib/dpkg/status records which is installed (the real `dpkg-query` reads it), and
 * installing/removing ngcp-support-access adds/removes its tool, /usr/local/sbin/ngcp-support-access.
 * Anything else fails as apt-get does for a package it cannot find. Contract: lab/README.md.
 */

const STATUS = "/var/lib/dpkg/status";
const TOOL = "/usr/local/sbin/ngcp-support-access";

function ngcpVersion(): string {
  try {
    return fs.readFileSync("/etc/ngcp_version", "utf8").trim();
  } catch {
    return "mr11.5.1";
  }
}

/** Reads one answer line from stdin; undefined on end of input (apt then aborts). */
function readAnswer(): string | undefined {
  const buf = Buffer.alloc(256);
  let line = "";
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch {
      return line === "" ? undefined : line;
    }
    if (n === 0) {
      return line === "" ? undefined : line;
    }
    line += buf.subarray(0, n).toString("utf8");
    const nl = line.indexOf("\n");
    if (nl >= 0) {
      return line.slice(0, nl);
    }
  }
}

export function main(argv: string[]): void {
  let assumeYes = false;
  const words: string[] = [];
  for (const a of argv) {
    if (a === "-y" || a === "--yes" || a === "--assume-yes" || a === "-qy" || a === "-yq") {
      assumeYes = true;
    } else if (/^-q+$/.test(a) || a === "--quiet") {
      continue;
    } else if (a.startsWith("-")) {
      die(`E: Command line option '${a}' is not understood by the ngcp-fleet lab stand-in of apt-get`, 100);
    } else {
      words.push(a);
    }
  }
  const [command, ...names] = words;
  if (command !== "install") {
    die(
      `E: The ngcp-fleet lab stand-in of apt-get only runs 'apt-get install ngcp-support-access|ngcp-support-noaccess', got: apt-get ${argv.join(" ")}`,
      100,
    );
  }
  if (names.length === 0) {
    out("Reading package lists... Done");
    out("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.");
    return;
  }
  out("Reading package lists... Done");
  out("Building dependency tree... Done");
  out("Reading state information... Done");
  const known = supportPackages(ngcpVersion());
  let status = fs.readFileSync(STATUS, "utf8");
  let plan;
  try {
    plan = planInstall(status, names, known);
  } catch (e) {
    die(e instanceof Error ? e.message : String(e), 100);
  }
  for (const p of plan.alreadyInstalled) {
    out(`${p.name} is already the newest version (${p.version}).`);
  }
  if (plan.remove.length > 0) {
    out("The following packages will be REMOVED:");
    out(`  ${plan.remove.join(" ")}`);
  }
  if (plan.install.length > 0) {
    out("The following NEW packages will be installed:");
    out(`  ${plan.install.map((p) => p.name).join(" ")}`);
  }
  out(
    `0 upgraded, ${plan.install.length} newly installed, ${plan.remove.length} to remove and 0 not upgraded.`,
  );
  if (plan.install.length === 0) {
    return;
  }
  // apt asks before removing a package; without -y and without an answer on stdin it aborts.
  if (plan.remove.length > 0 && !assumeYes) {
    process.stdout.write("Do you want to continue? [Y/n] ");
    const answer = readAnswer();
    if (answer === undefined || !/^\s*(y|yes)?\s*$/i.test(answer)) {
      out("Abort.");
      process.exit(1);
    }
  }
  for (const name of plan.remove) {
    out(`Removing ${name} (${known[name]?.version ?? ""}) ...`);
    status = withoutPackage(status, name);
    if (name === SUPPORT_ACCESS) {
      fs.rmSync(TOOL, { force: true });
    }
  }
  for (const p of plan.install) {
    out(`Selecting previously unselected package ${p.name}.`);
    out(`Setting up ${p.name} (${p.version}) ...`);
    status = withPackage(status, p);
    if (p.name === SUPPORT_ACCESS) {
      const entry = STANDINS.find((s) => s.command === SUPPORT_ACCESS);
      if (entry) {
        atomicWrite(TOOL, renderWrapper(entry), 0o755);
      }
    }
  }
  atomicWrite(STATUS, status);
}

if (require.main === module) {
  main(process.argv.slice(2));
}
