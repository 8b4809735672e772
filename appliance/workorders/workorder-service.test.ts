import test from 'ava';
import { ConflictError, InvalidTransitionError, ValidationError } from '../core/errors.js';
import type { ActionCommandInput } from './schemas.js';
import { ActionForbiddenError } from './transitions.js';
import { actors, MONDAY_0900, openRig, rawOrder, repairInput, tableCounts } from './testing/fixtures.js';

const MIN = 60_000;

test('a fault report: dispatch → return → dispatch → arrive → reply → close → visit', async (t) => {
  const { svc, events, clock, close } = openRig();
  const o = svc.create(repairInput(), actors.agent);
  t.regex(o.number, /^GD20260105-000001$/);
  t.is(o.status, 'new');
  t.deepEqual(o.callIds, ['call_01ABC']);
  t.deepEqual(o.recordingIds, ['rec_01ABC']);
  t.deepEqual(svc.ordersForCall('call_01ABC').map((x) => x.id), [o.id]);

  let cur = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  t.is(cur.status, 'accepted');
  t.is(cur.acceptorId, actors.agent.id);

  clock.advance(2 * MIN);
  cur = svc.act(o.id, { action: 'dispatch', version: cur.version, to: [{ kind: 'department', id: 'field2' }] }, actors.agent);
  t.is(cur.status, 'in-progress');
  t.is(cur.currentStep, 'repair');

  // The suburban team says it is not theirs.
  cur = svc.act(o.id, { action: 'return', version: cur.version, reason: '不在本班辖区' }, actors.lineman2);
  t.is(cur.status, 'accepted');
  t.is(cur.currentStep, null);

  cur = svc.act(o.id, { action: 'dispatch', version: cur.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
  t.is(cur.stepRound, 2);
  t.deepEqual(svc.todo(actors.lineman).map((x) => [x.number, x.reason]), [[o.number, 'assigned']]);
  t.deepEqual(svc.todo(actors.lineman2), []);

  clock.advance(30 * MIN);
  cur = svc.act(o.id, { action: 'arrive', version: cur.version }, actors.lineman);
  clock.advance(60 * MIN);
  cur = svc.act(o.id, { action: 'reply', version: cur.version, reply: '更换熔断器，已恢复送电' }, actors.lineman);
  t.is(cur.status, 'replied');
  t.deepEqual(svc.todo(actors.agent).map((x) => x.reason), ['to-close']);

  cur = svc.act(o.id, { action: 'close', version: cur.version }, actors.agent);
  t.is(cur.status, 'closed');
  t.is(cur.closedAt, clock.now());

  cur = svc.act(o.id, { action: 'visit', version: cur.version, result: 'satisfied' }, actors.visitor);
  t.is(cur.status, 'visited');
  t.is(cur.visitResult, 'satisfied');

  const history = svc.history(o.id);
  t.deepEqual(
    history.map((e) => [e.action, e.fromStatus, e.toStatus]),
    [
      ['create', null, 'new'],
      ['accept', 'new', 'accepted'],
      ['dispatch', 'accepted', 'in-progress'],
      ['return', 'in-progress', 'accepted'],
      ['dispatch', 'accepted', 'in-progress'],
      ['arrive', 'in-progress', 'in-progress'],
      ['reply', 'in-progress', 'replied'],
      ['close', 'replied', 'closed'],
      ['visit', 'closed', 'visited'],
    ],
  );
  t.deepEqual(history.map((e) => e.version), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.is(history[3]?.note, '不在本班辖区');
  t.is(history[3]?.actor, actors.lineman2.id);
  t.is(history[3]?.actorIp, '10.0.1.6');
  t.is(history[3]?.channel, 'api');
  t.is(cur.version, 9);
  t.deepEqual(
    events.filter((e) => e.type.startsWith('workorder.order.')).map((e) => e.type),
    [
      'workorder.order.created',
      'workorder.order.accepted',
      'workorder.order.dispatched',
      'workorder.order.returned',
      'workorder.order.dispatched',
      'workorder.order.arrived',
      'workorder.order.replied',
      'workorder.order.closed',
      'workorder.order.visited',
    ],
  );
  const assignments = svc.assignments(o.id);
  t.deepEqual(
    assignments.map((a) => [a.assignee.id, a.round, a.status]),
    [
      ['field2', 1, 'returned'],
      ['field', 2, 'replied'],
    ],
  );
  t.is(assignments[1]?.actedBy, actors.lineman.id);
  await close();
});

test('a dissatisfied callback visit reopens the order with the acceptor', async (t) => {
  const { svc, events, close } = openRig();
  let o = svc.create({ typeId: 'consult', source: 'call', title: '电价咨询' }, actors.agent);
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = svc.act(o.id, { action: 'close', version: o.version }, actors.agent);
  t.is(o.status, 'closed', 'a consultation closes directly');
  const noReason = t.throws(() => svc.act(o.id, { action: 'visit', version: o.version, result: 'dissatisfied' }, actors.visitor), {
    instanceOf: ValidationError,
  });
  t.deepEqual(noReason.issues.map((i) => i.path), ['reason']);
  o = svc.act(o.id, { action: 'visit', version: o.version, result: 'dissatisfied', reason: '答复不清楚' }, actors.visitor);
  t.is(o.status, 'accepted');
  t.is(o.reopenCount, 1);
  t.is(o.closedAt, null);
  t.true(events.some((e) => e.type === 'workorder.order.reopened'));
  await close();
});

test('a complaint countersigned by three departments moves on only when all three reply', async (t) => {
  const { svc, close } = openRig();
  let o = svc.create({ typeId: 'complaint', source: 'letter', title: '抄表员态度差' }, actors.agent);
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  const targets = t.throws(
    () => svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'marketing' }] }, actors.agent),
    { instanceOf: ValidationError },
  );
  t.is(targets.issues[0]?.path, 'to', 'a fixed-assignee step refuses named targets');
  o = svc.act(o.id, { action: 'dispatch', version: o.version }, actors.agent);
  t.deepEqual(
    svc.assignments(o.id).map((a) => [a.assignee.id, a.status]),
    [
      ['marketing', 'pending'],
      ['metering', 'pending'],
      ['complaints', 'pending'],
    ],
  );
  o = svc.act(o.id, { action: 'reply', version: o.version, reply: '营销部：已约谈' }, actors.marketing);
  t.is(o.status, 'in-progress');
  t.is(o.currentStep, 'investigate');
  t.throws(() => svc.act(o.id, { action: 'reply', version: o.version, reply: 'again' }, actors.marketing), {
    instanceOf: ActionForbiddenError,
  });
  o = svc.act(o.id, { action: 'reply', version: o.version, reply: '计量：表计正常' }, actors.metering);
  t.is(o.currentStep, 'investigate', 'two of three is not enough');
  o = svc.act(o.id, { action: 'reply', version: o.version, reply: '投诉办：属实' }, actors.complaints);
  t.is(o.currentStep, 'approve', 'the third reply completes the countersign');
  t.is(o.status, 'in-progress');
  t.deepEqual(svc.todo(actors.agent).map((x) => [x.reason, x.stepId]), [['assigned', 'approve']]);
  o = svc.act(o.id, { action: 'reply', version: o.version, reply: '同意办结' }, actors.agent);
  t.is(o.status, 'replied');
  const steps = svc.slaClocks(o.id).filter((c) => c.metric === 'step');
  t.deepEqual(steps.map((c) => [c.stepId, c.status]), [['investigate', 'met']]);
  await close();
});

test('parallel: the first team to reply settles it and the others are withdrawn', async (t) => {
  const { svc, close } = openRig();
  let o = svc.create(repairInput(), actors.agent);
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }, { kind: 'department', id: 'field2' }] }, actors.agent);
  o = svc.act(o.id, { action: 'reply', version: o.version, reply: '已处理' }, actors.lineman2);
  t.is(o.status, 'replied');
  t.deepEqual(svc.assignments(o.id).map((a) => [a.assignee.id, a.status]), [['field', 'cancelled'], ['field2', 'replied']]);
  await close();
});

test('serial assignees and the superior relation', async (t) => {
  const { svc, close } = openRig();
  svc.createType({
    id: 'theft',
    name: '违窃举报',
    kind: 'theft-report',
    workflow: {
      steps: [
        { id: 'check', name: '核查', mode: 'serial', assign: { by: 'dispatcher' } },
        { id: 'sign', name: '负责人签发', assign: { by: 'relation', relation: 'superior' } },
      ],
    },
  });
  let o = svc.create({ typeId: 'theft', source: 'web', title: '某厂疑似绕表' }, actors.agent);
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'metering' }, { kind: 'user', id: 'user:lineman' }] }, actors.agent);
  t.deepEqual(svc.assignments(o.id).map((a) => a.status), ['pending', 'queued']);
  t.throws(() => svc.act(o.id, { action: 'reply', version: o.version, reply: 'x' }, actors.lineman), { instanceOf: ActionForbiddenError });
  o = svc.act(o.id, { action: 'reply', version: o.version, reply: '计量核查：表封被破坏' }, actors.metering);
  t.is(o.currentStep, 'check');
  o = svc.act(o.id, { action: 'reply', version: o.version, reply: '现场确认' }, actors.lineman);
  t.is(o.currentStep, 'sign');
  const sign = svc.assignments(o.id).filter((a) => a.stepId === 'sign');
  t.deepEqual(sign.map((a) => a.assignee), [{ kind: 'user', id: 'user:field-head' }], "the lineman's superior signs");
  await close();
});

test('transfer (转办) hands the assignment on within the step', async (t) => {
  const { svc, events, close } = openRig();
  let o = svc.create(repairInput(), actors.agent);
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field2' }] }, actors.agent);
  o = svc.act(o.id, { action: 'transfer', version: o.version, to: { kind: 'department', id: 'field' }, note: '属城区' }, actors.lineman2);
  t.is(o.status, 'in-progress');
  t.deepEqual(svc.assignments(o.id).map((a) => [a.assignee.id, a.status]), [['field2', 'transferred'], ['field', 'pending']]);
  const ev = events.find((e) => e.type === 'workorder.order.transferred');
  t.deepEqual(ev?.payload, { ...ev!.payload, from: { kind: 'department', id: 'field2' }, to: { kind: 'department', id: 'field' } });
  o = svc.act(o.id, { action: 'reply', version: o.version, reply: 'ok' }, actors.lineman);
  t.is(o.status, 'replied');
  await close();
});

test('return (退办) without a reason is refused naming the field, and writes nothing', async (t) => {
  const { svc, store, close } = openRig();
  let o = svc.create(repairInput(), actors.agent);
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
  const before = { counts: tableCounts(store), row: rawOrder(store, o.id) };
  const err = t.throws(() => svc.act(o.id, { action: 'return', version: o.version, reason: '   ' }, actors.lineman), { instanceOf: ValidationError });
  t.deepEqual(err.issues.map((i) => i.path), ['reason']);
  t.deepEqual({ counts: tableCounts(store), row: rawOrder(store, o.id) }, before);
  await close();
});

test('urge (催办) publishes workorder.order.urged naming the people to notify at once', async (t) => {
  const { svc, events, close } = openRig();
  let o = svc.create(repairInput(), actors.agent);
  o = svc.act(o.id, { action: 'urge', version: o.version, note: '客户再次来电' }, actors.agent2);
  let urged = events.filter((e) => e.type === 'workorder.order.urged');
  t.deepEqual(urged[0]?.payload, { ...urged[0]!.payload, urged: [{ kind: 'role', id: 'agent' }], urgeCount: 1 });
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }, { kind: 'user', id: 'user:lineman2' }] }, actors.agent);
  o = svc.act(o.id, { action: 'urge', version: o.version, note: '客户第三次来电' }, actors.agent2);
  urged = events.filter((e) => e.type === 'workorder.order.urged');
  const p = urged[1]!.payload as { urged: unknown; urgeCount: number; note: string; number: string; actor: string };
  t.deepEqual(p.urged, [{ kind: 'department', id: 'field' }, { kind: 'user', id: 'user:lineman2' }]);
  t.is(p.urgeCount, 2);
  t.is(p.note, '客户第三次来电');
  t.is(p.number, o.number);
  t.is(p.actor, actors.agent2.id);
  t.is(o.urgeCount, 2);
  t.is(o.status, 'in-progress');
  const last = svc.history(o.id).at(-1);
  t.deepEqual([last?.action, last?.fromStatus, last?.toStatus], ['urge', 'in-progress', 'in-progress']);
  await close();
});

test('illegal transitions throw InvalidTransitionError and write nothing', async (t) => {
  const { svc, store, events, close } = openRig();
  let o = svc.create(repairInput(), actors.agent);
  const snapshot = (): unknown => ({ counts: tableCounts(store), row: rawOrder(store, o.id), events: events.length });
  let before = snapshot();
  for (const cmd of [
    { action: 'close', version: o.version },
    { action: 'reply', version: o.version, reply: 'x' },
    { action: 'resume', version: o.version },
    { action: 'visit', version: o.version, result: 'satisfied' },
    { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] },
  ] satisfies ActionCommandInput[]) {
    const err = t.throws(() => svc.act(o.id, cmd, actors.supervisor), { instanceOf: InvalidTransitionError });
    t.is(err.from, 'new', cmd.action);
  }
  t.deepEqual(snapshot(), before);
  // A repair order may not be closed straight from accepted (only directClose types may).
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  before = snapshot();
  t.throws(() => svc.act(o.id, { action: 'close', version: o.version }, actors.agent), { instanceOf: InvalidTransitionError });
  t.deepEqual(snapshot(), before);
  await close();
});

test('an action by someone the order is not assigned to is refused with the reason', async (t) => {
  const { svc, store, close } = openRig();
  let o = svc.create(repairInput(), actors.agent);
  t.throws(() => svc.act(o.id, { action: 'accept', version: o.version }, actors.lineman), { instanceOf: ActionForbiddenError, message: /roles agent/ });
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  t.throws(() => svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent2), {
    instanceOf: ActionForbiddenError,
    message: /acceptor or a supervisor/,
  });
  o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.supervisor);
  const before = tableCounts(store);
  const err = t.throws(() => svc.act(o.id, { action: 'reply', version: o.version, reply: 'x' }, actors.outsider), { instanceOf: ActionForbiddenError });
  t.is(err.code, 'FORBIDDEN');
  t.is(err.reason, 'the order is not assigned to you in this step');
  t.deepEqual(tableCounts(store), before);
  await close();
});

test('a stale version is a ConflictError and changes nothing', async (t) => {
  const { svc, store, events, close } = openRig();
  const o = svc.create(repairInput(), actors.agent);
  const seenByBoth = o.version;
  const a = svc.act(o.id, { action: 'accept', version: seenByBoth }, actors.agent);
  const before = { counts: tableCounts(store), row: rawOrder(store, o.id), events: events.length };
  const err = t.throws(() => svc.act(o.id, { action: 'accept', version: seenByBoth }, actors.agent2), { instanceOf: ConflictError });
  t.is(err.code, 'CONFLICT');
  t.throws(() => svc.act(o.id, { action: 'urge', version: seenByBoth }, actors.agent2), { instanceOf: ConflictError });
  t.deepEqual({ counts: tableCounts(store), row: rawOrder(store, o.id), events: events.length }, before);
  t.is(svc.get(o.id).acceptorId, actors.agent.id);
  t.is(svc.get(o.id).version, a.version);
  await close();
});

test('50 actions on one version: exactly one applies, 49 conflict, the log stays consistent', async (t) => {
  const { svc, close } = openRig();
  const o = svc.create(repairInput(), actors.agent);
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, async () => svc.act(o.id, { action: 'urge', version: o.version }, actors.agent2)),
  );
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  t.true(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof ConflictError));
  const h = svc.history(o.id);
  t.deepEqual(h.map((e) => e.version), [1, 2]);
  t.is(svc.get(o.id).urgeCount, 1);
  await close();
});

test('invalid custom fields name every failing field', async (t) => {
  const { svc, store, close } = openRig();
  const before = tableCounts(store);
  const err = t.throws(() => svc.create(repairInput({ fields: { meterNo: '12ab', faultKind: 'fire', households: 0, extra: 1 } }), actors.agent), {
    instanceOf: ValidationError,
  });
  t.deepEqual(err.issues.map((i) => i.path).sort(), ['fields', 'fields.faultKind', 'fields.households', 'fields.meterNo']);
  const missing = t.throws(() => svc.create(repairInput({ fields: {} }), actors.agent), { instanceOf: ValidationError });
  t.deepEqual(missing.issues.map((i) => i.path).sort(), ['fields.faultKind', 'fields.meterNo']);
  const top = t.throws(() => svc.create({ typeId: 'repair', source: 'pigeon', title: '' } as never, actors.agent), { instanceOf: ValidationError });
  t.deepEqual(top.issues.map((i) => i.path).sort(), ['source', 'title']);
  t.deepEqual(tableCounts(store), before);
  await close();
});

test('order numbers are GDyyyymmdd-NNNNNN per local day, restarting at midnight +08:00', async (t) => {
  // 23:59 local on Monday 2026-01-05.
  const { svc, clock, close } = openRig({ start: Date.UTC(2026, 0, 5, 15, 59) });
  const a = svc.create(repairInput(), actors.agent);
  const b = svc.create(repairInput(), actors.agent);
  clock.advance(MIN);
  const c = svc.create(repairInput(), actors.agent);
  t.deepEqual([a.number, b.number, c.number], ['GD20260105-000001', 'GD20260105-000002', 'GD20260106-000001']);
  t.is(svc.getByNumber('GD20260105-000002').id, b.id);
  await close();
});

test('list filters by status and type, pages with a cursor, and finds by number or title text', async (t) => {
  const { svc, clock, close } = openRig();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(svc.create(repairInput({ title: `停电 ${i}` }), actors.agent).id);
    clock.advance(1000);
  }
  const consult = svc.create({ typeId: 'consult', source: 'web', title: '电价咨询 100%' }, actors.agent);
  svc.act(ids[0]!, { action: 'accept', version: 1 }, actors.agent);
  const p1 = svc.list({ typeId: 'repair', limit: 2 });
  t.deepEqual(p1.items.map((o) => o.id), [ids[4], ids[3]]);
  const p2 = svc.list({ typeId: 'repair', limit: 2, cursor: p1.nextCursor! });
  t.deepEqual(p2.items.map((o) => o.id), [ids[2], ids[1]]);
  const p3 = svc.list({ typeId: 'repair', limit: 2, cursor: p2.nextCursor! });
  t.deepEqual(p3.items.map((o) => o.id), [ids[0]]);
  t.is(p3.nextCursor, null);
  t.deepEqual(svc.list({ status: 'accepted' }).items.map((o) => o.id), [ids[0]]);
  t.deepEqual(svc.list({ text: '100%' }).items.map((o) => o.id), [consult.id]);
  t.deepEqual(svc.list({ text: '%' }).items.map((o) => o.id), [consult.id], 'LIKE wildcards are literal');
  t.deepEqual(svc.list({ text: svc.get(ids[2]!).number }).items.map((o) => o.id), [ids[2]]);
  t.throws(() => svc.list({ cursor: 'garbage' }), { instanceOf: ValidationError });
  await close();
});

test('workorder_events is append-only', async (t) => {
  const { svc, store, close } = openRig();
  svc.create(repairInput(), actors.agent);
  t.throws(() => store.sqlite.prepare("UPDATE workorder_events SET note = 'x'").run(), { any: true, message: /append-only/ });
  t.throws(() => store.sqlite.prepare('DELETE FROM workorder_events').run(), { any: true, message: /append-only/ });
  await close();
});

test('departments form a tree without cycles; workflows may only name existing departments', async (t) => {
  const { svc, close } = openRig();
  t.throws(() => svc.updateDepartment('csc', { parentId: 'field' }), { instanceOf: ValidationError, message: /cycle/ });
  t.is(svc.updateDepartment('field2', { parentId: 'field' }).parentId, 'field');
  t.throws(() => svc.createDepartment({ code: '01', name: 'dup' }), { instanceOf: ConflictError });
  const err = t.throws(
    () =>
      svc.createType({
        id: 'x',
        name: 'x',
        kind: 'other',
        workflow: { steps: [{ id: 's', name: 's', assign: { by: 'department', departmentIds: ['nope'] } }] },
      }),
    { instanceOf: ValidationError },
  );
  t.is(err.issues[0]?.path, 'workflow.steps.0.assign.departmentIds');
  const cat = svc.createCategory({ typeId: 'complaint', code: 'service', name: '服务态度' });
  const sub = svc.createCategory({ typeId: 'complaint', parentId: cat.id, code: 'service.meter-reader', name: '抄表员' });
  t.deepEqual(svc.listCategories('complaint').map((c) => [c.code, c.parentId]), [['service', null], ['service.meter-reader', cat.id]]);
  t.throws(() => svc.create({ typeId: 'repair', categoryId: sub.id, source: 'call', title: 'x', fields: repairInput().fields as never }, actors.agent), {
    instanceOf: ValidationError,
  });
  void MONDAY_0900;
  await close();
});
