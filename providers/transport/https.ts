/**
 * HTTPS to a service of the node through the node's SSH connection: a tunnel to its 127.0.0.1:`port` and TLS
 * over it. The certificate is not verified by CA: the node may still serve the vendor's self-signed one
 * (handbook 15.4); the pinned SSH host key authenticates the path. The caller adds any authorization; errors
 * name the node, method, path and port only (never a header or a body, which may hold a password).
 */
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect } from "node:tls";
import type { NodeSession } from "./session";

export interface NodeHttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface NodeHttpResponse {
  readonly status: number;
  readonly body: string;
}

/** @default 30000 */
const DEFAULT_TIMEOUT_MS = 30_000;

/** The method and the path without its query (the query may carry a login). */
export function describeHttpRequest(req: Pick<NodeHttpRequest, "method" | "path">): string {
  return `${req.method} ${req.path.split("?")[0]}`;
}

export async function nodeHttps(
  session: NodeSession,
  port: number,
  req: NodeHttpRequest,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<NodeHttpResponse> {
  const stream = await session.forward("127.0.0.1", port);
  const node = session.target.name;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      ...req.headers,
      Host: `127.0.0.1:${port}`,
      ...(req.body !== undefined ? { "Content-Length": String(Buffer.byteLength(req.body)) } : {}),
    };
    const request = httpsRequest(
      {
        method: req.method,
        path: req.path,
        headers,
        // No agent: with `createConnection` and no agent, Node uses the tunnel's TLS socket for this request.
        timeout: timeoutMs,
        createConnection: () => tlsConnect({ socket: stream, rejectUnauthorized: false }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", (err) =>
          reject(new Error(`node ${node}: ${describeHttpRequest(req)}: ${err.message}`)),
        );
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on("error", (err) =>
      reject(new Error(`node ${node}: ${describeHttpRequest(req)} on port ${port} failed: ${err.message}`)),
    );
    request.end(req.body);
  });
}
