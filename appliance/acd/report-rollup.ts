/**
 * Report periods and roll-ups for the ACD reports (issue 9 "Reports": call statistics by queue,
 * agent, hour, day; ../shared/METRICS.md §3 for every formula). Pure functions:
 *
 * - `periodStart` / `periodEnd` / `periodLabel`: 15 min, 30 min, day, week (Monday first, as in
 *   China) and month periods in the appliance's local time (a fixed UTC offset; China: +480).
 * - `rollupIntervals`: 15-min interval aggregates (interval-stats.ts) summed into periods.
 *   Counts add up; the maximum wait is the maximum. Because every ratio (SL, ASA, AHT,
 *   abandonment) is recomputed from the summed counts, a day's SL is never an average of
 *   quarter-hour SLs.
 * - `agentPeriodTimes`: an agent's status/state transitions replayed into per-period time
 *   buckets (logged in, ready, offered, in call, wrap-up, outbound, break by reason), with a
 *   segment that crosses a period boundary split at the boundary. Occupancy follows metrics.ts:
 *   handle = in call + wrap-up + outbound; idle = status available and state idle.
 */
import { emptyCounts, type QueueCounts } from './metrics.js';
import type { AgentState, AgentStatus } from './model.js';
import type { IntervalStatsRecord } from './store-port.js';

export const Granularities = ['15m', '30m', 'day', 'week', 'month'] as const;
export type Granularity = (typeof Granularities)[number];

const MINUTE = 60_000;
const DAY = 86_400_000;
/** The base interval the ACD closes and stores (interval-stats.ts). */
export const BASE_INTERVAL_MS = 15 * MINUTE;

/** Start (UTC ms) of the local period containing `at`. */
export function periodStart(at: number, g: Granularity, utcOffsetMinutes: number): number {
  const off = utcOffsetMinutes * MINUTE;
  const local = at + off;
  switch (g) {
    case '15m':
      return Math.floor(local / (15 * MINUTE)) * 15 * MINUTE - off;
    case '30m':
      return Math.floor(local / (30 * MINUTE)) * 30 * MINUTE - off;
    case 'day':
      return Math.floor(local / DAY) * DAY - off;
    case 'week': {
      const day = Math.floor(local / DAY) * DAY;
      const mondayBased = (new Date(day).getUTCDay() + 6) % 7;
      return day - mondayBased * DAY - off;
    }
    case 'month': {
      const d = new Date(local);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - off;
    }
  }
}

/** Start of the period after the one starting at `start`. */
export function periodEnd(start: number, g: Granularity, utcOffsetMinutes: number): number {
  switch (g) {
    case '15m':
      return start + 15 * MINUTE;
    case '30m':
      return start + 30 * MINUTE;
    case 'day':
      return start + DAY;
    case 'week':
      return start + 7 * DAY;
    case 'month': {
      const off = utcOffsetMinutes * MINUTE;
      const d = new Date(start + off);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - off;
    }
  }
}

function localIso(at: number, utcOffsetMinutes: number): string {
  return new Date(at + utcOffsetMinutes * MINUTE).toISOString();
}

/** `2026-01-05 09:15` · `2026-01-05` · `2026-01-05/2026-01-11` · `2026-01`. */
export function periodLabel(start: number, g: Granularity, utcOffsetMinutes: number): string {
  const iso = localIso(start, utcOffsetMinutes);
  switch (g) {
    case '15m':
    case '30m':
      return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
    case 'day':
      return iso.slice(0, 10);
    case 'week':
      return `${iso.slice(0, 10)}/${localIso(start + 6 * DAY, utcOffsetMinutes).slice(0, 10)}`;
    case 'month':
      return iso.slice(0, 7);
  }
}

export interface QueuePeriod {
  queueId: string;
  periodStart: number;
  counts: QueueCounts;
  /** T of the summed rows; null when rows with different T were summed. */
  serviceLevelMs: number | null;
  shortAbandonMs: number | null;
}

/** Add `b` into `a` (counts add up, the maximum wait is the maximum). */
export function addCounts(a: QueueCounts, b: QueueCounts): void {
  a.offered += b.offered;
  a.answered += b.answered;
  a.answeredWithin += b.answeredWithin;
  a.abandoned += b.abandoned;
  a.abandonedWithin += b.abandonedWithin;
  a.abandonedShort += b.abandonedShort;
  a.callbacks += b.callbacks;
  a.callbacksWithin += b.callbacksWithin;
  a.overflowed += b.overflowed;
  a.sumAnswerWaitMs += b.sumAnswerWaitMs;
  a.maxAnswerWaitMs = Math.max(a.maxAnswerWaitMs, b.maxAnswerWaitMs);
  a.handled += b.handled;
  a.talkMs += b.talkMs;
  a.holdMs += b.holdMs;
  a.acwMs += b.acwMs;
}

export function countsOf(r: IntervalStatsRecord): QueueCounts {
  const c = emptyCounts();
  addCounts(c, r);
  return c;
}

/** Sum interval rows into (queue, period) rows, ordered by period then queue. */
export function rollupIntervals(rows: readonly IntervalStatsRecord[], g: Granularity, utcOffsetMinutes: number): QueuePeriod[] {
  const out = new Map<string, QueuePeriod>();
  for (const r of rows) {
    const start = periodStart(r.intervalStart, g, utcOffsetMinutes);
    const key = `${r.queueId}\u0000${start}`;
    let p = out.get(key);
    if (!p) {
      p = { queueId: r.queueId, periodStart: start, counts: emptyCounts(), serviceLevelMs: r.serviceLevelMs, shortAbandonMs: r.shortAbandonMs };
      out.set(key, p);
    }
    addCounts(p.counts, r);
    if (p.serviceLevelMs !== r.serviceLevelMs) p.serviceLevelMs = null;
    if (p.shortAbandonMs !== r.shortAbandonMs) p.shortAbandonMs = null;
  }
  return [...out.values()].sort((a, b) => a.periodStart - b.periodStart || a.queueId.localeCompare(b.queueId));
}

/** One status/state change of an agent, in time order (payload of acd.agent.*-changed). */
export interface AgentTransitionRecord {
  at: number;
  status: AgentStatus;
  state: AgentState;
  breakReason: string | null;
}

export interface AgentTimes {
  loggedInMs: number;
  /** Status available, state idle (METRICS.md "available-idle"). */
  readyMs: number;
  offeredMs: number;
  inCallMs: number;
  wrapMs: number;
  outboundMs: number;
  breakMs: number;
  /** Break time by reason code ('' when none was given). */
  breaks: Record<string, number>;
}

export function emptyAgentTimes(): AgentTimes {
  return { loggedInMs: 0, readyMs: 0, offeredMs: 0, inCallMs: 0, wrapMs: 0, outboundMs: 0, breakMs: 0, breaks: {} };
}

export function addAgentTimes(a: AgentTimes, b: AgentTimes): void {
  a.loggedInMs += b.loggedInMs;
  a.readyMs += b.readyMs;
  a.offeredMs += b.offeredMs;
  a.inCallMs += b.inCallMs;
  a.wrapMs += b.wrapMs;
  a.outboundMs += b.outboundMs;
  a.breakMs += b.breakMs;
  for (const [k, v] of Object.entries(b.breaks)) a.breaks[k] = (a.breaks[k] ?? 0) + v;
}

/** Handle time for occupancy: in call + wrap-up + outbound. */
export function handleMs(t: AgentTimes): number {
  return t.inCallMs + t.wrapMs + t.outboundMs;
}

function addSpan(t: AgentTimes, tr: AgentTransitionRecord, d: number): void {
  if (tr.status !== 'logged-out') t.loggedInMs += d;
  switch (tr.state) {
    case 'in-call':
      t.inCallMs += d;
      return;
    case 'wrap-up':
      t.wrapMs += d;
      return;
    case 'outbound':
      t.outboundMs += d;
      return;
    case 'offered':
      t.offeredMs += d;
      return;
    case 'idle':
      if (tr.status === 'available') t.readyMs += d;
      else if (tr.status === 'on-break') {
        t.breakMs += d;
        const reason = tr.breakReason ?? '';
        t.breaks[reason] = (t.breaks[reason] ?? 0) + d;
      }
      return;
  }
}

/**
 * Replay one agent's transitions (time order; the first may lie before `from` and gives the
 * state at `from`) into per-period times within [from, to). Time before the first transition
 * is unknown and not counted. `g` null puts everything in one bucket keyed `from`.
 */
export function agentPeriodTimes(
  transitions: readonly AgentTransitionRecord[],
  from: number,
  to: number,
  g: Granularity | null,
  utcOffsetMinutes: number,
): Map<number, AgentTimes> {
  const out = new Map<number, AgentTimes>();
  const bucket = (start: number): AgentTimes => {
    let b = out.get(start);
    if (!b) {
      b = emptyAgentTimes();
      out.set(start, b);
    }
    return b;
  };
  for (let i = 0; i < transitions.length; i++) {
    const tr = transitions[i]!;
    let s = Math.max(from, tr.at);
    const e = Math.min(to, transitions[i + 1]?.at ?? to);
    while (s < e) {
      const ps = g ? periodStart(s, g, utcOffsetMinutes) : from;
      const pe = g ? Math.min(e, periodEnd(ps, g, utcOffsetMinutes)) : e;
      addSpan(bucket(ps), tr, pe - s);
      s = pe;
    }
  }
  return out;
}
