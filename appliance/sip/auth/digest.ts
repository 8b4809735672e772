/**
 * The Digest computations of RFC 7616 §3.4.1–§3.4.3 (with RFC 2617 / RFC 3261 §22.4 MD5 as the
 * compatible case), pure functions with no state:
 *   response = <"> < KD ( H(A1), unq(nonce) ":" nc ":" unq(cnonce) ":" unq(qop) ":" H(A2) ) <">
 *   A1       = unq(username) ":" unq(realm) ":" passwd
 *   A2       = Method ":" request-uri                         (qop "auth" or absent)
 *   KD(secret, data) = H(concat(secret, ":", data))
 * RFC 2069 compatibility (no qop): response = KD(H(A1), unq(nonce) ":" H(A2)) (RFC 2617 §3.2.2.1).
 * The appliance stores only H(A1) per algorithm (never the clear password), so every function
 * here takes HA1, not the password; `ha1()` makes it once when an extension's password is set.
 * `-sess` variants are not offered (RFC 7616 §3.4.2 needs the cnonce inside HA1, which would
 * need the clear password or a per-session HA1 we do not keep).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Algorithms the server verifies, in the order challenges offer them (RFC 7616 §3.7: most preferred first). */
export const SERVER_ALGORITHMS = ['SHA-256', 'MD5'] as const;
export type ServerAlgorithm = (typeof SERVER_ALGORITHMS)[number];

const HASH_NAME: Readonly<Record<ServerAlgorithm, string>> = { 'SHA-256': 'sha256', MD5: 'md5' };

/** The algorithm as the credentials name it (case-insensitive, RFC 7616 §3.3), or null if we do not verify it. */
export function serverAlgorithm(name: string): ServerAlgorithm | null {
  const n = name.toUpperCase();
  return (SERVER_ALGORITHMS as readonly string[]).includes(n) ? (n as ServerAlgorithm) : null;
}

/** H(data): lower-case hex of the algorithm's hash over UTF-8 bytes. */
export function digestHash(alg: ServerAlgorithm, data: string): string {
  return createHash(HASH_NAME[alg]).update(data, 'utf8').digest('hex');
}

/** H(A1) = H(username ":" realm ":" password) — what the extension table stores. */
export function ha1(alg: ServerAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(alg, `${username}:${realm}:${password}`);
}

export interface ResponseInput {
  alg: ServerAlgorithm;
  ha1: string;
  method: string;
  /** The digest-uri exactly as the client sent it in `uri=`. */
  uri: string;
  nonce: string;
  /** qop and its companions; null for RFC 2069 style credentials. */
  qop: { qop: 'auth'; nc: string; cnonce: string } | null;
}

/** The expected `response=` value (RFC 7616 §3.4.1). */
export function digestResponse(i: ResponseInput): string {
  const ha2 = digestHash(i.alg, `${i.method}:${i.uri}`);
  const data = i.qop === null ? `${i.nonce}:${ha2}` : `${i.nonce}:${i.qop.nc}:${i.qop.cnonce}:${i.qop.qop}:${ha2}`;
  return digestHash(i.alg, `${i.ha1}:${data}`);
}

/** Compare hex digests without an early exit (lengths differing is not secret: they follow the algorithm). */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'latin1');
  const y = Buffer.from(b.toLowerCase(), 'latin1');
  if (x.length !== y.length) {
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}
