/**
 * What every transport does with octets that arrived, RFC 3261 §18.2.1 and §18.1.2, shared by
 * UDP, TCP and TLS so they behave the same on bad input (RELIABILITY.md S1):
 *   - a message that parses is handed up; a request gets its top Via stamped with `received`
 *     (§18.2.1) and `rport` (RFC 3581 §4);
 *   - a request that fails to parse is answered 400 only when a Via can still be read from it
 *     (otherwise there is nowhere to send an answer), and 513 when it is too large (§21.5.12);
 *   - a response that fails to parse or fails validateResponse is dropped (§18.1.2, RFC 4475
 *     bigcode, scalarlg).
 * Pure: the caller does the I/O with the returned verdict.
 */
import { isIP } from 'node:net';
import { ParseError } from '../../core/errors.js';
import { Headers, headerKey, parseVia, SipResponse, splitList, type SipMessage, type Via } from '../message/index.js';
import { MessageTooLargeError, parseMessage, serializeMessage, validateResponse } from '../parser/index.js';
import type { HostPort } from './types.js';

export type Inbound =
  | { kind: 'message'; message: SipMessage }
  | { kind: 'reply'; bytes: Buffer; status: number; reason: string }
  | { kind: 'drop'; reason: string };

export interface InboundOptions {
  /** Stream transport: Content-Length is mandatory (§18.3). */
  stream: boolean;
  /** Treat every request as if it carried `rport` (Kamailio force_rport, Asterisk force_rport=yes): phones behind NAT. */
  forceRport: boolean;
  /** Value of the Server header on locally generated 400/513 answers. */
  serverHeader: string;
}

/** Parse, stamp and check one message's octets. Never throws. */
export function receive(bytes: Buffer, from: HostPort, opts: InboundOptions): Inbound {
  let msg: SipMessage;
  try {
    msg = parseMessage(bytes, { stream: opts.stream });
  } catch (err) {
    if (!(err instanceof ParseError)) return { kind: 'drop', reason: 'parser failure' };
    const status = err instanceof MessageTooLargeError ? 513 : 400;
    const reply = salvageReply(bytes, from, status, err.message, opts.serverHeader);
    return reply ? { kind: 'reply', bytes: reply, status, reason: err.message } : { kind: 'drop', reason: err.message };
  }
  if (msg.kind === 'response') {
    const ok = validateResponse(msg);
    return ok.ok ? { kind: 'message', message: msg } : { kind: 'drop', reason: ok.reason };
  }
  const top = msg.topVia();
  if (top) stampVia(top, from, opts.forceRport);
  return { kind: 'message', message: msg };
}

/**
 * RFC 3261 §18.2.1: "When the server transport receives a request over any transport, it MUST
 * examine the value of the "sent-by" parameter in the top Via header field value. If the host
 * portion of the "sent-by" parameter contains a domain name, or if it contains an IP address that
 * differs from the packet source address, the server MUST add a "received" parameter to that Via
 * header field value." RFC 3581 §4: "the server MUST insert an "rport" parameter ... containing
 * the source port of the request" when the request carried `rport` without a value.
 */
export function stampVia(via: Via, from: HostPort, forceRport: boolean): void {
  if (via.host !== from.host || isIP(via.host) === 0) via.received = from.host;
  if (via.rport !== null || forceRport) {
    via.rport = from.port;
    // RFC 3581 §4: "the server MUST add a received parameter ... even if it is identical to the host in the sent-by".
    via.received = from.host;
  }
}

const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Build a 400/513 for a request that did not parse, from the header lines that can still be read
 * (§8.2.6.2 copies Via, From, To, Call-ID, CSeq). Null when it is not a request or no Via value
 * parses: such input is dropped.
 */
export function salvageReply(bytes: Buffer, from: HostPort, status: 400 | 513, why: string, serverHeader: string): Buffer | null {
  const text = bytes.toString('latin1', 0, Math.min(bytes.length, 64 * 1024));
  const headEnd = text.indexOf('\r\n\r\n');
  const lines = (headEnd < 0 ? text : text.slice(0, headEnd)).replace(/^(\r\n)+/, '').split('\r\n');
  const startLine = lines[0] ?? '';
  if (/^SIP\//i.test(startLine) || !/^[A-Za-z!%*_+`'~.-]+ /.test(startLine)) return null;
  const vias: Via[] = [];
  const copied = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith(' ') || line.startsWith('\t')) continue;
    const key = headerKey(line.slice(0, colon).trim());
    const value = line.slice(colon + 1).trim();
    if (CONTROL.test(value) || value.length === 0) continue;
    if (key === 'via') {
      try {
        for (const el of splitList(value, 0)) vias.push(parseVia(el.value));
      } catch {
        const rough = vias.length === 0 ? roughVia(value) : null;
        if (rough) vias.push(rough);
      }
    } else if ((key === 'from' || key === 'to' || key === 'call-id' || key === 'cseq') && !copied.has(key)) {
      copied.set(key, value);
    }
  }
  const top = vias[0];
  if (top === undefined) return null;
  stampVia(top, from, true);
  const headers = new Headers();
  for (const v of vias) headers.appendTyped('via', v);
  for (const [k, v] of copied) headers.append(k, v);
  headers.append('Server', serverHeader);
  headers.append('Warning', `399 - "${why.replace(/["\\]/g, '')}"`);
  const res = new SipResponse(status, undefined, headers);
  return serializeMessage(res);
}

/**
 * The sent-protocol, sent-by and branch of a Via whose parameters are malformed (RFC 4475
 * badinv01: `Via: SIP/2.0/UDP 192.0.2.15;;,;,,`): enough to address a 400, nothing more.
 */
function roughVia(value: string): Via | null {
  const head = value.split(/[;,]/)[0] ?? '';
  try {
    const via = parseVia(head);
    const branch = /;\s*branch\s*=\s*([A-Za-z0-9.!%*_+`'~-]+)/i.exec(value)?.[1];
    if (branch) via.branch = branch;
    return via;
  } catch {
    return null;
  }
}
