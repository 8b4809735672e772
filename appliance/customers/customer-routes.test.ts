import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { CustomerService } from './customer-service.js';
import { registerCustomerRoutes } from './customer-routes.js';
import { customerCounts, hospital, resident } from './testing/fixtures.js';

async function rig() {
  const h = await startApiHarness();
  const svc = new CustomerService({ store: h.store, clock: h.clock, bus: h.bus, log: silentLogger(), phone: { defaultAreaCode: '0371' } });
  registerCustomerRoutes(h.api.registry, svc, h.api.audit);
  return { h, svc };
}

type Json = Record<string, unknown>;

test('create, lookup by phone/account/meter, get, tier', async (t) => {
  const { h } = await rig();
  const created = await h.call('POST', '/customers', { body: hospital() });
  t.is(created.status, 201);
  const c = (await created.json()) as { id: string; tier: string };
  t.is(c.tier, 'critical');
  const byPhone = (await (await h.call('GET', `/customers/lookup?phone=${encodeURIComponent('+86 371 6555 1234')}`)).json()) as Json;
  t.deepEqual(byPhone['phone'], { key: '37165551234', kind: 'landline', areaCode: '0371', display: '0371-6555 1234' });
  t.deepEqual((byPhone['matches'] as Json[]).map((m) => m['customerId']), [c.id]);
  const byAccount = (await (await h.call('GET', '/customers/lookup?account=041000000001')).json()) as { matches: Json[] };
  t.is(byAccount.matches[0]?.['customerId'], c.id);
  const byMeter = (await (await h.call('GET', '/customers/lookup?meter=100000000001')).json()) as { matches: Json[] };
  t.is(byMeter.matches[0]?.['customerId'], c.id);
  t.is((await h.call('GET', '/customers/lookup?account=999999')).status, 404);
  t.is((await h.call('GET', '/customers/lookup?phone=1&account=2')).status, 400);
  const tier = (await (await h.call('GET', `/customers/${c.id}/tier`)).json()) as Json;
  t.like(tier, { tier: 'critical', ruleId: 'critical-load' });
  t.is((await h.call('GET', '/customers/cus_nope')).status, 404);
  await h.close();
});

test('a correction: 400 names every field and writes nothing, 409 on a stale version, audit with before/after, CSV export', async (t) => {
  const { h } = await rig();
  const c = (await (await h.call('POST', '/customers', { body: resident() })).json()) as { id: string; version: number };
  const before = customerCounts(h.store);
  const auditBefore = h.store.sqlite.prepare('SELECT count(*) FROM audit_log').pluck().get();

  const bad = await h.call('PATCH', `/customers/${c.id}`, { body: { version: 1, reason: '', vip: 'yes', addPhones: [{ number: 'x' }], colour: 'red' } });
  t.is(bad.status, 400);
  const paths = ((await bad.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path).sort();
  t.deepEqual(paths, ['addPhones.0.number', 'colour', 'reason', 'vip']);
  t.deepEqual(customerCounts(h.store), before);
  t.is(h.store.sqlite.prepare('SELECT count(*) FROM audit_log').pluck().get(), auditBefore);

  const ok = await h.call('PATCH', `/customers/${c.id}`, { body: { version: 1, reason: '客户来电更正姓名', name: '李秀英' + '（户主）', vip: true } });
  t.is(ok.status, 200);
  const body = (await ok.json()) as { customer: { version: number; tier: string }; corrections: { field: string }[] };
  t.is(body.customer.version, 2);
  t.is(body.customer.tier, 'vip');
  t.deepEqual(body.corrections.map((x) => x.field).sort(), ['name', 'vip']);

  const stale = await h.call('PATCH', `/customers/${c.id}`, { body: { version: 1, reason: '再改', name: '别的名字' } });
  t.is(stale.status, 409);
  t.is(((await (await h.call('GET', `/customers/${c.id}`)).json()) as { name: string }).name, '李秀英（户主）');

  const rows = h.store.sqlite.prepare("SELECT actor, actor_ip, action, target, before, after FROM audit_log WHERE action LIKE 'customer.%' ORDER BY id").all() as Json[];
  t.deepEqual(rows.map((r) => r['action']), ['customer.profile.created', 'customer.profile.corrected']);
  t.is(rows[1]?.['actor'], `apikey:${h.adminKeyId}`);
  t.is(rows[1]?.['actor_ip'], '127.0.0.1');
  t.is(JSON.parse(rows[1]?.['before'] as string).name, '李秀英');
  t.is(JSON.parse(rows[1]?.['after'] as string).name, '李秀英（户主）');

  const list = (await (await h.call('GET', `/customer-corrections?customerId=${c.id}`)).json()) as { items: { field: string; actor: string }[] };
  t.is(list.items.length, 2);
  const csv = await h.call('GET', '/customer-corrections/export');
  t.regex(csv.headers.get('content-type') ?? '', /^text\/csv/);
  const text = await csv.text();
  t.is(text.split('\r\n')[0], 'id,at,customer_id,billing_ref,field,before,after,reason,actor,ip,status');
  t.is(text.trimEnd().split('\r\n').length, 3);
  await h.close();
});

test('tier rules: scope, 400 with field names, 409 stale, audit', async (t) => {
  const { h } = await rig();
  const c = (await (await h.call('POST', '/customers', { body: resident() })).json()) as { id: string };
  const reader = await h.keyWith(['customers:read', 'customers:write']);
  const rules = { version: 0, rules: [{ id: 'arrears', tier: 'large', when: { attr: 'arrearsYuan', op: 'gte', value: 100 } }] };
  t.is((await h.call('PUT', '/customer-tier-rules', { key: reader.secret, body: rules })).status, 403);
  const bad = await h.call('PUT', '/customer-tier-rules', { body: { version: 0, rules: [{ id: 'X', tier: 'gold', when: { attr: 'a', op: 'eq', value: 1 } }] } });
  t.is(bad.status, 400);
  t.deepEqual(((await bad.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path).sort(), ['rules.0.id', 'rules.0.tier']);
  const put = await h.call('PUT', '/customer-tier-rules', { body: rules });
  t.is(put.status, 200);
  t.like(await put.json(), { version: 1, changed: 1 });
  t.is(((await (await h.call('GET', `/customers/${c.id}`)).json()) as { tier: string }).tier, 'large');
  t.is((await h.call('PUT', '/customer-tier-rules', { body: rules })).status, 409);
  const audit = h.store.sqlite.prepare("SELECT count(*) FROM audit_log WHERE action = 'customer.tier-rules.changed'").pluck().get();
  t.is(audit, 1);
  await h.close();
});
