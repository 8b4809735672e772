/**
 * Authorization, Proxy-Authorization, WWW-Authenticate and Proxy-Authenticate values: RFC 3261
 * §20.7, §20.27, §20.28, §20.44 and §25.1, with the Digest parameters of RFC 7616 (SHA-256,
 * userhash, username* in RFC 8187 encoding):
 *   challenge   = ("Digest" LWS digest-cln *(COMMA digest-cln)) / other-challenge
 *   auth-param  = auth-param-name EQUAL ( token / quoted-string )
 * Parameter values are stored unquoted (quoted-pairs resolved, RFC 4475 style `\"`); the
 * serializer quotes the parameters RFC 7616 §3.3/§3.4 shows quoted and leaves tokens bare.
 * Unknown schemes (RFC 4475 regaut01 "NoOneKnowsThisScheme") parse as a scheme plus params, or
 * plus opaque text when the params do not follow the auth-param grammar.
 */
import { ParseError } from '../../core/errors.js';
import { isToken, quote, Scanner, TOKEN } from './grammar.js';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

export interface AuthValue {
  /** As sent; compare case-insensitively ("Digest"). */
  scheme: string;
  /** Parameter names lower-cased, values unquoted, in order. */
  params: Map<string, string>;
  /** Text after the scheme when it is not auth-params (e.g. token68); null otherwise. */
  opaque: string | null;
}

/** WWW-Authenticate / Proxy-Authenticate Digest challenge (RFC 7616 §3.3). */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | null;
  stale: boolean;
  algorithm: string;
  /** qop-options, e.g. ['auth'] or ['auth', 'auth-int']; empty for RFC 2069 style. */
  qop: string[];
  domain: string | null;
  userhash: boolean;
}

/** Authorization / Proxy-Authorization Digest credentials (RFC 7616 §3.4). */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: string;
  cnonce: string | null;
  opaque: string | null;
  qop: string | null;
  /** nonce-count, 8 hex digits as sent ("00000001"). */
  nc: string | null;
  userhash: boolean;
}

const VALUE_CHARS = (() => {
  // token, plus the characters seen unquoted in the wild for uri/nc values ("/", ":", "@", "[", "]").
  const t = new Uint8Array(TOKEN);
  for (const c of '/:@[]') t[c.charCodeAt(0)] = 1;
  return t;
})();

export function parseAuth(value: string, offset = 0): AuthValue {
  const sc = new Scanner(value, offset);
  sc.skipWs();
  const scheme = sc.token('auth scheme');
  const params = new Map<string, string>();
  sc.skipWs();
  if (sc.done) return { scheme, params, opaque: null };
  const save = sc.i;
  try {
    for (;;) {
      const at = sc.i;
      const name = sc.token('auth-param name').toLowerCase();
      sc.expect(0x3d, '"=" in auth-param');
      const v = sc.peek() === 0x22 ? sc.quotedString() : sc.run(VALUE_CHARS);
      if (params.has(name)) sc.fail(`duplicate auth-param ${name}`, at);
      params.set(name, v);
      sc.skipWs();
      if (sc.done) break;
      sc.expect(0x2c, '","');
      if (params.size > 32) sc.fail('too many auth-params');
    }
  } catch (err) {
    if (!(err instanceof ParseError) || scheme.toLowerCase() === 'digest') throw err;
    sc.i = save;
    return { scheme, params: new Map(), opaque: sc.rest().trim() };
  }
  return { scheme, params, opaque: null };
}

/** Parameters quoted on the wire (RFC 7616 §3.3, §3.4); all others are tokens. */
const QUOTED = new Set(['realm', 'nonce', 'opaque', 'domain', 'username', 'uri', 'response', 'cnonce']);

export function serializeAuth(a: AuthValue, role: 'challenge' | 'credentials' = 'credentials'): string {
  if (a.opaque !== null) return `${a.scheme} ${a.opaque}`;
  const parts: string[] = [];
  for (const [k, v] of a.params) {
    // RFC 7616 §3.3: qop-options is quoted in a challenge; §3.4: message-qop is a bare token.
    const mustQuote = QUOTED.has(k) || (k === 'qop' && role === 'challenge') || (!k.endsWith('*') && !isToken(v));
    parts.push(`${k}=${mustQuote ? quote(v) : v}`);
  }
  return parts.length === 0 ? a.scheme : `${a.scheme} ${parts.join(', ')}`;
}

function required(a: AuthValue, name: string, offset: number): string {
  const v = a.params.get(name);
  if (v === undefined) throw new ParseError(`Digest ${name} missing`, offset);
  return v;
}

function isDigest(a: AuthValue, offset: number): void {
  if (a.scheme.toLowerCase() !== 'digest') throw new ParseError(`not a Digest value (${a.scheme})`, offset);
}

export function digestChallenge(a: AuthValue, offset = 0): DigestChallenge {
  isDigest(a, offset);
  const qop = a.params.get('qop');
  return {
    realm: required(a, 'realm', offset),
    nonce: required(a, 'nonce', offset),
    opaque: a.params.get('opaque') ?? null,
    stale: (a.params.get('stale') ?? '').toLowerCase() === 'true',
    algorithm: a.params.get('algorithm') ?? 'MD5',
    qop: qop === undefined ? [] : qop.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
    domain: a.params.get('domain') ?? null,
    userhash: (a.params.get('userhash') ?? '').toLowerCase() === 'true',
  };
}

/** RFC 8187 ext-value: UTF-8''percent-encoded (RFC 7616 §3.4 username*). */
function decodeExtValue(v: string, offset: number): string {
  const m = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'[A-Za-z0-9-]*'(.*)$/.exec(v);
  if (!m || (m[1] ?? '').toLowerCase() !== 'utf-8') throw new ParseError('bad username* encoding', offset);
  try {
    return decodeURIComponent(m[2] ?? '');
  } catch {
    throw new ParseError('bad username* escape', offset);
  }
}

export function digestCredentials(a: AuthValue, offset = 0): DigestCredentials {
  isDigest(a, offset);
  const star = a.params.get('username*');
  const plain = a.params.get('username');
  if (star !== undefined && plain !== undefined) throw new ParseError('both username and username*', offset);
  const username = star !== undefined ? decodeExtValue(star, offset) : required(a, 'username', offset);
  const nc = a.params.get('nc') ?? null;
  if (nc !== null && !/^[0-9a-fA-F]{8}$/.test(nc)) throw new ParseError('Digest nc must be 8 hex digits', offset);
  const qop = a.params.get('qop') ?? null;
  if (qop !== null && (!isToken(qop) || a.params.get('cnonce') === undefined || nc === null))
    throw new ParseError('Digest qop needs cnonce and nc', offset);
  return {
    username,
    realm: required(a, 'realm', offset),
    nonce: required(a, 'nonce', offset),
    uri: required(a, 'uri', offset),
    response: required(a, 'response', offset),
    algorithm: a.params.get('algorithm') ?? 'MD5',
    cnonce: a.params.get('cnonce') ?? null,
    opaque: a.params.get('opaque') ?? null,
    qop,
    nc,
    userhash: (a.params.get('userhash') ?? '').toLowerCase() === 'true',
  };
}

function build(scheme: string, entries: Array<[string, string | null | undefined]>): AuthValue {
  const params = new Map<string, string>();
  for (const [k, v] of entries) if (v !== null && v !== undefined) params.set(k, v);
  return { scheme, params, opaque: null };
}

export function challengeValue(c: DigestChallenge): AuthValue {
  return build('Digest', [
    ['realm', c.realm],
    ['domain', c.domain],
    ['nonce', c.nonce],
    ['opaque', c.opaque],
    ['stale', c.stale ? 'true' : null],
    ['algorithm', c.algorithm],
    ['qop', c.qop.length > 0 ? c.qop.join(',') : null],
    ['userhash', c.userhash ? 'true' : null],
  ]);
}

export function credentialsValue(c: DigestCredentials): AuthValue {
  return build('Digest', [
    ['username', c.username],
    ['realm', c.realm],
    ['nonce', c.nonce],
    ['uri', c.uri],
    ['response', c.response],
    ['algorithm', c.algorithm],
    ['cnonce', c.cnonce],
    ['opaque', c.opaque],
    ['qop', c.qop],
    ['nc', c.nc],
    ['userhash', c.userhash ? 'true' : null],
  ]);
}

