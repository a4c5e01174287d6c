import { spawn } from "node:child_process";
import { Command, InvalidArgumentError, Option } from "commander";
import { ensureLabStackSecrets, engineInstalled } from "../engine/labSecrets";
import { labDown, labStatus, labUp, type LabStatus } from "../lab";

/**
 * `ngcp-fleet lab up|down|status|ssh`: the local cluster of NGCP nodes (lab/README.md). Everything here is
 * presentation; the work is in lab/.
 */

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`must be a whole number of at least 1, got: ${value}`);
  }
  return n;
}

/** The machine-readable status: exactly the documented keys (plus the IPv6 addresses and `up`). */
export function statusJson(s: LabStatus): string {
  return JSON.stringify(
    {
      up: s.up,
      nodes: s.nodes.map((n) => ({
        name: n.name,
        namespace: n.namespace,
        address: n.address,
        address6: n.address6,
      })),
      outsider: s.outsider
        ? { namespace: s.outsider.namespace, address: s.outsider.address, address6: s.outsider.address6 }
        : null,
      deployer: s.deployer ? { address: s.deployer.address, address6: s.deployer.address6 } : null,
    },
    null,
    2,
  );
}

function statusText(s: LabStatus): string {
  if (s.nodes.length === 0) {
    return "lab is down (ngcp-fleet lab up --nodes N)\n";
  }
  const lines = [
    `lab ${s.up ? "up" : "DEGRADED"}: edition ${s.edition}, ${s.nodes.length} node(s), state in ${s.labDir}`,
  ];
  for (const n of s.nodes) {
    lines.push(
      `  ${n.name.padEnd(8)} ${n.address.padEnd(14)} ${n.address6.padEnd(14)} ${n.namespace.padEnd(18)} ${n.healthy ? "ok" : n.problems.join("; ")}`,
    );
  }
  if (s.outsider) {
    lines.push(
      `  outsider ${s.outsider.address.padEnd(14)} ${s.outsider.address6.padEnd(14)} ${s.outsider.namespace}`,
    );
  }
  if (s.deployer) {
    lines.push(
      `  deployer ${s.deployer.address.padEnd(14)} ${s.deployer.address6.padEnd(14)} (root namespace, bridge ngcplab0)`,
    );
  }
  lines.push(`  ssh: ngcp-fleet lab ssh ngcp1   (key ${s.deployerKey}, known_hosts ${s.knownHosts})`);
  return lines.join("\n") + "\n";
}

/** OpenSSH client arguments for a node: the deployer key, host key pinned, nothing from ~/.ssh. */
export function sshArgs(s: LabStatus, node: string, command: readonly string[]): string[] {
  const n = s.nodes.find((x) => x.name === node);
  if (!n) {
    throw new Error(
      `no node ${node} in the lab (nodes: ${s.nodes.map((x) => x.name).join(", ") || "none; run lab up"})`,
    );
  }
  return [
    "-i",
    s.deployerKey,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `UserKnownHostsFile=${s.knownHosts}`,
    "-o",
    "GlobalKnownHostsFile=/dev/null",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "HostKeyAlgorithms=ssh-ed25519",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "LogLevel=ERROR",
    `root@${n.address}`,
    ...command,
  ];
}

export function registerLabCommands(program: Command): void {
  const lab = program.command("lab").description("the local lab cluster of NGCP nodes (needs root)");

  lab
    .command("up")
    .description("bring up N nodes (idempotent: an up lab with the same count is left as it is)")
    .requiredOption("--nodes <n>", "number of nodes, ngcp1..ngcpN", positiveInt)
    .addOption(
      new Option("--edition <edition>", "handbook edition the nodes are seeded with")
        .choices(["001", "000"])
        .default("001"),
    )
    .option(
      "--stack-nodes <k>",
      "nodes stacks/Pulumi.lab.yaml lists, ngcp1..ngcpK (default: --nodes)",
      positiveInt,
    )
    .action(async (opts: { nodes: number; edition: "001" | "000"; stackNodes?: number }) => {
      const r = await labUp({
        nodes: opts.nodes,
        edition: opts.edition,
        stackNodes: Math.min(opts.stackNodes ?? opts.nodes, opts.nodes),
        log: (l) => process.stderr.write(`${l}\n`),
      });
      const what =
        r.started.length === 0 && r.stopped.length === 0
          ? "already up, nothing to do"
          : [
              r.started.length ? `started ${r.started.join(", ")}` : "",
              r.stopped.length ? `stopped ${r.stopped.join(", ")}` : "",
            ]
              .filter(Boolean)
              .join("; ");
      process.stderr.write(
        `lab up: ${what} in ${r.seconds.toFixed(1)} s; stack file stacks/Pulumi.lab.yaml\n`,
      );
      if (engineInstalled()) {
        const set = await ensureLabStackSecrets();
        if (set.length > 0) {
          process.stderr.write(`lab up: new random secrets in the lab stack: ${set.join(", ")}\n`);
        }
      } else {
        process.stderr.write(
          "lab up: the engine is not installed yet: the lab stack's passwords are set by the next `lab up` " +
            "after `bash scripts/bootstrap.sh` (scripts/quickstart.sh does both)\n",
        );
      }
      process.stdout.write(statusText(r.status));
    });

  lab
    .command("down")
    .description("stop every lab process by PID and remove namespaces, bridge and node disks")
    .option("--purge", "also delete the deployer key, host keys, default certificate and MariaDB template")
    .action(async (opts: { purge?: boolean }) => {
      const r = await labDown({ purge: opts.purge === true });
      process.stderr.write(
        `lab down: ${r.stopped.length ? r.stopped.join(", ") : "nothing was running"} (${r.seconds.toFixed(1)} s)\n`,
      );
    });

  lab
    .command("status")
    .description("nodes, namespaces and addresses of the lab")
    .option("--json", 'print {"nodes":[{"name","namespace","address"}],"outsider":{…},"deployer":{…}}')
    .action((opts: { json?: boolean }) => {
      const s = labStatus();
      process.stdout.write(opts.json ? statusJson(s) + "\n" : statusText(s));
      if (!opts.json && s.nodes.length > 0 && !s.up) {
        process.exitCode = 1;
      }
    });

  lab
    .command("ssh")
    .description("open an SSH session (or run a command) on a node with the deployer key, host key pinned")
    .argument("<node>", "node name, e.g. ngcp1")
    .argument("[command...]", "command to run (after --)")
    .action(async (node: string, command: string[]) => {
      const args = sshArgs(labStatus(), node, command);
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn("ssh", args, { stdio: "inherit" });
        child.on("error", (e) => reject(new Error(`cannot run ssh: ${e.message}`)));
        child.on("exit", (c, sig) => resolve(sig ? 1 : (c ?? 1)));
      });
      process.exitCode = code;
    });
}
