import test from 'ava';
import path from 'node:path';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { SqliteAcdStore } from './acd-store.js';
import { intervalStats } from './interval-stats.js';
import { makeRig, queueConfig } from './testing/acd-harness.js';
import { MemoryAcdStore } from './testing/memory-acd-store.js';
import type { QueueOutcome } from './model.js';

test('a whole call is stored: agent states, event log, callbacks and interval stats round-trip through SQLite', async (t) => {
  const clock = new ManualClock();
  const store = openStore({ file: path.join(tempDir('acd-store-'), 'a.db'), clock, log: silentLogger() });
  const acdStore = new SqliteAcdStore(store);
  const rig = makeRig({}, acdStore);
  rig.acd.upsertQueue(queueConfig('q', { callback: { key: '1', maxAttempts: 2, retryDelayMs: 1_000, expiryMs: 60_000, customerRingMs: 10_000 } }));
  rig.acd.upsertAgent({ id: 'a1', name: 'A1', skills: {}, memberships: [{ queueId: 'q', penalty: 0 }] });
  rig.acd.setStatus('a1', 'available');
  void rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q', tier: 'vip' });
  rig.clock.advance(4_000);
  rig.dialer.ringing.get('a1')!.answer();
  await rig.settle();
  const c2 = rig.caller('c2');
  const o2 = rig.acd.enqueue({ channel: c2, queueId: 'q' });
  c2.press('1');
  const cb = (await o2) as Extract<QueueOutcome, { outcome: 'callback-requested' }>;
  rig.clock.advance(30_000);
  rig.dialer.agentChannels.get('a1')!.remoteHangup();
  await rig.settle();
  rig.acd.flush();

  t.deepEqual(acdStore.agentStates().map((s) => [s.agentId, s.status, s.state]), [['a1', 'available', 'offered']]);
  const open = acdStore.pendingCallbacks();
  t.is(open.length, 1);
  t.like(open[0], { id: cb.callbackId, number: c2.caller.number, status: 'pending', tier: 'standard' });
  const events = acdStore.events(0, Number.MAX_SAFE_INTEGER);
  t.deepEqual(
    events.filter((e) => e.type.startsWith('queue.')).map((e) => e.type),
    ['queue.caller.joined', 'queue.caller.answered', 'queue.caller.joined', 'queue.callback.requested'],
  );
  t.like(events.find((e) => e.type === 'queue.caller.answered'), { queueId: 'q', agentId: 'a1', callId: 'c1', payload: { waitMs: 4_000 } });
  const rows = intervalStats(events, 1_800_000, () => ({ serviceLevelMs: 20_000, shortAbandonMs: 5_000 }));
  acdStore.saveIntervalStats(rows);
  acdStore.saveIntervalStats(rows);
  const back = acdStore.intervalStats('q', 0, Number.MAX_SAFE_INTEGER);
  t.deepEqual(back, rows);
  t.like(back[0], { offered: 2, answered: 1, answeredWithin: 1, callbacks: 1, abandoned: 0, handled: 1, talkMs: 30_000 });
  await store.close();
});

test('a tick is one transaction: events and agent rows are stored together or not at all', async (t) => {
  const clock = new ManualClock();
  const store = openStore({ file: path.join(tempDir('acd-store-'), 'a.db'), clock, log: silentLogger() });
  const acdStore = new SqliteAcdStore(store);
  const rig = makeRig({}, acdStore);
  rig.acd.upsertQueue(queueConfig('q'));
  rig.acd.upsertAgent({ id: 'a1', name: 'A1', skills: {}, memberships: [{ queueId: 'q', penalty: 0 }] });
  rig.acd.setStatus('a1', 'available');
  rig.acd.flush();
  t.deepEqual(acdStore.agentStates().map((s) => [s.agentId, s.status]), [['a1', 'available']]);
  t.true(acdStore.events(0, Number.MAX_SAFE_INTEGER).some((e) => e.type === 'acd.agent.status-changed'));

  const before = acdStore.events(0, Number.MAX_SAFE_INTEGER).length;
  const event = { id: 'ev-x', at: clock.now(), type: 'acd.agent.status-changed', queueId: null, agentId: 'a1', callId: null, payload: {} } as never;
  // The row breaks the table's CHECK: the event written before it in the same tick must roll back.
  const bad = { agentId: 'a1', status: 'asleep', breakReason: null, state: 'idle', updatedAt: clock.now() } as never;
  t.throws(() => acdStore.saveTick([event], [bad]), { any: true, code: 'SQLITE_CONSTRAINT_CHECK' } as never);
  t.is(acdStore.events(0, Number.MAX_SAFE_INTEGER).length, before);
  t.deepEqual(acdStore.agentStates().map((s) => [s.agentId, s.status]), [['a1', 'available']]);
  await store.close();
});

test('the ACD writes a tick (a call offered: events plus every changed agent row) with one store call', async (t) => {
  const store = new MemoryAcdStore();
  const rig = makeRig({}, store);
  rig.acd.upsertQueue(queueConfig('q', { strategy: 'ring-all' }));
  for (const id of ['a1', 'a2']) rig.acd.upsertAgent({ id, name: id, skills: {}, memberships: [{ queueId: 'q', penalty: 0 }] });
  rig.acd.setStatus('a1', 'available');
  rig.acd.setStatus('a2', 'available');
  await rig.settle();
  const before = store.ticks;
  void rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  await rig.settle();
  t.is(store.ticks, before + 1);
  t.deepEqual([...store.agents.values()].map((r) => [r.agentId, r.state]), [['a1', 'offered'], ['a2', 'offered']]);
  t.true(store.log.some((e) => e.type === 'acd.offer.created'));
});

test('group commit (persistWindowMs): the ticks of a whole call within the window are one store write, written when the window ends', async (t) => {
  const store = new MemoryAcdStore();
  const rig = makeRig({ persistWindowMs: 20 }, store);
  rig.acd.upsertQueue(queueConfig('q'));
  rig.acd.upsertAgent({ id: 'a1', name: 'a1', skills: {}, memberships: [{ queueId: 'q', penalty: 0 }] });
  rig.acd.setStatus('a1', 'available');
  rig.clock.advance(20);
  const before = store.ticks;
  const outcome = rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  await rig.settle();
  rig.dialer.ringing.get('a1')!.answer();
  await rig.settle();
  rig.dialer.agentChannels.get('a1')!.remoteHangup();
  t.like(await outcome, { outcome: 'answered' });
  await rig.settle();
  // Joined, offered, answered, ended: several ticks, nothing written yet.
  t.is(store.ticks, before);
  rig.clock.advance(19);
  t.is(store.ticks, before);
  rig.clock.advance(1);
  t.is(store.ticks, before + 1);
  const types = store.log.map((e) => e.type);
  for (const ty of ['queue.caller.joined', 'acd.offer.created', 'queue.caller.answered'] as const) t.true(types.includes(ty), ty);
  t.is(store.agents.get('a1')?.state, 'idle');
  // stop() writes what is pending at once.
  rig.acd.setStatus('a1', 'on-break', 'lunch');
  rig.acd.stop();
  t.is(store.ticks, before + 2);
  t.is(store.agents.get('a1')?.status, 'on-break');
});

test('large ticks: 450 events (three multi-row inserts) and many agent rows upserted, the second write updating the first', async (t) => {
  const clock = new ManualClock();
  const store = openStore({ file: path.join(tempDir('acd-store-'), 'a.db'), clock, log: silentLogger() });
  const acdStore = new SqliteAcdStore(store);
  const events = Array.from({ length: 450 }, (_, i) => ({ id: `ev-${String(i).padStart(4, '0')}`, at: 1_000 + i, type: 'acd.agent.reconciled', queueId: null, agentId: `a${i % 250}`, callId: null, payload: { agentId: `a${i % 250}`, callId: null, was: 'in-call', why: `n${i}` } }) as never);
  const rows = (state: 'idle' | 'in-call', at: number) => Array.from({ length: 250 }, (_, i) => ({ agentId: `a${i}`, status: 'available' as const, breakReason: null, state, updatedAt: at }));
  acdStore.saveTick(events, rows('in-call', 1));
  acdStore.saveTick([], rows('idle', 2));
  const stored = acdStore.events(0, Number.MAX_SAFE_INTEGER);
  t.is(stored.length, 450);
  t.deepEqual(stored[449]!.payload, { agentId: 'a199', callId: null, was: 'in-call', why: 'n449' });
  const states = acdStore.agentStates();
  t.is(states.length, 250);
  t.true(states.every((s) => s.state === 'idle' && s.updatedAt === 2));
  await store.close();
});
