import test from 'ava';
import type { AnyAppEvent } from '../core/events.js';
import { roundTheClock } from './calendar.js';
import { evaluate, matchPolicy, nextCheckAt, type ClockState, type SlaPolicy } from './sla.js';
import { actors, openRig, repairInput } from './testing/fixtures.js';

const MIN = 60_000;
const cst = (y: number, mo: number, d: number, h: number, mi = 0): number => Date.UTC(y, mo - 1, d, h - 8, mi);
const slaEvents = (events: AnyAppEvent[]): Array<[string, number]> =>
  events
    .filter((e) => e.type.startsWith('workorder.sla.'))
    .map((e) => [e.type, (e.payload as { percent: number }).percent]);

test('the most specific policy wins: type > priority > area', (t) => {
  const p = (id: string, x: Partial<SlaPolicy>): SlaPolicy => ({
    id,
    typeId: null,
    priority: null,
    areaClass: null,
    metric: 'arrival',
    targetMinutes: 1,
    calendarId: null,
    warnPercents: [80],
    escalateMinutes: [],
    ...x,
  });
  const policies = [p('any', {}), p('urban', { areaClass: 'urban' }), p('repair', { typeId: 'repair' }), p('repair-rural', { typeId: 'repair', areaClass: 'rural' })];
  t.is(matchPolicy(policies, { typeId: 'repair', priority: 'normal', areaClass: 'rural' }, 'arrival')?.id, 'repair-rural');
  t.is(matchPolicy(policies, { typeId: 'repair', priority: 'normal', areaClass: 'urban' }, 'arrival')?.id, 'repair');
  t.is(matchPolicy(policies, { typeId: 'other', priority: 'normal', areaClass: 'urban' }, 'arrival')?.id, 'urban');
  t.is(matchPolicy(policies, { typeId: 'other', priority: 'normal', areaClass: null }, 'arrival')?.id, 'any');
  t.is(matchPolicy(policies, { typeId: 'repair', priority: 'normal', areaClass: null }, 'reply'), undefined);
});

test('evaluate: 20 s target — in time at 20 000 ms, breached at 20 001 ms; warning at exactly 80 %', (t) => {
  const c: ClockState = { targetMs: 20_000, warnPercents: [80], consumedMs: 0, runningSince: 0, warned: 0, breachedAt: null, escalateAfterMs: [], escalated: 0 };
  t.deepEqual(evaluate(c, roundTheClock, 15_999).fired, []);
  t.deepEqual(evaluate(c, roundTheClock, 16_000).fired, [{ kind: 'warn', percent: 80 }]);
  const warned = evaluate(c, roundTheClock, 16_000).state;
  t.is(nextCheckAt(warned, roundTheClock), 20_001);
  t.deepEqual(evaluate(warned, roundTheClock, 20_000).fired, []);
  t.deepEqual(evaluate(warned, roundTheClock, 20_001).fired, [{ kind: 'breach' }]);
  t.deepEqual(evaluate(c, roundTheClock, 19_999 + 2).fired, [{ kind: 'warn', percent: 80 }, { kind: 'breach' }], 'a late look fires both, in order');
});

test('the checker warns at exactly 80 % and breaches 1 ms after the target, on the clock', async (t) => {
  const { svc, clock, events, store, close } = openRig();
  svc.createSlaPolicy({ typeId: 'repair', metric: 'accept', targetMinutes: 1, warnPercents: [50, 80] });
  svc.sla.start();
  const o = svc.create(repairInput(), actors.agent);
  clock.advance(30_000 - 1);
  t.deepEqual(slaEvents(events), []);
  clock.advance(1);
  t.deepEqual(slaEvents(events), [['workorder.sla.warned', 50]]);
  clock.advance(48_000 - 30_000 - 1);
  t.deepEqual(slaEvents(events).length, 1, '47 999 ms: no second warning yet');
  clock.advance(1);
  t.deepEqual(slaEvents(events).at(-1), ['workorder.sla.warned', 80]);
  t.is(svc.get(o.id).slaState, 'warned');
  clock.advance(60_000 - 48_000);
  t.is(slaEvents(events).length, 2, '60 000 ms is still within a 60 s target');
  clock.advance(1);
  t.deepEqual(slaEvents(events).at(-1), ['workorder.sla.breached', 100]);
  const breach = events.find((e) => e.type === 'workorder.sla.breached');
  t.is(breach?.at, o.createdAt + 60_001);
  t.deepEqual((breach?.payload as { notify: unknown }).notify, []);
  const after = svc.get(o.id);
  t.is(after.slaState, 'breached');
  t.is(after.version, 1, 'SLA bookkeeping does not bump the version people act on');
  t.deepEqual(
    svc.history(o.id).map((e) => [e.action, e.actor, e.channel]),
    [['create', actors.agent.id, 'web'], ['sla-warn', 'system', 'system'], ['sla-warn', 'system', 'system'], ['sla-breach', 'system', 'system']],
  );
  clock.advance(10 * MIN);
  t.is(slaEvents(events).length, 3, 'a breach fires once');
  // Accepting late stops the clock as met, breached.
  svc.act(o.id, { action: 'accept', version: 1 }, actors.agent);
  const accept = svc.slaClocks(o.id).find((c) => c.metric === 'accept');
  t.is(accept?.status, 'met');
  t.truthy(accept?.breachedAt);
  svc.sla.stop();
  void store;
  await close();
});

test('repair arrival: 45 min urban, 90 min rural, round the clock from dispatch (METRICS.md [U1])', async (t) => {
  const { svc, clock, close } = openRig({ start: cst(2026, 1, 10, 22) }); // Saturday night
  svc.createSlaPolicy({ typeId: 'repair', areaClass: 'urban', metric: 'arrival', targetMinutes: 45 });
  svc.createSlaPolicy({ typeId: 'repair', areaClass: 'rural', metric: 'arrival', targetMinutes: 90 });
  svc.createSlaPolicy({ typeId: 'repair', areaClass: 'urban', metric: 'restore', targetMinutes: 180 });
  const due = (area: 'urban' | 'rural'): number | null => {
    let o = svc.create(repairInput({ areaClass: area }), actors.agent);
    o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
    clock.advance(5 * MIN);
    o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
    return svc.slaClocks(o.id).find((c) => c.metric === 'arrival')?.dueAt ?? null;
  };
  const urbanDue = due('urban');
  t.is(urbanDue, clock.now() + 45 * MIN);
  const ruralDue = due('rural');
  t.is(ruralDue, clock.now() + 90 * MIN);
  // Arrival stops the arrival clock and starts restoration.
  const [urban] = svc.list({ limit: 10 }).items.filter((o) => o.areaClass === 'urban');
  clock.advance(20 * MIN);
  svc.act(urban!.id, { action: 'arrive', version: urban!.version }, actors.lineman);
  const clocks = svc.slaClocks(urban!.id);
  t.is(clocks.find((c) => c.metric === 'arrival')?.status, 'met');
  t.is(clocks.find((c) => c.metric === 'restore')?.dueAt, clock.now() + 180 * MIN);
  await close();
});

test('SLA clocks stand still while suspended or waiting for the customer', async (t) => {
  const { svc, clock, events, close } = openRig();
  svc.createSlaPolicy({ typeId: 'repair', metric: 'resolve', targetMinutes: 60, warnPercents: [] });
  svc.sla.start();
  let o = svc.create(repairInput(), actors.agent);
  const created = clock.now();
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  clock.advance(20 * MIN);
  o = svc.act(o.id, { action: 'suspend', version: o.version, reason: '等待停电计划' }, actors.agent);
  t.is(o.status, 'suspended');
  t.is(o.dueAt, null, 'no due instant while paused');
  clock.advance(3 * 60 * MIN);
  t.deepEqual(slaEvents(events), [], 'three hours suspended breach nothing');
  const only = t.throws(() => svc.act(o.id, { action: 'accept', version: o.version }, actors.agent));
  t.is(only?.name, 'InvalidTransitionError');
  o = svc.act(o.id, { action: 'resume', version: o.version }, actors.agent);
  t.is(o.status, 'accepted', 'resume returns to the status it left');
  t.is(o.dueAt, clock.now() + 40 * MIN);
  clock.advance(10 * MIN);
  o = svc.act(o.id, { action: 'await-customer', version: o.version, reason: '请客户提供户号' }, actors.agent);
  t.is(o.status, 'waiting-customer');
  clock.advance(24 * 60 * MIN);
  o = svc.act(o.id, { action: 'resume', version: o.version }, actors.agent);
  const resumedAt = clock.now();
  t.is(o.dueAt, resumedAt + 30 * MIN);
  clock.advance(30 * MIN);
  t.deepEqual(slaEvents(events), []);
  clock.advance(1);
  t.deepEqual(slaEvents(events), [['workorder.sla.breached', 100]]);
  const resolve = svc.slaClocks(o.id).find((c) => c.metric === 'resolve');
  t.is(resolve?.elapsedMs, 60 * MIN + 1);
  t.true(clock.now() - created > 27 * 60 * MIN, 'wall time far exceeds the target');
  svc.sla.stop();
  await close();
});

test('a complaint reply clock spans a 调休 Saturday, a Sunday and a holiday Monday', async (t) => {
  const { svc, clock, events, close } = openRig({ start: cst(2026, 1, 9, 16), slaMaxSleepMs: 24 * 60 * MIN });
  svc.setCalendarDay('office', { date: '2026-01-10', kind: 'workday', name: '调休上班' });
  svc.setCalendarDay('office', { date: '2026-01-12', kind: 'holiday', name: '假日' });
  svc.createSlaPolicy({ typeId: 'complaint', metric: 'reply', targetMinutes: 600, calendarId: 'office', warnPercents: [80] });
  svc.sla.start();
  let o = svc.create({ typeId: 'complaint', source: 'call', title: '多次停电' }, actors.agent);
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = svc.act(o.id, { action: 'dispatch', version: o.version }, actors.agent);
  const reply = svc.slaClocks(o.id).find((c) => c.metric === 'reply');
  // Fri 16:00–17:30 (90) + Sat make-up day (450) + Tue 08:30 + 60 = Tue 09:30.
  t.is(reply?.dueAt, cst(2026, 1, 13, 9, 30));
  // 80 % = 480 min: Fri 90 + Sat 08:30–12:00 (210) + 13:30 + 180 → Saturday 16:30.
  const warnAt = cst(2026, 1, 10, 16, 30);
  clock.advance(warnAt - 1 - clock.now());
  const replyWarnings = (): AnyAppEvent[] =>
    events.filter((e) => e.type === 'workorder.sla.warned' && (e.payload as { metric: string }).metric === 'reply');
  t.deepEqual(replyWarnings(), []);
  // The step's own 480-minute limit warned earlier (80 % = 384 min → Saturday 14:54).
  const stepWarn = events.find((e) => e.type === 'workorder.sla.warned' && (e.payload as { metric: string }).metric === 'step');
  t.is(stepWarn?.at, cst(2026, 1, 10, 14, 54));
  clock.advance(1);
  const warned = replyWarnings();
  t.is(warned.length, 1);
  t.is(warned[0]?.at, warnAt);
  const due = cst(2026, 1, 13, 9, 30);
  clock.advance(due - clock.now());
  t.false(events.some((e) => e.type === 'workorder.sla.breached' && (e.payload as { metric: string }).metric === 'reply'));
  clock.advance(1);
  const breached = events.filter((e) => e.type === 'workorder.sla.breached' && (e.payload as { metric: string }).metric === 'reply');
  t.is(breached.length, 1);
  t.is(breached[0]?.at, due + 1);
  t.deepEqual((breached[0]?.payload as { notify: unknown }).notify, [
    { kind: 'department', id: 'marketing' },
    { kind: 'department', id: 'metering' },
    { kind: 'department', id: 'complaints' },
    { kind: 'user', id: actors.agent.id },
  ]);
  svc.sla.stop();
  await close();
});

test('an escalation chain fires at the right business minute: over lunch and overnight', async (t) => {
  // Thursday 2026-01-08 11:00, office calendar 08:30–12:00 and 13:30–17:30.
  const { svc, clock, events, close } = openRig({ start: cst(2026, 1, 8, 11), slaMaxSleepMs: 24 * 60 * MIN });
  svc.createSlaPolicy({ typeId: 'complaint', metric: 'accept', targetMinutes: 60, calendarId: 'office', warnPercents: [], escalateMinutes: [30, 250] });
  svc.sla.start();
  const o = svc.create({ typeId: 'complaint', source: 'call', title: '抄表员态度差' }, actors.agent);
  const of = (type: string): AnyAppEvent[] =>
    events.filter((e) => e.type === type && (e.payload as { orderId: string; metric: string }).orderId === o.id && (e.payload as { metric: string }).metric === 'accept');
  // Due 12:00 (60 business minutes), breach 1 ms later.
  clock.advance(cst(2026, 1, 8, 12) + 1 - clock.now());
  t.deepEqual(of('workorder.sla.breached').map((e) => e.at), [cst(2026, 1, 8, 12) + 1]);
  // Level 2 at 60 + 30 business minutes: the lunch break does not count → 14:00, not 12:30.
  clock.advance(cst(2026, 1, 8, 13, 59) - clock.now());
  t.deepEqual(of('workorder.sla.escalated'), []);
  clock.advance(MIN);
  t.deepEqual(of('workorder.sla.escalated').map((e) => [e.at, (e.payload as { level: number }).level]), [[cst(2026, 1, 8, 14), 2]]);
  // Level 3 at 60 + 250 = 310 business minutes: Thursday gives 60 + 240, so Friday 08:40.
  clock.advance(cst(2026, 1, 9, 8, 39) - clock.now());
  t.is(of('workorder.sla.escalated').length, 1);
  clock.advance(MIN);
  t.deepEqual(of('workorder.sla.escalated').map((e) => [e.at, (e.payload as { level: number }).level]), [
    [cst(2026, 1, 8, 14), 2],
    [cst(2026, 1, 9, 8, 40), 3],
  ]);
  // The chain is recorded in the order's history as breach stages with their level.
  const history = svc.history(o.id).filter((h) => h.action === 'sla-breach');
  t.deepEqual(history.map((h) => (h.data as { level?: number } | null)?.level ?? 1), [1, 2, 3]);
  // Accepting stops the clock: nothing more fires.
  svc.act(o.id, { action: 'accept', version: svc.get(o.id).version }, actors.agent);
  clock.advance(7 * 24 * 60 * MIN);
  t.is(of('workorder.sla.escalated').length, 2);
  svc.sla.stop();
  await close();
});

test('SLA policies refuse an escalation chain that is not ascending, naming the field', (t) => {
  const { svc, close } = openRig();
  const err = t.throws(() => svc.createSlaPolicy({ typeId: 'complaint', metric: 'reply', targetMinutes: 60, escalateMinutes: [60, 30] }));
  t.regex(JSON.stringify(err), /escalateMinutes/);
  void close();
});
