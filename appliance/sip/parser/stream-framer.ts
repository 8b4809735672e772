/**
 * Message framing on stream transports (TCP, TLS), RFC 3261 §18.3: "In the case of stream-oriented
 * transports such as TCP, the Content-Length header field indicates the size of the body. All
 * SIP implementations MUST use the Content-Length header field on stream-oriented transports."
 * §7.5: "Implementations processing SIP messages over stream-oriented transports MUST ignore any
 * CRLF appearing before the start-line". RFC 5626 §3.5.1: a double CRLF is a keepalive ping,
 * counted in `pings` so the transport can answer with a single CRLF pong.
 *
 * Each push copies the chunk once into a bounded buffer (never more than MAX_MESSAGE_BYTES plus
 * one chunk), so a peer trickling bytes cannot cause quadratic work. An unrecoverable framing error
 * (no or bad Content-Length, more than 64 KiB without a complete message) throws ParseError and
 * leaves the framer failed: the transport answers 400 if it can and closes the connection (RFC 4475
 * clerr, ncl, mcl01 over TCP).
 */
import { ParseError } from '../../core/errors.js';
import { headerKey } from '../message/headers.js';
import { MAX_MESSAGE_BYTES, MessageTooLargeError } from './limits.js';

export interface FramerOutput {
  /** Complete messages, each its own Buffer (safe to keep). */
  messages: Buffer[];
  /** RFC 5626 CRLFCRLF keepalives seen between messages. */
  pings: number;
}

export class StreamFramer {
  private buf = Buffer.alloc(4096);
  private len = 0;
  /** Where the search for the end of headers resumes (avoids rescanning on every chunk). */
  private scanFrom = 0;
  private failure: ParseError | null = null;
  /** CRLFs seen since the last message, so a ping split across chunks still counts. */
  private crlfs = 0;

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.len;
  }

  push(chunk: Buffer): FramerOutput {
    if (this.failure) throw this.failure;
    try {
      this.append(chunk);
      return this.drain();
    } catch (err) {
      if (err instanceof ParseError) this.failure = err;
      throw err;
    }
  }

  private append(chunk: Buffer): void {
    if (this.len + chunk.length > this.buf.length) {
      const cap = Math.max(this.buf.length * 2, this.len + chunk.length);
      const next = Buffer.alloc(cap);
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    chunk.copy(this.buf, this.len);
    this.len += chunk.length;
  }

  private consume(n: number): void {
    this.buf.copy(this.buf, 0, n, this.len);
    this.len -= n;
    this.scanFrom = 0;
    if (this.buf.length > 64 * 1024 && this.len < 4096) this.buf = Buffer.from(this.buf.subarray(0, Math.max(this.len, 4096)));
  }

  private drain(): FramerOutput {
    const out: FramerOutput = { messages: [], pings: 0 };
    for (;;) {
      // Keepalives and stray CRLFs before a start line.
      let skip = 0;
      while (skip + 1 < this.len && this.buf[skip] === 0x0d && this.buf[skip + 1] === 0x0a) skip += 2;
      if (skip > 0) {
        this.crlfs += skip / 2;
        out.pings += Math.floor(this.crlfs / 2);
        this.crlfs %= 2;
        this.consume(skip);
      }
      if (this.len === 0 || (this.len === 1 && this.buf[0] === 0x0d)) return out;
      const view = this.buf.subarray(0, this.len);
      const headEnd = view.indexOf('\r\n\r\n', Math.max(0, this.scanFrom - 3));
      if (headEnd < 0) {
        this.scanFrom = this.len;
        if (this.len > MAX_MESSAGE_BYTES) throw new MessageTooLargeError('headers larger than 64 KiB', MAX_MESSAGE_BYTES);
        return out;
      }
      const cl = contentLength(view.toString('latin1', 0, headEnd));
      const total = headEnd + 4 + cl;
      if (total > MAX_MESSAGE_BYTES) throw new MessageTooLargeError('message larger than 64 KiB', headEnd);
      if (this.len < total) {
        this.scanFrom = 0;
        return out;
      }
      this.crlfs = 0;
      out.messages.push(Buffer.from(view.subarray(0, total)));
      this.consume(total);
    }
  }
}

/** The Content-Length of a header block (folded lines allowed); ParseError when absent, repeated or not a number. */
export function contentLength(head: string): number {
  let found: number | null = null;
  let pos = head.indexOf('\r\n');
  while (pos >= 0 && pos < head.length) {
    const start = pos + 2;
    let end = head.indexOf('\r\n', start);
    if (end < 0) end = head.length;
    const colon = head.indexOf(':', start);
    if (colon > start && colon < end) {
      const name = head.slice(start, colon).trim();
      if (name.length <= 14 && headerKey(name) === 'content-length') {
        let value = head.slice(colon + 1, end);
        // Folded continuation lines belong to the value.
        while (end < head.length && (head.charCodeAt(end + 2) === 0x20 || head.charCodeAt(end + 2) === 0x09)) {
          const next = head.indexOf('\r\n', end + 2);
          const stop = next < 0 ? head.length : next;
          value += ` ${head.slice(end + 2, stop)}`;
          end = stop;
        }
        const v = value.trim();
        if (found !== null) throw new ParseError('more than one Content-Length', colon);
        if (!/^[0-9]{1,9}$/.test(v)) throw new ParseError('bad Content-Length', colon);
        found = Number(v);
      }
    }
    pos = end;
  }
  if (found === null) throw new ParseError('Content-Length missing on a stream transport', head.length);
  return found;
}
