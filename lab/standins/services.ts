import { createHash, randomBytes } from "node:crypto";
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as tls from "node:tls";
import {
  handleAdminApi,
  NOT_FOUND_PAGE,
  pageResponse,
  routeWebRequest,
  type LabWebRequest,
  type LabWebResponse,
} from "../core/adminApi";
import { SERVICES_BUILD, SERVICES_PID, SERVICES_STATUS, SERVICES_STOPPED } from "../core/layout";
import type { Listener, ServiceName, ServicesBuild } from "../core/services";
import { parseSipRequest, respond, takeStreamMessages } from "../core/sip";
import { seedWebAdminsIfAbsent } from "../webAdminsSeed";
import {
  parseWebAdmins,
  renderWebAdmins,
  WEB_ADMINS_FILE,
  WEB_SALT_BYTES,
  type WebAdmin,
} from "../core/webAdmins";

/**
 * The services daemon of a lab node: stands in for apache/nginx (HTTPS web interfaces, XCAP; the admin and
 * provisioning interfaces also carry the two REST calls of lab/core/adminApi.ts), kamailio-lb
 * (SIP over UDP, TCP and TLS), rtpengine (two RTP ports) and prosody (XMPP). It listens on what
 * `ngcpcfg build` wrote to /etc/ngcp-lab/services.json, re-reads it on SIGHUP, and reports what it bound in
 * /run/ngcp-lab/services.status.json. Contract: lab/README.md.
 */

type Closer = () => Promise<void>;

interface ListenerState {
  readonly service: ServiceName;
  readonly kind: Listener["kind"];
  readonly port: number;
  state: "listening" | "stopped" | "failed";
  error?: string;
}

const LOG = "/var/log/ngcp-lab/services.log";
const hostname = os.hostname();

function log(line: string): void {
  try {
    fs.appendFileSync(LOG, `${new Date().toISOString()} [${process.pid}] ${line}\n`);
  } catch {
    // Logging must never take the daemon down.
  }
}

function readBuild(): { build: ServicesBuild; hash: string } {
  const raw = fs.readFileSync(SERVICES_BUILD);
  return {
    build: JSON.parse(raw.toString("utf8")) as ServicesBuild,
    hash: createHash("sha256").update(raw).digest("hex"),
  };
}

function readStopped(): Set<string> {
  try {
    return new Set(fs.readFileSync(SERVICES_STOPPED, "utf8").split(/\s+/).filter(Boolean));
  } catch {
    return new Set();
  }
}

/** Largest request body the web listeners read (a password patch is a few hundred bytes). */
const MAX_BODY = 64 * 1024;

function send(res: http.ServerResponse, r: LabWebResponse): void {
  res.writeHead(r.status, r.headers);
  res.end(r.body);
}

/**
 * The REST API's I/O: read the admins file as it is now (tests and operators may have rewritten it), let the
 * pure handler decide, write the accounts back (atomically, 0600 root) when a PATCH changed them. The log
 * line names method, path and status: never a header or a body.
 */
function serveAdminApi(service: ServiceName, req: LabWebRequest): LabWebResponse {
  let admins: WebAdmin[];
  try {
    admins = parseWebAdmins(fs.readFileSync(WEB_ADMINS_FILE, "utf8"));
  } catch (e) {
    log(`${service} ${req.method} ${req.url.split("?")[0]}: cannot read the admins: ${(e as Error).message}`);
    return {
      status: 500,
      headers: { "Content-Type": "application/hal+json" },
      body: '{"code":500,"message":"Internal error"}',
    };
  }
  const outcome = handleAdminApi(req, admins, randomBytes(WEB_SALT_BYTES));
  if (outcome.admins) {
    const tmp = `${WEB_ADMINS_FILE}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, renderWebAdmins(outcome.admins), { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, WEB_ADMINS_FILE);
  }
  log(`${service} ${req.method} ${req.url.split("?")[0]} ${outcome.response.status}`);
  return outcome.response;
}

function webHandler(service: ServiceName): http.RequestListener {
  return (req, res) => {
    res.setHeader("Server", "ngcp-fleet-lab");
    const method = req.method ?? "";
    const url = req.url ?? "";
    const route = routeWebRequest(service, method, url);
    if (route !== "api") {
      req.resume();
      send(res, route === "page" ? pageResponse(service, hostname) : NOT_FOUND_PAGE);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (size > MAX_BODY) {
        return;
      }
      size += chunk.length;
      if (size > MAX_BODY) {
        send(res, { status: 413, headers: { Connection: "close" } });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY) {
        return;
      }
      try {
        send(
          res,
          serveAdminApi(service, {
            method,
            url,
            headers: req.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      } catch (e) {
        log(`${service} ${method} ${url.split("?")[0]}: ${(e as Error).message}`);
        send(res, { status: 500, headers: {} });
      }
    });
    req.on("error", () => undefined);
  };
}

function sipStream(sock: net.Socket): void {
  let buffer = "";
  sock.setEncoding("utf8");
  sock.on("data", (chunk: string) => {
    buffer += chunk;
    if (buffer.length > 65536) {
      sock.destroy();
      return;
    }
    const { messages, rest } = takeStreamMessages(buffer);
    buffer = rest;
    for (const m of messages) {
      const req = parseSipRequest(m);
      const reply =
        req &&
        respond(req, {
          sourceAddress: sock.remoteAddress ?? "",
          sourcePort: sock.remotePort ?? 0,
          toTag: randomBytes(4).toString("hex"),
        });
      if (reply) {
        sock.write(reply);
      }
    }
  });
  sock.on("error", () => undefined);
}

function xmppStream(sock: net.Socket, port: number): void {
  sock.on("error", () => undefined);
  sock.once("data", () => {
    const ns = port === 5269 ? "jabber:server" : "jabber:client";
    sock.end(
      `<?xml version='1.0'?><stream:stream xmlns='${ns}' xmlns:stream='http://etherx.jabber.org/streams' ` +
        `from='${hostname}' id='${randomBytes(6).toString("hex")}' version='1.0'>` +
        "<stream:error><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>",
    );
  });
}

function listenTcp(server: net.Server, port: number): Promise<Closer> {
  // Open connections would hold close() forever (keep-alive, idle SIP over TCP): track and end them.
  const conns = new Set<net.Socket>();
  server.on("connection", (c: net.Socket) => {
    conns.add(c);
    c.on("close", () => conns.delete(c));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // "::" with ipv6Only false takes IPv4 (as ::ffff:a.b.c.d) and IPv6 alike.
    server.listen({ port, host: "::", ipv6Only: false }, () => {
      server.removeListener("error", reject);
      server.on("error", (e) => log(`server error on ${port}: ${e.message}`));
      resolve(
        () =>
          new Promise<void>((r) => {
            server.close(() => r());
            for (const c of conns) {
              c.destroy();
            }
          }),
      );
    });
  });
}

function listenUdp(
  port: number,
  onMessage: (sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo) => void,
): Promise<Closer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: "udp6", ipv6Only: false });
    sock.once("error", reject);
    sock.on("message", (msg, rinfo) => onMessage(sock, msg, rinfo));
    sock.bind({ port, address: "::" }, () => {
      sock.removeListener("error", reject);
      sock.on("error", (e) => log(`udp error on ${port}: ${e.message}`));
      resolve(() => new Promise<void>((r) => sock.close(() => r())));
    });
  });
}

function tlsFiles(l: Listener): { cert: Buffer; key: Buffer } {
  if (!l.cert || !l.key) {
    throw new Error("no certificate configured");
  }
  return { cert: fs.readFileSync(l.cert), key: fs.readFileSync(l.key) };
}

async function open(l: Listener): Promise<Closer> {
  switch (l.kind) {
    case "https":
      return listenTcp(https.createServer({ ...tlsFiles(l) }, webHandler(l.service)), l.port);
    case "http":
      return listenTcp(http.createServer(webHandler(l.service)), l.port);
    case "sip-tcp":
      return listenTcp(net.createServer(sipStream), l.port);
    case "sip-tls":
      return listenTcp(tls.createServer({ ...tlsFiles(l) }, sipStream), l.port);
    case "xmpp":
      return listenTcp(
        net.createServer((s) => xmppStream(s, l.port)),
        l.port,
      );
    case "sip-udp":
      return listenUdp(l.port, (sock, msg, rinfo) => {
        const req = parseSipRequest(msg.toString("utf8"));
        const reply =
          req &&
          respond(req, {
            sourceAddress: rinfo.address,
            sourcePort: rinfo.port,
            toTag: randomBytes(4).toString("hex"),
          });
        if (reply) {
          sock.send(reply, rinfo.port, rinfo.address);
        }
      });
    case "udp-echo":
      // RTP stand-in: echo every datagram, so a probe can tell an open port from a filtered one.
      return listenUdp(l.port, (sock, msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
  }
}

let closers: Closer[] = [];
let generation = 0;
let reloading = Promise.resolve();

function writeStatus(listeners: readonly ListenerState[], hash: string): void {
  const tmp = `${SERVICES_STATUS}.${process.pid}.tmp`;
  fs.writeFileSync(
    tmp,
    JSON.stringify(
      { pid: process.pid, generation, buildHash: hash, loadedAt: new Date().toISOString(), listeners },
      null,
      2,
    ) + "\n",
  );
  fs.renameSync(tmp, SERVICES_STATUS);
}

async function load(): Promise<void> {
  for (const c of closers) {
    await c().catch(() => undefined);
  }
  closers = [];
  let states: ListenerState[] = [];
  let hash = "";
  try {
    const { build, hash: h } = readBuild();
    hash = h;
    const stopped = readStopped();
    states = build.listeners.map((l) => ({
      service: l.service,
      kind: l.kind,
      port: l.port,
      state: "stopped" as const,
    }));
    await Promise.all(
      build.listeners.map(async (l, i) => {
        if (stopped.has(l.service)) {
          return;
        }
        try {
          closers.push(await open(l));
          states[i].state = "listening";
        } catch (e) {
          states[i].state = "failed";
          states[i].error = e instanceof Error ? e.message : String(e);
          log(`${l.service} ${l.kind} ${l.port}: ${states[i].error}`);
        }
      }),
    );
  } catch (e) {
    log(`cannot load ${SERVICES_BUILD}: ${e instanceof Error ? e.message : String(e)}`);
  }
  generation++;
  writeStatus(states, hash);
  log(
    `generation ${generation}: ${states.map((s) => `${s.service}/${s.kind}:${s.port}=${s.state}`).join(" ")}`,
  );
}

function main(): void {
  fs.mkdirSync("/run/ngcp-lab", { recursive: true });
  fs.writeFileSync(SERVICES_PID, `${process.pid}\n`);
  try {
    if (seedWebAdminsIfAbsent()) {
      log(`seeded the web admins in ${WEB_ADMINS_FILE} (the node had none)`);
    }
  } catch (e) {
    log(`cannot seed the web admins: ${(e as Error).message}`);
  }
  process.on("SIGHUP", () => {
    reloading = reloading.then(load);
  });
  const stop = (): void => {
    void reloading.then(async () => {
      for (const c of closers) {
        await c().catch(() => undefined);
      }
      try {
        if (fs.readFileSync(SERVICES_PID, "utf8").trim() === String(process.pid)) {
          fs.rmSync(SERVICES_PID, { force: true });
        }
      } catch {
        // Already gone.
      }
      log("stopped");
      process.exit(0);
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  reloading = load();
}

if (require.main === module) {
  main();
}
