import test from 'ava';
import { startApiHarness, type ApiHarness } from '../api/testing.js';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { silentLogger } from '../core/log.js';
import { Acd, type AcdDeps } from './acd.js';
import { registerAcdRoutes } from './acd-routes.js';
import { SqliteAcdStore } from './acd-store.js';
import { FakeAgentDialer, FakeBridger } from './testing/acd-harness.js';
import { WorkOrderService } from '../workorders/workorder-service.js';

interface Rig {
  h: ApiHarness;
  acd: Acd;
  dialer: FakeAgentDialer;
}

async function rig(t: { teardown(fn: () => unknown): void }, opts: { departments?: AcdDeps['departments'] } = {}): Promise<Rig> {
  const h = await startApiHarness();
  const dialer = new FakeAgentDialer(h.clock);
  const acd = new Acd({
    clock: h.clock,
    bus: h.bus,
    log: silentLogger(),
    store: new SqliteAcdStore(h.store, h.clock),
    dialer,
    bridger: new FakeBridger(),
    ...(opts.departments && { departments: opts.departments }),
  });
  registerAcdRoutes(h.api.registry, acd, h.api.audit);
  t.teardown(async () => {
    acd.stop();
    await h.close();
  });
  return { h, acd, dialer };
}

type Json = Record<string, unknown>;
const json = async (res: Response): Promise<Json> => (await res.json()) as Json;

const queue = (id: string, o: Json = {}): Json => ({
  id,
  name: `Queue ${id}`,
  strategy: 'least-recent',
  ringTimeoutMs: 15_000,
  wrapUpMs: 10_000,
  maxLength: 0,
  maxWaitMs: 0,
  joinWhenEmpty: 'never',
  leaveWhenEmpty: 'never',
  serviceLevelMs: 20_000,
  shortAbandonMs: 5_000,
  defaultAhtMs: 180_000,
  ...o,
});

async function audited(h: ApiHarness, action: string): Promise<{ action: string; actor: string; target: string | null; before: unknown; after: unknown }[]> {
  return (await h.api.audit.search({ limit: 50, action })).items;
}

test('queues CRUD: create, read, replace, delete with fallback — each audited; the store keeps it', async (t) => {
  const { h, acd } = await rig(t);
  t.is((await h.call('POST', '/acd/queues', { body: queue('billing') })).status, 201);
  t.is((await h.call('POST', '/acd/queues', { body: queue('outage', { overflow: { kind: 'queue', queueId: 'billing' } }) })).status, 201);
  t.is((await h.call('POST', '/acd/queues', { body: queue('billing') })).status, 409);
  const list = await json(await h.call('GET', '/acd/queues'));
  t.deepEqual((list['items'] as Json[]).map((q) => q['id']), ['billing', 'outage']);
  const put = await h.call('PUT', '/acd/queues/billing', { body: { ...queue('x'), id: undefined, strategy: 'ring-all', name: 'Billing' } });
  t.is(put.status, 200);
  t.like(await json(await h.call('GET', '/acd/queues/billing')), { id: 'billing', strategy: 'ring-all', name: 'Billing' });
  t.is(acd.queueConfig('billing').strategy, 'ring-all');

  // A waiting caller survives the deletion of its queue: it moves to the fallback.
  const ch = new FakeChannel({ clock: h.clock, id: 'c1' });
  void ch.answer();
  void acd.enqueue({ channel: ch, queueId: 'billing' });
  const bad = await h.call('DELETE', '/acd/queues/billing?fallback=nope');
  t.is(bad.status, 400);
  t.is((await h.call('DELETE', '/acd/queues/billing?fallback=outage')).status, 204);
  t.is((await h.call('GET', '/acd/queues/billing')).status, 404);
  t.like(acd.explain('c1'), { queueId: 'outage' });
  t.like(await json(await h.call('GET', '/acd/queues/outage')), { overflow: { kind: 'hangup' } });

  t.is((await audited(h, 'acd-queue.created')).length, 2);
  const [upd] = await audited(h, 'acd-queue.updated');
  t.like(upd, { actor: `apikey:${h.adminKeyId}`, target: 'billing', before: { strategy: 'least-recent' }, after: { strategy: 'ring-all' } });
  const [del] = await audited(h, 'acd-queue.deleted');
  t.like(del, { target: 'billing', after: { fallback: 'outage', callersMoved: 1 } });
  const rows = h.store.sqlite.prepare('SELECT id FROM acd_queues ORDER BY id').all() as { id: string }[];
  t.deepEqual(rows.map((r) => r.id), ['outage']);
});

test('bad queue and agent input: 400 naming every field, nothing written', async (t) => {
  const { h } = await rig(t);
  const res = await h.call('POST', '/acd/queues', { body: { ...queue('q1'), strategy: 'loudest', ringTimeoutMs: -1, colour: 'red' } });
  t.is(res.status, 400);
  const err = (await json(res))['error'] as { code: string; fields: { path: string }[] };
  t.is(err.code, 'VALIDATION');
  t.deepEqual([...new Set(err.fields.map((f) => f.path))].sort(), ['colour', 'ringTimeoutMs', 'strategy']);
  const res2 = await h.call('POST', '/acd/queues', {
    body: queue('q1', { overflow: { kind: 'queue', queueId: 'ghost' }, skills: [{ afterMs: 5, requirements: [] }] }),
  });
  t.is(res2.status, 400);
  const err2 = (await json(res2))['error'] as { fields: { path: string }[] };
  t.deepEqual(err2.fields.map((f) => f.path), ['queues.q1.overflow.queueId']);
  const res3 = await h.call('POST', '/acd/agents', { body: { id: 'a1', name: 'A', skills: { billing: 7 }, memberships: [{ queueId: 'ghost', penalty: 0 }] } });
  t.is(res3.status, 400);
  const err3 = (await json(res3))['error'] as { fields: { path: string }[] };
  t.deepEqual(err3.fields.map((f) => f.path), ['skills.billing']);
  const res4 = await h.call('POST', '/acd/agents', { body: { id: 'a1', name: 'A', skills: {}, memberships: [{ queueId: 'ghost', penalty: 0 }] } });
  t.deepEqual(((await json(res4))['error'] as { fields: { path: string }[] }).fields.map((f) => f.path), ['agents.a1.memberships.0.queueId']);
  t.deepEqual((await json(await h.call('GET', '/acd/queues')))['items'], []);
  t.deepEqual((await json(await h.call('GET', '/acd/agents')))['items'], []);
  t.deepEqual(await audited(h, 'acd-*'), []);
});

test('agents: create, change memberships, status by a supervisor, snapshot, explain a waiting call, remove', async (t) => {
  const { h, acd, dialer } = await rig(t);
  await h.call('POST', '/acd/queues', { body: queue('q', { strategy: 'skills-based', skills: [{ afterMs: 0, requirements: [{ skill: 'billing', minProficiency: 3 }] }, { afterMs: 30_000, requirements: [] }] }) });
  t.is((await h.call('POST', '/acd/agents', { body: { id: 'a1', name: 'Ann', skills: { billing: 2 }, memberships: [{ queueId: 'q', penalty: 0 }] } })).status, 201);
  t.is((await h.call('POST', '/acd/agents', { body: { id: 'a1', name: 'Ann', skills: {}, memberships: [] } })).status, 409);

  const supervisor = await h.keyWith(['acd:supervise']);
  const reader = await h.keyWith(['queues:read']);
  t.is((await h.call('PUT', '/acd/agents/a1/status', { key: reader.secret, body: { status: 'available' } })).status, 403);
  const st = await h.call('PUT', '/acd/agents/a1/status', { key: supervisor.secret, body: { status: 'available' } });
  t.is(st.status, 200);
  t.like(await json(st), { agentId: 'a1', status: 'available', state: 'idle' });
  t.is((await h.call('PUT', '/acd/agents/a1/status', { key: supervisor.secret, body: { status: 'available' } })).status, 409);
  t.is((await h.call('PUT', '/acd/agents/a1/status', { body: { status: 'available', reason: 'x' } })).status, 400);
  const [change] = await audited(h, 'acd-agent.status-changed');
  t.like(change, { actor: `apikey:${supervisor.id}`, target: 'a1', before: { status: 'logged-out' }, after: { status: 'available' } });

  const ch = new FakeChannel({ clock: h.clock, id: 'call-7' });
  void ch.answer();
  void acd.enqueue({ channel: ch, queueId: 'q', tier: 'vip' });
  h.clock.advance(10_000);
  const ex = await json(await h.call('GET', '/acd/calls/call-7/explain', { key: reader.secret }));
  t.like(ex, { callId: 'call-7', queueId: 'q', tier: 'vip', position: 1, eligible: [], nextRelaxation: { inMs: 20_000, stepIndex: 1 } });
  t.deepEqual((ex['ineligible'] as { reasons: string[] }[])[0]!.reasons, ['billing proficiency 2 < 3']);
  t.is((await h.call('GET', '/acd/calls/nobody/explain')).status, 404);

  // Raising the skill by PUT makes the agent eligible at once: they are offered the call.
  const put = await h.call('PUT', '/acd/agents/a1', { body: { name: 'Ann', skills: { billing: 4 }, memberships: [{ queueId: 'q', penalty: 0 }] } });
  t.is(put.status, 200);
  t.deepEqual([...dialer.ringing.keys()], ['a1']);
  t.like(await json(await h.call('GET', '/acd/agents/a1/snapshot')), { status: 'available', state: 'offered', callId: 'call-7', queues: ['q'] });
  const snap = await json(await h.call('GET', '/acd/queues/q/snapshot'));
  t.like(snap, { queueId: 'q', waiting: 1, agents: { offered: 1 }, counts: { offered: 1 }, metrics: { serviceLevel: { value: null } } });

  t.is((await h.call('DELETE', '/acd/agents/a1')).status, 204);
  t.is((await h.call('GET', '/acd/agents/a1')).status, 404);
  t.deepEqual((await audited(h, 'acd-agent.*')).map((e) => e.action).sort(), ['acd-agent.created', 'acd-agent.deleted', 'acd-agent.status-changed', 'acd-agent.updated']);
});

test('interval statistics: closed intervals are served with the formulas named; reports:read is required', async (t) => {
  const { h, acd, dialer } = await rig(t);
  await h.call('POST', '/acd/queues', { body: queue('q', { wrapUpMs: 0, ringTimeoutMs: 60_000 }) });
  await h.call('POST', '/acd/agents', { body: { id: 'a1', name: 'Ann', skills: {}, memberships: [{ queueId: 'q', penalty: 0 }] } });
  acd.setStatus('a1', 'available');
  const start = h.clock.now();
  for (const [i, wait] of [12_000, 25_000].entries()) {
    const ch = new FakeChannel({ clock: h.clock, id: `c${i}` });
    void ch.answer();
    void acd.enqueue({ channel: ch, queueId: 'q' });
    h.clock.advance(wait);
    dialer.ringing.get('a1')!.answer();
    await new Promise<void>((r) => setImmediate(r));
    h.clock.advance(60_000);
    dialer.agentChannels.get('a1')!.remoteHangup();
    await new Promise<void>((r) => setImmediate(r));
  }
  acd.closeIntervals(start - 3_600_000, start + 3_600_000, 900_000);
  const q = `from=${new Date(start - 3_600_000).toISOString()}&to=${new Date(start + 3_600_000).toISOString()}`;
  const denied = await h.keyWith(['queues:read']);
  t.is((await h.call('GET', `/acd/queues/q/intervals?${q}`, { key: denied.secret })).status, 403);
  const res = await h.call('GET', `/acd/queues/q/intervals?${q}`);
  t.is(res.status, 200);
  const items = (await json(res))['items'] as Json[];
  t.is(items.length, 1);
  t.like(items[0], {
    queueId: 'q',
    intervalMs: 900_000,
    offered: 2,
    answered: 2,
    answeredWithin: 1,
    handled: 2,
    metrics: { serviceLevel: { value: 50, formula: 'Ans≤T / (Ans + Ab − Ab_short) × 100' }, asaMs: { value: 18_500 } },
  });
  t.is((await h.call('GET', `/acd/queues/q/intervals?from=${new Date(start).toISOString()}&to=${new Date(start).toISOString()}`)).status, 400);
});

test('departments: a queue or agent naming an unknown department is a 400 naming departmentId; a known one is kept, stored and restored', async (t) => {
  let known = new Set<string>();
  const { h, acd } = await rig(t, { departments: { has: (id) => known.has(id) } });
  const workOrders = new WorkOrderService({ store: h.store, clock: h.clock, bus: h.bus, log: silentLogger() });
  workOrders.createDepartment({ id: 'd1', code: '01', name: '一班' });
  known = new Set(workOrders.listDepartments().map((d) => d.id));
  const fields = async (res: Response): Promise<string[]> => ((await json(res))['error'] as { fields: { path: string }[] }).fields.map((f) => f.path);

  const badQ = await h.call('POST', '/acd/queues', { body: queue('q1', { departmentId: 'ghost' }) });
  t.is(badQ.status, 400);
  t.deepEqual(await fields(badQ), ['queues.q1.departmentId']);
  t.is((await h.call('POST', '/acd/queues', { body: queue('q1', { departmentId: 'd1' }) })).status, 201);
  const putQ = await h.call('PUT', '/acd/queues/q1', { body: { ...queue('x'), id: undefined, departmentId: 'd2' } });
  t.is(putQ.status, 400);
  t.deepEqual(await fields(putQ), ['queues.q1.departmentId']);
  t.like(await json(await h.call('GET', '/acd/queues/q1')), { departmentId: 'd1' });

  const badA = await h.call('POST', '/acd/agents', { body: { id: 'a1', name: 'A', departmentId: 'ghost', skills: {}, memberships: [{ queueId: 'q1', penalty: 0 }] } });
  t.is(badA.status, 400);
  t.deepEqual(await fields(badA), ['agents.a1.departmentId']);
  const empty = await h.call('POST', '/acd/agents', { body: { id: 'a1', name: 'A', departmentId: '', skills: {}, memberships: [] } });
  t.deepEqual(await fields(empty), ['departmentId']);
  t.is((await h.call('POST', '/acd/agents', { body: { id: 'a1', name: 'A', departmentId: 'd1', skills: {}, memberships: [{ queueId: 'q1', penalty: 0 }] } })).status, 201);
  t.is((await h.call('POST', '/acd/agents', { body: { id: 'a2', name: 'B', skills: {}, memberships: [] } })).status, 201);
  t.like(await json(await h.call('GET', '/acd/agents/a1')), { departmentId: 'd1' });
  t.false('departmentId' in (await json(await h.call('GET', '/acd/agents/a2'))));
  t.is(acd.agentConfig('a1').departmentId, 'd1');

  // After a restart the departments come back from the store, even one that no longer exists.
  known = new Set();
  const again = new Acd({ clock: h.clock, bus: h.bus, log: silentLogger(), store: new SqliteAcdStore(h.store, h.clock), dialer: new FakeAgentDialer(h.clock), bridger: new FakeBridger(), departments: { has: (id) => known.has(id) } });
  t.teardown(() => again.stop());
  t.like(again.restore(), { queues: 1, agents: 2, issues: [] });
  t.is(again.queueConfig('q1').departmentId, 'd1');
  t.is(again.agentConfig('a1').departmentId, 'd1');
  t.is(again.agentConfig('a2').departmentId, undefined);
});
