import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { seedOrg } from './testing/fixtures.js';
import { WorkOrderService } from './workorder-service.js';
import { registerWorkOrderRoutes } from './workorder-routes.js';

async function rig() {
  const h = await startApiHarness();
  const svc = new WorkOrderService({ store: h.store, clock: h.clock, bus: h.bus, log: silentLogger() });
  seedOrg(svc);
  registerWorkOrderRoutes(h.api.registry, svc, h.api.audit);
  return { h, svc };
}

const order = {
  typeId: 'repair',
  source: 'call',
  priority: 'high',
  title: '和平路12号整栋无电',
  fields: { meterNo: '1234567890', faultKind: 'no-power' },
  contactPhone: '13800138000',
  callIds: ['call_01ABC'],
};

const agentHeaders = { 'x-acting-user': 'user:agent1', 'x-acting-roles': 'agent', 'x-acting-departments': 'csc' };

test('create, get by id and number, act with version, 409 on a stale version, history and audit', async (t) => {
  const { h } = await rig();
  const res = await h.call('POST', '/workorders', { body: order, headers: agentHeaders });
  t.is(res.status, 201);
  const o = (await res.json()) as { id: string; number: string; version: number; status: string };
  t.is(res.headers.get('location'), `/api/v1/workorders/${o.id}`);
  t.is(((await (await h.call('GET', `/workorders/${o.number}`)).json()) as { id: string }).id, o.id);

  const accepted = await h.call('POST', `/workorders/${o.id}/actions`, { body: { action: 'accept', version: 1 }, headers: agentHeaders });
  t.is(accepted.status, 200);
  t.like(await accepted.json(), { status: 'accepted', version: 2, acceptorId: 'user:agent1' });

  const before = h.store.sqlite.prepare('SELECT count(*) FROM workorder_events').pluck().get();
  const stale = await h.call('POST', `/workorders/${o.id}/actions`, { body: { action: 'urge', version: 1 }, headers: agentHeaders });
  t.is(stale.status, 409);
  t.is(((await stale.json()) as { error: { code: string } }).error.code, 'CONFLICT');
  t.is(h.store.sqlite.prepare('SELECT count(*) FROM workorder_events').pluck().get(), before);

  // A key acting as itself has no roles: the guard refuses with a reason.
  const self = await h.call('POST', `/workorders/${o.id}/actions`, { body: { action: 'close', version: 2 } });
  t.is(self.status, 403);

  const hist = (await (await h.call('GET', `/workorders/${o.id}/history`)).json()) as { items: { action: string; actor: string; channel: string }[] };
  t.deepEqual(hist.items.map((e) => [e.action, e.actor, e.channel]), [
    ['create', 'user:agent1', 'api'],
    ['accept', 'user:agent1', 'api'],
  ]);
  const audit = h.store.sqlite.prepare("SELECT action, actor, target FROM audit_log WHERE action LIKE 'workorder.%' ORDER BY id").all();
  t.deepEqual(audit, [
    { action: 'workorder.order.created', actor: `apikey:${h.adminKeyId}`, target: o.id },
    { action: 'workorder.order.accept', actor: `apikey:${h.adminKeyId}`, target: o.id },
  ]);

  const todo = (await (await h.call('GET', '/workorders/todo?user=user:agent1&roles=agent&departments=csc')).json()) as { items: { reason: string }[] };
  t.deepEqual(todo.items.map((i) => i.reason), ['to-dispatch']);
  await h.close();
});

test('400 names every bad field and writes nothing; list filters', async (t) => {
  const { h } = await rig();
  const bad = await h.call('POST', '/workorders', { body: { typeId: '', source: 'pigeon', title: '', extra: 1 } });
  t.is(bad.status, 400);
  const fields = ((await bad.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path).sort();
  t.deepEqual(fields, ['extra', 'source', 'title', 'typeId']);
  const badAction = await h.call('POST', '/workorders/wo_x/actions', { body: { action: 'return', version: 0 } });
  t.is(badAction.status, 400);
  t.deepEqual(((await badAction.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path).sort(), ['reason', 'version']);
  t.is(h.store.sqlite.prepare('SELECT count(*) FROM workorders').pluck().get(), 0);

  for (let i = 0; i < 3; i++) await h.call('POST', '/workorders', { body: { ...order, title: `第${i}单` }, headers: agentHeaders });
  const page = (await (await h.call('GET', '/workorders?status=new&typeId=repair&limit=2')).json()) as { items: unknown[]; nextCursor: string };
  t.is(page.items.length, 2);
  const rest = (await (await h.call('GET', `/workorders?status=new&limit=2&cursor=${page.nextCursor}`)).json()) as { items: unknown[] };
  t.is(rest.items.length, 1);
  t.is(((await (await h.call('GET', '/workorders?status=closed')).json()) as { items: unknown[] }).items.length, 0);
  const badQuery = await h.call('GET', '/workorders?status=nope&limit=0');
  t.deepEqual(((await badQuery.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path).sort(), ['limit', 'status.0']);
  await h.close();
});

test('scopes: read-only keys cannot write; acting as someone needs workorders:act-as', async (t) => {
  const { h } = await rig();
  const reader = await h.keyWith(['workorders:read']);
  t.is((await h.call('POST', '/workorders', { key: reader.secret, body: order })).status, 403);
  t.is((await h.call('GET', '/workorders', { key: reader.secret })).status, 200);
  t.is((await h.call('GET', '/workorders', { key: null })).status, 401);
  const writer = await h.keyWith(['workorders:write']);
  const r = await h.call('POST', '/workorders', { key: writer.secret, body: order, headers: agentHeaders });
  t.is(r.status, 403);
  const ok = await h.call('POST', '/workorders', { key: writer.secret, body: order });
  t.is(ok.status, 201);
  t.is(((await ok.json()) as { createdBy: string }).createdBy, `apikey:${writer.id}`);
  await h.close();
});
