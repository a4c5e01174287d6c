import { randomBytes } from "node:crypto";

/**
 * A SIP OPTIONS request (RFC 3261 §11), the keepalive every SIP proxy answers: the health gate's proof
 * that the node's SIP service (kamailio-lb) is up, not only that a port is open.
 */
export function optionsRequest(
  target: { host: string; port: number },
  local: { host: string; port: number },
  transport: "UDP" | "TCP",
): {
  text: string;
  callId: string;
} {
  const branch = `z9hG4bK${randomBytes(6).toString("hex")}`;
  const callId = `${randomBytes(8).toString("hex")}@ngcp-fleet`;
  const text = [
    `OPTIONS sip:${target.host}:${target.port} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${local.host}:${local.port};branch=${branch};rport`,
    "Max-Forwards: 70",
    `From: <sip:health@ngcp-fleet.invalid>;tag=${randomBytes(4).toString("hex")}`,
    `To: <sip:${target.host}:${target.port}>`,
    `Call-ID: ${callId}`,
    "CSeq: 1 OPTIONS",
    "Accept: application/sdp",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  return { text, callId };
}

/** The status code of a SIP response to our request, or undefined when the text is not one. */
export function responseStatus(text: string, callId: string): number | undefined {
  const status = /^SIP\/2\.0 (\d{3}) /.exec(text);
  const id = /^(?:Call-ID|i):\s*(\S+)\s*$/im.exec(text);
  if (!status || !id || id[1] !== callId) {
    return undefined;
  }
  return Number(status[1]);
}
