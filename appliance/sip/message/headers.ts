/**
 * The header collection of a SIP message, RFC 3261 §7.3: ordered, case-insensitive names,
 * compact forms (§7.3.3 and the RFCs that add them), and multiple values. A header whose grammar is
 * a comma list (`Via`, `Contact`, `Route`, ...) is stored one entry per value, in order, so
 * `Via: a, b` and two `Via:` lines are the same collection (§7.3.1). Other headers (Date,
 * WWW-Authenticate, unknown ones) keep their value whole: their commas are not separators.
 *
 * Typed access parses a value once and caches the object on the entry; the serializer writes the
 * cached object back, so a caller may edit `msg.via()[0].received` and the bytes follow.
 */
import { parseAuth, serializeAuth, type AuthValue } from './auth.js';
import { parseContact, serializeContact, type ContactValue } from './contact.js';
import { splitList } from './grammar.js';
import { NameAddr, parseNameAddr, serializeNameAddr } from './name-addr.js';
import { parseCallId, parseContentLength, parseCSeq, parseMaxForwards, serializeCSeq, type CSeq } from './scalars.js';
import { parseVia, serializeVia, Via } from './via.js';

/** Compact forms: RFC 3261 §7.3.3 (i m f t v l c k e s), RFC 3265 (o u), RFC 3515 (r), RFC 4028 (x), RFC 3892 (b), RFC 3841 (a j d), RFC 4474 (y n). */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  f: 'from',
  t: 'to',
  v: 'via',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  e: 'content-encoding',
  s: 'subject',
  o: 'event',
  r: 'refer-to',
  u: 'allow-events',
  x: 'session-expires',
  b: 'referred-by',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
  n: 'identity-info',
};

const CANONICAL: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
    'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition',
    'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info',
    'Event', 'Expires', 'From', 'History-Info', 'Identity', 'Identity-Info', 'In-Reply-To', 'Max-Forwards',
    'Min-Expires', 'Min-SE', 'MIME-Version', 'Organization', 'P-Asserted-Identity', 'P-Preferred-Identity',
    'Path', 'Priority', 'Privacy', 'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck',
    'Reason', 'Record-Route', 'Refer-To', 'Referred-By', 'Reject-Contact', 'Replaces', 'Reply-To',
    'Request-Disposition', 'Require', 'Retry-After', 'Route', 'RSeq', 'Server', 'Service-Route',
    'Session-Expires', 'SIP-ETag', 'SIP-If-Match', 'Subject', 'Subscription-State', 'Supported',
    'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate',
  ].map((n) => [n.toLowerCase(), n]),
);

/** Headers whose grammar is `x *(COMMA x)`, split into one entry per element. */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'accept', 'accept-contact', 'accept-encoding', 'accept-language', 'alert-info', 'allow', 'allow-events',
  'call-info', 'contact', 'content-encoding', 'content-language', 'error-info', 'history-info', 'in-reply-to',
  'p-asserted-identity', 'p-preferred-identity', 'path', 'proxy-require', 'reason', 'record-route',
  'reject-contact', 'require', 'route', 'service-route', 'supported', 'unsupported', 'via', 'warning',
]);

/** Lower-case long name for any spelling: `V`, `via`, `VIA` → `via`. */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT_FORMS[lower] ?? lower) : lower;
}

/** Canonical spelling for serialization: `call-id` → `Call-ID`; unknown names keep their spelling. */
export function canonicalName(name: string): string {
  return CANONICAL[headerKey(name)] ?? name;
}

interface TypedCodec<T> {
  parse(value: string, offset: number): T;
  serialize(v: T): string;
}

const nameAddr: TypedCodec<NameAddr> = { parse: parseNameAddr, serialize: serializeNameAddr };
const challenge: TypedCodec<AuthValue> = { parse: parseAuth, serialize: (v) => serializeAuth(v, 'challenge') };
const credentials: TypedCodec<AuthValue> = { parse: parseAuth, serialize: (v) => serializeAuth(v, 'credentials') };

/** The typed headers this module understands, by key. */
export interface TypedHeaders {
  via: Via;
  from: NameAddr;
  to: NameAddr;
  contact: ContactValue;
  route: NameAddr;
  'record-route': NameAddr;
  path: NameAddr;
  'service-route': NameAddr;
  'reply-to': NameAddr;
  'refer-to': NameAddr;
  'referred-by': NameAddr;
  'p-asserted-identity': NameAddr;
  'p-preferred-identity': NameAddr;
  cseq: CSeq;
  'call-id': string;
  'max-forwards': number;
  'content-length': number;
  authorization: AuthValue;
  'proxy-authorization': AuthValue;
  'www-authenticate': AuthValue;
  'proxy-authenticate': AuthValue;
}
export type TypedKey = keyof TypedHeaders;

const CODECS: { [K in TypedKey]: TypedCodec<TypedHeaders[K]> } = {
  via: { parse: parseVia, serialize: serializeVia },
  from: nameAddr,
  to: nameAddr,
  contact: { parse: parseContact, serialize: serializeContact },
  route: nameAddr,
  'record-route': nameAddr,
  path: nameAddr,
  'service-route': nameAddr,
  'reply-to': nameAddr,
  'refer-to': nameAddr,
  'referred-by': nameAddr,
  'p-asserted-identity': nameAddr,
  'p-preferred-identity': nameAddr,
  cseq: { parse: parseCSeq, serialize: serializeCSeq },
  'call-id': { parse: parseCallId, serialize: (v) => v },
  'max-forwards': { parse: parseMaxForwards, serialize: String },
  'content-length': { parse: parseContentLength, serialize: String },
  authorization: credentials,
  'proxy-authorization': credentials,
  'www-authenticate': challenge,
  'proxy-authenticate': challenge,
};

export function isTypedKey(key: string): key is TypedKey {
  return Object.hasOwn(CODECS, key);
}

export interface HeaderEntry {
  /** Spelling for output (canonical long form for known headers). */
  readonly name: string;
  /** Lower-case long name used for lookup. */
  readonly key: string;
  /** The value as received (unfolded, trimmed) or as set. */
  raw: string;
  /** Offset of the value in the parsed message, for error positions; -1 when built in code. */
  readonly offset: number;
  /** Cached typed value (see TypedHeaders); serialization prefers it. */
  parsed?: unknown;
}

export class Headers {
  private readonly list: HeaderEntry[] = [];

  get size(): number {
    return this.list.length;
  }

  entries(): readonly HeaderEntry[] {
    return this.list;
  }

  /** Add one value as received (no list splitting: the parser does that). */
  addRaw(name: string, raw: string, offset = -1): HeaderEntry {
    const key = headerKey(name);
    const e: HeaderEntry = { name: CANONICAL[key] ?? name, key, raw, offset };
    this.list.push(e);
    return e;
  }

  /** Canonical spelling of `name` (for messages and logs). */
  canonical(name: string): string {
    return canonicalName(name);
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.list.some((e) => e.key === key);
  }

  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const e of this.list) if (e.key === key) n++;
    return n;
  }

  /** First value as text, or undefined. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    const e = this.list.find((x) => x.key === key);
    return e === undefined ? undefined : valueOf(e);
  }

  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const e of this.list) if (e.key === key) out.push(valueOf(e));
    return out;
  }

  /** Append values (a list header given as "a, b" is split into entries). */
  append(name: string, value: string | number): void {
    const text = String(value);
    const key = headerKey(name);
    if (LIST_HEADERS.has(key) && text.trim().length > 0) for (const el of splitList(text, 0)) this.addRaw(name, el.value);
    else this.addRaw(name, text);
  }

  /** Insert a value before every other entry of that name (a new top Via), or at the top. */
  prepend(name: string, value: string): void {
    const key = headerKey(name);
    const idx = this.list.findIndex((e) => e.key === key);
    const e: HeaderEntry = { name: CANONICAL[key] ?? name, key, raw: value, offset: -1 };
    this.list.splice(idx < 0 ? 0 : idx, 0, e);
  }

  /** Replace every value of `name` by `value`, at the position of the first one. */
  set(name: string, value: string | number): void {
    const key = headerKey(name);
    const idx = this.list.findIndex((e) => e.key === key);
    this.delete(name);
    const e: HeaderEntry = { name: CANONICAL[key] ?? name, key, raw: String(value), offset: -1 };
    this.list.splice(idx < 0 ? this.list.length : idx, 0, e);
  }

  delete(name: string): number {
    const key = headerKey(name);
    let removed = 0;
    for (let i = this.list.length - 1; i >= 0; i--) {
      if (this.list[i]?.key === key) {
        this.list.splice(i, 1);
        removed++;
      }
    }
    return removed;
  }

  /** Typed values of a known header, parsed once and cached; throws ParseError on bad syntax. */
  typed<K extends TypedKey>(key: K): Array<TypedHeaders[K]> {
    const codec = CODECS[key];
    const out: Array<TypedHeaders[K]> = [];
    for (const e of this.list) {
      if (e.key !== key) continue;
      if (e.parsed === undefined) e.parsed = codec.parse(e.raw, Math.max(0, e.offset));
      out.push(e.parsed as TypedHeaders[K]);
    }
    return out;
  }

  /** The single typed value of a header that must appear once; undefined when absent. */
  single<K extends TypedKey>(key: K): TypedHeaders[K] | undefined {
    return this.typed(key)[0];
  }

  /** Append a typed value (kept as an object; serialized when the message is written). */
  appendTyped<K extends TypedKey>(key: K, value: TypedHeaders[K]): void {
    const e = this.addRaw(key, '');
    e.parsed = value;
  }

  /** Prepend a typed value before the others of its name (new top Via). */
  prependTyped<K extends TypedKey>(key: K, value: TypedHeaders[K]): void {
    const idx = this.list.findIndex((e) => e.key === key);
    const e: HeaderEntry = { name: CANONICAL[key] ?? key, key, raw: '', offset: -1, parsed: value };
    this.list.splice(idx < 0 ? 0 : idx, 0, e);
  }

  /** Replace every value of a typed header by `value`. */
  setTyped<K extends TypedKey>(key: K, value: TypedHeaders[K]): void {
    this.set(key, '');
    const e = this.list.find((x) => x.key === key);
    if (e) e.parsed = value;
  }

  clone(): Headers {
    const h = new Headers();
    for (const e of this.list) h.list.push({ name: e.name, key: e.key, raw: valueOf(e), offset: e.offset });
    return h;
  }
}

/** Text of an entry: the cached typed object re-serialized, or the raw value. */
export function valueOf(e: HeaderEntry): string {
  if (e.parsed !== undefined && isTypedKey(e.key)) {
    const codec = CODECS[e.key] as TypedCodec<unknown>;
    return codec.serialize(e.parsed);
  }
  return e.raw;
}

/** Parse every known typed header now, so syntax errors surface as ParseError at parse time. */
export function parseTypedNow(h: Headers, keys: readonly TypedKey[]): void {
  for (const k of keys) h.typed(k);
}

