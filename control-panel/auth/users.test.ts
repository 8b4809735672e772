import test from 'ava';
import path from 'node:path';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { tempDir } from '../../appliance/core/testing/temp-dir.js';
import { AuditLog } from '../../appliance/ops/audit.js';
import { openStore } from '../../appliance/store/database.js';
import { Users } from './users.js';

const by = { actor: 'test', ip: null };

async function setup() {
  const clock = new ManualClock();
  const store = openStore({ file: path.join(tempDir('users-'), 'a.db'), clock, log: silentLogger() });
  const audit = new AuditLog({ db: store.db, clock });
  const users = new Users({ db: store.db, clock, audit, passwordCost: { N: 1024, r: 8, p: 1 } });
  await users.ensureBuiltinRoles();
  return { clock, store, audit, users };
}

test('built-in roles are least-privilege: admin has no business data, agents no administration', async (t) => {
  const { users, store } = await setup();
  t.teardown(() => store.close());
  const admin = await users.create({ login: 'root1', displayName: 'A', password: 'long-enough-pw', roles: ['admin'] }, by);
  const agent = await users.create({ login: 'agent1', displayName: 'B', password: 'long-enough-pw', roles: ['agent'] }, by);
  const a = await users.access(admin.id);
  t.true(a.permissions.can('users', 'create'));
  t.false(a.permissions.can('workorders', 'view'));
  t.false(a.permissions.can('recordings', 'view'));
  t.true(a.permissions.privileged);
  const g = await users.access(agent.id);
  t.true(g.permissions.can('workorders', 'create'));
  t.false(g.permissions.can('users', 'view'));
  t.false(g.permissions.can('supervisor', 'monitor'));
  t.false(g.permissions.privileged);
  t.is(g.scope, 'self');
  t.deepEqual(g.departmentIds, []);
  t.is(a.departmentIds, null);
});

test('groups: members get the group roles; data scope is the widest, department-tree follows the tree', async (t) => {
  const { users, store } = await setup();
  t.teardown(() => store.close());
  const now = 1;
  for (const [id, parent] of [['d-root', null], ['d-a', 'd-root'], ['d-a1', 'd-a'], ['d-b', 'd-root']] as const) {
    await store.db.insertInto('departments').values({ id, parent_id: parent, code: id, name: id, created_at: now, updated_at: now }).execute();
  }
  const u = await users.create({ login: 'sup1', displayName: 'S', password: 'long-enough-pw', roles: ['agent'], departmentId: 'd-a' }, by);
  const gid = await users.createGroup({ name: '一班', roles: ['supervisor'] }, by);
  t.false((await users.access(u.id)).permissions.can('wallboard', 'view'));
  await users.setMembership(gid, u.id, true, by);
  const acc = await users.access(u.id);
  t.true(acc.permissions.can('wallboard', 'view'));
  t.is(acc.scope, 'department-tree');
  t.deepEqual(acc.departmentIds?.sort(), ['d-a', 'd-a1']);
  const role = await users.createRole({ name: '本部门', dataScope: 'department', grants: { reports: ['view'] } }, by);
  const v = await users.create({ login: 'viewer', displayName: 'V', password: 'long-enough-pw', roles: [role], departmentId: 'd-b' }, by);
  t.deepEqual((await users.access(v.id)).departmentIds, ['d-b']);
  await t.throwsAsync(users.createRole({ name: 'x', dataScope: 'all', grants: { reports: ['fly' as 'view'] } }, by));
});

test('IP allow-lists are an intersection of the user list and each group list that is set', async (t) => {
  const { users, store } = await setup();
  t.teardown(() => store.close());
  const u = await users.create({ login: 'ipuser', displayName: 'I', password: 'long-enough-pw', ipAllow: ['10.0.0.0/8'] }, by);
  t.true(await users.ipAllowed(u.id, '10.9.9.9'));
  t.false(await users.ipAllowed(u.id, '192.168.1.1'));
  const g = await users.createGroup({ name: '机房', ipAllow: ['10.1.0.0/16'] }, by);
  await users.setMembership(g, u.id, true, by);
  t.true(await users.ipAllowed(u.id, '10.1.2.3'));
  t.false(await users.ipAllowed(u.id, '10.9.9.9'));
  const free = await users.create({ login: 'free', displayName: 'F', password: 'long-enough-pw' }, by);
  t.true(await users.ipAllowed(free.id, '203.0.113.1'));
  await t.throwsAsync(users.create({ login: 'bad', displayName: 'B', password: 'long-enough-pw', ipAllow: ['10.0.0.0/99'] }, by), { message: 'invalid user' });
});

test('authenticate: wrong password, unknown login and disabled user all fail; the login is case-insensitive', async (t) => {
  const { users, store } = await setup();
  t.teardown(() => store.close());
  const u = await users.create({ login: 'Zhang.San', displayName: '张三', password: 'long-enough-pw' }, by);
  t.true((await users.authenticate('zhang.san', 'long-enough-pw')).ok);
  t.deepEqual(await users.authenticate('zhang.san', 'wrong-password'), { ok: false, reason: 'bad-credentials' });
  t.deepEqual(await users.authenticate('nobody', 'long-enough-pw'), { ok: false, reason: 'bad-credentials' });
  await users.setDisabled(u.id, true, by);
  t.deepEqual(await users.authenticate('zhang.san', 'long-enough-pw'), { ok: false, reason: 'disabled' });
});
