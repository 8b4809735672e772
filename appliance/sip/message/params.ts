/**
 * Header parameters, RFC 3261 §25.1:
 *   generic-param = token [ EQUAL gen-value ];  gen-value = token / host / quoted-string
 * Names are case-insensitive (§7.3.1), so they are stored lower-cased; values keep their case and
 * their quotes (a quoted "TRUE" and a token TRUE are different values in RFC 3840 feature tags).
 * Insertion order is kept so serialization is stable.
 */
import { isIn, isWs, Scanner, TOKEN, quote } from './grammar.js';

export type Params = Map<string, string | null>;

/** Characters of gen-value besides quoted-string: token plus the host extras `[` `]` `:` (IPv6). */
const GEN_VALUE = (() => {
  const t = new Uint8Array(TOKEN);
  for (const c of '[]:') t[c.charCodeAt(0)] = 1;
  return t;
})();

/** Hard cap on parameters on one header value; more is abuse, not SIP. */
export const MAX_PARAMS = 64;

/**
 * Parse `*( SEMI generic-param )` from the scanner's position to the end of the value (or to a
 * character that is not `;`). Duplicate names are rejected: no SIP header defines a repeated
 * parameter, and "first or last wins" ambiguities are how smuggling starts.
 */
export function parseParams(sc: Scanner, into: Params = new Map()): Params {
  while (sc.eat(0x3b)) {
    const at = sc.i;
    const name = sc.token('parameter name').toLowerCase();
    let value: string | null = null;
    if (sc.eat(0x3d)) {
      if (sc.peek() === 0x22) {
        const start = sc.i;
        sc.quotedString();
        value = sc.s.slice(start, sc.i);
      } else {
        value = sc.run(GEN_VALUE);
        if (value.length === 0) sc.fail(`empty value for parameter ${name}`);
      }
    }
    if (into.has(name)) sc.fail(`duplicate parameter ${name}`, at);
    if (into.size >= MAX_PARAMS) sc.fail('too many parameters', at);
    into.set(name, value);
  }
  return into;
}

export function serializeParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/** A parameter's value without its quotes and quoted-pair escapes; undefined when absent. */
export function paramText(params: Params, name: string): string | null | undefined {
  const v = params.get(name);
  if (v === undefined || v === null) return v;
  if (v.length >= 2 && v.charCodeAt(0) === 0x22) return new Scanner(v).quotedString();
  return v;
}

/** Set a parameter from plain text, quoting it when it is not a valid gen-value token. */
export function setParamText(params: Params, name: string, value: string | null): void {
  if (value === null) {
    params.set(name.toLowerCase(), null);
    return;
  }
  let plain = value.length > 0;
  for (let i = 0; i < value.length && plain; i++) {
    const c = value.charCodeAt(i);
    if (!isIn(GEN_VALUE, c) || isWs(c)) plain = false;
  }
  params.set(name.toLowerCase(), plain ? value : quote(value));
}
