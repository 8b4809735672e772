/**
 * A Clock that only moves when a test says so. `advance(ms)` fires every timer that falls due,
 * in due order, including timers scheduled by the callbacks themselves.
 */
import { sleepOn, type Clock, type TimerHandle } from '../clock.js';

interface PendingTimer {
  id: number;
  due: number;
  fn: () => void;
  every: number | null;
}

export class ManualClock implements Clock {
  private wall: number;
  private mono = 0;
  private nextId = 1;
  private readonly timers = new Map<number, PendingTimer>();

  constructor(startWallMs = Date.UTC(2026, 0, 5, 1, 0, 0)) {
    this.wall = startWallMs;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.schedule(fn, Math.max(0, ms), null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const every = Math.max(1, ms);
    return this.schedule(fn, every, every);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Number of timers not yet fired or cancelled. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Move time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.mono + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.setMono(next.due);
      if (next.every === null) this.timers.delete(next.id);
      else next.due += next.every;
      next.fn();
    }
    this.setMono(target);
  }

  /** advance(), then let promise continuations run (for async code awaiting clock sleeps). */
  async advanceAsync(ms: number, step = ms): Promise<void> {
    let left = ms;
    while (left > 0) {
      const d = Math.min(step, left);
      this.advance(d);
      left -= d;
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  private setMono(m: number): void {
    this.wall += m - this.mono;
    this.mono = m;
  }

  private earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers.values()) {
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  }

  private schedule(fn: () => void, delay: number, every: number | null): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.mono + delay, fn, every });
    return { cancel: () => this.timers.delete(id) };
  }
}
