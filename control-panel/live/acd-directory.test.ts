/**
 * The live boards' data scope (issue 9 "data scope by department") with the directory built
 * from the ACD's own configuration (acd-directory.ts), as the daemon wires it: queues and
 * agents carry work-order departments, an agent without one takes its panel user's.
 * Departments: d1 with child d1a, and d2. Queues: q1 (d1), q1a (d1a), q2 (d2), q0 (none).
 * Agents: a1 (d1), b1 (d2), x1 (none), u1 (none of its own: its user account's).
 */
import test from 'ava';
import { Acd } from '../../appliance/acd/acd.js';
import { FakeAgentDialer, FakeBridger, queueConfig } from '../../appliance/acd/testing/acd-harness.js';
import { MemoryAcdStore } from '../../appliance/acd/testing/memory-acd-store.js';
import { silentLogger } from '../../appliance/core/log.js';
import { WorkOrderService } from '../../appliance/workorders/workorder-service.js';
import { addUser, setupAdmin, startPanel, type Harness, type PanelClient } from '../testing/panel-harness.js';
import { acdDirectory, panelUserDepartments, USER_DEPARTMENTS_REFRESH_MS } from './acd-directory.js';

interface Rig {
  h: Harness;
  acd: Acd;
}

async function rig(t: { teardown(fn: () => unknown): void }): Promise<Rig> {
  let acd!: Acd;
  const h = await startPanel({
    live: ({ store, clock, bus }) => {
      const log = silentLogger();
      const workOrders = new WorkOrderService({ store, clock, bus, log });
      workOrders.createDepartment({ id: 'd1', code: '01', name: '一班' });
      workOrders.createDepartment({ id: 'd1a', code: '01a', name: '一班甲组', parentId: 'd1' });
      workOrders.createDepartment({ id: 'd2', code: '02', name: '二班' });
      acd = new Acd({
        clock,
        bus,
        log,
        store: new MemoryAcdStore(),
        dialer: new FakeAgentDialer(clock),
        bridger: new FakeBridger(),
        departments: { has: (id) => workOrders.listDepartments().some((d) => d.id === id) },
      });
      acd.upsertQueue(queueConfig('q1', { name: '故障报修', departmentId: 'd1' }));
      acd.upsertQueue(queueConfig('q1a', { name: '抢修甲组', departmentId: 'd1a' }));
      acd.upsertQueue(queueConfig('q2', { name: '营业咨询', departmentId: 'd2' }));
      acd.upsertQueue(queueConfig('q0', { name: '总机' }));
      const agent = (id: string, queueId: string, departmentId?: string): void =>
        acd.upsertAgent({ id, name: id.toUpperCase(), skills: {}, memberships: [{ queueId, penalty: 0 }], ...(departmentId && { departmentId }) });
      agent('a1', 'q1', 'd1');
      agent('b1', 'q2', 'd2');
      agent('x1', 'q0');
      agent('u1', 'q1');
      return { acd, workOrders, acdDirectory: acdDirectory({ acd, clock, userDepartments: panelUserDepartments(store) }) };
    },
  });
  t.teardown(() => h.close());
  return { h, acd };
}

const ids = (html: string, prefix: 'q' | 'a' | 't'): string[] =>
  [...html.matchAll(new RegExp(`id="${prefix}-([A-Za-z0-9_.-]+)"`, 'g'))].map((m) => m[1]!).sort();

async function supervisorIn(h: Harness, admin: PanelClient, login: string, departmentId: string, roles = ['supervisor']): Promise<PanelClient> {
  const c = await addUser(h, admin, login, roles);
  const id = (await h.store.db.selectFrom('panel_users').select('id').where('login', '=', login).executeTakeFirstOrThrow()).id;
  await h.panel.services.users.update(id, { departmentId }, { actor: 'test', ip: null });
  return c;
}

test('a department-tree supervisor sees exactly their departments’ queues and agents; a centre-wide user sees all', async (t) => {
  const { h } = await rig(t);
  const admin = await setupAdmin(h);
  const boss = await supervisorIn(h, admin, 'boss', 'd1');
  const boss2 = await supervisorIn(h, admin, 'boss2', 'd2');
  // supervisor + admin: the widest of the roles' scopes, "all".
  const chief = await supervisorIn(h, admin, 'chief', 'd2', ['supervisor', 'admin']);

  const page = (await boss.get('/supervisor')).text;
  t.deepEqual(ids(page, 'q'), ['q1', 'q1a']);
  t.deepEqual(ids(page, 'a'), ['a1']);
  t.deepEqual(ids((await boss.get('/wallboard')).text, 't'), ['q1', 'q1a']);

  const page2 = (await boss2.get('/supervisor')).text;
  t.deepEqual(ids(page2, 'q'), ['q2']);
  t.deepEqual(ids(page2, 'a'), ['b1']);
  t.deepEqual(ids((await boss2.get('/wallboard')).text, 't'), ['q2']);

  const all = (await chief.get('/supervisor')).text;
  t.deepEqual(ids(all, 'q'), ['q0', 'q1', 'q1a', 'q2']);
  t.deepEqual(ids(all, 'a'), ['a1', 'b1', 'u1', 'x1']);
  t.deepEqual(ids((await chief.get('/wallboard')).text, 't'), ['q0', 'q1', 'q1a', 'q2']);

  // Steering stays in scope: d2's agent is a 404 for d1's supervisor.
  t.is((await boss.post('/supervisor/agents/b1/status', { status: 'available' })).status, 404);
  t.is((await boss2.post('/supervisor/agents/b1/status', { status: 'available' })).status, 303);
});

test('an agent without a department takes its panel user’s (re-read on the clock); its own department overrides it', async (t) => {
  const { h, acd } = await rig(t);
  const admin = await setupAdmin(h);
  const boss = await supervisorIn(h, admin, 'boss', 'd1');
  t.deepEqual(ids((await boss.get('/supervisor')).text, 'a'), ['a1']);

  // u1 signs in to the panel as a d1 user: after the refresh period d1's supervisor sees the agent.
  await h.panel.services.users.create({ login: 'u1', displayName: '坐席', password: 'a-long-password-1', departmentId: 'd1' }, { actor: 'test', ip: null });
  h.clock.advance(USER_DEPARTMENTS_REFRESH_MS);
  t.deepEqual(ids((await boss.get('/supervisor')).text, 'a'), ['a1', 'u1']);

  // An explicit department on the agent wins over the user account's.
  acd.upsertAgent({ ...acd.agentConfig('u1'), departmentId: 'd2' });
  t.deepEqual(ids((await boss.get('/supervisor')).text, 'a'), ['a1']);
});

test('acdDirectory: queues and agents with departments; users’ departments read at most once per refresh period', (t) => {
  let reads = 0;
  let users = new Map([['u1', 'd1']]);
  let now = 0;
  const dir = acdDirectory({
    acd: {
      queueConfigs: () => [queueConfig('q1', { departmentId: 'd1' }), queueConfig('q0')],
      agentConfigs: () => [
        { id: 'u1', name: 'U1', skills: {}, memberships: [] },
        { id: 'a1', name: 'A1', skills: {}, memberships: [], departmentId: 'd2' },
        { id: 'x1', name: 'X1', skills: {}, memberships: [] },
      ],
    },
    userDepartments: () => (reads++, users),
    clock: { monotonic: () => now },
    refreshMs: 1000,
  });
  t.deepEqual(dir.queues(), [
    { id: 'q1', name: 'q1', departmentId: 'd1' },
    { id: 'q0', name: 'q0', departmentId: null },
  ]);
  t.deepEqual(dir.agents().map((a) => [a.id, a.departmentId]), [['u1', 'd1'], ['a1', 'd2'], ['x1', null]]);
  users = new Map([['u1', 'd3'], ['a1', 'd9']]);
  now = 999;
  t.is(dir.agents()[0]?.departmentId, 'd1');
  now = 1000;
  t.deepEqual(dir.agents().map((a) => [a.id, a.departmentId]), [['u1', 'd3'], ['a1', 'd2'], ['x1', null]]);
  t.is(reads, 2);
  t.is(dir.agentIdFor({ id: 'usr_1', login: 'a1' }), 'a1');
  t.is(dir.agentIdFor({ id: 'usr_2', login: 'boss' }), null);
});
