import * as fs from "node:fs";
import { SERVICES_STOPPED } from "../core/layout";
import { SERVICE_NAMES, type ServiceName } from "../core/services";
import {
  atomicWrite,
  die,
  out,
  readServicesStatus,
  reloadOrStartServices,
  servicesPid,
  startServices,
  stopServices,
} from "./common";

/**
 * `ngcp-lab-services`: a lab-only tool (no vendor counterpart) to look at and disturb the services
 * stand-in. `stop sip` makes the SIP responder go away and stay away across `ngcpcfg apply` (a node whose
 * kamailio-lb fails to start), which is how tests make a node unhealthy. Contract: lab/README.md.
 */

function stoppedSet(): Set<string> {
  try {
    return new Set(fs.readFileSync(SERVICES_STOPPED, "utf8").split(/\s+/).filter(Boolean));
  } catch {
    return new Set();
  }
}

function saveStopped(s: Set<string>): void {
  atomicWrite(SERVICES_STOPPED, [...s].sort().join("\n") + (s.size > 0 ? "\n" : ""));
}

function parseServices(args: string[]): ServiceName[] {
  for (const a of args) {
    if (!(SERVICE_NAMES as readonly string[]).includes(a)) {
      die(`unknown service '${a}'; services are: ${SERVICE_NAMES.join(", ")}`, 2);
    }
  }
  return args as ServiceName[];
}

function printStatus(): number {
  const pid = servicesPid();
  const st = readServicesStatus();
  if (pid === undefined || !st) {
    out("services daemon: not running");
    return 3;
  }
  out(`services daemon: running (pid ${pid}, generation ${st.generation})`);
  for (const l of st.listeners) {
    out(
      `${l.service.padEnd(13)} ${l.kind.padEnd(9)} ${String(l.port).padStart(5)}  ${l.state}${l.error ? `: ${l.error}` : ""}`,
    );
  }
  return 0;
}

export function main(argv: string[]): void {
  const [cmd, ...rest] = argv;
  const names = parseServices(rest);
  switch (cmd) {
    case "status":
      process.exitCode = printStatus();
      return;
    case "stop": {
      if (names.length === 0) {
        out(stopServices() ? "services daemon stopped" : "services daemon was not running");
        return;
      }
      const s = stoppedSet();
      names.forEach((n) => s.add(n));
      saveStopped(s);
      reloadOrStartServices();
      out(`stopped: ${names.join(" ")}`);
      return;
    }
    case "start": {
      const s = stoppedSet();
      (names.length === 0 ? [...s] : names).forEach((n) => s.delete(n));
      saveStopped(s);
      const r = reloadOrStartServices();
      out(`services daemon ${r.action}`);
      return;
    }
    case "restart":
      stopServices();
      startServices();
      out("services daemon restarted");
      return;
    default:
      die(
        `Usage: ngcp-lab-services status | start [SERVICE...] | stop [SERVICE...] | restart\nServices: ${SERVICE_NAMES.join(", ")}`,
        2,
      );
  }
}

if (require.main === module) {
  main(process.argv.slice(2));
}
