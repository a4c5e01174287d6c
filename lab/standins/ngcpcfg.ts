import * as fs from "node:fs";
import * as path from "node:path";
import * as tls from "node:tls";
import { parseDocument } from "yaml";
import { getPath } from "../core/editions";
import { APPLY_JOURNAL, SERVICES_BUILD } from "../core/layout";
import { planServices, type ServicesBuild } from "../core/services";
import { findUnterminatedTag } from "../core/tt2";
import {
  atomicWrite,
  buildHash,
  CONFIG_DIR,
  die,
  failedListeners,
  git,
  out,
  readServicesStatus,
  reloadOrStartServices,
  servicesPid,
} from "./common";

/**
 * Stand-in for Sipwise's `ngcpcfg` (ngcpcfg(8)): `check`, `build`, `services`, `commit`, `apply`, `status`,
 * `values`, `diff`, `log`. What the real tool does with Template Toolkit templates and service restarts,
 * this one does for the lab's services daemon; the git side is the same. Contract: lab/README.md.
 */

const YML_FILES = ["config.yml", "network.yml", "constants.yml"] as const;

class NgcpcfgError extends Error {}

function info(line: string): void {
  out(line);
}

function isClean(): boolean {
  return git(["status", "--porcelain"]).trim() === "";
}

function changedFiles(): string[] {
  return git(["status", "--porcelain"])
    .split("\n")
    .filter(Boolean)
    .map((l) => path.join(CONFIG_DIR, l.slice(3)));
}

/** `ngcpcfg check`: YAML syntax of the central yml files. Returns the parsed config.yml. */
function check(): unknown {
  let config: unknown;
  for (const name of YML_FILES) {
    const file = path.join(CONFIG_DIR, name);
    if (!fs.existsSync(file)) {
      if (name === "config.yml") {
        throw new NgcpcfgError(`Error: ${file} does not exist.`);
      }
      continue;
    }
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    if (doc.errors.length > 0) {
      throw new NgcpcfgError(
        `Error: Invalid file syntax in ${file}:\n${doc.errors.map((e) => e.message).join("\n")}`,
      );
    }
    if (name === "config.yml") {
      config = doc.toJS();
    }
  }
  info("configs were checked successfully");
  return config;
}

function templates(dir: string, acc: string[] = []): string[] {
  if (!fs.existsSync(dir)) {
    return acc;
  }
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      templates(full, acc);
    } else if (/\.tt2(\.|$)/.test(e.name)) {
      acc.push(full);
    }
  }
  return acc.sort();
}

/** The certificate and key a TLS listener will load must exist and belong together (apache would refuse). */
function checkCertificates(build: ServicesBuild, config: unknown): void {
  const pairs = new Map<string, string>();
  for (const l of build.listeners) {
    if (l.cert && l.key) {
      pairs.set(`${l.cert}\0${l.key}`, l.service);
    }
  }
  const rc = getPath(config, ["ossbss", "apache", "restapi", "sslcertfile"]);
  const rk = getPath(config, ["ossbss", "apache", "restapi", "sslcertkeyfile"]);
  if (typeof rc === "string" && typeof rk === "string" && rc && rk) {
    pairs.set(`${rc}\0${rk}`, "restapi");
  }
  const errors: string[] = [];
  for (const [pair, service] of pairs) {
    const [cert, key] = pair.split("\0");
    try {
      tls.createSecureContext({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
    } catch (e) {
      errors.push(
        `${service}: certificate ${cert} / key ${key}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  if (errors.length > 0) {
    throw new NgcpcfgError(`Error: TLS configuration is not usable:\n${errors.join("\n")}`);
  }
}

/** `ngcpcfg build`: check, render the templates, generate the services' configuration. */
function build(): void {
  const config = check();
  for (const t of templates(path.join(CONFIG_DIR, "templates"))) {
    const err = findUnterminatedTag(t, fs.readFileSync(t, "utf8"));
    if (err) {
      throw new NgcpcfgError(`Error: Generating configuration from template ${t} failed:\n${err.message}`);
    }
  }
  const plan = planServices(config);
  if (!plan.ok) {
    throw new NgcpcfgError(
      `Error: Invalid configuration in ${CONFIG_DIR}/config.yml:\n${plan.errors.join("\n")}`,
    );
  }
  checkCertificates(plan.build, config);
  const rendered = JSON.stringify(plan.build, null, 2) + "\n";
  const current = fs.existsSync(SERVICES_BUILD) ? fs.readFileSync(SERVICES_BUILD, "utf8") : "";
  if (rendered !== current) {
    fs.mkdirSync(path.dirname(SERVICES_BUILD), { recursive: true });
    atomicWrite(SERVICES_BUILD, rendered);
    info(`Generating ${SERVICES_BUILD}: OK`);
  } else {
    info(`Generating ${SERVICES_BUILD}: unchanged`);
  }
}

/** `ngcpcfg services`: restart the services whose generated configuration changed (or all, forced). */
function services(force: boolean): void {
  const status = readServicesStatus();
  const running = servicesPid() !== undefined;
  if (running && !force && status && status.buildHash === buildHash()) {
    info("No services to restart.");
    return;
  }
  const { status: after, action } = reloadOrStartServices();
  const failed = failedListeners(after);
  if (failed.length > 0) {
    throw new NgcpcfgError(`Error: restarting services failed:\n${failed.join("\n")}`);
  }
  info(
    `Services ${action}: ${after.listeners
      .filter((l) => l.state === "listening")
      .map((l) => `${l.service}/${l.port}`)
      .join(" ")}`,
  );
}

/** `ngcpcfg commit [message]`: commit /etc/ngcp-config. Returns the new commit id, if one was made. */
function commit(message: string): string | undefined {
  if (!git(["config", "user.name"]).trim()) {
    git(["config", "user.name", "ngcp-config"]);
  }
  if (isClean()) {
    info("OK:   nothing to commit.");
    return undefined;
  }
  git(["add", "-A", "."]);
  git([
    "commit",
    "-q",
    "-a",
    "-m",
    `${message || "commiting uncommented changes"} [${new Date().toISOString()}]`,
  ]);
  info("OK");
  return git(["rev-parse", "HEAD"]).trim();
}

function journal(entry: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(APPLY_JOURNAL), { recursive: true });
  fs.appendFileSync(APPLY_JOURNAL, JSON.stringify({ time: new Date().toISOString(), ...entry }) + "\n");
}

/** `ngcpcfg apply [--force-all-services] <message>`: build, services and commit in one run, journaled. */
function apply(args: string[]): void {
  const force = args.includes("--force-all-services");
  const message = args.filter((a) => a !== "--force-all-services").join(" ");
  const changed = changedFiles();
  if (changed.length > 0 && !message) {
    die(
      "Error: Uncommitted configuration files found.\nPlease provide commit message, like: ngcpcfg apply 'summary of your changes'",
    );
  }
  try {
    build();
    services(force);
    const id = commit(message);
    journal({ message, status: "ok", commit: id ?? git(["rev-parse", "HEAD"]).trim(), changed });
  } catch (e) {
    journal({ message, status: "failed", changed, error: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}

function status(): void {
  info("Checking state of ngcpcfg:");
  if (!fs.existsSync(path.join(CONFIG_DIR, ".git", "HEAD"))) {
    info("ngcpcfg has not been initialised yet. Execute 'ngcpcfg initialise'.");
    return;
  }
  info("OK:   has been initialised already");
  info("Checking state of configuration files:");
  const modified = git(["diff-index", "--name-only", "HEAD"]).split("\n").filter(Boolean);
  const added = git(["ls-files", "--other", "--exclude-standard"]).split("\n").filter(Boolean);
  if (modified.length === 0 && added.length === 0) {
    info("OK:   nothing to commit");
  } else {
    if (modified.length > 0) {
      info("ACTION_NEEDED: configuration files have been modified:");
      modified.forEach((f) => info(path.join(CONFIG_DIR, f)));
    }
    if (added.length > 0) {
      info("ACTION_NEEDED: configuration files have been added:");
      added.forEach((f) => info(path.join(CONFIG_DIR, f)));
    }
    info("-> execute 'ngcpcfg build' and 'ngcpcfg commit'");
  }
  info("Checking state of pending builds:");
  const st = readServicesStatus();
  if (st && st.buildHash === buildHash() && servicesPid() !== undefined) {
    info("OK:     nothing to build");
  } else {
    info("ACTION_NEEDED: services do not run the generated configuration");
    info("-> execute either 'ngcpcfg build' or 'ngcpcfg apply'");
  }
}

/** `ngcpcfg values <key>`: a value of config.yml by dotted key. */
function values(key: string | undefined): void {
  if (!key) {
    die("Usage: ngcpcfg values <key>");
  }
  const config = parseDocument(
    fs.readFileSync(path.join(CONFIG_DIR, "config.yml"), "utf8"),
  ).toJS() as unknown;
  const v = getPath(config, key.split("."));
  if (v === undefined) {
    die(`Error: key ${key} not found`, 1);
  }
  out(typeof v === "object" ? JSON.stringify(v) : String(v));
}

const USAGE = `Usage: ngcpcfg <action> [<options>]

Actions provided by the ngcp-fleet lab stand-in:
  apply [--force-all-services] <commit_message>   build, services and commit in one run
  build                                           check the yml files and generate the service configuration
  check                                           check the YAML syntax of the central yml files
  commit [<commit_message>]                       commit the changes of /etc/ngcp-config
  diff [<git diff options>]                       show uncommitted changes
  log [-p]                                        show the change log
  services [--force-all-services]                 restart services whose configuration changed
  status                                          show the state of the configuration
  values <key>                                    print a value of config.yml
`;

export function main(argv: string[]): void {
  const [action, ...rest] = argv;
  try {
    switch (action) {
      case "apply":
        apply(rest);
        return;
      case "build":
        build();
        return;
      case "check":
        check();
        return;
      case "services":
        services(rest.includes("--force-all-services"));
        return;
      case "commit":
        commit(rest.join(" "));
        return;
      case "status":
        status();
        return;
      case "values":
        values(rest[0]);
        return;
      case "diff":
        process.stdout.write(git(["diff", ...rest]));
        return;
      case "log":
        process.stdout.write(
          git(["log", "--format=%h %ad %s", "--date=iso", ...(rest.includes("-p") ? ["-p"] : [])]),
        );
        return;
      case "help":
      case "--help":
      case undefined:
        out(USAGE);
        if (action === undefined) {
          process.exitCode = 1;
        }
        return;
      default:
        die(`Error: action '${action}' is not provided by the ngcp-fleet lab stand-in of ngcpcfg.\n${USAGE}`);
    }
  } catch (e) {
    die(e instanceof Error ? e.message : String(e));
  }
}

if (require.main === module) {
  main(process.argv.slice(2));
}
