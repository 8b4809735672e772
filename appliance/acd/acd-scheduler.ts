/**
 * The ACD's periodic jobs on the injected Clock (issue 6 "interval aggregates (15 min) stored
 * from the raw event log"; METRICS.md §3 "per interval (for example 15 or 30 min)"):
 *   - at each interval boundary, close the interval(s) that just ended for every configured
 *     length: recompute the aggregates from the stored raw events and store them
 *     (Acd.closeIntervals is idempotent, so closing again is harmless);
 *   - at local midnight, reset the real-time counters the wallboard shows "today".
 *
 * Intervals are aligned to the epoch (interval-stats.ts intervalStart), which is also aligned
 * to local time for whole-hour and half-hour UTC offsets. Every tick works from clock.now(), so
 * a wall-clock step is handled on the next tick: forward, the intervals skipped are closed (at
 * most `maxCatchUp` per length); backward, the intervals that now repeat are closed again when
 * they end. Ticks come at each boundary and at least every `maxSleepMs`, so a step is noticed
 * within that time even when the monotonic timer does not move with the wall clock.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Acd } from './acd.js';

const DAY_MS = 86_400_000;

export interface AcdSchedulerOptions {
  /** Interval lengths to close, each dividing a day (default 15 and 30 min). */
  intervalsMs?: readonly number[];
  /** Local time for the midnight reset, minutes east of UTC (China: +480). Default 0. */
  utcOffsetMinutes?: number;
  /** Close an interval this long after it ends (default 1 000 ms). */
  graceMs?: number;
  /** At most this many intervals per length are closed in one tick (catch-up after downtime). */
  maxCatchUp?: number;
  /** Longest sleep between ticks (default 60 000 ms). */
  maxSleepMs?: number;
}

export interface AcdSchedulerDeps {
  clock: Clock;
  acd: Pick<Acd, 'closeIntervals' | 'resetRealtime'>;
  log: Logger;
}

export class AcdScheduler {
  private readonly lengths: readonly number[];
  private readonly offsetMs: number;
  private readonly graceMs: number;
  private readonly maxCatchUp: number;
  private readonly maxSleepMs: number;
  /** Per length: end of the last interval closed. */
  private readonly closedTo = new Map<number, number>();
  private day: number | null = null;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly deps: AcdSchedulerDeps,
    opts: AcdSchedulerOptions = {},
  ) {
    this.lengths = opts.intervalsMs ?? [900_000, 1_800_000];
    for (const len of this.lengths)
      if (!Number.isInteger(len) || len <= 0 || DAY_MS % len !== 0) throw new RangeError(`interval length ${len} ms does not divide a day`);
    this.offsetMs = (opts.utcOffsetMinutes ?? 0) * 60_000;
    this.graceMs = opts.graceMs ?? 1_000;
    this.maxCatchUp = opts.maxCatchUp ?? 96;
    this.maxSleepMs = opts.maxSleepMs ?? 60_000;
  }

  /** Start ticking. The last complete interval of each length is (re)closed at once. */
  start(): void {
    if (this.timer) return;
    this.day = this.localDay(this.deps.clock.now());
    this.tick();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** Local day number (days since 1970-01-01 in local time). */
  localDay(at: number): number {
    return Math.floor((at + this.offsetMs) / DAY_MS);
  }

  private tick(): void {
    const now = this.deps.clock.now();
    const at = now - this.graceMs;
    for (const len of this.lengths) {
      const end = Math.floor(at / len) * len;
      let from = this.closedTo.get(len) ?? end - len;
      if (from > end) from = end - len; // the wall clock stepped back: close the repeating intervals again
      if (from === end) continue;
      if ((end - from) / len > this.maxCatchUp) {
        this.deps.log.warn({ intervalMs: len, skipped: (end - from) / len - this.maxCatchUp }, 'acd interval catch-up limited');
        from = end - this.maxCatchUp * len;
      }
      try {
        this.deps.acd.closeIntervals(from, end, len);
      } catch (err) {
        this.deps.log.error({ err, intervalMs: len, from, to: end }, 'acd intervals not closed');
      }
      this.closedTo.set(len, end);
    }
    const day = this.localDay(now);
    if (day !== this.day) {
      this.day = day;
      this.deps.acd.resetRealtime();
    }
    this.timer = this.deps.clock.setTimeout(() => this.tick(), this.nextDelay(now));
  }

  /** Until the next interval end (+ grace) or local midnight, whichever is first, capped. */
  private nextDelay(now: number): number {
    let next = (this.localDay(now) + 1) * DAY_MS - this.offsetMs;
    for (const len of this.lengths) next = Math.min(next, (Math.floor((now - this.graceMs) / len) + 1) * len + this.graceMs);
    return Math.max(1, Math.min(this.maxSleepMs, next - now));
  }
}
