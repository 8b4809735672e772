import test from 'ava';
import { installDefaults } from './templates.js';
import { actors, openRig } from './testing/fixtures.js';

test('the shipped defaults install once and give a rural repair a 90-minute arrival clock', async (t) => {
  const { svc, clock, close } = openRig({ withOrg: false });
  svc.createDepartment({ id: 'field', code: '02', name: '抢修班' });
  t.deepEqual(installDefaults(svc), { types: 7, policies: 8 });
  t.deepEqual(installDefaults(svc), { types: 0, policies: 0 }, 'idempotent');
  t.deepEqual(svc.listTypes().map((x) => x.name).sort(), ['业务申请/报装', '咨询', '建议', '投诉', '故障报修', '表扬', '违窃举报'].sort());
  let o = svc.create({ typeId: 'repair', source: 'call', areaClass: 'rural', title: '村口变压器跳闸', fields: { faultKind: 'no-power' } }, actors.agent);
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
  const arrival = svc.slaClocks(o.id).find((c) => c.metric === 'arrival');
  t.is(arrival?.targetMs, 90 * 60_000);
  t.is(arrival?.dueAt, clock.now() + 90 * 60_000);
  await close();
});
