/**
 * Discrete-event simulation of the ACD on the manual clock (issue 6 acceptance): 10 000 calls,
 * 220 agents, four queues (FIFO strategies, skills-based with relaxation, callback-in-queue,
 * overflow), mixed tiers, random arrivals (Poisson), ring delays, ring-no-answer, talk times,
 * caller patience (abandons), callbacks with failed customer dials, agents taking breaks and
 * coming back. Every sim action happens on a 100 ms grid, so promise continuations run at the
 * same clock reading as the timer that caused them and the sim's own stopwatch is exact.
 *
 * Checked while it runs and at the end:
 *   - no call is offered to an agent who is not available and idle, or who is on a call or ringing;
 *   - in queues without skill filters, a caller is never offered an agent while a caller of higher
 *     tier, or of the same tier who joined earlier, waits un-offered in that queue;
 *   - no caller is served twice; every queue segment ends in exactly one outcome; every enqueue
 *     promise settles once;
 *   - no agent is stuck: "in-call" only with a live agent leg, "offered" only while ringing, and
 *     all idle once traffic stops;
 *   - the interval rows the scheduler stored equal an independent recomputation (SL, ASA and the
 *     counts) from the raw event log, the event log's waits equal the sim's stopwatch, and the
 *     real-time counters equal the sum of the intervals.
 */
import test from 'ava';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { Acd } from './acd.js';
import { AcdScheduler } from './acd-scheduler.js';
import { emptyCounts, type QueueCounts } from './metrics.js';
import { defaultTierPriority, type CustomerTier, type QueueConfig, type QueueOutcome } from './model.js';
import type { AgentDialer, CustomerDialer, DialOutcome, OfferedCall } from './ports.js';
import { queueConfig, FakeBridger } from './testing/acd-harness.js';
import { MemoryAcdStore } from './testing/memory-acd-store.js';

const CALLS = 10_000;
const AGENTS = 220;
const STEP = 100;
const INTERVAL = 900_000;

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('simulation: 10 000 calls, 220 agents — routing invariants hold and metrics equal a recomputation from the raw events', async (t) => {
  t.timeout(120_000);
  const rnd = mulberry32(20260105);
  const grid = (ms: number): number => Math.max(STEP, Math.round(ms / STEP) * STEP);
  const exp = (mean: number): number => -Math.log(1 - rnd()) * mean;
  const pickOf = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

  const clock = new ManualClock();
  const log = silentLogger();
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const store = new MemoryAcdStore();
  const violations: string[] = [];
  const fail = (msg: string): void => {
    if (violations.length < 20) violations.push(`${new Date(clock.now()).toISOString()} ${msg}`);
  };

  // ------------------------------------------------------------ agents' phones
  const ringing = new Map<string, { call: OfferedCall }>();
  const legs = new Map<string, FakeChannel>();
  const answeredAt = new Map<string, number>();
  let legSeq = 0;
  const dialer: AgentDialer = {
    offer: (agent, call, opts) => {
      if (ringing.has(agent.id)) fail(`${agent.id} offered ${call.callId} while ringing with ${ringing.get(agent.id)!.call.callId}`);
      const leg = legs.get(agent.id);
      if (leg && leg.level !== 'terminated') fail(`${agent.id} offered ${call.callId} while on a call`);
      ringing.set(agent.id, { call });
      return new Promise<DialOutcome>((resolve) => {
        let done = false;
        const finish = (r: DialOutcome): void => {
          if (done) return;
          done = true;
          ringing.delete(agent.id);
          opts.signal.removeEventListener('abort', onAbort);
          resolve(r);
        };
        const onAbort = (): void => finish({ outcome: 'no-answer' });
        opts.signal.addEventListener('abort', onAbort, { once: true });
        const r = rnd();
        if (r < 0.01) {
          clock.setTimeout(() => finish({ outcome: 'busy' }), STEP);
          return;
        }
        if (r < 0.04) return; // rings until the ACD gives up: ring-no-answer
        clock.setTimeout(() => {
          if (done) return;
          const ch = new FakeChannel({ clock, id: `leg-${agent.id}-${legSeq++}`, direction: 'outbound' });
          void ch.answer();
          legs.set(agent.id, ch);
          if (call.kind === 'inbound') answeredAt.set(call.callId, clock.monotonic());
          // The agent ends the call after the talk time (unless the caller hangs up first).
          clock.setTimeout(() => ch.level !== 'terminated' && ch.remoteHangup(), grid(20_000 + exp(100_000)));
          finish({ outcome: 'answered', channel: ch });
        }, grid(1_000 + rnd() * 6_000));
      });
    },
  };
  const customers: CustomerDialer = {
    dial: (number, opts) =>
      new Promise<DialOutcome>((resolve) => {
        const ok = rnd() < 0.75;
        clock.setTimeout(
          () => {
            if (!ok || opts.signal.aborted) return resolve({ outcome: 'no-answer' });
            const ch = new FakeChannel({ clock, id: `cust-${opts.callbackId}-${legSeq++}`, direction: 'outbound', caller: number });
            void ch.answer();
            resolve({ outcome: 'answered', channel: ch });
          },
          ok ? grid(3_000) : grid(20_000),
        );
      }),
  };

  const acd = new Acd(
    { clock, bus, log, store, dialer, bridger: new FakeBridger(), customerDialer: customers, random: rnd },
    { ringNoAnswer: { action: 'break', reason: 'ring-no-answer' }, busyRetryMs: 2_000 },
  );
  const scheduler = new AcdScheduler({ clock, acd, log }, { intervalsMs: [INTERVAL] });

  const queues: QueueConfig[] = [
    queueConfig('billing', { strategy: 'least-recent', ringTimeoutMs: 12_000, wrapUpMs: 8_000 }),
    queueConfig('outage', { strategy: 'fewest-calls', ringTimeoutMs: 12_000, wrapUpMs: 5_000 }),
    queueConfig('english', {
      strategy: 'skills-based',
      ringTimeoutMs: 12_000,
      wrapUpMs: 10_000,
      skills: [
        { afterMs: 0, requirements: [{ skill: 'english', minProficiency: 4 }] },
        { afterMs: 30_000, requirements: [{ skill: 'english', minProficiency: 2 }] },
        { afterMs: 90_000, requirements: [] },
      ],
    }),
    queueConfig('meter', {
      strategy: 'rr-memory',
      ringTimeoutMs: 12_000,
      wrapUpMs: 6_000,
      maxWaitMs: 45_000,
      overflow: { kind: 'queue', queueId: 'billing' },
      callback: { key: '1', maxAttempts: 2, retryDelayMs: 60_000, expiryMs: 1_800_000, customerRingMs: 20_000 },
    }),
  ];
  for (const q of queues) acd.upsertQueue(q);
  const fifoQueues = new Set(['billing', 'outage', 'meter']);
  const agentIds: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const id = `a${i}`;
    const skills: Record<string, number> = rnd() < 0.5 ? { english: 1 + Math.floor(rnd() * 5) } : {};
    const ms = queues.filter(() => rnd() < 0.5);
    if (ms.length === 0) ms.push(pickOf(queues));
    acd.upsertAgent({ id, name: id, skills, memberships: ms.map((q) => ({ queueId: q.id, penalty: rnd() < 0.2 ? 1 : 0 })) });
    acd.setStatus(id, 'available');
    agentIds.push(id);
  }

  // ------------------------------------------------------------ the event-log model (invariants)
  const agentModel = new Map<string, { status: string; state: string }>();
  interface W {
    priority: number;
    order: number;
    offering: boolean;
  }
  const waiting = new Map<string, Map<string, W>>(queues.map((q) => [q.id, new Map()]));
  const offers = new Map<string, { callId: string; queueId: string; pending: Set<string>; answered: boolean }>();
  const terminal = new Map<string, number>(); // callId|segment → exits
  const joinedSeg = new Map<string, number>();
  const answeredCount = new Map<string, number>();
  let order = 0;
  bus.onAny((e) => {
    switch (e.type) {
      case 'acd.agent.status-changed':
      case 'acd.agent.state-changed':
        if (e.payload.to === 'offered' && (e.payload.status !== 'available' || e.payload.from !== 'idle'))
          fail(`${e.payload.agentId} offered while ${e.payload.status}/${e.payload.from}`);
        agentModel.set(e.payload.agentId, { status: e.payload.status, state: e.payload.state });
        break;
      case 'queue.caller.joined': {
        waiting.get(e.payload.queueId)!.set(e.payload.callId, { priority: e.payload.priority, order: order++, offering: false });
        const seg = (joinedSeg.get(e.payload.callId) ?? 0) + 1;
        joinedSeg.set(e.payload.callId, seg);
        break;
      }
      case 'acd.offer.created': {
        offers.set(e.payload.offerId, { callId: e.payload.callId, queueId: e.payload.queueId, pending: new Set(e.payload.agentIds), answered: false });
        if (e.payload.kind !== 'inbound') break;
        const line = waiting.get(e.payload.queueId)!;
        const me = line.get(e.payload.callId);
        if (!me) {
          fail(`offer for ${e.payload.callId} not waiting in ${e.payload.queueId}`);
          break;
        }
        if (fifoQueues.has(e.payload.queueId))
          for (const [id, w] of line)
            if (!w.offering && id !== e.payload.callId && (w.priority > me.priority || (w.priority === me.priority && w.order < me.order)))
              fail(`${e.payload.callId} (p${me.priority}) offered before ${id} (p${w.priority}) in ${e.payload.queueId}`);
        me.offering = true;
        break;
      }
      case 'acd.offer.ended': {
        const o = offers.get(e.payload.offerId);
        if (!o) break;
        o.pending.delete(e.payload.agentId);
        if (e.payload.outcome === 'answered') o.answered = true;
        if (o.pending.size === 0 || o.answered) {
          const w = waiting.get(o.queueId)?.get(o.callId);
          if (w && !o.answered) w.offering = false;
          if (o.pending.size === 0) offers.delete(e.payload.offerId);
        }
        break;
      }
      case 'queue.caller.answered':
      case 'queue.caller.abandoned':
      case 'queue.caller.overflowed':
      case 'queue.callback.requested': {
        const key = `${e.payload.callId}|${joinedSeg.get(e.payload.callId) ?? 0}`;
        terminal.set(key, (terminal.get(key) ?? 0) + 1);
        waiting.get(e.payload.queueId)!.delete(e.payload.callId);
        if (e.type === 'queue.caller.answered') answeredCount.set(e.payload.callId, (answeredCount.get(e.payload.callId) ?? 0) + 1);
        break;
      }
      case 'queue.callback.completed':
        answeredCount.set(e.payload.callbackId, (answeredCount.get(e.payload.callbackId) ?? 0) + 1);
        break;
      default:
        break;
    }
  });

  // ------------------------------------------------------------ callers
  const tiers: CustomerTier[] = ['standard', 'standard', 'standard', 'standard', 'standard', 'standard', 'large-customer', 'large-customer', 'vip', 'critical-load'];
  const outcomes = new Map<string, QueueOutcome[]>();
  const enqueuedAt = new Map<string, number>();
  let arrived = 0;
  const arrive = (): void => {
    const callId = `c${arrived++}`;
    const ch = new FakeChannel({ clock, id: callId, caller: `1380000${String(arrived).padStart(4, '0')}` });
    void ch.answer();
    const queueId = pickOf(['billing', 'billing', 'outage', 'english', 'meter']);
    enqueuedAt.set(callId, clock.monotonic());
    outcomes.set(callId, []);
    void acd.enqueue({ channel: ch, queueId, tier: pickOf(tiers) }).then((o) => outcomes.get(callId)!.push(o));
    // Patience: the caller hangs up if still waiting; some ask for a callback instead.
    const patience = grid(exp(150_000));
    const wantsCallback = queueId === 'meter' && rnd() < 0.3;
    clock.setTimeout(() => {
      if (outcomes.get(callId)!.length === 0 && ch.level !== 'terminated') {
        if (wantsCallback) ch.press('1');
        else ch.remoteHangup();
      }
    }, wantsCallback ? grid(20_000 + rnd() * 40_000) : patience);
    // Some callers hang up during the conversation before the agent does.
    if (rnd() < 0.2) clock.setTimeout(() => outcomes.get(callId)![0]?.outcome === 'answered' && ch.level !== 'terminated' && ch.remoteHangup(), patience + grid(30_000));
    if (arrived < CALLS) clock.setTimeout(arrive, grid(exp(560)));
  };

  // Agents on a ring-no-answer break come back after a while; some take breaks or log out.
  bus.on('acd.agent.status-changed', (e) => {
    if (e.payload.to === 'on-break')
      clock.setTimeout(() => {
        const m = agentModel.get(e.payload.agentId);
        if (m?.status === 'on-break') acd.setStatus(e.payload.agentId, 'available');
      }, grid(30_000 + rnd() * 120_000));
  });
  const churn = clock.setInterval(() => {
    const id = pickOf(agentIds);
    const m = agentModel.get(id);
    if (m?.status === 'available') acd.setStatus(id, rnd() < 0.7 ? 'on-break' : 'logged-out', 'lunch');
    else if (m?.status === 'logged-out') acd.setStatus(id, 'available');
  }, 20_000);

  // "No agent stuck", while running.
  const stuckCheck = (): void => {
    for (const id of agentIds) {
      const snap = acd.agentSnapshot(id);
      const leg = legs.get(id);
      if (snap.state === 'offered' && !ringing.has(id)) fail(`${id} offered with no phone ringing`);
      if (snap.state === 'in-call' && (!leg || leg.level === 'terminated')) {
        // A callback's agent waits while the customer is dialled; otherwise the leg must be live.
        if (!leg || leg.level === 'terminated') fail(`${id} in-call with no live leg`);
      }
      if (snap.state !== 'offered' && ringing.has(id)) fail(`${id} ringing but ${snap.state}`);
    }
  };
  const checker = clock.setInterval(stuckCheck, 60_000);

  scheduler.start();
  const start = clock.now();
  clock.setTimeout(arrive, STEP);
  const tick = (): Promise<void> => new Promise<void>((r) => setImmediate(r));
  while (arrived < CALLS) {
    clock.advance(STEP);
    await tick();
  }
  churn.cancel();
  // Drain: everyone back, no new traffic, until every caller and callback is done.
  for (const id of agentIds) if (agentModel.get(id)?.status === 'logged-out') acd.setStatus(id, 'available');
  for (let i = 0; i < 35 * 600; i++) {
    clock.advance(STEP);
    await tick();
  }
  await tick();
  stuckCheck();
  checker.cancel();
  // Close the last (partial) interval too.
  clock.advance(INTERVAL);
  await tick();
  scheduler.stop();
  acd.stop();
  const end = clock.now();

  t.deepEqual(violations, []);

  // ---- every caller ended once; nobody served twice; every segment one outcome
  t.is(arrived, CALLS);
  const byOutcome: Record<string, number> = {};
  for (const [id, os] of outcomes) {
    if (os.length !== 1) fail(`${id} settled ${os.length} times`);
    const o = os[0]?.outcome ?? 'unsettled';
    byOutcome[o] = (byOutcome[o] ?? 0) + 1;
  }
  for (const [id, n] of answeredCount) if (n !== 1) fail(`${id} served ${n} times`);
  for (const [callId, segs] of joinedSeg)
    for (let s = 1; s <= segs; s++) if (terminal.get(`${callId}|${s}`) !== 1) fail(`${callId} segment ${s} ended ${terminal.get(`${callId}|${s}`) ?? 0} times`);
  t.deepEqual(violations, []);
  t.is(byOutcome['unsettled'], undefined);
  t.log(`outcomes ${JSON.stringify(byOutcome)}`);
  t.true((byOutcome['answered'] ?? 0) > 5_000 && (byOutcome['abandoned'] ?? 0) > 100 && (byOutcome['callback-requested'] ?? 0) > 50, 'the mix exercised every path');
  t.true(events.some((e) => e.type === 'queue.caller.overflowed'), 'some callers overflowed');
  t.true(events.some((e) => e.type === 'queue.callback.completed') && events.some((e) => e.type === 'queue.callback.attempted' && e.payload.outcome === 'no-answer'));
  t.true(events.some((e) => e.type === 'acd.agent.status-changed' && e.payload.by === 'acd'), 'some ring-no-answer breaks');

  // ---- no agent stuck: all idle now, no offers, nobody waiting but expired/finished callbacks
  for (const id of agentIds) t.is(acd.agentSnapshot(id).state, 'idle', `${id} idle at the end`);
  t.is(ringing.size, 0);
  t.deepEqual(store.pendingCallbacks(), []);

  // ---- the sim's stopwatch equals the event log's waits
  let checkedWaits = 0;
  for (const e of events)
    if (e.type === 'queue.caller.answered' && enqueuedAt.has(e.payload.callId) && joinedSeg.get(e.payload.callId) === 1) {
      t.is(e.payload.waitMs, answeredAt.get(e.payload.callId)! - enqueuedAt.get(e.payload.callId)!, e.payload.callId);
      checkedWaits++;
    }
  t.true(checkedWaits > 4_000);

  // ---- interval stats stored by the scheduler = an independent recomputation from the raw events
  const T = 20_000;
  const S = 5_000;
  const mine = new Map<string, QueueCounts>();
  const bucket = (q: string, at: number): QueueCounts => {
    const k = `${q}@${Math.floor(at / INTERVAL) * INTERVAL}`;
    let c = mine.get(k);
    if (!c) mine.set(k, (c = emptyCounts()));
    return c;
  };
  for (const e of events) {
    if (e.type === 'queue.caller.joined') bucket(e.payload.queueId, e.at).offered++;
    else if (e.type === 'queue.caller.answered') {
      const c = bucket(e.payload.queueId, e.at);
      c.answered++;
      if (e.payload.waitMs <= T) c.answeredWithin++;
      c.sumAnswerWaitMs += e.payload.waitMs;
    } else if (e.type === 'queue.caller.abandoned') {
      const c = bucket(e.payload.queueId, e.at);
      c.abandoned++;
      if (e.payload.waitMs <= S) c.abandonedShort++;
    } else if (e.type === 'queue.callback.requested') bucket(e.payload.queueId, e.at).callbacks++;
    else if (e.type === 'queue.caller.overflowed') bucket(e.payload.queueId, e.at).overflowed++;
    else if (e.type === 'acd.call.completed') bucket(e.payload.queueId, e.at).handled++;
  }
  const stored = queues.flatMap((q) => store.intervalStats(q.id, start - INTERVAL, end));
  t.is(stored.length, mine.size, 'one stored row per queue and interval with traffic');
  for (const r of stored) {
    const c = mine.get(`${r.queueId}@${r.intervalStart}`);
    if (!c) {
      t.fail(`unexpected row ${r.queueId}@${r.intervalStart}`);
      continue;
    }
    const key = `${r.queueId}@${new Date(r.intervalStart).toISOString()}`;
    t.deepEqual(
      [r.offered, r.answered, r.answeredWithin, r.abandoned, r.abandonedShort, r.callbacks, r.overflowed, r.handled, r.sumAnswerWaitMs],
      [c.offered, c.answered, c.answeredWithin, c.abandoned, c.abandonedShort, c.callbacks, c.overflowed, c.handled, c.sumAnswerWaitMs],
      key,
    );
    const sl = (x: { answeredWithin: number; answered: number; abandoned: number; abandonedShort: number }): number | null => {
      const den = x.answered + x.abandoned - x.abandonedShort;
      return den > 0 ? (x.answeredWithin / den) * 100 : null;
    };
    t.is(sl(r), sl(c), `SL ${key}`);
    t.is(r.answered > 0 ? r.sumAnswerWaitMs / r.answered : null, c.answered > 0 ? c.sumAnswerWaitMs / c.answered : null, `ASA ${key}`);
  }

  // ---- the real-time counters (no midnight in this run) equal the sum of the intervals
  for (const q of queues) {
    const live = acd.queueSnapshot(q.id).counts;
    const sum = emptyCounts();
    for (const r of store.intervalStats(q.id, start - INTERVAL, end))
      for (const k of Object.keys(sum) as (keyof QueueCounts)[]) sum[k] = k === 'maxAnswerWaitMs' ? Math.max(sum[k], r[k]) : sum[k] + r[k];
    t.deepEqual(live, sum, q.id);
  }
  t.true(Object.values(defaultTierPriority).length === 4);
});
