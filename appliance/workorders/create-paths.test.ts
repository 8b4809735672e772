import test from 'ava';
import { ValidationError } from '../core/errors.js';
import { actors, openRig, repairInput, tableCounts } from './testing/fixtures.js';

test('createQueued: orders created in one turn share one transaction; a bad one rejects alone', async (t) => {
  const rig = openRig();
  const before = { ...rig.svc.group.stats };
  const results = await Promise.allSettled([
    rig.svc.createQueued(repairInput({ title: '一' }), actors.agent),
    rig.svc.createQueued(repairInput({ title: '二', fields: { meterNo: 'x' } }), actors.agent), // fails validation early
    rig.svc.createQueued(repairInput({ title: '三', categoryId: undefined }), actors.agent),
    rig.svc.createQueued({ ...repairInput({ title: '四' }), typeId: 'repair' }, actors.agent),
  ]);
  t.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  t.true((results[1] as PromiseRejectedResult).reason instanceof ValidationError);
  t.is(rig.svc.group.stats.batches - before.batches, 1, 'one COMMIT for three orders');
  t.is(rig.svc.group.stats.writes - before.writes, 3);
  const numbers = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ number: string }>).value.number);
  t.deepEqual(numbers, ['GD20260105-000001', 'GD20260105-000002', 'GD20260105-000003']);
  t.is(rig.events.filter((e) => e.type === 'workorder.order.created').length, 3, 'published after commit');
  await rig.close();
});

test('group commit: a write that throws inside the transaction is rolled back alone (savepoint)', async (t) => {
  const rig = openRig();
  const ok = rig.svc.group.run(() => ({ value: rig.svc.create(repairInput({ title: '好' }), actors.agent).id }));
  const bad = rig.svc.group.run(() => {
    rig.svc.create(repairInput({ title: '坏' }), actors.agent);
    throw new Error('boom after writing');
  });
  const [a, b] = await Promise.allSettled([ok, bad]);
  t.is(a.status, 'fulfilled');
  t.is(b.status, 'rejected');
  t.is(rig.svc.list().items.map((o) => o.title).join(), '好');
  t.is(tableCounts(rig.store).workorder_events, 1);
  await rig.close();
});

test('createMany is all or nothing and names the failing row', (t) => {
  const rig = openRig();
  const counts = tableCounts(rig.store);
  const err = t.throws(() => rig.svc.createMany([repairInput(), repairInput({ fields: { faultKind: 'nope' } })], actors.agent), { instanceOf: ValidationError });
  t.true(err.issues.some((i) => i.path.startsWith('1.')));
  t.deepEqual(tableCounts(rig.store), counts);
  const made = rig.svc.createMany([repairInput({ title: 'A' }), repairInput({ title: 'B' })], actors.agent);
  t.deepEqual(made.map((o) => o.status), ['new', 'new']);
  t.deepEqual(rig.svc.get(made[1]!.id), made[1]);
  void rig.close();
});

test('the order create returns equals what a fresh read returns (built without reading back)', (t) => {
  const rig = openRig();
  rig.svc.createSlaPolicy({ typeId: 'repair', metric: 'accept', targetMinutes: 5 });
  const o = rig.svc.create(repairInput({ callIds: ['call_1', 'call_1', 'call_2'] }), actors.agent);
  t.deepEqual(o, rig.svc.get(o.id));
  t.is(o.dueAt, rig.clock.now() + 5 * 60_000);
  t.deepEqual(o.callIds, ['call_1', 'call_2']);
  void rig.close();
});

test('list search: order number exact, 3+ character terms through the trigram index, short terms by LIKE, with filters', (t) => {
  const rig = openRig();
  const a = rig.svc.create(repairInput({ title: '和平路12号整栋无电', address: '金水区和平路12号' }), actors.agent);
  const b = rig.svc.create(repairInput({ title: '人民路电压低' }), actors.agent);
  rig.svc.create(repairInput({ title: '和平路路灯不亮' }), actors.agent);
  const titles = (text: string, extra = {}) => rig.svc.list({ text, ...extra }).items.map((o) => o.title);
  t.deepEqual(titles(a.number), ['和平路12号整栋无电']);
  t.deepEqual(titles(a.number.toLowerCase()), ['和平路12号整栋无电']);
  t.deepEqual(titles('和平路'), ['和平路路灯不亮', '和平路12号整栋无电'], 'newest first');
  t.deepEqual(titles('金水区'), ['和平路12号整栋无电'], 'address is indexed too');
  t.deepEqual(titles('无电'), ['和平路12号整栋无电'], 'two characters: LIKE');
  t.deepEqual(titles('和平路 无电'), ['和平路12号整栋无电'], 'mixed long and short terms');
  t.deepEqual(titles('电压低', { status: ['closed'] }), []);
  t.deepEqual(titles('电压低', { status: ['new'] }), ['人民路电压低']);
  t.deepEqual(titles('50%'), []);
  const p1 = rig.svc.list({ text: '和平路', limit: 1 });
  t.deepEqual(rig.svc.list({ text: '和平路', limit: 1, cursor: p1.nextCursor! }).items.map((o) => o.id), [a.id]);
  t.truthy(b);
  void rig.close();
});
