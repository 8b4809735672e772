import test from 'ava';
import { InvalidTransitionError, ValidationError } from '../core/errors.js';
import type { QueueOutcome } from './model.js';
import { makeRig, queueConfig, type Rig } from './testing/acd-harness.js';

function agents(rig: Rig, queueId: string, ids: string[], skills: Record<string, number> = {}): void {
  for (const id of ids) rig.acd.upsertAgent({ id, name: id.toUpperCase(), skills, memberships: [{ queueId, penalty: 0 }] });
}

test('VIP and critical-load callers are served before standard ones; FIFO within a tier', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q'));
  agents(rig, 'q', ['a1']);
  const order: string[] = [];
  const join = (id: string, tier: 'standard' | 'vip' | 'critical-load'): void => {
    void rig.acd.enqueue({ channel: rig.caller(id), queueId: 'q', tier }).then((o) => o.outcome === 'answered' && order.push(id));
    rig.clock.advance(1000);
  };
  join('std1', 'standard');
  join('vip1', 'vip');
  join('std2', 'standard');
  join('crit1', 'critical-load');
  join('vip2', 'vip');
  t.is(rig.acd.explain('std1').position, 4);
  rig.acd.setStatus('a1', 'available');
  for (let i = 0; i < 5; i++) {
    rig.dialer.ringing.get('a1')!.answer();
    await rig.settle();
    rig.dialer.agentChannels.get('a1')!.remoteHangup();
    await rig.settle();
  }
  t.deepEqual(order, ['crit1', 'vip1', 'vip2', 'std1', 'std2']);
});

test('ring-no-answer puts the agent on break with the configured reason and offers the next agent', async (t) => {
  const rig = makeRig({ ringNoAnswer: { action: 'break', reason: 'missed-call' } });
  rig.acd.upsertQueue(queueConfig('q', { strategy: 'linear', ringTimeoutMs: 15_000 }));
  agents(rig, 'q', ['a1', 'a2']);
  rig.acd.setStatus('a1', 'available');
  rig.acd.setStatus('a2', 'available');
  void rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  t.deepEqual([...rig.dialer.ringing.keys()], ['a1']);
  rig.clock.advance(14_999);
  t.is(rig.acd.agentSnapshot('a1').state, 'offered');
  rig.clock.advance(1);
  await rig.settle();
  t.like(rig.acd.agentSnapshot('a1'), { status: 'on-break', breakReason: 'missed-call', state: 'idle' });
  t.deepEqual([...rig.dialer.ringing.keys()], ['a2']);
  const ended = rig.events.find((e) => e.type === 'acd.offer.ended');
  t.like(ended?.payload, { agentId: 'a1', outcome: 'no-answer' });
  const brk = rig.events.find((e) => e.type === 'acd.agent.status-changed' && e.payload.by === 'acd');
  t.like(brk?.payload, { agentId: 'a1', to: 'on-break', breakReason: 'missed-call' });
});

test('a caller hanging up while an agent rings is an abandon; the agent is freed without a break', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q'));
  agents(rig, 'q', ['a1']);
  rig.acd.setStatus('a1', 'available');
  const ch = rig.caller('c1');
  const outcome = rig.acd.enqueue({ channel: ch, queueId: 'q' });
  rig.clock.advance(3_000);
  ch.remoteHangup();
  t.deepEqual(await outcome, { outcome: 'abandoned', waitMs: 3_000 });
  t.like(rig.acd.agentSnapshot('a1'), { status: 'available', state: 'idle' });
  t.is(rig.acd.queueSnapshot('q').counts.abandoned, 1);
  t.is(rig.acd.queueSnapshot('q').counts.abandonedShort, 1);
});

test('wrap-up: the agent is idle exactly when the per-queue (or per-membership) wrap-up ends', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q', { wrapUpMs: 10_000 }));
  rig.acd.upsertQueue(queueConfig('q2', { wrapUpMs: 10_000 }));
  rig.acd.upsertAgent({ id: 'a1', name: 'A1', skills: {}, memberships: [{ queueId: 'q', penalty: 0 }] });
  rig.acd.upsertAgent({ id: 'a2', name: 'A2', skills: {}, memberships: [{ queueId: 'q2', penalty: 0, wrapUpMs: 3_000 }] });
  rig.acd.setStatus('a1', 'available');
  rig.acd.setStatus('a2', 'available');
  void rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  void rig.acd.enqueue({ channel: rig.caller('c2'), queueId: 'q2' });
  const ag1 = rig.dialer.ringing.get('a1')!.answer();
  const ag2 = rig.dialer.ringing.get('a2')!.answer();
  await rig.settle();
  t.is(rig.acd.agentSnapshot('a1').state, 'in-call');
  rig.clock.advance(60_000);
  ag1.remoteHangup();
  ag2.remoteHangup();
  t.is(rig.acd.agentSnapshot('a1').state, 'wrap-up');
  rig.clock.advance(2_999);
  t.is(rig.acd.agentSnapshot('a2').state, 'wrap-up');
  rig.clock.advance(1);
  t.is(rig.acd.agentSnapshot('a2').state, 'idle');
  rig.clock.advance(6_999);
  t.is(rig.acd.agentSnapshot('a1').state, 'wrap-up');
  rig.clock.advance(1);
  t.is(rig.acd.agentSnapshot('a1').state, 'idle');
  const done = rig.events.filter((e) => e.type === 'acd.call.completed').map((e) => e.payload);
  t.like(done.find((d) => d.agentId === 'a1'), { talkMs: 60_000, holdMs: 0, acwMs: 10_000 });
  t.like(done.find((d) => d.agentId === 'a2'), { talkMs: 60_000, acwMs: 3_000 });
});

test('hold time is measured apart from talk time', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q'));
  agents(rig, 'q', ['a1']);
  rig.acd.setStatus('a1', 'available');
  void rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  const ag = rig.dialer.ringing.get('a1')!.answer();
  await rig.settle();
  rig.clock.advance(10_000);
  rig.acd.hold('a1');
  rig.clock.advance(5_000);
  rig.acd.resume('a1');
  rig.clock.advance(20_000);
  ag.remoteHangup();
  const done = rig.events.find((e) => e.type === 'acd.call.completed');
  t.like(done?.payload, { talkMs: 30_000, holdMs: 5_000, acwMs: 0 });
});

test('skills relax at exactly the configured step times', async (t) => {
  const rig = makeRig({ knownSkills: ['billing', 'cantonese'] });
  rig.acd.upsertQueue(
    queueConfig('q', {
      strategy: 'skills-based',
      skills: [
        { afterMs: 0, requirements: [{ skill: 'billing', minProficiency: 4 }] },
        { afterMs: 30_000, requirements: [{ skill: 'billing', minProficiency: 2 }] },
        { afterMs: 60_000, requirements: [] },
      ],
    }),
  );
  agents(rig, 'q', ['junior'], { billing: 2 });
  agents(rig, 'q', ['novice'], { cantonese: 3 });
  rig.acd.setStatus('junior', 'available');
  rig.acd.setStatus('novice', 'available');
  void rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  rig.clock.advance(29_999);
  t.is(rig.dialer.offers.length, 0);
  rig.clock.advance(1);
  t.deepEqual(rig.dialer.offers.map((o) => o.agentId), ['junior']);
  // the junior agent does not answer; at 60 s the novice qualifies.
  rig.acd.setStatus('novice', 'on-break', 'training');
  rig.clock.advance(15_000);
  await rig.settle();
  t.is(rig.acd.agentSnapshot('junior').status, 'on-break');
  rig.acd.setStatus('novice', 'available');
  t.is(rig.dialer.offers.length, 1);
  rig.clock.advance(14_999);
  t.is(rig.dialer.offers.length, 1);
  rig.clock.advance(1);
  t.deepEqual(rig.dialer.offers.map((o) => o.agentId), ['junior', 'novice']);
});

test('explain lists eligible agents, why others are not, and when the next relaxation happens', (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(
    queueConfig('q', {
      skills: [
        { afterMs: 0, requirements: [{ skill: 'billing', minProficiency: 3 }] },
        { afterMs: 45_000, requirements: [] },
      ],
    }),
  );
  agents(rig, 'q', ['busy'], { billing: 5 });
  agents(rig, 'q', ['weak'], { billing: 1 });
  agents(rig, 'q', ['lunch'], { billing: 4 });
  agents(rig, 'q', ['off'], { billing: 4 });
  rig.acd.upsertAgent({ id: 'backup', name: 'BACKUP', skills: { billing: 3 }, memberships: [{ queueId: 'q', penalty: 2 }] });
  rig.acd.setStatus('busy', 'available');
  void rig.acd.enqueue({ channel: rig.caller('first'), queueId: 'q' });
  rig.dialer.ringing.get('busy')!.answer();
  rig.acd.setStatus('weak', 'available');
  rig.acd.setStatus('lunch', 'on-break', 'lunch');
  rig.acd.setStatus('backup', 'on-break', 'meeting');
  void rig.acd.enqueue({ channel: rig.caller('c2'), queueId: 'q', tier: 'vip' });
  rig.clock.advance(10_000);
  const ex = rig.acd.explain('c2');
  t.is(ex.position, 1);
  t.is(ex.waitedMs, 10_000);
  t.deepEqual(ex.eligible, []);
  const why = Object.fromEntries(ex.ineligible.map((i) => [i.agentId, i.reasons]));
  t.deepEqual(why['weak'], ['billing proficiency 1 < 3']);
  t.deepEqual(why['lunch'], ['on break (lunch)']);
  t.deepEqual(why['off'], ['logged out']);
  t.deepEqual(why['backup'], ['on break (meeting)']);
  t.truthy(why['busy']?.some((r) => r === 'being offered this call' || r === 'ringing with another call' || r === 'in a call'));
  t.deepEqual(ex.nextRelaxation && { inMs: ex.nextRelaxation.inMs, stepIndex: ex.nextRelaxation.stepIndex }, { inMs: 35_000, stepIndex: 1 });
  t.is(ex.nextRelaxation?.at, rig.clock.now() + 35_000);
  rig.acd.setStatus('backup', 'available');
  const ex2 = rig.acd.explain('c2');
  t.is(ex2.state, 'offering');
  t.deepEqual(ex2.offeredTo, ['backup']);
});

test('explain shows a higher penalty as the reason while a better member is free', (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q'));
  rig.acd.upsertAgent({ id: 'main', name: 'M', skills: {}, memberships: [{ queueId: 'q', penalty: 0 }] });
  rig.acd.upsertAgent({ id: 'spare', name: 'S', skills: {}, memberships: [{ queueId: 'q', penalty: 3 }] });
  rig.acd.setStatus('spare', 'available');
  rig.acd.setStatus('main', 'on-break', 'x');
  rig.dialer.auto = null;
  void rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  rig.acd.upsertQueue(queueConfig('q2'));
  void rig.acd.enqueue({ channel: rig.caller('c2'), queueId: 'q2' });
  rig.acd.setStatus('main', 'available');
  // spare got c1 (main was on break); main is now free and better for a new caller
  const ex = rig.acd.explain('c1');
  t.deepEqual(ex.offeredTo, ['spare']);
});

test('callback-in-queue: keep place, hang up, agent-first callback when the turn comes; not an abandon', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q', { callback: { key: '1', maxAttempts: 3, retryDelayMs: 60_000, expiryMs: 3_600_000, customerRingMs: 30_000 } }));
  agents(rig, 'q', ['a1']);
  const c1 = rig.caller('c1', '13911112222');
  const o1 = rig.acd.enqueue({ channel: c1, queueId: 'q' });
  rig.clock.advance(5_000);
  const c2 = rig.caller('c2');
  const o2 = rig.acd.enqueue({ channel: c2, queueId: 'q' });
  rig.clock.advance(5_000);
  c1.press('1');
  const r1 = await o1;
  t.is(r1.outcome, 'callback-requested');
  t.is((r1 as Extract<QueueOutcome, { outcome: 'callback-requested' }>).waitMs, 10_000);
  await rig.clock.advanceAsync(3_000, 500);
  t.is(c1.level, 'terminated');
  t.true(c1.played.some((p) => p.kind === 'prompt' && p.name === 'queue/callback-confirmed'));
  t.is(rig.acd.queueSnapshot('q').callbacksWaiting, 1);
  // the callback kept c1's place ahead of c2
  t.is(rig.acd.explain('c1').position, 1);
  t.is(rig.acd.explain('c2').position, 2);
  rig.acd.setStatus('a1', 'available');
  t.like(rig.dialer.offers[0], { agentId: 'a1', call: { kind: 'callback', callId: 'c1' } });
  const agentLeg = rig.dialer.ringing.get('a1')!.answer();
  await rig.settle();
  t.deepEqual(rig.customers.dials.map((d) => d.number), ['13911112222']);
  t.is(rig.bridger.bridged.length, 1);
  t.is(rig.bridger.bridged[0]![1], agentLeg);
  t.deepEqual(rig.types('queue.callback'), ['queue.callback.requested', 'queue.callback.attempted', 'queue.callback.completed']);
  const counts = rig.acd.queueSnapshot('q').counts;
  t.is(counts.callbacks, 1);
  t.is(counts.abandoned, 0);
  rig.customers.channels[0]!.remoteHangup();
  await rig.settle();
  t.like(rig.dialer.offers[1], { agentId: 'a1', call: { kind: 'inbound', callId: 'c2' } });
  c2.remoteHangup();
  t.is((await o2).outcome, 'abandoned');
});

test('callback retries after the delay, respects calling hours, and gives up after max attempts', async (t) => {
  const rig = makeRig();
  // ManualClock starts 2026-01-05 01:00 UTC = 09:00 at UTC+8; calling hours 09:00–09:20 local.
  rig.acd.upsertQueue(
    queueConfig('q', {
      callback: { key: '*', maxAttempts: 2, retryDelayMs: 600_000, expiryMs: 86_400_000, customerRingMs: 20_000, callingHours: { startMinute: 540, endMinute: 560, utcOffsetMinutes: 480 } },
    }),
  );
  agents(rig, 'q', ['a1']);
  rig.acd.setStatus('a1', 'available');
  rig.acd.setStatus('a1', 'on-break', 'x');
  const c1 = rig.caller('c1', '020555');
  const o = rig.acd.enqueue({ channel: c1, queueId: 'q' });
  c1.press('*');
  const cbId = ((await o) as Extract<QueueOutcome, { outcome: 'callback-requested' }>).callbackId;
  rig.customers.script.push('no-answer', 'busy');
  rig.acd.setStatus('a1', 'available');
  rig.dialer.ringing.get('a1')!.answer();
  await rig.settle();
  t.is(rig.customers.dials.length, 1);
  t.is(rig.acd.agentSnapshot('a1').state, 'idle');
  t.is(rig.dialer.offers.length, 1);
  const ex = rig.acd.explain(cbId);
  t.is(ex.callback?.attempts, 1);
  // 10 min later it is 09:10 local: inside hours.
  rig.clock.advance(599_999);
  t.is(rig.dialer.offers.length, 1);
  rig.clock.advance(1);
  t.is(rig.dialer.offers.length, 2);
  rig.dialer.ringing.get('a1')!.answer();
  await rig.settle();
  t.is(rig.customers.dials.length, 2);
  const expired = rig.events.find((e) => e.type === 'queue.callback.expired');
  t.like(expired?.payload, { callbackId: cbId, attempts: 2, why: 'attempts-exhausted' });
  t.is(rig.acd.queueSnapshot('q').callbacksWaiting, 0);
});

test('a callback requested outside calling hours waits for the next opening', async (t) => {
  const rig = makeRig();
  // 09:00 local now; hours 10:00–18:00 local.
  rig.acd.upsertQueue(queueConfig('q', { callback: { key: '1', maxAttempts: 1, retryDelayMs: 1, expiryMs: 86_400_000, customerRingMs: 20_000, callingHours: { startMinute: 600, endMinute: 1080, utcOffsetMinutes: 480 } } }));
  agents(rig, 'q', ['a1']);
  rig.acd.setStatus('a1', 'available');
  rig.acd.setStatus('a1', 'on-break', 'x');
  const c1 = rig.caller('c1');
  const o = rig.acd.enqueue({ channel: c1, queueId: 'q' });
  c1.press('1');
  await o;
  rig.acd.setStatus('a1', 'available');
  t.is(rig.dialer.offers.length, 0);
  t.deepEqual(rig.acd.explain('c1').callback?.reasons, ['outside calling hours']);
  t.is(rig.acd.explain('c1').callback?.readyAt, rig.clock.now() + 3_600_000);
  rig.clock.advance(3_599_999);
  t.is(rig.dialer.offers.length, 0);
  rig.clock.advance(1);
  t.is(rig.dialer.offers.length, 1);
});

test('overflow: max wait moves the caller to the next queue; a full queue sends new callers to voicemail', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('backup'));
  rig.acd.upsertQueue(queueConfig('main', { maxWaitMs: 60_000, maxLength: 1, overflow: { kind: 'queue', queueId: 'backup' } }));
  rig.acd.upsertQueue(queueConfig('small', { maxLength: 1, overflow: { kind: 'voicemail', box: '8000' } }));
  agents(rig, 'backup', ['b1']);
  const c1 = rig.caller('c1');
  const o1 = rig.acd.enqueue({ channel: c1, queueId: 'main' });
  const s1 = rig.acd.enqueue({ channel: rig.caller('s1'), queueId: 'small' });
  const s2 = await rig.acd.enqueue({ channel: rig.caller('s2'), queueId: 'small' });
  t.deepEqual(s2, { outcome: 'overflowed', target: { kind: 'voicemail', box: '8000' }, reason: 'full', waitMs: 0 });
  rig.clock.advance(59_999);
  t.is(rig.acd.explain('c1').queueId, 'main');
  rig.clock.advance(1);
  t.is(rig.acd.explain('c1').queueId, 'backup');
  t.like(rig.events.find((e) => e.type === 'queue.caller.overflowed')?.payload, { queueId: 'main', callId: 'c1', waitMs: 60_000, reason: 'timeout' });
  rig.acd.setStatus('b1', 'available');
  rig.dialer.ringing.get('b1')!.answer();
  t.like(await o1, { outcome: 'answered', agentId: 'b1', waitMs: 0 });
  t.is(rig.acd.queueSnapshot('main').counts.overflowed, 1);
  t.is(rig.acd.queueSnapshot('backup').counts.answered, 1);
  void s1;
});

test('join/leave when empty: callers are refused or flowed out when no agent is logged in', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q', { joinWhenEmpty: 'no-logged-in', leaveWhenEmpty: 'no-available', overflow: { kind: 'ivr', flow: 'after-hours' } }));
  agents(rig, 'q', ['a1']);
  t.like(await rig.acd.enqueue({ channel: rig.caller('c0'), queueId: 'q' }), { outcome: 'overflowed', reason: 'empty' });
  rig.acd.setStatus('a1', 'on-break', 'coffee');
  const o = rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  rig.clock.advance(2_000);
  rig.acd.setStatus('a1', 'logged-out');
  t.like(await o, { outcome: 'overflowed', reason: 'empty', waitMs: 2_000, target: { kind: 'ivr', flow: 'after-hours' } });
});

test('ring-all rings every free agent; the first to answer wins and the others stop ringing', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q', { strategy: 'ring-all' }));
  agents(rig, 'q', ['a1', 'a2', 'a3']);
  for (const a of ['a1', 'a2', 'a3']) rig.acd.setStatus(a, 'available');
  const o = rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  t.deepEqual([...rig.dialer.ringing.keys()].sort(), ['a1', 'a2', 'a3']);
  rig.dialer.ringing.get('a2')!.answer();
  t.like(await o, { outcome: 'answered', agentId: 'a2' });
  await rig.settle();
  t.is(rig.dialer.ringing.size, 0);
  t.like(rig.acd.agentSnapshot('a1'), { status: 'available', state: 'idle' });
  t.like(rig.acd.agentSnapshot('a2'), { state: 'in-call' });
});

test('a busy agent is not offered again until the retry cooldown ends', async (t) => {
  const rig = makeRig({ busyRetryMs: 5_000 });
  rig.acd.upsertQueue(queueConfig('q'));
  agents(rig, 'q', ['a1']);
  rig.acd.setStatus('a1', 'available');
  void rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  rig.dialer.ringing.get('a1')!.reject('busy');
  await rig.settle();
  t.is(rig.dialer.offers.length, 1);
  t.like(rig.acd.agentSnapshot('a1'), { status: 'available', state: 'idle' });
  rig.clock.advance(4_999);
  t.is(rig.dialer.offers.length, 1);
  rig.clock.advance(1);
  t.is(rig.dialer.offers.length, 2);
});

test('reconciliation: an agent can never stay in-call after the call layer lost the call', async (t) => {
  const rig = makeRig({ reconcileIntervalMs: 5_000 });
  rig.acd.upsertQueue(queueConfig('q', { wrapUpMs: 0 }));
  agents(rig, 'q', ['a1']);
  rig.acd.start();
  rig.acd.setStatus('a1', 'available');
  const caller = rig.caller('c1');
  void rig.acd.enqueue({ channel: caller, queueId: 'q' });
  const ag = rig.dialer.ringing.get('a1')!.answer();
  await rig.settle();
  t.is(rig.acd.agentSnapshot('a1').state, 'in-call');
  // The SIP dialog vanished without a BYE reaching us: the legs still look connected.
  rig.liveness.set(caller.id, false);
  rig.clock.advance(4_999);
  t.is(rig.acd.agentSnapshot('a1').state, 'in-call');
  rig.clock.advance(1);
  t.is(rig.acd.agentSnapshot('a1').state, 'idle');
  t.like(rig.events.find((e) => e.type === 'acd.agent.reconciled')?.payload, { agentId: 'a1', callId: 'c1', was: 'in-call', why: 'call legs gone' });
  t.is(ag.level, 'terminated');
  rig.acd.stop();
});

test('reconciliation abandons a waiting caller whose leg ended unseen', async (t) => {
  const rig = makeRig({ reconcileIntervalMs: 1_000 });
  rig.acd.upsertQueue(queueConfig('q'));
  rig.acd.start();
  const caller = rig.caller('c1');
  const o = rig.acd.enqueue({ channel: caller, queueId: 'q' });
  rig.liveness.set('c1', false);
  rig.clock.advance(1_000);
  t.deepEqual(await o, { outcome: 'abandoned', waitMs: 1_000 });
  rig.acd.stop();
});

test('status and state machines refuse illegal moves with InvalidTransitionError', (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q'));
  agents(rig, 'q', ['a1']);
  const err = t.throws(() => rig.acd.setStatus('a1', 'logged-out'), { instanceOf: InvalidTransitionError });
  t.like(err, { from: 'logged-out', to: 'logged-out' });
  rig.acd.setStatus('a1', 'available');
  rig.acd.startOutbound('a1');
  t.throws(() => rig.acd.startOutbound('a1'), { instanceOf: InvalidTransitionError });
  rig.acd.endOutbound('a1');
  t.is(rig.acd.agentSnapshot('a1').state, 'idle');
});

test('bad config: unknown queue in a membership, unknown skill, self-overflow', (t) => {
  const rig = makeRig({ knownSkills: ['billing'] });
  rig.acd.upsertQueue(queueConfig('q'));
  const e1 = t.throws(() => rig.acd.upsertAgent({ id: 'x', name: 'X', skills: { gis: 3 }, memberships: [{ queueId: 'nope', penalty: 0 }] }), { instanceOf: ValidationError });
  t.deepEqual(e1?.issues.map((i) => i.path), ['agents.x.memberships.0.queueId', 'agents.x.skills.gis']);
  t.throws(() => rig.acd.upsertQueue(queueConfig('q2', { overflow: { kind: 'queue', queueId: 'q2' } })), { instanceOf: ValidationError });
  t.throws(() => rig.acd.upsertQueue(queueConfig('q3', { skills: [{ afterMs: 0, requirements: [{ skill: 'welsh', minProficiency: 2 }] }] })), { instanceOf: ValidationError });
});

test('deleting a queue with callers moves them to the fallback queue; none is lost', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('general'));
  rig.acd.upsertQueue(queueConfig('outage'));
  agents(rig, 'general', ['g1']);
  const o1 = rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'outage' });
  const o2 = rig.acd.enqueue({ channel: rig.caller('c2'), queueId: 'outage', tier: 'vip' });
  rig.acd.deleteQueue('outage', 'general');
  t.is(rig.acd.explain('c1').queueId, 'general');
  t.is(rig.acd.explain('c2').position, 1);
  rig.dialer.auto = { afterMs: 0 };
  rig.acd.setStatus('g1', 'available');
  t.like(await o2, { outcome: 'answered', agentId: 'g1' });
  rig.dialer.agentChannels.get('g1')!.remoteHangup();
  t.like(await o1, { outcome: 'answered', agentId: 'g1' });
  t.like(await rig.acd.enqueue({ channel: rig.caller('c3'), queueId: 'outage' }), { outcome: 'rejected', reason: 'unknown-queue' });
});

test('an agent removed while on a call finishes it, then disappears', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q', { wrapUpMs: 1_000 }));
  agents(rig, 'q', ['a1']);
  rig.acd.setStatus('a1', 'available');
  void rig.acd.enqueue({ channel: rig.caller('c1'), queueId: 'q' });
  const ag = rig.dialer.ringing.get('a1')!.answer();
  await rig.settle();
  rig.acd.removeAgent('a1');
  t.is(rig.acd.agentSnapshot('a1').state, 'in-call');
  ag.remoteHangup();
  rig.clock.advance(1_000);
  t.throws(() => rig.acd.agentSnapshot('a1'), { code: 'NOT_FOUND' });
  t.truthy(rig.events.find((e) => e.type === 'acd.call.completed'));
});

test('announcements give position and an estimated wait computed from live staffing and handle time', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('q', { announce: { periodMs: 30_000, music: 'moh/default' }, defaultAhtMs: 120_000 }));
  agents(rig, 'q', ['a1', 'a2']);
  rig.acd.setStatus('a1', 'available');
  rig.acd.setStatus('a2', 'available');
  rig.acd.startOutbound('a1');
  rig.acd.startOutbound('a2');
  const chans = ['c1', 'c2', 'c3'].map((id) => rig.caller(id));
  for (const ch of chans) void rig.acd.enqueue({ channel: ch, queueId: 'q' });
  await rig.clock.advanceAsync(37_000, 1_000);
  const names = (i: number): string[] => chans[i]!.played.map((p) => (p.kind === 'prompt' ? p.name : p.kind));
  t.true(names(0).includes('moh/default'));
  // c3: position 3, 2 agents staffed, AHT 120 s ⇒ ceil(3/2) × 2 min = 4 min
  const c3 = names(2);
  const at = c3.indexOf('queue/you-are-number');
  t.deepEqual(c3.slice(at, at + 5), ['queue/you-are-number', 'number/3', 'queue/estimated-wait', 'number/4', 'queue/minutes']);
  const c1 = names(0);
  const at1 = c1.indexOf('queue/you-are-number');
  t.deepEqual(c1.slice(at1, at1 + 4), ['queue/you-are-number', 'number/1', 'queue/estimated-wait', 'number/2']);
  // one agent logs off: the estimate follows the live staffing
  rig.acd.endOutbound('a2');
  rig.acd.setStatus('a2', 'logged-out');
  for (const ch of chans) ch.played.length = 0;
  await rig.clock.advanceAsync(37_000, 1_000);
  const again = chans[2]!.played.map((p) => (p.kind === 'prompt' ? p.name : p.kind));
  const i2 = again.indexOf('queue/you-are-number');
  t.deepEqual(again.slice(i2, i2 + 4), ['queue/you-are-number', 'number/3', 'queue/estimated-wait', 'number/6']);
  for (const ch of chans) ch.remoteHangup();
});

test('supervisor moves a caller to the head of another queue', (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('a'));
  rig.acd.upsertQueue(queueConfig('b'));
  void rig.acd.enqueue({ channel: rig.caller('b1'), queueId: 'b', tier: 'vip' });
  void rig.acd.enqueue({ channel: rig.caller('b2'), queueId: 'b' });
  void rig.acd.enqueue({ channel: rig.caller('a1'), queueId: 'a' });
  rig.acd.moveCaller('a1', 'b', { toHead: true, by: 'sup1' });
  t.is(rig.acd.explain('a1').position, 1);
  t.is(rig.acd.explain('b1').position, 2);
  t.like(rig.events.find((e) => e.type === 'queue.caller.moved')?.payload, { callId: 'a1', toQueueId: 'b', toHead: true, by: 'sup1' });
});
