/**
 * The media tick: one call every `periodMs` (20 ms, one G.711 frame), anchored to the start
 * time so it does not drift — each deadline is start + n·period, and the timer is set for
 * the time left until the next deadline, however long the last tick took. When the worker
 * stalls (GC, a busy core) and a deadline passes by a whole period or more, the missed ticks
 * are run back to back (up to `maxCatchUp`) so every leg still sends 50 frames a second; beyond
 * that the missed deadlines but the last are given up (no burst) and their number is passed to
 * the tick that runs (recordings pad that much silence). The schedule never loses phase, so
 * ticks run + ticks given up = elapsed time / period exactly, and a recording's length matches
 * the call however late the worker's timers fire. A tick starting more than `lateThresholdMs` after its
 * deadline is counted as late (the figure the media bench reports).
 *
 * Time comes from the injected Clock: the worker passes the system clock, tests ManualClock.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';

export interface TickerStats {
  ticks: number;
  lateTicks: number;
  catchUpTicks: number;
  /** Ticks given up when re-anchoring after a stall too long to catch up. */
  skippedTicks: number;
  maxLatenessMs: number;
  busyMs: number;
}

export interface TickerOptions {
  periodMs?: number;
  lateThresholdMs?: number;
  maxCatchUp?: number;
}

export class Ticker {
  private readonly periodMs: number;
  private readonly lateThresholdMs: number;
  private readonly maxCatchUp: number;
  private timer: TimerHandle | null = null;
  private next = 0;
  readonly stats: TickerStats = { ticks: 0, lateTicks: 0, catchUpTicks: 0, skippedTicks: 0, maxLatenessMs: 0, busyMs: 0 };

  constructor(
    private readonly clock: Clock,
    /** `skipped`: ticks given up just before this one (re-anchoring), so time-keepers can pad. */
    private readonly onTick: (nowMs: number, skipped: number) => void,
    opts: TickerOptions = {},
  ) {
    this.periodMs = opts.periodMs ?? 20;
    this.lateThresholdMs = opts.lateThresholdMs ?? 10;
    this.maxCatchUp = opts.maxCatchUp ?? 5;
  }

  start(): void {
    if (this.timer) return;
    this.next = this.clock.monotonic() + this.periodMs;
    this.arm();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /**
   * Run now the ticks whose deadlines have passed while the timer is late (a recording's stop
   * must not close the file before the audio of its last periods is mixed in).
   */
  runDue(): void {
    if (!this.timer || this.clock.monotonic() < this.next) return;
    this.timer.cancel();
    this.fire();
  }

  private arm(): void {
    const wait = Math.max(0, this.next - this.clock.monotonic());
    this.timer = this.clock.setTimeout(() => this.fire(), wait);
  }

  private fire(): void {
    const start = this.clock.monotonic();
    const lateness = start - this.next;
    if (lateness > this.lateThresholdMs) this.stats.lateTicks++;
    if (lateness > this.stats.maxLatenessMs) this.stats.maxLatenessMs = lateness;
    let due = 1 + Math.floor(Math.max(0, lateness) / this.periodMs);
    let skipped = 0;
    if (due > this.maxCatchUp + 1) {
      // Too far behind to catch up: give up all but the last missed deadline and run that one.
      // The schedule keeps its phase (next = deadline of the tick run, not `start`): moving it
      // to `start` lost the fraction of a period the stall ran past a deadline, up to 20 ms of
      // recording per stall on a starved worker.
      skipped = due - 1;
      this.stats.skippedTicks += skipped;
      this.next += skipped * this.periodMs;
      due = 1;
    }
    for (let i = 0; i < due; i++) {
      if (i > 0) this.stats.catchUpTicks++;
      this.stats.ticks++;
      this.onTick(this.next, i === 0 ? skipped : 0);
      this.next += this.periodMs;
    }
    this.stats.busyMs += this.clock.monotonic() - start;
    if (this.timer) this.arm();
  }
}
