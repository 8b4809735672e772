/**
 * "At most N events per window per key", exactly: each key keeps the times of its last N
 * events in a ring, so the (N+1)th event inside the window is the first to exceed (Kamailio
 * pike / fail2ban `maxretry` within `findtime`). Memory is O(N) per key and the number of keys
 * is bounded: keys idle for a whole window are pruned, and past `maxKeys` the oldest go first
 * (a flood of spoofed sources cannot grow the table without limit).
 */

interface Ring {
  times: number[];
  next: number;
  last: number;
}

export class SlidingWindow {
  private readonly keys = new Map<string, Ring>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {
    if (!(limit >= 1) || !(windowMs > 0)) throw new RangeError('limit ≥ 1 and windowMs > 0 required');
  }

  get size(): number {
    return this.keys.size;
  }

  /** Record one event at `now`; true when this event makes more than `limit` inside the window. */
  hit(key: string, now: number): boolean {
    let r = this.keys.get(key);
    if (!r) {
      r = { times: [], next: 0, last: now };
      this.keys.set(key, r);
      if (this.keys.size > this.maxKeys) this.evictOldest();
    } else {
      // Keep insertion order = recency order, so eviction takes the least recently seen key.
      this.keys.delete(key);
      this.keys.set(key, r);
    }
    r.last = now;
    if (r.times.length < this.limit) {
      r.times.push(now);
      return false;
    }
    // The ring is full: the slot about to be overwritten holds the oldest of the last `limit` events.
    const oldest = r.times[r.next]!;
    r.times[r.next] = now;
    r.next = (r.next + 1) % this.limit;
    return now - oldest < this.windowMs;
  }

  /** Events of `key` inside the window ending at `now`. */
  count(key: string, now: number): number {
    const r = this.keys.get(key);
    return r ? r.times.filter((t) => now - t < this.windowMs).length : 0;
  }

  /** Time of the oldest event still remembered for `key` (the one the next full-ring hit replaces). */
  oldest(key: string): number | null {
    const r = this.keys.get(key);
    if (!r || r.times.length === 0) return null;
    return r.times.length < this.limit ? r.times[0]! : r.times[r.next]!;
  }

  reset(key: string): void {
    this.keys.delete(key);
  }

  /** Drop keys with no event inside the window. */
  prune(now: number): void {
    for (const [k, r] of this.keys) if (now - r.last >= this.windowMs) this.keys.delete(k);
  }

  private evictOldest(): void {
    const first = this.keys.keys().next();
    if (!first.done) this.keys.delete(first.value);
  }
}
