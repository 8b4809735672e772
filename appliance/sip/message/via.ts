/**
 * Via header values, RFC 3261 §20.42 and §25.1, with RFC 3581 (rport) and RFC 5118 §4.5 (IPv6
 * `received`, bracketed or not):
 *   via-parm      = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 *   sent-by       = host [ COLON port ]
 *   via-params    = via-ttl / via-maddr / via-received / via-branch / via-extension
 * LWS is allowed around every SLASH, COLON, SEMI and EQUAL (RFC 4475 wsinv).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { DIGIT, Scanner } from './grammar.js';
import { parseParams, serializeParams, type Params } from './params.js';
import { formatHost } from './uri.js';

/** RFC 3261 §8.1.1.7: "The branch ID inserted by an element compliant with this specification MUST always begin with the characters "z9hG4bK"." */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

const HOSTCHARS = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    const ch = String.fromCharCode(c);
    if (/[A-Za-z0-9.-]/.test(ch)) t[c] = 1;
  }
  return t;
})();

export class Via {
  constructor(
    public transport: string,
    public host: string,
    public port: number | null = null,
    public params: Params = new Map(),
    public protocol = 'SIP',
    public version = '2.0',
  ) {}

  get branch(): string | null {
    return this.params.get('branch') ?? null;
  }

  set branch(v: string | null) {
    setOrDelete(this.params, 'branch', v);
  }

  /** RFC 3261 §18.2.1: the source address added by the server transport. */
  get received(): string | null {
    const v = this.params.get('received') ?? null;
    return v !== null && v.startsWith('[') ? v.slice(1, -1) : v;
  }

  set received(v: string | null) {
    setOrDelete(this.params, 'received', v);
  }

  /** RFC 3581: `null` when absent, `true` when present without a value (a request), else the port. */
  get rport(): number | true | null {
    if (!this.params.has('rport')) return null;
    const v = this.params.get('rport');
    return v === null || v === undefined ? true : Number(v);
  }

  set rport(v: number | true | null) {
    if (v === null) this.params.delete('rport');
    else this.params.set('rport', v === true ? null : String(v));
  }

  get maddr(): string | null {
    return this.params.get('maddr') ?? null;
  }

  get ttl(): number | null {
    const v = this.params.get('ttl');
    return v === undefined || v === null ? null : Number(v);
  }

  /** True for an RFC 3261 branch (magic cookie present). RFC 2543 peers send none (RFC 4475 inv2543). */
  get isRfc3261Branch(): boolean {
    const b = this.branch;
    return b !== null && b.startsWith(BRANCH_MAGIC_COOKIE);
  }

  clone(): Via {
    return new Via(this.transport, this.host, this.port, new Map(this.params), this.protocol, this.version);
  }
}

function setOrDelete(p: Params, k: string, v: string | null): void {
  if (v === null) p.delete(k);
  else p.set(k, v);
}

function checkParams(sc: Scanner, params: Params, at: number): void {
  const received = params.get('received');
  if (received !== undefined) {
    const r = received ?? '';
    const bare = r.startsWith('[') && r.endsWith(']') ? r.slice(1, -1) : r;
    if (!(isIPv4(bare) || isIPv6(bare))) sc.fail('Via received is not an IP address', at);
  }
  const rport = params.get('rport');
  if (rport !== undefined && rport !== null && !/^[0-9]{1,5}$/.test(rport)) sc.fail('bad Via rport', at);
  if (rport && Number(rport) > 65535) sc.fail('Via rport out of range', at);
  const ttl = params.get('ttl');
  if (ttl !== undefined && (ttl === null || !/^[0-9]{1,3}$/.test(ttl) || Number(ttl) > 255)) sc.fail('bad Via ttl', at);
  const branch = params.get('branch');
  if (branch === null) sc.fail('Via branch without value', at);
  const maddr = params.get('maddr');
  if (maddr === null) sc.fail('Via maddr without value', at);
}

/** Parse one via-parm (the list has already been split on commas). */
export function parseVia(value: string, offset = 0): Via {
  const sc = new Scanner(value, offset);
  sc.skipWs();
  const protocol = sc.token('protocol name').toUpperCase();
  sc.expect(0x2f, '"/" in Via');
  const version = sc.token('protocol version');
  sc.expect(0x2f, '"/" in Via');
  const transport = sc.token('transport').toUpperCase();
  sc.skipWs();
  if (sc.done) sc.fail('missing Via sent-by');
  let host: string;
  if (sc.peek() === 0x5b) {
    const close = sc.s.indexOf(']', sc.i);
    if (close < 0) sc.fail('unterminated IPv6 reference');
    host = sc.s.slice(sc.i + 1, close);
    if (!isIPv6(host)) sc.fail('invalid IPv6 address in Via');
    sc.i = close + 1;
  } else {
    host = sc.run(HOSTCHARS);
    if (host.length === 0) sc.fail('missing Via host');
  }
  let port: number | null = null;
  if (sc.eat(0x3a)) {
    const at = sc.i;
    const digits = sc.run(DIGIT);
    if (digits.length === 0 || digits.length > 5 || Number(digits) > 65535) sc.fail('bad Via port', at);
    port = Number(digits);
  }
  const at = sc.i;
  const params = parseParams(sc);
  sc.end('Via');
  checkParams(sc, params, at);
  return new Via(transport, host, port, params, protocol, version);
}

export function serializeVia(v: Via): string {
  const port = v.port === null ? '' : `:${v.port}`;
  return `${v.protocol}/${v.version}/${v.transport} ${formatHost(v.host)}${port}${serializeParams(v.params)}`;
}

