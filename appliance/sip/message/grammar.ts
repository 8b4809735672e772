/**
 * Lexical pieces of the SIP grammar, RFC 3261 §25.1 (basic rules): token, word, quoted-string,
 * LWS/SWS, and a small Scanner that walks a header value and raises ParseError with the offset
 * of the failing character. Pure: no I/O, no logging. Every read checks its bound first, so a
 * truncated value gives a ParseError, never a RangeError.
 */
import { ParseError } from '../../core/errors.js';

function table(chars: string, ranges: Array<[number, number]> = []): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  for (const [lo, hi] of ranges) for (let c = lo; c <= hi; c++) t[c] = 1;
  return t;
}

const ALNUM: Array<[number, number]> = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
];

/** RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" ) */
export const TOKEN = table("-.!%*_+`'~", ALNUM);
/** RFC 3261 §25.1: word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" /
 * "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}" ) */
export const WORD = table('-.!%*_+`\'~()<>:\\"/[]?{}', ALNUM);
export const DIGIT = table('', [[0x30, 0x39]]);
export const ALPHA = table('', [
  [0x41, 0x5a],
  [0x61, 0x7a],
]);
/** RFC 3261 §25.1: unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")" */
export const UNRESERVED = table("-_.!~*'()", ALNUM);

export function isIn(t: Uint8Array, code: number): boolean {
  return code < 256 && t[code] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isIn(TOKEN, s.charCodeAt(i))) return false;
  return true;
}

export function isWs(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** Quote a string as an RFC 3261 quoted-string, escaping `"` and `\` (quoted-pair). */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  return `${out}"`;
}

/**
 * Cursor over one header value (already unfolded: RFC 3261 §7.3.1 "replace CRLF WSP with SP").
 * `base` is the offset of `s[0]` in the message, so errors point into the original buffer.
 */
export class Scanner {
  i = 0;

  constructor(
    readonly s: string,
    readonly base = 0,
  ) {}

  get done(): boolean {
    return this.i >= this.s.length;
  }

  peek(): number {
    return this.i < this.s.length ? this.s.charCodeAt(this.i) : -1;
  }

  fail(message: string, at = this.i): never {
    throw new ParseError(message, this.base + at);
  }

  /** SWS/LWS after unfolding is just spaces and tabs. */
  skipWs(): void {
    while (this.i < this.s.length && isWs(this.s.charCodeAt(this.i))) this.i++;
  }

  /** Consume `ch` (with optional whitespace around it, as SEMI/EQUAL/COMMA/SLASH/COLON allow). */
  eat(ch: number): boolean {
    const save = this.i;
    this.skipWs();
    if (this.peek() === ch) {
      this.i++;
      this.skipWs();
      return true;
    }
    this.i = save;
    return false;
  }

  expect(ch: number, what: string): void {
    if (!this.eat(ch)) this.fail(`expected ${what}`);
  }

  /** A run of characters from table `t` (may be empty). */
  run(t: Uint8Array): string {
    const start = this.i;
    while (this.i < this.s.length && isIn(t, this.s.charCodeAt(this.i))) this.i++;
    return this.s.slice(start, this.i);
  }

  token(what = 'token'): string {
    const t = this.run(TOKEN);
    if (t.length === 0) this.fail(`expected ${what}`);
    return t;
  }

  /**
   * RFC 3261 §25.1: quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE;
   * quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F). Returns the unescaped content.
   */
  quotedString(): string {
    if (this.peek() !== 0x22) this.fail('expected quoted-string');
    const open = this.i;
    this.i++;
    let out = '';
    let chunk = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c === 0x22) {
        out += this.s.slice(chunk, this.i);
        this.i++;
        return out;
      }
      if (c === 0x5c) {
        if (this.i + 1 >= this.s.length) break;
        const n = this.s.charCodeAt(this.i + 1);
        if (n === 0x0a || n === 0x0d || n > 0x7f) this.fail('bad quoted-pair', this.i + 1);
        out += this.s.slice(chunk, this.i) + this.s[this.i + 1];
        this.i += 2;
        chunk = this.i;
        continue;
      }
      if (c === 0x0d || c === 0x0a) this.fail('bare CR/LF in quoted-string');
      this.i++;
    }
    return this.fail('unterminated quoted-string', open);
  }

  rest(): string {
    const r = this.s.slice(this.i);
    this.i = this.s.length;
    return r;
  }

  end(what: string): void {
    this.skipWs();
    if (!this.done) this.fail(`unexpected character in ${what}`);
  }
}

/**
 * Split a header value into its comma-separated elements (RFC 3261 §7.3.1), ignoring commas inside
 * quoted strings and inside <...>. Each element carries its offset in `s`. An empty element
 * (`a,,b`) is a ParseError: no SIP list grammar allows it.
 */
export function splitList(s: string, base: number): Array<{ value: string; offset: number }> {
  const out: Array<{ value: string; offset: number }> = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  const push = (end: number): void => {
    let a = start;
    let b = end;
    while (a < b && isWs(s.charCodeAt(a))) a++;
    while (b > a && isWs(s.charCodeAt(b - 1))) b--;
    if (a === b) throw new ParseError('empty element in header list', base + start);
    out.push({ value: s.slice(a, b), offset: base + a });
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      push(i);
      start = i + 1;
    }
  }
  if (inQuote) throw new ParseError('unterminated quoted-string', base + s.length);
  push(s.length);
  return out;
}
