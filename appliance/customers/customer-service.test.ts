import test from 'ava';
import { ConflictError, ValidationError } from '../core/errors.js';
import { agent, customerCounts, hospital, openCustomerRig, resident } from './testing/fixtures.js';

test('lookup by caller number finds the customer whichever way the number arrives', async (t) => {
  const { svc, close } = openCustomerRig();
  const h = svc.create(hospital(), agent);
  const r = svc.create(resident(), agent);
  for (const cli of ['037165551234', '+86371 6555 1234', '65551234', '0086371-65551234']) {
    const m = svc.lookupByPhone(cli);
    t.deepEqual(m.matches.map((x) => [x.customerId, x.tier, x.phoneLabel]), [[h.id, 'critical', '值班室']], cli);
  }
  t.deepEqual(svc.lookupByPhone('013800138000').matches.map((x) => x.customerId), [r.id]);
  t.deepEqual(svc.lookupByPhone('13800138001').matches, []);
  const withheld = svc.lookupByPhone('anonymous');
  t.is(withheld.phone, null);
  t.deepEqual(withheld.matches, []);
  t.is(svc.findByAccount('041000000002').id, r.id);
  t.deepEqual(svc.findByMeter('100000000001').map((c) => c.id), [h.id]);
  t.deepEqual(svc.customersInArea('410105'), [h.id]);
  t.deepEqual(svc.customersInArea('4101').sort(), [h.id, r.id].sort());
  t.is(h.phones.find((p) => p.label === '电工手机')?.contactId, h.contacts[0]?.id);
  t.is(h.phones.find((p) => p.label === '值班室')?.display, '0371-6555 1234');
  await close();
});

test('tiers follow the rules and change with corrections and rule sets', async (t) => {
  const { svc, events, close } = openCustomerRig();
  const h = svc.create(hospital(), agent);
  const r = svc.create(resident(), agent);
  t.is(h.tier, 'critical');
  t.is(h.tierRule, 'critical-load');
  t.is(r.tier, 'standard');
  t.is(svc.tier(r.id).attributes['arrearsYuan'], 120);

  const { customer } = svc.update(r.id, { version: r.version, reason: '人大代表，营销部通知', vip: true }, agent);
  t.is(customer.tier, 'vip');
  t.true(events.some((e) => e.type === 'customer.tier.changed' && e.payload.customerId === r.id && e.payload.to === 'vip'));

  // Arrears above 100 yuan demote to standard, ahead of the VIP rule.
  const rules = {
    rules: [
      { id: 'arrears', tier: 'standard', when: { attr: 'arrearsYuan', op: 'gt', value: 100 } },
      { id: 'vip-flag', tier: 'vip', when: { attr: 'vip', op: 'eq', value: true } },
    ],
  };
  t.throws(() => svc.setTierRules(rules, 3, agent), { instanceOf: ConflictError });
  const res = svc.setTierRules(rules, 0, agent);
  t.is(res.view.version, 1);
  t.is(res.changed, 2); // hospital critical → standard, resident vip → standard
  t.is(svc.get(h.id).tier, 'standard');
  t.is(svc.get(r.id).tierRule, 'arrears');
  const bad = t.throws(() => svc.setTierRules({ rules: [{ id: 'x', tier: 'gold', when: {} }] }, 1, agent), { instanceOf: ValidationError });
  t.true(bad.issues.some((i) => i.path === 'rules.0.tier'));
  t.is(svc.tierRules().version, 1);
  await close();
});

test('a correction keeps history, refuses a stale version and writes nothing on bad input', async (t) => {
  const { svc, store, clock, close } = openCustomerRig();
  const r = svc.create(resident(), agent);
  clock.advance(60_000);
  const { customer, corrections } = svc.update(
    r.id,
    {
      version: r.version,
      reason: '客户来电更正',
      name: '李秀英（户主）',
      attributes: { floor: 5 },
      addPhones: [{ number: '0371-6123 4567', label: '家里' }],
      removePhones: ['13800138000'],
      address: { text: '郑州市中原区建设路8号院3号楼', areaCode: '41010202' },
    },
    agent,
  );
  t.is(customer.version, 2);
  t.deepEqual(corrections.map((c) => c.field).sort(), ['address', 'attributes.floor', 'name', 'phone:+37161234567', 'phone:-13800138000'].sort());
  t.true(corrections.every((c) => c.actor === 'user:agent1' && c.actorIp === '10.0.0.11' && c.reason === '客户来电更正' && c.status === 'pending'));
  t.deepEqual(svc.lookupByPhone('13800138000').matches, []);
  t.is(svc.lookupByPhone('61234567').matches[0]?.customerId, r.id);

  const before = customerCounts(store);
  t.throws(() => svc.update(r.id, { version: 1, reason: '重复', name: 'x' }, agent), { instanceOf: ConflictError });
  const v = t.throws(() => svc.update(r.id, { version: 2, reason: '', name: '', addPhones: [{ number: 'abc' }] }, agent), { instanceOf: ValidationError });
  t.deepEqual(v.issues.map((i) => i.path).sort(), ['addPhones.0.number', 'name', 'reason']);
  const gone = t.throws(() => svc.update(r.id, { version: 2, reason: '删号', name: '新名字', removePhones: ['13900000000'] }, agent), { instanceOf: ValidationError });
  t.deepEqual(gone.issues.map((i) => i.path), ['removePhones.0']);
  t.deepEqual(customerCounts(store), before);
  t.is(svc.get(r.id).name, '李秀英（户主）');

  const csv = svc.exportCorrectionsCsv({ customerId: r.id });
  const lines = csv.trimEnd().split('\r\n');
  t.is(lines[0], 'id,at,customer_id,billing_ref,field,before,after,reason,actor,ip,status');
  t.is(lines.length, 6);
  t.true(lines.some((l) => l.includes('name,"""李秀英""","""李秀英（户主）"""')), csv);
  await close();
});
