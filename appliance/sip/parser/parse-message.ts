/**
 * SIP message parser, RFC 3261 §7 and §25:
 *   SIP-message  = Request / Response
 *   Request-Line = Method SP Request-URI SP SIP-Version CRLF
 *   Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF
 *   message-header = field-name HCOLON field-value CRLF, with LWS folding (§7.3.1)
 * then CRLF and the body, framed by Content-Length (§18.3, §20.14).
 *
 * Pure and total: every malformed input ends in a ParseError (with the byte offset), never a
 * RangeError or TypeError. The header block is read as latin1 so offsets are byte offsets; values
 * holding non-ASCII octets are then decoded as UTF-8 (RFC 4475 unreason, intmeth).
 *
 * Datagram semantics (the default, RFC 3261 §18.3): octets beyond Content-Length are discarded
 * (RFC 4475 dblreq), a body shorter than Content-Length is an error (clerr), and a message without
 * Content-Length has a body up to the end of the datagram (inv2543). With `{ stream: true }` the
 * caller (StreamFramer) passes exactly one framed message and Content-Length is mandatory.
 */
import { ParseError } from '../../core/errors.js';
import { isToken, splitList } from '../message/grammar.js';
import { Headers, LIST_HEADERS, headerKey, type TypedKey } from '../message/headers.js';
import { SipRequest, SipResponse, type SipMessage } from '../message/message.js';
import { parseUri } from '../message/uri.js';
import { MAX_HEADER_COUNT, MAX_MESSAGE_BYTES, MAX_START_LINE_BYTES, MAX_VIA_COUNT, MessageTooLargeError } from './limits.js';

export interface ParseOptions {
  /** Stream transport: Content-Length is mandatory (RFC 3261 §18.3 "MUST be used with stream oriented transports"). */
  stream?: boolean;
}

/** Headers checked at parse time: every layer above needs them well-formed. */
const EAGER: readonly TypedKey[] = ['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards', 'contact', 'route', 'record-route'];

const CRLFCRLF = Buffer.from('\r\n\r\n');
const BARE_CR_LF = /\r(?!\n)|(?<!\r)\n/;
const VERSION_RE = /^SIP\/[0-9]+\.[0-9]+$/i;

/** Index of the first byte after any leading CRLFs (RFC 3261 §7.5: ignore CRLF before the start-line). */
export function skipLeadingCrlf(buf: Buffer, from = 0): number {
  let i = from;
  while (i + 1 < buf.length && buf[i] === 0x0d && buf[i + 1] === 0x0a) i += 2;
  return i;
}

function decodeValue(v: string): string {
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 0x7f) return Buffer.from(v, 'latin1').toString('utf8');
  return v;
}

function parseStartLine(line: string, at: number): { request: { method: string; uriText: string; uriAt: number; version: string } } | { response: { version: string; status: number; reason: string } } {
  if (line.length > MAX_START_LINE_BYTES) throw new MessageTooLargeError('start line too long', at);
  if (/^SIP\//i.test(line)) {
    // Status-Line; Reason-Phrase may be empty (RFC 4475 noreason) and may hold UTF-8 (unreason).
    const sp1 = line.indexOf(' ');
    if (sp1 < 0) throw new ParseError('status line without status code', at + line.length);
    const version = line.slice(0, sp1);
    if (!VERSION_RE.test(version)) throw new ParseError('bad SIP-Version', at);
    const sp2 = line.indexOf(' ', sp1 + 1);
    const code = sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2);
    // Status-Code = 3DIGIT (§25.1), 100..699 (§7.2); RFC 4475 bigcode has 4294967301.
    if (!/^[1-6][0-9]{2}$/.test(code)) throw new ParseError('bad Status-Code', at + sp1 + 1);
    const reason = sp2 < 0 ? '' : line.slice(sp2 + 1);
    for (let i = 0; i < reason.length; i++) {
      const c = reason.charCodeAt(i);
      if (c < 0x20 && c !== 0x09) throw new ParseError('control character in Reason-Phrase', at + sp2 + 1 + i);
    }
    return { response: { version: version.toUpperCase(), status: Number(code), reason: decodeValue(reason) } };
  }
  // Request-Line: exactly three elements separated by single SP (RFC 4475 lwsstart, trws, lwsruri).
  const parts = line.split(' ');
  if (parts.length !== 3 || parts.some((p) => p.length === 0))
    throw new ParseError('Request-Line must be Method SP Request-URI SP SIP-Version', at);
  const [method = '', uriText = '', version = ''] = parts;
  if (!isToken(method)) throw new ParseError('Method is not a token', at);
  if (!VERSION_RE.test(version)) throw new ParseError('bad SIP-Version', at + method.length + uriText.length + 2);
  return { request: { method, uriText, uriAt: at + method.length + 1, version: version.toUpperCase() } };
}

/** Parse one complete SIP message. Throws ParseError (or MessageTooLargeError) on malformed input. */
export function parseMessage(buf: Buffer, opts: ParseOptions = {}): SipMessage {
  if (buf.length > MAX_MESSAGE_BYTES) throw new MessageTooLargeError('message larger than 64 KiB', MAX_MESSAGE_BYTES);
  const start = skipLeadingCrlf(buf);
  if (start >= buf.length) throw new ParseError('empty message', start);
  const headEnd = buf.indexOf(CRLFCRLF, start);
  if (headEnd < 0) throw new ParseError('no empty line after the headers', buf.length);
  const head = buf.toString('latin1', start, headEnd);

  // Start line.
  let lineEnd = head.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = head.length;
  const startLine = head.slice(0, lineEnd);
  // Only CRLF ends a line (§7); a bare CR or LF anywhere in the header block is malformed.
  const bare = BARE_CR_LF.exec(head);
  if (bare) throw new ParseError('bare CR or LF in header', start + bare.index);
  const sl = parseStartLine(startLine, start);

  // Header lines, unfolded (§7.3.1: "CRLF followed by SP/HTAB is LWS; treat as a single SP").
  const headers = new Headers();
  let viaCount = 0;
  let pos = lineEnd + 2;
  let name = '';
  let parts: string[] = [];
  let valueAt = 0;
  const flush = (): void => {
    if (name === '') return;
    const key = headerKey(name);
    const first = parts[0] ?? '';
    const at = start + valueAt + (first.length - first.trimStart().length);
    const v = decodeValue(parts.length === 1 ? first.trim() : parts.map((p) => p.trim()).filter((p) => p.length > 0).join(' '));
    if (LIST_HEADERS.has(key) && v.length > 0) {
      for (const el of splitList(v, at)) {
        headers.addRaw(name, el.value, el.offset);
        if (key === 'via') viaCount++;
      }
    } else headers.addRaw(name, v, at);
    if (headers.size > MAX_HEADER_COUNT) throw new MessageTooLargeError('too many header values', at);
    if (viaCount > MAX_VIA_COUNT) throw new MessageTooLargeError('too many Via values', at);
  };
  while (pos < head.length) {
    let end = head.indexOf('\r\n', pos);
    if (end < 0) end = head.length;
    const line = head.slice(pos, end);
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      if (name === '') throw new ParseError('continuation line without a header', start + pos);
      if (parts.length >= MAX_HEADER_COUNT) throw new MessageTooLargeError('too many continuation lines', start + pos);
      parts.push(line);
    } else {
      flush();
      const colon = line.indexOf(':');
      if (colon < 0) throw new ParseError('header line without ":"', start + pos);
      // HCOLON = *( SP / HTAB ) ":" SWS
      name = line.slice(0, colon).replace(/[ \t]+$/, '');
      if (!isToken(name)) throw new ParseError('header name is not a token', start + pos);
      parts = [line.slice(colon + 1)];
      valueAt = pos + colon + 1;
    }
    pos = end + 2;
  }
  flush();

  let msg: SipMessage;
  if ('request' in sl) {
    const r = sl.request;
    msg = new SipRequest(r.method, parseUri(r.uriText, r.uriAt), headers, Buffer.alloc(0), r.version);
  } else {
    const r = sl.response;
    msg = new SipResponse(r.status, r.reason, headers, Buffer.alloc(0), r.version);
  }
  for (const k of EAGER) headers.typed(k);

  // Body framing (§18.3, §20.14).
  const bodyStart = headEnd + 4;
  const lengths = headers.typed('content-length');
  if (lengths.length > 1) throw new ParseError('more than one Content-Length', bodyStart);
  const cl = lengths[0];
  if (cl === undefined) {
    if (opts.stream) throw new ParseError('Content-Length missing on a stream transport', bodyStart);
    msg.body = buf.subarray(bodyStart);
  } else {
    if (bodyStart + cl > buf.length) throw new ParseError('body shorter than Content-Length', buf.length);
    msg.body = buf.subarray(bodyStart, bodyStart + cl);
  }
  return msg;
}
