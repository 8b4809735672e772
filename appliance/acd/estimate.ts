/**
 * Estimated wait for announcements, from live data rather than a constant: the caller's
 * position, the agents staffing the queue right now, and the queue's recent handle time
 * (a rolling mean of the last handled calls, the configured default before there are any).
 *   EWT = ceil(position / staffed) × AHT_recent
 * Also: calling-hours arithmetic for callbacks.
 */
import type { CallingHours } from './model.js';

export function estimatedWaitMs(position: number, staffed: number, recentAhtMs: number): number | null {
  if (staffed <= 0 || position <= 0) return null;
  return Math.ceil(position / staffed) * recentAhtMs;
}

/** A fixed-size rolling mean. */
export class RollingMean {
  private readonly values: number[] = [];
  private sum = 0;

  constructor(private readonly size = 20) {}

  add(v: number): void {
    this.values.push(v);
    this.sum += v;
    if (this.values.length > this.size) this.sum -= this.values.shift()!;
  }

  mean(fallback: number): number {
    return this.values.length > 0 ? this.sum / this.values.length : fallback;
  }
}

const DAY = 86_400_000;

function localMinute(now: number, h: CallingHours): number {
  const local = now + h.utcOffsetMinutes * 60_000;
  return Math.floor((((local % DAY) + DAY) % DAY) / 60_000);
}

export function withinCallingHours(now: number, h: CallingHours | undefined): boolean {
  if (!h) return true;
  const m = localMinute(now, h);
  return h.startMinute <= h.endMinute ? m >= h.startMinute && m < h.endMinute : m >= h.startMinute || m < h.endMinute;
}

/** The next wall time ≥ now at which calling hours are open. */
export function nextCallingTime(now: number, h: CallingHours | undefined): number {
  if (!h || withinCallingHours(now, h)) return now;
  const local = now + h.utcOffsetMinutes * 60_000;
  const dayStart = local - (((local % DAY) + DAY) % DAY);
  let open = dayStart + h.startMinute * 60_000;
  if (open <= local) open += DAY;
  return open - h.utcOffsetMinutes * 60_000;
}
