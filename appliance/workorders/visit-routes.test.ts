import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import type { WorkOrder } from './model.js';
import { actors, repairInput, seedOrg } from './testing/fixtures.js';
import { VisitService } from './visit-service.js';
import { registerVisitRoutes } from './visit-routes.js';
import { WorkOrderService } from './workorder-service.js';

async function rig() {
  const h = await startApiHarness();
  const log = silentLogger();
  const svc = new WorkOrderService({ store: h.store, clock: h.clock, bus: h.bus, log });
  seedOrg(svc);
  const visits = new VisitService({ store: h.store, clock: h.clock, bus: h.bus, log, orders: svc });
  visits.start();
  visits.saveRule({ id: 'all', name: '全部回访', samplePercent: 100 });
  registerVisitRoutes(h.api.registry, visits, h.api.audit);
  const closed = (title: string): WorkOrder => {
    let o = svc.create(repairInput({ title }), actors.agent);
    o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
    o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
    o = svc.act(o.id, { action: 'reply', version: o.version, reply: '已修复' }, actors.lineman);
    return svc.act(o.id, { action: 'close', version: o.version }, actors.agent);
  };
  return { h, svc, visits, closed };
}

const as = (a: { id: string; roles: string[]; departmentIds: string[] }) => ({
  'x-acting-user': a.id,
  'x-acting-roles': a.roles.join(','),
  'x-acting-departments': a.departmentIds.join(','),
});
type Json = Record<string, unknown>;

test('visits over REST: list, assign by a supervisor, dial, outcomes with versions; dissatisfied reopens the order', async (t) => {
  const { h, svc, closed } = await rig();
  t.teardown(() => h.close());
  const order = closed('和平路停电');
  const list = (await (await h.call('GET', `/visits?orderId=${order.id}`)).json()) as { items: Json[] };
  t.is(list.items.length, 1);
  const visit = list.items[0]!;
  t.like(visit, { status: 'pending', orderId: order.id, contactPhone: '13800138000' });

  // An agent may not hand out visits; a supervisor may.
  const denied = await h.call('POST', '/visits/assign', { body: { visitIds: [visit['id']], agent: 'user:agent2' }, headers: as(actors.agent) });
  t.is(denied.status, 403);
  const assigned = await h.call('POST', '/visits/assign', { body: { visitIds: [visit['id']], agent: 'user:agent2' }, headers: as(actors.supervisor) });
  t.is(assigned.status, 200);
  const v = ((await assigned.json()) as { items: Json[] }).items[0]!;
  t.like(v, { status: 'assigned', agentId: 'user:agent2' });
  t.deepEqual(((await (await h.call('GET', '/visits/queue?agent=user:agent2')).json()) as { items: Json[] }).items.map((x) => x['id']), [visit['id']]);

  // Click-to-dial is the assigned agent's only.
  t.is((await h.call('POST', `/visits/${String(visit['id'])}/dial`, { headers: as(actors.agent) })).status, 403);
  const dial = await h.call('POST', `/visits/${String(visit['id'])}/dial`, { headers: as(actors.agent2) });
  t.is(dial.status, 202);
  t.deepEqual(await dial.json(), { number: '13800138000' });

  // Bad body: the field is named, nothing is written.
  const bad = await h.call('POST', `/visits/${String(visit['id'])}/outcome`, { body: { version: v['version'], outcome: 'dissatisfied' }, headers: as(actors.agent2) });
  t.is(bad.status, 400);
  t.deepEqual(((await bad.json()) as { error: { fields: Array<{ path: string }> } }).error.fields.map((f) => f.path), ['reason']);
  const stale = await h.call('POST', `/visits/${String(visit['id'])}/outcome`, { body: { version: Number(v['version']) - 1, outcome: 'satisfied' }, headers: as(actors.agent2) });
  t.is(stale.status, 409);
  const ok = await h.call('POST', `/visits/${String(visit['id'])}/outcome`, { body: { version: v['version'], outcome: 'dissatisfied', reason: '抢修太慢' }, headers: as(actors.agent2) });
  t.is(ok.status, 200);
  t.like(await ok.json(), { status: 'done', result: 'dissatisfied' });
  t.like(svc.get(order.id), { status: 'accepted', reopenCount: 1 });

  const one = (await (await h.call('GET', `/visits/${String(visit['id'])}`)).json()) as { attempts: Json[] };
  t.deepEqual(one.attempts.map((a) => [a['agentId'], a['outcome'], a['reason']]), [['user:agent2', 'dissatisfied', '抢修太慢']]);
  const stats = (await (await h.call('GET', '/visits/stats?by=agent')).json()) as { items: Json[] };
  t.deepEqual(stats.items.map((r) => [r['key'], r['visits'], r['dissatisfied'], r['satisfactionRate']]), [['user:agent2', 1, 1, 0]]);
  t.is((await h.call('GET', '/visits/vis_nope')).status, 404);
  const audit = h.store.sqlite.prepare("SELECT action FROM audit_log WHERE action LIKE 'workorder.visit.%' ORDER BY id").pluck().all();
  t.deepEqual(audit, ['workorder.visit.assigned', 'workorder.visit.recorded']);
});

test('visits need their scopes: a read-only key cannot record an outcome', async (t) => {
  const { h, closed } = await rig();
  t.teardown(() => h.close());
  closed('人民路电压低');
  const reader = await h.keyWith(['workorders:read']);
  t.is((await h.call('GET', '/visits', { key: reader.secret })).status, 200);
  const visit = ((await (await h.call('GET', '/visits')).json()) as { items: Json[] }).items[0]!;
  t.is((await h.call('POST', `/visits/${String(visit['id'])}/outcome`, { key: reader.secret, body: { version: 1, outcome: 'satisfied' } })).status, 403);
});
