/**
 * Interval aggregates (15 or 30 min) recomputed from the raw ACD event log alone, so any
 * METRICS.md variant can be recomputed later for any threshold. `recordsFromEvents` turns the
 * log into the entry/exit/handled records metrics.ts counts; `intervalStats` buckets them by
 * the attribution rules in metrics.ts (Q at entry, exits when they happen, handle at ACW end)
 * and adds Erlang C "agents required" for 80 % within T at each interval's load.
 */
import type { AnyAcdEventRecord } from './acd-events.js';
import { agentsRequired } from './erlang-c.js';
import { addEntry, addExit, addHandled, emptyCounts, type HandledRecord, type QueueCounts, type QueueEntryRecord, type QueueExitRecord, type Thresholds } from './metrics.js';
import type { IntervalStatsRecord } from './store-port.js';

export interface CallRecords {
  entries: QueueEntryRecord[];
  exits: QueueExitRecord[];
  handled: HandledRecord[];
}

export function recordsFromEvents(events: readonly AnyAcdEventRecord[]): CallRecords {
  const out: CallRecords = { entries: [], exits: [], handled: [] };
  for (const e of events) {
    switch (e.type) {
      case 'queue.caller.joined':
        out.entries.push({ queueId: e.payload.queueId, callId: e.payload.callId, at: e.at });
        break;
      case 'queue.caller.answered':
        out.exits.push({ queueId: e.payload.queueId, callId: e.payload.callId, at: e.at, outcome: 'answered', waitMs: e.payload.waitMs });
        break;
      case 'queue.caller.abandoned':
        out.exits.push({ queueId: e.payload.queueId, callId: e.payload.callId, at: e.at, outcome: 'abandoned', waitMs: e.payload.waitMs });
        break;
      case 'queue.callback.requested':
        out.exits.push({ queueId: e.payload.queueId, callId: e.payload.callId, at: e.at, outcome: 'callback', waitMs: e.payload.waitMs });
        break;
      case 'queue.caller.overflowed':
        out.exits.push({ queueId: e.payload.queueId, callId: e.payload.callId, at: e.at, outcome: 'overflowed', waitMs: e.payload.waitMs });
        break;
      case 'acd.call.completed':
        out.handled.push({ ...e.payload, at: e.at });
        break;
      default:
        break;
    }
  }
  return out;
}

/** Start of the interval containing `at` (intervals aligned to the epoch, i.e. to UTC quarter hours). */
export function intervalStart(at: number, intervalMs: number): number {
  return Math.floor(at / intervalMs) * intervalMs;
}

export function intervalStats(
  events: readonly AnyAcdEventRecord[],
  intervalMs: number,
  thresholdsFor: (queueId: string) => Thresholds,
  serviceLevelTarget = 0.8,
): IntervalStatsRecord[] {
  const buckets = new Map<string, { queueId: string; start: number; c: QueueCounts }>();
  const bucket = (queueId: string, at: number): QueueCounts => {
    const start = intervalStart(at, intervalMs);
    const key = `${queueId}\u0000${start}`;
    let b = buckets.get(key);
    if (!b) {
      b = { queueId, start, c: emptyCounts() };
      buckets.set(key, b);
    }
    return b.c;
  };
  const r = recordsFromEvents(events);
  for (const e of r.entries) addEntry(bucket(e.queueId, e.at));
  for (const e of r.exits) addExit(bucket(e.queueId, e.at), e, thresholdsFor(e.queueId));
  for (const h of r.handled) addHandled(bucket(h.queueId, h.at), h);
  return [...buckets.values()]
    .sort((a, b) => a.start - b.start || a.queueId.localeCompare(b.queueId))
    .map(({ queueId, start, c }) => {
      const t = thresholdsFor(queueId);
      const aht = c.handled > 0 ? (c.talkMs + c.holdMs + c.acwMs) / c.handled / 1000 : null;
      const required =
        aht !== null && c.offered > 0
          ? agentsRequired({ callsPerSecond: c.offered / (intervalMs / 1000), ahtSeconds: aht, targetSeconds: t.serviceLevelMs / 1000, serviceLevel: serviceLevelTarget }).agents
          : null;
      return {
        queueId,
        intervalStart: start,
        intervalMs,
        serviceLevelMs: t.serviceLevelMs,
        shortAbandonMs: t.shortAbandonMs,
        ...c,
        agentsRequired: required,
      };
    });
}
