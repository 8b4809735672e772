import test from 'ava';
import { ConflictError, ValidationError } from '../core/errors.js';
import type { WorkOrder } from './model.js';
import { actors, openRig, repairInput, type Rig } from './testing/fixtures.js';
import { ActionForbiddenError } from './transitions.js';
import { sampleBucket, VisitService } from './visit-service.js';

/** create → accept → dispatch to the field team → reply → close. */
function closedRepair(rig: Rig, title: string): WorkOrder {
  const { svc } = rig;
  let o = svc.create(repairInput({ title }), actors.agent);
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
  o = svc.act(o.id, { action: 'reply', version: o.version, reply: '已修复' }, actors.lineman);
  return svc.act(o.id, { action: 'close', version: o.version }, actors.agent);
}

function visits(rig: Rig, opts: { maxAttempts?: number } = {}): VisitService {
  const v = new VisitService({ store: rig.store, clock: rig.clock, bus: rig.bus, log: rig.svc['deps'].log, orders: rig.svc, callingCalendarId: 'office', retryDelayMinutes: 120, ...opts });
  v.start();
  return v;
}

test('rules select every closed order of a 100% rule and a reproducible sample of a 50% rule', (t) => {
  const rig = openRig();
  const v = visits(rig);
  v.saveRule({ id: 'repairs-half', name: '报修抽样', position: 1, typeId: 'repair', samplePercent: 50 });
  const orders = Array.from({ length: 12 }, (_, i) => closedRepair(rig, `第${i}单`));
  const picked = new Set(v.list().map((x) => x.orderId));
  const expected = orders.filter((o) => sampleBucket(`${o.id}:0`) < 50).map((o) => o.id);
  t.deepEqual([...picked].sort(), expected.sort());
  v.saveRule({ id: 'repairs-half', name: '报修全部', position: 1, typeId: 'repair', samplePercent: 100 });
  const all = closedRepair(rig, '全回访');
  t.is(v.list({ orderId: all.id }).length, 1);
  t.is(v.list({ orderId: all.id })[0]!.departmentId, 'field', 'the replying department is kept for statistics');
  t.is(v.select(all.id)!.id, v.list({ orderId: all.id })[0]!.id, 'selecting again is idempotent');
  t.is(v.select(orders[0]!.id === all.id ? '' : rig.svc.create(repairInput(), actors.agent).id), null, 'only closed orders are selected');
  t.throws(() => v.saveRule({ id: 'x', name: 'x', typeId: 'repair', kind: 'repair', samplePercent: 5 }), { instanceOf: ValidationError });
  void rig.close();
});

test('assignment by a supervisor, calling hours, unreachable retries, then failure; dissatisfied reopens the order', (t) => {
  const rig = openRig();
  const v = visits(rig, { maxAttempts: 3 });
  v.saveRule({ id: 'all', name: '全部', samplePercent: 100 });
  const a = closedRepair(rig, '甲');
  const b = closedRepair(rig, '乙');
  t.throws(() => v.autoAssign(['user:visitor'], actors.agent), { instanceOf: ActionForbiddenError });
  const assigned = v.autoAssign(['user:visitor', 'user:agent2'], actors.supervisor);
  t.deepEqual(assigned.map((x) => x.agentId).sort(), ['user:agent2', 'user:visitor']);
  const mine = v.list({ agentId: 'user:visitor' })[0]!;
  const theirs = v.list({ agentId: 'user:agent2' })[0]!;
  const visitor = { ...actors.visitor };
  const agent2 = { ...actors.agent2 };

  // Click-to-dial goes out as an event for telephony.
  t.deepEqual(v.dial(mine.id, visitor), { number: '13800138000' });
  t.like(rig.events.at(-1), { type: 'workorder.visit.dial-requested', payload: { visitId: mine.id, number: '13800138000' } });
  t.throws(() => v.dial(mine.id, agent2), { instanceOf: ActionForbiddenError });

  // Monday 16:30: unreachable → retry after 120 calling minutes = Tuesday 09:30 (office 08:30–12:00, 13:30–17:30).
  rig.clock.advance((7 * 60 + 30) * 60_000);
  t.deepEqual(v.queue('user:visitor').map((x) => x.id), [mine.id]);
  let r = v.record(mine.id, { version: mine.version, outcome: 'unreachable', reason: '无人接听' }, visitor);
  t.is(r.status, 'assigned');
  t.is(r.nextAttemptAt, Date.UTC(2026, 0, 6, 1, 30));
  t.deepEqual(v.queue('user:visitor'), [], 'not callable before the retry time');
  t.throws(() => v.record(mine.id, { version: mine.version, outcome: 'satisfied' }, visitor), { instanceOf: ConflictError });

  rig.clock.advance(3 * 3_600_000); // Monday 19:30: outside calling hours
  t.deepEqual(v.queue('user:agent2'), []);
  rig.clock.advance(14 * 3_600_000); // Tuesday 09:30
  t.deepEqual(v.queue('user:visitor').map((x) => x.id), [mine.id]);
  r = v.record(mine.id, { version: r.version, outcome: 'unreachable', reason: '关机' }, visitor);
  r = v.record(mine.id, { version: r.version, outcome: 'unreachable', reason: '空号' }, visitor);
  t.like(r, { status: 'failed', result: 'unreachable', attempts: 3 });
  t.like(rig.svc.get(mine.orderId), { status: 'visited', visitResult: 'unreachable' });
  t.deepEqual(v.attempts(mine.id).map((x) => x.reason), ['无人接听', '关机', '空号']);

  const bad = t.throws(() => v.record(theirs.id, { version: theirs.version, outcome: 'dissatisfied' }, agent2), { instanceOf: ValidationError });
  t.deepEqual(bad.issues.map((i) => i.path), ['reason']);
  r = v.record(theirs.id, { version: theirs.version, outcome: 'dissatisfied', reason: '抢修太慢' }, agent2);
  t.like(r, { status: 'done', result: 'dissatisfied' });
  const reopened = rig.svc.get(theirs.orderId);
  t.like(reopened, { status: 'accepted', reopenCount: 1 });
  t.like(rig.events.find((e) => e.type === 'workorder.visit.recorded' && e.payload.visitId === theirs.id), { payload: { reopened: true } });

  // Closed again after the second round: a new visit for round 1.
  let o = rig.svc.act(reopened.id, { action: 'dispatch', version: reopened.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
  o = rig.svc.act(o.id, { action: 'reply', version: o.version, reply: '再次处理' }, actors.lineman);
  rig.svc.act(o.id, { action: 'close', version: o.version }, actors.agent);
  t.deepEqual(v.list({ orderId: o.id }).map((x) => x.round).sort(), [0, 1]);
  t.truthy(a && b);
  void rig.close();
});

test('statistics: satisfaction rate by type and by department over completed visits', (t) => {
  const rig = openRig();
  const v = visits(rig);
  v.saveRule({ id: 'all', name: '全部', samplePercent: 100 });
  for (let i = 0; i < 4; i++) closedRepair(rig, `单${i}`);
  v.autoAssign(['user:visitor'], actors.supervisor);
  const outcomes = ['satisfied', 'satisfied', 'dissatisfied', 'unreachable'] as const;
  v.list({ agentId: 'user:visitor' }).forEach((x, i) => {
    v.record(x.id, { version: x.version, outcome: outcomes[i]!, ...(i >= 2 ? { reason: '原因' } : {}) }, { ...actors.visitor });
  });
  const byType = v.stats('type');
  t.deepEqual(byType, [{ key: 'repair', visits: 3, satisfied: 2, dissatisfied: 1, unreachable: 0, satisfactionRate: 2 / 3 }]);
  t.is(v.stats('department')[0]!.key, 'field');
  t.deepEqual(v.stats('type', { from: rig.clock.now() + 1 }), []);
  void rig.close();
});
