/**
 * A ManualClock whose timers fire late, as a worker's do on a starved machine (the media bench
 * box: 200 calls, SIPp and the daemon on two cores). Every `setTimeout` is delivered after the
 * delay asked for plus the next lateness from a seeded pseudo-random sequence, so a test can
 * replay exactly the same stalls. `now`/`monotonic` are the underlying clock's, so code that
 * measures lateness against its own deadlines sees it.
 */
import type { Clock, TimerHandle } from '../../../core/clock.js';
import { sleepOn } from '../../../core/clock.js';
import { ManualClock } from '../../../core/testing/manual-clock.js';

/** Deterministic lateness: mostly a few ms, sometimes a stall of up to `maxStallMs`. */
export function stallSequence(seed: number, o: { stallEvery?: number; maxStallMs?: number } = {}): () => number {
  let s = seed >>> 0 || 1;
  const rnd = (): number => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
  const every = o.stallEvery ?? 10;
  const max = o.maxStallMs ?? 400;
  return () => (rnd() < 1 / every ? rnd() * max : rnd() * 8);
}

export class LateClock implements Clock {
  readonly inner = new ManualClock();

  constructor(private readonly lateness: () => number) {}

  now(): number {
    return this.inner.now();
  }

  monotonic(): number {
    return this.inner.monotonic();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.inner.setTimeout(fn, ms + this.lateness());
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.inner.setInterval(fn, ms);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  advance(ms: number): void {
    this.inner.advance(ms);
  }
}
