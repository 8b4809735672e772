/**
 * Password hashing with scrypt (RFC 7914) from node:crypto, a 16-byte random salt per hash.
 * The stored form carries its parameters so the cost can be raised later without breaking old
 * hashes: `scrypt$N$r$p$salt$hash` (base64url). The default is one of the OWASP Password Storage
 * Cheat Sheet's equivalent scrypt settings ("N=2^15 (32 MiB), r=8 (1024 bytes), p=3").
 * Verification is constant-time
 * (`timingSafeEqual`), and `verifyPassword` against `dummyHash()` gives an unknown login the same
 * cost as a known one (no user enumeration by timing).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_COST: ScryptCost = { N: 2 ** 15, r: 8, p: 3 };
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; allow twice that.
  const opts: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LEN, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return false;
  const expected = Buffer.from(parts[5]!, 'base64url');
  const actual = await derive(password, Buffer.from(parts[4]!, 'base64url'), { N, r, p });
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A hash of nothing anyone knows, for spending the same time on unknown logins. */
export function dummyHash(cost: ScryptCost = DEFAULT_COST): string {
  return ['scrypt', cost.N, cost.r, cost.p, randomBytes(16).toString('base64url'), randomBytes(KEY_LEN).toString('base64url')].join('$');
}

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

/**
 * ASVS 5.0 6.2.1/6.2.9: at least 8 (we ask 10) and at least 64 allowed, no composition rules;
 * we also refuse the login name itself. Returns i18n keys of the problems, empty when fine.
 */
export function passwordProblems(password: string, login: string): Array<'password.too-short' | 'password.too-long' | 'password.is-login'> {
  const out: Array<'password.too-short' | 'password.too-long' | 'password.is-login'> = [];
  const len = [...password].length;
  if (len < PASSWORD_MIN) out.push('password.too-short');
  if (len > PASSWORD_MAX) out.push('password.too-long');
  if (login !== '' && password.toLowerCase().includes(login.toLowerCase())) out.push('password.is-login');
  return out;
}
