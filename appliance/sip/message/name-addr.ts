/**
 * name-addr / addr-spec with header parameters, RFC 3261 §25.1 and §20.10:
 *   name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 * Used by From, To, Contact, Route, Record-Route, Reply-To, Refer-To, Referred-By, Path,
 * P-Asserted-Identity. RFC 3261 §20.10: "If the URI is not enclosed in angle brackets, any
 * semicolon-delimited parameters are header-parameters, not URI parameters" and "if the URI
 * contains a comma, question mark or semicolon, the URI MUST be enclosed in angle brackets".
 */
import { isIn, isWs, quote, Scanner, TOKEN } from './grammar.js';
import { parseParams, serializeParams, type Params } from './params.js';
import { parseUri, serializeUri, type Uri } from './uri.js';

export class NameAddr {
  constructor(
    public uri: Uri,
    public displayName: string | null = null,
    public params: Params = new Map(),
  ) {}

  /** RFC 3261 §19.3 tag (From/To). */
  get tag(): string | null {
    return this.params.get('tag') ?? null;
  }

  set tag(v: string | null) {
    if (v === null) this.params.delete('tag');
    else this.params.set('tag', v);
  }

  clone(): NameAddr {
    return new NameAddr(structuredCloneUri(this.uri), this.displayName, new Map(this.params));
  }
}

export function structuredCloneUri(u: Uri): Uri {
  const c = { ...u } as Uri & { params?: Params; headers?: Array<[string, string]> };
  if (c.params) c.params = new Map(c.params);
  if (c.headers) c.headers = c.headers.map(([k, v]) => [k, v] as [string, string]);
  return c;
}

/** Read the name-addr or addr-spec part; leaves the scanner before any header parameters. */
export function scanAddress(sc: Scanner): { uri: Uri; displayName: string | null } {
  sc.skipWs();
  let displayName: string | null = null;
  if (sc.peek() === 0x22) {
    displayName = sc.quotedString();
    sc.skipWs();
    if (sc.peek() !== 0x3c) sc.fail('expected "<" after display name');
  } else {
    const start = sc.i;
    while (!sc.done) {
      const c = sc.peek();
      if (!isIn(TOKEN, c) && !isWs(c)) break;
      sc.i++;
    }
    const c = sc.peek();
    if (c === 0x3c) {
      const dn = sc.s.slice(start, sc.i).trim();
      displayName = dn.length > 0 ? dn : null;
    } else if (c === 0x3a && start < sc.i && !isWs(sc.s.charCodeAt(sc.i - 1))) {
      // addr-spec: what we read was the scheme.
      sc.i = start;
      let end = start;
      while (end < sc.s.length) {
        const e = sc.s.charCodeAt(end);
        if (e === 0x3b || isWs(e)) break;
        end++;
      }
      const text = sc.s.slice(start, end);
      const bad = /[?,]/.exec(text);
      if (bad) sc.fail('URI with "?" or "," must be enclosed in <>', start + bad.index);
      const uri = parseUri(text, sc.base + start);
      sc.i = end;
      return { uri, displayName: null };
    } else {
      sc.fail('expected display name, "<" or URI');
    }
  }
  const open = sc.i;
  const close = sc.s.indexOf('>', open + 1);
  if (close < 0) sc.fail('missing ">"', open);
  const uri = parseUri(sc.s.slice(open + 1, close), sc.base + open + 1);
  sc.i = close + 1;
  return { uri, displayName };
}

/** Parse one complete name-addr/addr-spec header value with its parameters. */
export function parseNameAddr(value: string, offset = 0): NameAddr {
  const sc = new Scanner(value, offset);
  const { uri, displayName } = scanAddress(sc);
  const params = parseParams(sc);
  sc.end('address header');
  return new NameAddr(uri, displayName, params);
}

export function serializeNameAddr(na: NameAddr): string {
  const dn = na.displayName === null ? '' : `${quote(na.displayName)} `;
  return `${dn}<${serializeUri(na.uri)}>${serializeParams(na.params)}`;
}
