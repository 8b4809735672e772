/**
 * Raw ACD event fixtures for report tests and the reports benchmark: builders for the event
 * records the ACD appends to acd_events (acd-events.ts), and the hand-computed day used by
 * reports.test.ts and the panel's report tests (numbers worked out in the comments there).
 */
import type { AcdEventMap, AcdEventType, AnyAcdEventRecord } from '../acd-events.js';
import type { AgentState, AgentStatus } from '../model.js';

/** Monday 2026-01-05 09:00 in China (UTC+8). */
export const MON_0900 = Date.UTC(2026, 0, 5, 1, 0, 0);
export const S = 1000;
export const MIN = 60_000;

export class EventBuilder {
  private n = 0;
  readonly events: AnyAcdEventRecord[] = [];

  add<T extends AcdEventType>(at: number, type: T, payload: AcdEventMap[T]): this {
    const p = payload as Partial<{ queueId: string; agentId: string; callId: string }>;
    this.events.push({ id: `ev${++this.n}`, at, type, queueId: p.queueId ?? null, agentId: p.agentId ?? null, callId: p.callId ?? null, payload } as AnyAcdEventRecord);
    return this;
  }

  joined(at: number, queueId: string, callId: string): this {
    return this.add(at, 'queue.caller.joined', { queueId, callId, tier: 'standard', priority: 0, position: 1, number: '13800000000' });
  }

  answered(at: number, queueId: string, callId: string, agentId: string, waitMs: number): this {
    return this.add(at, 'queue.caller.answered', { queueId, callId, agentId, waitMs });
  }

  abandoned(at: number, queueId: string, callId: string, waitMs: number): this {
    return this.add(at, 'queue.caller.abandoned', { queueId, callId, waitMs, position: 1 });
  }

  callback(at: number, queueId: string, callId: string, waitMs: number): this {
    return this.add(at, 'queue.callback.requested', { queueId, callId, callbackId: `cb-${callId}`, number: '13800000000', waitMs });
  }

  overflowed(at: number, queueId: string, callId: string, waitMs: number): this {
    return this.add(at, 'queue.caller.overflowed', { queueId, callId, waitMs, reason: 'timeout', target: { kind: 'hangup' } } as AcdEventMap['queue.caller.overflowed']);
  }

  completed(at: number, queueId: string, callId: string, agentId: string, talkMs: number, holdMs: number, acwMs: number): this {
    return this.add(at, 'acd.call.completed', { callId, queueId, agentId, talkMs, holdMs, acwMs });
  }

  agent(at: number, agentId: string, status: AgentStatus, state: AgentState, breakReason: string | null = null): this {
    return this.add(at, 'acd.agent.state-changed', { agentId, status, state, from: '', to: state, breakReason, by: 'acd', callId: null, queueId: null });
  }
}

/**
 * The hand-computed morning (reports.test.ts): queue q1 (T = 20 s, S = 5 s), agents a1 and a2.
 *   09:00–09:15  Q 7 · answered c1 (20 000 ms, within) and c2 (20 001 ms, not) · abandoned
 *                c3 (5 000 ms: short) and c4 (5 001 ms) · callback c5 (30 s) · overflow c6 (60 s)
 *                · handled c1 (talk 120 s, hold 10 s, ACW 30 s) and c2 (300 s, 0, 60 s)
 *   09:15–09:30  answered c7 (15 000 ms) · handled c7 (talk 60 s)
 * Agent a1: available 08:30; offered 09:00:10; in call 09:00:20; wrap-up 09:02:30; idle 09:03;
 * offered 09:14:55; in call 09:15:05; idle 09:20; break "lunch" 09:30; logged out 09:45.
 */
export function morningFixture(t0 = MON_0900, queueId = 'q1'): EventBuilder {
  const b = new EventBuilder();
  b.agent(t0 - 30 * MIN, 'a1', 'available', 'idle');
  b.joined(t0, queueId, 'c1');
  b.agent(t0 + 10 * S, 'a1', 'available', 'offered');
  b.answered(t0 + 20 * S, queueId, 'c1', 'a1', 20_000);
  b.agent(t0 + 20 * S, 'a1', 'available', 'in-call');
  b.joined(t0 + 1 * MIN, queueId, 'c2');
  b.answered(t0 + 1 * MIN + 20_001, queueId, 'c2', 'a2', 20_001);
  b.joined(t0 + 2 * MIN, queueId, 'c3');
  b.agent(t0 + 2 * MIN + 30 * S, 'a1', 'available', 'wrap-up');
  b.abandoned(t0 + 2 * MIN + 5 * S, queueId, 'c3', 5_000);
  b.completed(t0 + 3 * MIN, queueId, 'c1', 'a1', 120_000, 10_000, 30_000);
  b.agent(t0 + 3 * MIN, 'a1', 'available', 'idle');
  b.joined(t0 + 3 * MIN, queueId, 'c4');
  b.abandoned(t0 + 3 * MIN + 5_001, queueId, 'c4', 5_001);
  b.joined(t0 + 4 * MIN, queueId, 'c5');
  b.callback(t0 + 4 * MIN + 30 * S, queueId, 'c5', 30_000);
  b.joined(t0 + 5 * MIN, queueId, 'c6');
  b.overflowed(t0 + 6 * MIN, queueId, 'c6', 60_000);
  b.completed(t0 + 10 * MIN, queueId, 'c2', 'a2', 300_000, 0, 60_000);
  b.joined(t0 + 14 * MIN + 50 * S, queueId, 'c7');
  b.agent(t0 + 14 * MIN + 55 * S, 'a1', 'available', 'offered');
  b.answered(t0 + 15 * MIN + 5 * S, queueId, 'c7', 'a1', 15_000);
  b.agent(t0 + 15 * MIN + 5 * S, 'a1', 'available', 'in-call');
  b.completed(t0 + 20 * MIN, queueId, 'c7', 'a1', 60_000, 0, 0);
  b.agent(t0 + 20 * MIN, 'a1', 'available', 'idle');
  b.agent(t0 + 30 * MIN, 'a1', 'on-break', 'idle', 'lunch');
  b.agent(t0 + 45 * MIN, 'a1', 'logged-out', 'idle');
  b.events.sort((x, y) => x.at - y.at);
  return b;
}
