/**
 * Cookies for the panel (RFC 6265 §4.1, and the `__Host-` prefix of RFC 6265bis §4.1.3.2:
 * "Secure, Path=/ and no Domain"). The session cookie is `__Host-sid`, Secure, HttpOnly,
 * SameSite=Strict, Path=/.
 *
 * Plain-HTTP loopback fallback: browsers refuse a Secure (and so a `__Host-`) cookie set over
 * http://127.0.0.1, which is how the appliance is first reached before TLS is configured. When
 * the request is not HTTPS and its peer is a loopback address, the cookie is `sid` without
 * Secure (still HttpOnly, SameSite=Strict, Path=/). Any other plain-HTTP request gets the
 * `__Host-` cookie, which the browser drops, so sign-in over plain HTTP from the network does
 * not work (the login page says to use HTTPS) unless the daemon sets `insecureCookies`.
 */
import type { Request, Response } from 'express';
import { isLoopback } from '../auth/cidr.js';

export interface CookieMode {
  /** Name prefix: '__Host-' or ''. */
  prefix: '__Host-' | '';
  secure: boolean;
  /** True when a Secure cookie is being sent over plain HTTP (the browser will drop it). */
  unusable: boolean;
}

export function cookieMode(req: Request, insecureCookies: boolean): CookieMode {
  if (req.secure) return { prefix: '__Host-', secure: true, unusable: false };
  if (insecureCookies || isLoopback(req.socket.remoteAddress ?? '')) return { prefix: '', secure: false, unusable: false };
  return { prefix: '__Host-', secure: true, unusable: true };
}

/** Parse the Cookie header (RFC 6265 §5.4); first occurrence of a name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const raw of header.split(';')) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

const COOKIE_VALUE = /^[A-Za-z0-9_\-.]*$/;

/** Append a Set-Cookie. Values are our own base64url tokens or short codes; anything else is refused. */
export function setCookie(
  res: Response,
  mode: CookieMode,
  name: string,
  value: string,
  opts: { maxAgeS?: number; httpOnly?: boolean; sameSite?: 'Strict' | 'Lax' } = {},
): void {
  if (!COOKIE_VALUE.test(value)) throw new Error(`cookie value for ${name} is not a token`);
  const parts = [`${mode.prefix}${name}=${value}`, 'Path=/'];
  if (opts.maxAgeS !== undefined) parts.push(`Max-Age=${opts.maxAgeS}`);
  if (opts.httpOnly ?? true) parts.push('HttpOnly');
  parts.push(`SameSite=${opts.sameSite ?? 'Strict'}`);
  if (mode.secure) parts.push('Secure');
  res.append('Set-Cookie', parts.join('; '));
}

export function clearCookie(res: Response, mode: CookieMode, name: string): void {
  setCookie(res, mode, name, '', { maxAgeS: 0 });
}

export function readCookie(req: Request, mode: CookieMode, name: string): string | undefined {
  return parseCookies(req.headers.cookie).get(`${mode.prefix}${name}`);
}
