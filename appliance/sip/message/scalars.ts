/**
 * Single-value headers with a numeric or word grammar, RFC 3261 §25.1:
 *   CSeq           = "CSeq" HCOLON 1*DIGIT LWS Method
 *   Max-Forwards   = "Max-Forwards" HCOLON 1*DIGIT
 *   Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT
 *   Call-ID        = ( "Call-ID" / "i" ) HCOLON callid;  callid = word [ "@" word ]
 *   Expires        = "Expires" HCOLON delta-seconds
 * Numbers are read digit-count first, so 36893488147419103232 (RFC 4475 scalar02) is a ParseError
 * and never a rounded JS Number.
 */
import { ParseError } from '../../core/errors.js';
import { DIGIT, isIn, isToken, Scanner, WORD } from './grammar.js';

export interface CSeq {
  seq: number;
  method: string;
}

/** RFC 3261 §8.1.1.5: "The sequence number MUST be expressible as a 32-bit unsigned integer" and "MUST be less than 2**31". */
export const MAX_CSEQ = 0x7fffffff;

/** 1*DIGIT, leading zeros allowed (RFC 4475 wsinv "0009"); null when longer than `maxDigits` significant digits. */
function digits(s: string, at: number, what: string, maxDigits: number): number | null {
  if (!/^[0-9]+$/.test(s)) throw new ParseError(`${what} is not a number`, at);
  const sig = s.replace(/^0+(?=[0-9])/, '');
  return sig.length > maxDigits ? null : Number(sig);
}

export function parseCSeq(value: string, offset = 0): CSeq {
  const sc = new Scanner(value, offset);
  sc.skipWs();
  const at = sc.i;
  const num = sc.run(DIGIT);
  const seq = digits(num, offset + at, 'CSeq number', 10);
  if (seq === null || seq > MAX_CSEQ) throw new ParseError('CSeq number out of range', offset + at);
  sc.skipWs();
  if (sc.i === at + num.length) sc.fail('expected LWS before CSeq method');
  const method = sc.token('CSeq method');
  sc.end('CSeq');
  return { seq, method };
}

export function serializeCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}

/** Max-Forwards as a number; values beyond 255 are kept (capped at 2^32) so the validator can answer 400. */
export function parseMaxForwards(value: string, offset = 0): number {
  const v = digits(value.trim(), offset, 'Max-Forwards', 10);
  return v === null ? 0xffffffff : v;
}

/** RFC 3261 §20.14: Content-Length is "in decimal number of octets". A negative value (RFC 4475 ncl) is a ParseError. */
export function parseContentLength(value: string, offset = 0): number {
  const v = digits(value.trim(), offset, 'Content-Length', 9);
  if (v === null) throw new ParseError('Content-Length too large', offset);
  return v;
}

export function parseCallId(value: string, offset = 0): string {
  const v = value.trim();
  const atSign = v.indexOf('@');
  const parts = atSign < 0 ? [v] : [v.slice(0, atSign), v.slice(atSign + 1)];
  let pos = 0;
  for (const p of parts) {
    if (p.length === 0) throw new ParseError('empty Call-ID word', offset + pos);
    for (let i = 0; i < p.length; i++)
      if (!isIn(WORD, p.charCodeAt(i))) throw new ParseError('invalid character in Call-ID', offset + pos + i);
    pos += p.length + 1;
  }
  return v;
}

/** Expires header: delta-seconds, clamped to 2^32-1; null when not a number (§20.19: treat as default). */
export function parseExpires(value: string): number | null {
  const v = value.trim();
  if (!/^[0-9]+$/.test(v)) return null;
  const sig = v.replace(/^0+(?=[0-9])/, '');
  return sig.length > 10 ? 0xffffffff : Math.min(Number(sig), 0xffffffff);
}

/** Method = INVITEm / ACKm / OPTIONSm / BYEm / CANCELm / REGISTERm / extension-method (a token). */
export function isMethod(s: string): boolean {
  return isToken(s);
}
