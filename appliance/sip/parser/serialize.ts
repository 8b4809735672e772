/**
 * SIP message serializer, RFC 3261 §7: canonical bytes. Start line with single SP separators,
 * header names in their canonical long form (`v` → `Via`), one line per value in the collection's
 * order, no folding, typed values re-serialized from their objects, and a Content-Length computed
 * from the body (§18.3: "MUST be used with stream oriented transports"; we always send it), written
 * last among the headers. Header text is UTF-8. A CR or LF inside a value set by code becomes a
 * space, so a value can never inject a header line.
 */
import { valueOf } from '../message/headers.js';
import { serializeUri } from '../message/uri.js';
import type { SipMessage } from '../message/message.js';

const CR_LF = /[\r\n]/;

export function serializeHead(msg: SipMessage): string {
  let out = msg.kind === 'request' ? `${msg.method} ${serializeUri(msg.uri)} ${msg.version}\r\n` : `${msg.version} ${msg.status} ${msg.reason}\r\n`;
  for (const e of msg.headers.entries()) {
    if (e.key === 'content-length') continue;
    const v = valueOf(e);
    // A value set by code must not smuggle a line break into the header block.
    out += `${e.name}: ${CR_LF.test(v) ? v.replace(/[\r\n]+/g, ' ') : v}\r\n`;
  }
  out += `Content-Length: ${msg.body.length}\r\n\r\n`;
  return out;
}

export function serializeMessage(msg: SipMessage): Buffer {
  const head = serializeHead(msg);
  if (msg.body.length === 0) return Buffer.from(head, 'utf8');
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLen);
  return out;
}

