/**
 * Contact header values, RFC 3261 §20.10 and §25.1:
 *   Contact = ("Contact" / "m" ) HCOLON ( STAR / (contact-param *(COMMA contact-param)))
 *   contact-params = c-p-q / c-p-expires / contact-extension
 *   qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
 * RFC 3261 §10.2.2: "*" is only meaningful on REGISTER with Expires: 0; that check lives in the
 * validator. Expires beyond 2^32-1 is clamped (RFC 4475 scalar02) rather than overflowing.
 */
import { ParseError } from '../../core/errors.js';
import { Scanner } from './grammar.js';
import { NameAddr, scanAddress, serializeNameAddr } from './name-addr.js';
import { parseParams } from './params.js';

export const MAX_DELTA_SECONDS = 0xffffffff;

export class Contact extends NameAddr {
  /** c-p-expires in seconds (clamped to 2^32-1); null when absent or not a number. */
  get expires(): number | null {
    const v = this.params.get('expires');
    if (v === undefined || v === null) return null;
    return parseDeltaSeconds(v);
  }

  set expires(v: number | null) {
    if (v === null) this.params.delete('expires');
    else this.params.set('expires', String(Math.min(Math.max(0, Math.floor(v)), MAX_DELTA_SECONDS)));
  }

  /** c-p-q in 0..1; null when absent. */
  get q(): number | null {
    const v = this.params.get('q');
    return v === undefined || v === null ? null : Number(v);
  }

  override clone(): Contact {
    const c = super.clone();
    return new Contact(c.uri, c.displayName, c.params);
  }
}

/** The `*` wildcard of REGISTER (remove all bindings). */
export const WILDCARD = '*' as const;
export type ContactValue = Contact | typeof WILDCARD;

/** delta-seconds = 1*DIGIT, clamped to 2^32-1; null for anything that is not digits. */
export function parseDeltaSeconds(v: string): number | null {
  if (!/^[0-9]+$/.test(v)) return null;
  const trimmed = v.replace(/^0+(?=[0-9])/, '');
  if (trimmed.length > 10) return MAX_DELTA_SECONDS;
  return Math.min(Number(trimmed), MAX_DELTA_SECONDS);
}

const QVALUE = /^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/;

export function parseContact(value: string, offset = 0): ContactValue {
  if (value.trim() === '*') return WILDCARD;
  const sc = new Scanner(value, offset);
  const { uri, displayName } = scanAddress(sc);
  const at = sc.i;
  const params = parseParams(sc);
  sc.end('Contact');
  const q = params.get('q');
  if (q !== undefined && (q === null || !QVALUE.test(q))) throw new ParseError('bad Contact q-value', offset + at);
  const expires = params.get('expires');
  if (expires !== undefined && (expires === null || !/^[0-9]+$/.test(expires)))
    throw new ParseError('bad Contact expires', offset + at);
  return new Contact(uri, displayName, params);
}

export function serializeContact(c: ContactValue): string {
  return c === WILDCARD ? '*' : serializeNameAddr(c);
}
