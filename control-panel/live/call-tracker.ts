/**
 * A read model of the calls the panel shows, built only from bus events (core/events.ts):
 *
 *   ivr.flow.completed      → IVR path and inputs (the flow's variables) of the call
 *   queue.caller.joined     → caller number, tier, queue; the call is waiting
 *   queue.caller.moved      → now waiting in another queue
 *   queue.caller.answered / abandoned / overflowed / rejected, queue.callback.requested
 *                           → no longer waiting; kept as a recent call of the number
 *   acd.offer.created / acd.offer.ended → which agents the call is ringing
 *
 * The ACD's offer event names only the call, so the screen pop reads number, tier, IVR path and
 * inputs from here. Bounded: at most `maxCalls` calls are remembered (oldest dropped) and
 * `maxRecentPerNumber` recent calls per number.
 */
import '../../appliance/acd/acd-events.js';
import '../../appliance/ivr/events.js';
import type { AnyAppEvent, EventBus } from '../../appliance/core/events.js';
import type { RecentCall } from './ports.js';

export interface TrackedCall {
  callId: string;
  number: string | null;
  tier: string | null;
  queueId: string | null;
  /** Wall ms the caller joined the (current) queue. */
  joinedAt: number | null;
  waiting: boolean;
  ivrPath: string[];
  ivrVars: Record<string, string>;
  /** ivrVars came with the queue (the enqueue node's selection), not from the IVR run's end. */
  queueVars?: boolean;
  offeredTo: string[];
  outcome: string | null;
  answeredBy: string | null;
}

export class CallTracker {
  private readonly calls = new Map<string, TrackedCall>();
  private readonly recentByNumber = new Map<string, RecentCall[]>();
  private readonly unsubscribe: () => void;

  constructor(
    bus: EventBus,
    private readonly opts: { maxCalls?: number; maxRecentPerNumber?: number } = {},
  ) {
    this.unsubscribe = bus.onAny((e) => this.apply(e));
  }

  close(): void {
    this.unsubscribe();
  }

  get(callId: string): TrackedCall | null {
    return this.calls.get(callId) ?? null;
  }

  /** Calls waiting in a queue now, longest waiting first. */
  waiting(): TrackedCall[] {
    return [...this.calls.values()].filter((c) => c.waiting).sort((a, b) => (a.joinedAt ?? 0) - (b.joinedAt ?? 0));
  }

  recent(number: string, limit: number): RecentCall[] {
    return (this.recentByNumber.get(number) ?? []).slice(0, limit);
  }

  apply(e: AnyAppEvent): void {
    switch (e.type) {
      case 'ivr.flow.completed': {
        const c = this.call(e.payload.callId);
        c.ivrPath = [...e.payload.path];
        // The variables the enqueue node chose to pass (queue.caller.joined) win over the whole set.
        if (!c.queueVars) c.ivrVars = { ...e.payload.vars };
        return;
      }
      case 'queue.caller.joined': {
        const c = this.call(e.payload.callId);
        c.number = e.payload.number;
        c.tier = e.payload.tier;
        c.queueId = e.payload.queueId;
        c.joinedAt = e.at;
        c.waiting = true;
        if (e.payload.vars) {
          c.ivrVars = { ...e.payload.vars };
          c.queueVars = true;
        }
        return;
      }
      case 'queue.caller.moved': {
        const c = this.call(e.payload.callId);
        c.queueId = e.payload.toQueueId;
        return;
      }
      case 'acd.offer.created': {
        this.call(e.payload.callId).offeredTo = [...e.payload.agentIds];
        return;
      }
      case 'acd.offer.ended': {
        const c = this.call(e.payload.callId);
        c.offeredTo = c.offeredTo.filter((a) => a !== e.payload.agentId);
        return;
      }
      case 'queue.caller.answered':
        return this.left(e.payload.callId, 'answered', e.at, e.payload.agentId);
      case 'queue.caller.abandoned':
        return this.left(e.payload.callId, 'abandoned', e.at, null);
      case 'queue.caller.overflowed':
        return this.left(e.payload.callId, 'overflowed', e.at, null);
      case 'queue.caller.rejected':
        return this.left(e.payload.callId, 'rejected', e.at, null);
      case 'queue.callback.requested':
        return this.left(e.payload.callId, 'callback', e.at, null);
      default:
        return;
    }
  }

  private left(callId: string, outcome: string, at: number, agentId: string | null): void {
    const c = this.call(callId);
    c.waiting = false;
    c.outcome = outcome;
    c.answeredBy = agentId;
    if (!c.number) return;
    const list = this.recentByNumber.get(c.number) ?? [];
    list.unshift({ callId, at, queueId: c.queueId, outcome, agentId });
    list.length = Math.min(list.length, this.opts.maxRecentPerNumber ?? 10);
    this.recentByNumber.delete(c.number);
    this.recentByNumber.set(c.number, list);
    if (this.recentByNumber.size > (this.opts.maxCalls ?? 5000)) this.recentByNumber.delete(this.recentByNumber.keys().next().value!);
  }

  private call(callId: string): TrackedCall {
    let c = this.calls.get(callId);
    if (!c) {
      c = { callId, number: null, tier: null, queueId: null, joinedAt: null, waiting: false, ivrPath: [], ivrVars: {}, offeredTo: [], outcome: null, answeredBy: null };
      this.calls.set(callId, c);
      if (this.calls.size > (this.opts.maxCalls ?? 5000)) {
        for (const [id, old] of this.calls) {
          if (!old.waiting) {
            this.calls.delete(id);
            break;
          }
        }
      }
    }
    return c;
  }
}
