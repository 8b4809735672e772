/**
 * SIP, SIPS and TEL URIs: RFC 3261 §19.1 and §25.1 (SIP-URI, SIPS-URI), RFC 3966 (tel), RFC 5118
 * (IPv6 references `[2001:db8::1]`), plus RFC 3986 absoluteURI kept opaque for any other scheme
 * (RFC 3261 §8.2.2.1 answers those with 416 — that is the validator's job, not the parser's).
 *
 * Escapes (§19.1.2, `%HH`) are decoded into the model — `sip:%75se%72@h` has user "user" — and the
 * serializer escapes again every character that its component's grammar does not allow, so an
 * escaped "sips%3Auser%40example.com" user (RFC 4475 esc01) never turns into a sips: URI.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ParseError } from '../../core/errors.js';
import { ALPHA, DIGIT, isIn, UNRESERVED } from './grammar.js';

import type { Params } from './params.js';

export interface SipUri {
  scheme: 'sip' | 'sips';
  user: string | null;
  password: string | null;
  /** hostname / IPv4 as written; IPv6 without the brackets (`2001:db8::1`). */
  host: string;
  port: number | null;
  /** uri-parameters, names lower-cased and decoded, values decoded (null for `;lr`). */
  params: Params;
  /** `?name=value&...` headers, decoded, in order. */
  headers: Array<[string, string]>;
}

export interface TelUri {
  scheme: 'tel';
  number: string;
  params: Params;
}

/** Any other scheme (`http:`, `isbn:`, `nobodyKnowsThisScheme:`): kept as written. */
export interface OtherUri {
  scheme: string;
  opaque: string;
}

export type Uri = SipUri | TelUri | OtherUri;

export function isSipUri(u: Uri): u is SipUri {
  return u.scheme === 'sip' || u.scheme === 'sips';
}

export function isTelUri(u: Uri): u is TelUri {
  return u.scheme === 'tel';
}

function set(chars: string, base: Uint8Array = UNRESERVED): Uint8Array {
  const t = new Uint8Array(base);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  return t;
}

/** user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
const USER = set('&=+$,;?/');
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
const PASSWORD = set('&=+$,');
/** paramchar = param-unreserved / unreserved / escaped; param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$" */
const PARAMCHAR = set('[]/:&+$');
/** hname / hvalue = 1*( hnv-unreserved / unreserved / escaped ); hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$" */
const HNV = set('[]/?:+$');
/** hostname characters (alphanum, "-", ".") */
const HOSTNAME = set('-.', new Uint8Array(256));
for (let c = 0; c < 256; c++) if (isIn(ALPHA, c) || isIn(DIGIT, c)) HOSTNAME[c] = 1;
/** RFC 3966 phonedigit-hex / visual separators / "+" */
const TELNUM = set('+-.()*#', HOSTNAME);
/** RFC 3986 scheme chars after the first ALPHA */
const SCHEME = set('+-.', HOSTNAME);

const HEX = '0123456789ABCDEF';

/** Decode %HH escapes in `s`, checking every other char is in `allowed`. `at` is s[0]'s offset. */
function decode(s: string, allowed: Uint8Array, at: number, what: string): string {
  let hasEscape = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) throw new ParseError(`bad escape in URI ${what}`, at + i);
      hasEscape = true;
      i += 2;
    } else if (!isIn(allowed, c)) throw new ParseError(`invalid character in URI ${what}`, at + i);
  }
  if (!hasEscape) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Escape every byte (UTF-8) of `s` that `allowed` does not contain. */
export function escapeUri(s: string, allowed: Uint8Array): string {
  let plain = true;
  for (let i = 0; i < s.length && plain; i++) if (!isIn(allowed, s.charCodeAt(i))) plain = false;
  if (plain) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out += isIn(allowed, b) ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** host = hostname / IPv4address / IPv6reference; returns host (IPv6 without brackets) and the index after it. */
function parseHost(s: string, i: number, at: number): { host: string; next: number } {
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close < 0) throw new ParseError('unterminated IPv6 reference', at + i);
    const v6 = s.slice(i + 1, close);
    if (!isIPv6(v6)) throw new ParseError('invalid IPv6 address', at + i);
    return { host: v6, next: close + 1 };
  }
  let j = i;
  while (j < s.length && isIn(HOSTNAME, s.charCodeAt(j))) j++;
  const host = s.slice(i, j);
  if (host.length === 0) throw new ParseError('missing host', at + i);
  if (host.startsWith('-') || host.startsWith('.') || host.includes('..'))
    throw new ParseError('invalid hostname', at + i);
  return { host, next: j };
}

/** Accept only a 1*DIGIT port in 0..65535 (no Number precision games: at most 5 digits). */
function parsePort(s: string, at: number): number {
  if (!/^[0-9]{1,5}$/.test(s)) throw new ParseError('invalid port', at);
  const p = Number(s);
  if (p > 65535) throw new ParseError('port out of range', at);
  return p;
}

function parseUriParams(s: string, at: number, params: Params): void {
  if (s.length === 0) return;
  let pos = 0;
  for (const part of s.split(';')) {
    if (part.length === 0) throw new ParseError('empty URI parameter', at + pos);
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq), PARAMCHAR, at + pos, 'parameter').toLowerCase();
    const value = eq < 0 ? null : decode(part.slice(eq + 1), PARAMCHAR, at + pos + eq + 1, 'parameter');
    if (name.length === 0 || value === '') throw new ParseError('empty URI parameter', at + pos);
    // RFC 3261 §19.1.1: "Any given parameter MUST appear at most once."
    if (params.has(name)) throw new ParseError(`duplicate URI parameter ${name}`, at + pos);
    if (params.size >= 64) throw new ParseError('too many URI parameters', at + pos);
    params.set(name, value);
    pos += part.length + 1;
  }
}

function parseSip(scheme: 'sip' | 'sips', s: string, at: number): SipUri {
  let rest = s;
  let headersText: string | null = null;
  let user: string | null = null;
  let password: string | null = null;
  let pos = 0;
  // The user part may hold ";" "?" "/" "," (user-unreserved) but no "@", and neither
  // uri-parameters nor headers may hold "@", so the first "@" ends the userinfo (RFC 4475
  // semiuri, intmeth).
  const atSign = rest.indexOf('@');
  if (atSign >= 0) {
    const userinfo = rest.slice(0, atSign);
    const colon = userinfo.indexOf(':');
    const u = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (u.length === 0) throw new ParseError('empty user in URI', at);
    user = decode(u, USER, at, 'user');
    if (colon >= 0) password = decode(userinfo.slice(colon + 1), PASSWORD, at + colon + 1, 'password');
    pos = atSign + 1;
  }
  const qAfter = rest.indexOf('?', pos);
  if (qAfter >= 0) {
    headersText = rest.slice(qAfter + 1);
    rest = rest.slice(0, qAfter);
  }
  const { host, next } = parseHost(rest, pos, at);
  let i = next;
  let port: number | null = null;
  if (rest.charCodeAt(i) === 0x3a) {
    let j = i + 1;
    while (j < rest.length && rest.charCodeAt(j) !== 0x3b) j++;
    port = parsePort(rest.slice(i + 1, j), at + i + 1);
    i = j;
  }
  const params: Params = new Map();
  if (i < rest.length) {
    if (rest.charCodeAt(i) !== 0x3b) throw new ParseError('invalid character after host', at + i);
    parseUriParams(rest.slice(i + 1), at + i + 1, params);
  }
  const headers: Array<[string, string]> = [];
  if (headersText !== null) {
    const hAt = at + (qAfter >= 0 ? qAfter + 1 : 0);
    let hp = 0;
    for (const h of headersText.split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw new ParseError('URI header without "="', hAt + hp);
      headers.push([decode(h.slice(0, eq), HNV, hAt + hp, 'header'), decode(h.slice(eq + 1), HNV, hAt + hp + eq + 1, 'header')]);
      hp += h.length + 1;
    }
  }
  return { scheme, user, password, host, port, params, headers };
}

function parseTel(s: string, at: number): TelUri {
  const semi = s.indexOf(';');
  const number = semi < 0 ? s : s.slice(0, semi);
  if (number.length === 0) throw new ParseError('empty tel number', at);
  for (let i = 0; i < number.length; i++)
    if (!isIn(TELNUM, number.charCodeAt(i))) throw new ParseError('invalid character in tel number', at + i);
  const params: Params = new Map();
  if (semi >= 0) parseUriParams(s.slice(semi + 1), at + semi + 1, params);
  return { scheme: 'tel', number, params };
}

/**
 * Parse a URI that has already been cut out of its context (the Request-URI token, the inside of
 * `<...>`, or an addr-spec). `at` is the offset of `text[0]` in the message, for error positions.
 */
export function parseUri(text: string, at = 0): Uri {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new ParseError('URI without scheme', at);
  if (!isIn(ALPHA, text.charCodeAt(0))) throw new ParseError('URI scheme must start with a letter', at);
  for (let i = 1; i < colon; i++)
    if (!isIn(SCHEME, text.charCodeAt(i))) throw new ParseError('invalid character in URI scheme', at + i);
  const scheme = text.slice(0, colon).toLowerCase();
  const rest = text.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSip(scheme, rest, at + colon + 1);
  if (scheme === 'tel') return parseTel(rest, at + colon + 1);
  if (rest.length === 0) throw new ParseError('empty URI', at + colon + 1);
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    // RFC 3986 characters are printable ASCII without SP, DQUOTE, "<", ">", "\", "^", "`", "{", "|", "}".
    if (c <= 0x20 || c >= 0x7f || c === 0x22 || c === 0x3c || c === 0x3e)
      throw new ParseError('invalid character in URI', at + colon + 1 + i);
  }
  return { scheme, opaque: rest };
}

export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function serializeUriParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${escapeUri(k, PARAMCHAR)}` : `;${escapeUri(k, PARAMCHAR)}=${escapeUri(v, PARAMCHAR)}`;
  return out;
}

export function serializeUri(u: Uri): string {
  if (isSipUri(u)) {
    let out = `${u.scheme}:`;
    if (u.user !== null) {
      out += escapeUri(u.user, USER);
      if (u.password !== null) out += `:${escapeUri(u.password, PASSWORD)}`;
      out += '@';
    }
    out += formatHost(u.host);
    if (u.port !== null) out += `:${u.port}`;
    out += serializeUriParams(u.params);
    if (u.headers.length > 0) out += `?${u.headers.map(([k, v]) => `${escapeUri(k, HNV)}=${escapeUri(v, HNV)}`).join('&')}`;
    return out;
  }
  if (isTelUri(u)) return `tel:${u.number}${serializeUriParams(u.params)}`;
  return `${u.scheme}:${(u as OtherUri).opaque}`;
}

/** True when `host` is a literal address rather than a name (RFC 3263 skips DNS for these). */
export function isIpLiteral(host: string): boolean {
  return isIPv4(host) || isIPv6(host);
}

/** Convenience constructor for building requests: `sipUri({ user: '1001', host: 'pbx.local' })`. */
export function sipUri(p: Partial<SipUri> & { host: string }): SipUri {
  return {
    scheme: p.scheme ?? 'sip',
    user: p.user ?? null,
    password: p.password ?? null,
    host: p.host,
    port: p.port ?? null,
    params: p.params ?? new Map(),
    headers: p.headers ?? [],
  };
}
