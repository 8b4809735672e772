/**
 * Per-key token buckets on the injected Clock's monotonic time. A bucket holds up to `burst`
 * tokens and gains `ratePerSecond` tokens a second; each request takes one. An empty bucket
 * answers with how long until the next token, which becomes the 429's Retry-After
 * (RFC 6585 §4).
 */
import type { Clock } from '../core/clock.js';

export interface RateLimitOptions {
  ratePerSecond: number;
  burst: number;
}

export const defaultRateLimit: RateLimitOptions = { ratePerSecond: 10, burst: 20 };

export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    private readonly opts: RateLimitOptions = defaultRateLimit,
  ) {}

  take(key: string): TakeResult {
    const now = this.clock.monotonic();
    const b = this.buckets.get(key) ?? { tokens: this.opts.burst, at: now };
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) * this.opts.ratePerSecond) / 1000);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, remaining: Math.floor(b.tokens) };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) * 1000) / this.opts.ratePerSecond) };
  }

  /** Forget a key's bucket (after revocation). */
  forget(key: string): void {
    this.buckets.delete(key);
  }
}
