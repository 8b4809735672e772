/**
 * Server nonces for Digest (RFC 7616 §3.3 and §5.4–§5.5), verifiable without a table:
 *   nonce = base64url( issuedAt(8 octets, ms) || random(8) || HMAC-SHA-256(secret, issuedAt || random || client IP)[0..16) )
 * RFC 7616 §3.3: "the nonce might, for example, be constructed as the base 64 encoding of
 * time-stamp H(time-stamp ":" ETag ":" secret-data)" and "A nonce might be generated which is
 * only valid for the source IP address", which is what binding the HMAC to the client IP does.
 * A nonce past its lifetime still verifies, as `stale`: §3.3 "stale: A case-insensitive flag
 * indicating that the previous request from the client was rejected because the nonce value was
 * stale ... the client may wish to simply retry the request with a new encrypted response".
 *
 * Replay (§5.5 "nonce-count"): NonceCounts remembers, per live nonce, the highest nc and a
 * 32-count window below it, so a reordered UDP request still passes and a repeated nc fails. The
 * table is bounded: past `maxTracked` the oldest entries go, and a nonce issued no later than the
 * newest one evicted can no longer prove freshness, so it is treated as stale (the phone simply
 * re-authenticates) rather than letting its counts start over.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { randomView } from '../../core/random-pool.js';
import type { Clock } from '../../core/clock.js';

const TS_LEN = 8;
const RAND_LEN = 8;
const MAC_LEN = 16;
const NONCE_LEN = TS_LEN + RAND_LEN + MAC_LEN;

export type NonceCheck = { kind: 'valid'; issuedAt: number } | { kind: 'stale'; issuedAt: number } | { kind: 'invalid' };

export interface NonceOptions {
  clock: Pick<Clock, 'now'>;
  /** HMAC key; random per process when absent (nonces then do not survive a restart, which only costs one extra challenge). */
  secret?: Buffer;
  /** How long a nonce is accepted before it becomes stale, ms. */
  lifetimeMs?: number;
}

export const NONCE_DEFAULTS = { lifetimeMs: 300_000 } as const;

export class NonceService {
  readonly lifetimeMs: number;
  private readonly secret: Buffer;
  private readonly clock: Pick<Clock, 'now'>;

  constructor(opts: NonceOptions) {
    this.clock = opts.clock;
    this.secret = opts.secret ?? randomBytes(32);
    this.lifetimeMs = opts.lifetimeMs ?? NONCE_DEFAULTS.lifetimeMs;
  }

  issue(clientIp: string): string {
    const head = Buffer.alloc(TS_LEN + RAND_LEN);
    head.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.clock.now()))), 0);
    randomView(RAND_LEN).copy(head, TS_LEN);
    return Buffer.concat([head, this.mac(head, clientIp)]).toString('base64url');
  }

  check(nonce: string, clientIp: string): NonceCheck {
    if (nonce.length > 64) return { kind: 'invalid' };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_LEN || raw.toString('base64url') !== nonce) return { kind: 'invalid' };
    const head = raw.subarray(0, TS_LEN + RAND_LEN);
    if (!timingSafeEqual(raw.subarray(TS_LEN + RAND_LEN), this.mac(head, clientIp))) return { kind: 'invalid' };
    const issuedAt = Number(raw.readBigUInt64BE(0));
    const age = this.clock.now() - issuedAt;
    // A nonce from the future (clock stepped back) is as unusable as an old one: ask for a fresh one.
    return age >= 0 && age <= this.lifetimeMs ? { kind: 'valid', issuedAt } : { kind: 'stale', issuedAt };
  }

  /** A fixed opaque value for this server (RFC 7616 §3.3: "should be returned by the client unchanged"). */
  opaque(realm: string): string {
    return createHmac('sha256', this.secret).update(`opaque:${realm}`).digest().subarray(0, 12).toString('base64url');
  }

  private mac(head: Buffer, clientIp: string): Buffer {
    return createHmac('sha256', this.secret).update(head).update(clientIp, 'utf8').digest().subarray(0, MAC_LEN);
  }
}

export type CountCheck = 'fresh' | 'replay' | 'untracked';

interface Seen {
  issuedAt: number;
  max: number;
  /** Bit i set: nc = max - 1 - i was seen (i < 32). */
  below: number;
}

const WINDOW = 32;

export class NonceCounts {
  private readonly seen = new Map<string, Seen>();
  private evictedUpTo = -Infinity;

  constructor(private readonly maxTracked = 50_000) {}

  get size(): number {
    return this.seen.size;
  }

  /** Record `nc` for a valid nonce; 'replay' if it was used (or is below the window), 'untracked' if the nonce was forgotten. */
  use(nonce: string, issuedAt: number, nc: number): CountCheck {
    let s = this.seen.get(nonce);
    if (!s) {
      if (issuedAt <= this.evictedUpTo) return 'untracked';
      s = { issuedAt, max: 0, below: 0 };
      this.seen.set(nonce, s);
      this.bound();
    }
    if (nc <= 0) return 'replay';
    if (nc > s.max) {
      const shift = nc - s.max;
      // Slide the window: the old max becomes bit (shift - 1).
      if (s.max === 0 || shift > WINDOW) s.below = 0;
      else if (shift === WINDOW) s.below = (1 << (WINDOW - 1)) >>> 0; // `<< 32` would be `<< 0` in JS
      else s.below = ((s.below << shift) | (1 << (shift - 1))) >>> 0;
      s.max = nc;
      return 'fresh';
    }
    if (nc === s.max) return 'replay';
    const bit = s.max - 1 - nc;
    if (bit >= WINDOW) return 'replay';
    if ((s.below >>> bit) & 1) return 'replay';
    s.below = (s.below | (1 << bit)) >>> 0;
    return 'fresh';
  }

  /** Forget nonces issued before `issuedBefore` (they are stale anyway). */
  prune(issuedBefore: number): void {
    for (const [k, s] of this.seen) if (s.issuedAt < issuedBefore) this.seen.delete(k);
  }

  private bound(): void {
    while (this.seen.size > this.maxTracked) {
      const first = this.seen.entries().next();
      if (first.done) return;
      const [k, s] = first.value;
      this.evictedUpTo = Math.max(this.evictedUpTo, s.issuedAt);
      this.seen.delete(k);
    }
  }
}
