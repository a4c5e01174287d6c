/**
 * The minimum of SIP (RFC 3261) the lab's load-balancer stand-in speaks (pure): parse a request, answer
 * OPTIONS with 200 OK and anything else with 501, echoing Via (with received/rport, RFC 3581), From, To
 * (plus a tag), Call-ID and CSeq as a real proxy does.
 */

export interface SipRequest {
  readonly method: string;
  readonly uri: string;
  /** Header name (canonical, long form) and value, in message order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

const COMPACT: Readonly<Record<string, string>> = {
  v: "Via",
  f: "From",
  t: "To",
  i: "Call-ID",
  m: "Contact",
  l: "Content-Length",
  c: "Content-Type",
  k: "Supported",
};

const CANONICAL: Readonly<Record<string, string>> = {
  via: "Via",
  from: "From",
  to: "To",
  "call-id": "Call-ID",
  cseq: "CSeq",
  "content-length": "Content-Length",
  "max-forwards": "Max-Forwards",
  contact: "Contact",
};

function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? CANONICAL[lower] ?? name.trim();
}

/** Parses one request; undefined when it is not a SIP request (a response, garbage). */
export function parseSipRequest(text: string): SipRequest | undefined {
  const sep = text.indexOf("\r\n\r\n");
  const head = sep >= 0 ? text.slice(0, sep) : text;
  const body = sep >= 0 ? text.slice(sep + 4) : "";
  const rawLines = head.split(/\r?\n/);
  const m = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(rawLines[0] ?? "");
  if (!m) {
    return undefined;
  }
  const headers: Array<[string, string]> = [];
  for (const line of rawLines.slice(1)) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      // Header folding (continuation line).
      headers[headers.length - 1][1] += " " + line.trim();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      continue;
    }
    const name = canonicalName(line.slice(0, colon));
    const value = line.slice(colon + 1).trim();
    if (name === "Via") {
      // One Via header line may carry several comma-separated values; keep them as separate entries.
      for (const v of value.split(/,(?=\s*SIP\/)/i)) {
        headers.push([name, v.trim()]);
      }
    } else {
      headers.push([name, value]);
    }
  }
  return { method: m[1].toUpperCase(), uri: m[2], headers, body };
}

export interface ResponseContext {
  /** Address and port the request came from. */
  readonly sourceAddress: string;
  readonly sourcePort: number;
  /** To-tag this responder adds (stable per dialog is not needed for OPTIONS). */
  readonly toTag: string;
}

function headerValues(req: SipRequest, name: string): string[] {
  return req.headers.filter(([n]) => n === name).map(([, v]) => v);
}

/** Adds `received` when the sent-by host differs from the source, and fills an empty `rport` (RFC 3581). */
export function topViaWithReceived(via: string, ctx: ResponseContext): string {
  const m = /^SIP\/2\.0\/\S+\s+([^;]+)(.*)$/i.exec(via);
  if (!m) {
    return via;
  }
  const sentBy = m[1].trim();
  const host = sentBy.startsWith("[") ? sentBy.slice(1, sentBy.indexOf("]")) : sentBy.split(":")[0];
  const source = ctx.sourceAddress.replace(/^::ffff:/, "");
  let out = via;
  if (/;rport(?=;|$)/i.test(out)) {
    out = out.replace(/;rport(?=;|$)/i, `;rport=${ctx.sourcePort}`);
  }
  if (host !== source && !/;received=/i.test(out)) {
    out += `;received=${source}`;
  }
  return out;
}

/** The response to a request, or undefined when none is due (ACK, or no Via to send it along). */
export function respond(req: SipRequest, ctx: ResponseContext): string | undefined {
  if (req.method === "ACK") {
    return undefined;
  }
  const vias = headerValues(req, "Via");
  const from = headerValues(req, "From")[0];
  const to = headerValues(req, "To")[0];
  const callId = headerValues(req, "Call-ID")[0];
  const cseq = headerValues(req, "CSeq")[0];
  if (vias.length === 0) {
    return undefined;
  }
  const [status, reason] =
    !from || !to || !callId || !cseq
      ? [400, "Bad Request"]
      : req.method === "OPTIONS"
        ? [200, "OK"]
        : [501, "Not Implemented"];
  const lines = [`SIP/2.0 ${status} ${reason}`];
  vias.forEach((v, i) => lines.push(`Via: ${i === 0 ? topViaWithReceived(v, ctx) : v}`));
  if (from) {
    lines.push(`From: ${from}`);
  }
  if (to) {
    lines.push(`To: ${/;\s*tag=/i.test(to) ? to : `${to};tag=${ctx.toTag}`}`);
  }
  if (callId) {
    lines.push(`Call-ID: ${callId}`);
  }
  if (cseq) {
    lines.push(`CSeq: ${cseq}`);
  }
  if (status === 200 || status === 501) {
    lines.push(
      "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REGISTER, SUBSCRIBE, NOTIFY, REFER, INFO, MESSAGE, UPDATE, PRACK",
    );
    lines.push("Accept: application/sdp");
  }
  lines.push("Server: Sipwise NGCP LB (ngcp-fleet lab stand-in)", "Content-Length: 0", "", "");
  return lines.join("\r\n");
}

/**
 * Splits complete messages off a stream buffer (SIP over TCP/TLS frames by Content-Length). Returns the
 * messages found and the unconsumed rest. Keep-alive CRLFs between messages are skipped (RFC 5626).
 */
export function takeStreamMessages(buffer: string): { messages: string[]; rest: string } {
  const messages: string[] = [];
  let rest = buffer;
  for (;;) {
    rest = rest.replace(/^(\r\n)+/, "");
    const sep = rest.indexOf("\r\n\r\n");
    if (sep < 0) {
      break;
    }
    const head = rest.slice(0, sep);
    const lenMatch = /^(?:content-length|l)\s*:\s*(\d+)\s*$/im.exec(head);
    const len = lenMatch ? Number(lenMatch[1]) : 0;
    const total = sep + 4 + len;
    if (Buffer.byteLength(rest) < total) {
      break;
    }
    messages.push(rest.slice(0, total));
    rest = rest.slice(total);
  }
  return { messages, rest };
}

/** An OPTIONS request as a health probe or test would send it. */
export function buildOptions(opts: {
  readonly target: string;
  readonly transport: "UDP" | "TCP" | "TLS";
  readonly localAddress: string;
  readonly localPort: number;
  readonly callId: string;
  readonly branch: string;
  readonly fromTag: string;
}): string {
  return [
    `OPTIONS sip:${opts.target} SIP/2.0`,
    `Via: SIP/2.0/${opts.transport} ${opts.localAddress}:${opts.localPort};branch=z9hG4bK${opts.branch};rport`,
    "Max-Forwards: 70",
    `From: <sip:probe@${opts.localAddress}>;tag=${opts.fromTag}`,
    `To: <sip:${opts.target}>`,
    `Call-ID: ${opts.callId}`,
    "CSeq: 1 OPTIONS",
    "Accept: application/sdp",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
}
