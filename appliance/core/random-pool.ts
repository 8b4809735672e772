/**
 * Crypto randomness drawn 4 KiB at a time for hot paths (SIP branches and tags, digest nonces,
 * ids): one randomBytes() per value cost 2–3 % of the main thread in the sip-cps profile, a
 * syscall-backed fill each time. Every byte handed out is used once; the bytes are the same
 * CSPRNG output randomBytes() would have returned.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** `n` (≤ 4096) fresh random bytes, as a view valid until the next call (copy to keep them). */
export function randomView(n: number): Buffer {
  if (n > POOL_BYTES) return randomBytes(n);
  if (poolAt + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  const view = pool.subarray(poolAt, poolAt + n);
  poolAt += n;
  return view;
}
