import test from 'ava';
import path from 'node:path';
import { ValidationError } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore, type Store } from '../store/database.js';
import { SqliteAcdStore } from './acd-store.js';
import type { QueueConfig, QueueOutcome } from './model.js';
import { makeRig, queueConfig, type Rig } from './testing/acd-harness.js';

function open(file: string): { store: Store; acdStore: SqliteAcdStore } {
  const store = openStore({ file, clock: new ManualClock(), log: silentLogger() });
  return { store, acdStore: new SqliteAcdStore(store) };
}

const callback = { key: '1', maxAttempts: 3, retryDelayMs: 60_000, expiryMs: 3_600_000, customerRingMs: 20_000 };

async function firstLife(file: string): Promise<{ q1: QueueConfig; callbackId: string; number: string }> {
  const { store, acdStore } = open(file);
  const rig = makeRig({}, acdStore);
  const q2 = queueConfig('q2', { strategy: 'linear' });
  const q1 = queueConfig('q1', {
    strategy: 'skills-based',
    overflow: { kind: 'queue', queueId: 'q2' },
    skills: [
      { afterMs: 0, requirements: [{ skill: 'billing', minProficiency: 3 }] },
      { afterMs: 60_000, requirements: [] },
    ],
    callback,
  });
  rig.acd.upsertQueue(q2);
  rig.acd.upsertQueue(q1);
  rig.acd.upsertAgent({ id: 'a1', name: 'Ann', skills: { billing: 4 }, memberships: [{ queueId: 'q1', penalty: 0, wrapUpMs: 5_000 }, { queueId: 'q2', penalty: 1 }] });
  rig.acd.upsertAgent({ id: 'a2', name: 'Bo', skills: {}, memberships: [{ queueId: 'q2', penalty: 0 }] });
  rig.acd.upsertAgent({ id: 'gone', name: 'Gone', skills: {}, memberships: [] });
  rig.acd.removeAgent('gone');
  rig.acd.setStatus('a2', 'on-break', 'lunch');
  // Nobody available: the caller asks for a callback and hangs up.
  const ch = rig.caller('c1', '13800000001');
  const outcome = rig.acd.enqueue({ channel: ch, queueId: 'q1', tier: 'vip' });
  rig.clock.advance(10_000);
  ch.press('1');
  const o = (await outcome) as Extract<QueueOutcome, { outcome: 'callback-requested' }>;
  rig.acd.stop();
  await store.close();
  return { q1, callbackId: o.callbackId, number: '13800000001' };
}

function secondLife(file: string): { store: Store; acdStore: SqliteAcdStore; rig: Rig } {
  const { store, acdStore } = open(file);
  const rig = makeRig({}, acdStore);
  rig.clock.advance(120_000);
  return { store, acdStore, rig };
}

test('after a restart on the same SQLite file, queues, agents and statuses come back and a pending callback resumes', async (t) => {
  const file = path.join(tempDir('acd-restore-'), 'appliance.db');
  const first = await firstLife(file);

  const { store, acdStore, rig } = secondLife(file);
  const report = rig.acd.restore();
  t.like(report, { queues: 2, agents: 2, callbacks: 1, expiredCallbacks: 0, issues: [] });
  t.deepEqual(rig.acd.queueConfig('q1'), first.q1);
  t.deepEqual(rig.acd.agentConfig('a1').memberships, [{ queueId: 'q1', penalty: 0, wrapUpMs: 5_000 }, { queueId: 'q2', penalty: 1 }]);
  t.throws(() => rig.acd.agentConfig('gone'), { code: 'NOT_FOUND' });
  t.like(rig.acd.agentSnapshot('a2'), { status: 'on-break', breakReason: 'lunch', state: 'idle' });
  t.like(rig.acd.agentSnapshot('a1'), { status: 'logged-out', state: 'idle' });
  const waiting = rig.acd.explain('c1');
  t.like(waiting, { kind: 'callback', queueId: 'q1', tier: 'vip', state: 'waiting' });

  // An agent logs in: the restored callback rings them first, then the customer is dialled.
  rig.acd.setStatus('a1', 'available');
  t.deepEqual([...rig.dialer.ringing.keys()], ['a1']);
  t.like(rig.dialer.ringing.get('a1')!.call, { kind: 'callback', callId: 'c1', tier: 'vip' });
  rig.dialer.ringing.get('a1')!.answer();
  await rig.settle();
  t.deepEqual(rig.customers.dials.map((d) => [d.number, d.callbackId]), [[first.number, first.callbackId]]);
  t.is(acdStore.pendingCallbacks().length, 0);
  t.true(rig.types('queue.callback.').includes('queue.callback.completed'));
  rig.acd.stop();
  await store.close();
});

test('restore closes a stored callback that expired while the appliance was down, and one whose queue is gone', async (t) => {
  const file = path.join(tempDir('acd-restore-'), 'appliance.db');
  const first = await firstLife(file);
  const { store, acdStore, rig } = secondLife(file);
  rig.clock.advance(3_600_000);
  const report = rig.acd.restore();
  t.like(report, { callbacks: 0, expiredCallbacks: 1 });
  t.is(acdStore.pendingCallbacks().length, 0);
  t.like(rig.events.find((e) => e.type === 'queue.callback.expired')?.payload, { callbackId: first.callbackId, why: 'expired' });
  t.throws(() => rig.acd.explain('c1'), { code: 'NOT_FOUND' });
  await store.close();

  const file2 = path.join(tempDir('acd-restore-'), 'appliance.db');
  await firstLife(file2);
  const again = open(file2);
  again.acdStore.deleteQueueConfig('q1');
  const rig2 = makeRig({}, again.acdStore);
  t.like(rig2.acd.restore(), { queues: 1, callbacks: 0, expiredCallbacks: 1 });
  t.like(rig2.events.find((e) => e.type === 'queue.callback.expired')?.payload, { why: 'queue-deleted' });
  await again.store.close();
});

test('a stored configuration row that fails validation is skipped and reported by field; the rest loads', async (t) => {
  const file = path.join(tempDir('acd-restore-'), 'appliance.db');
  await firstLife(file);
  const { store, rig } = secondLife(file);
  const bad = { ...queueConfig('bad'), ringTimeoutMs: -5, colour: 'red' };
  store.sqlite
    .prepare('INSERT INTO acd_queues (id, name, strategy, config, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)')
    .run('bad', 'bad', 'linear', JSON.stringify(bad));
  store.sqlite.prepare("UPDATE acd_agents SET skills = ? WHERE id = 'a2'").run(JSON.stringify({ billing: 9 }));
  const report = rig.acd.restore();
  t.deepEqual(report.issues.map((i) => i.path).sort(), ['agents.a2.skills.billing', 'queues.bad.colour', 'queues.bad.ringTimeoutMs']);
  t.like(report, { queues: 2, agents: 1 });
  t.throws(() => rig.acd.queueConfig('bad'), { code: 'NOT_FOUND' });
  await store.close();
});

test('configuration changes are written through: delete removes the queue and its memberships from the store', async (t) => {
  const file = path.join(tempDir('acd-restore-'), 'appliance.db');
  const { store, acdStore } = open(file);
  const rig = makeRig({}, acdStore);
  rig.acd.upsertQueue(queueConfig('q1'));
  rig.acd.upsertQueue(queueConfig('q2', { overflow: { kind: 'queue', queueId: 'q1' } }));
  rig.acd.upsertAgent({ id: 'a1', name: 'Ann', skills: {}, memberships: [{ queueId: 'q1', penalty: 0 }, { queueId: 'q2', penalty: 2 }] });
  const err = t.throws(() => rig.acd.upsertAgent({ id: 'a9', name: 'X', skills: {}, memberships: [{ queueId: 'nope', penalty: 0 }] }), { instanceOf: ValidationError });
  t.deepEqual(err.issues.map((i) => i.path), ['agents.a9.memberships.0.queueId']);
  rig.acd.deleteQueue('q1');
  const stored = acdStore.loadConfig();
  t.deepEqual(stored.queues.map((q) => (q as QueueConfig).id), ['q2']);
  t.like(stored.queues[0], { overflow: { kind: 'hangup' } });
  t.deepEqual(stored.agents, [{ id: 'a1', name: 'Ann', skills: {}, memberships: [{ queueId: 'q2', penalty: 2 }] }]);
  await store.close();
});
