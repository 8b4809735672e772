import test from 'ava';
import path from 'node:path';
import { ValidationError } from '../../appliance/core/errors.js';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { tempDir } from '../../appliance/core/testing/temp-dir.js';
import { AuditLog } from '../../appliance/ops/audit.js';
import { openStore } from '../../appliance/store/database.js';
import { EscalationError, ProtectedRoleError, RoleInUseError, RolesAdmin } from './roles-admin.js';
import { Sessions } from './sessions.js';
import { Users } from './users.js';

const sys = { actor: 'test', ip: null };

async function setup() {
  const clock = new ManualClock();
  const store = openStore({ file: path.join(tempDir('roles-'), 'a.db'), clock, log: silentLogger() });
  const audit = new AuditLog({ db: store.db, clock });
  const users = new Users({ db: store.db, clock, audit, passwordCost: { N: 1024, r: 8, p: 1 } });
  await users.ensureBuiltinRoles();
  const roles = new RolesAdmin({ db: store.db, clock, audit });
  const sessions = new Sessions({ db: store.db, clock, audit });
  const admin = await users.create({ login: 'root1', displayName: 'A', password: 'long-enough-pw', roles: ['admin'] }, sys);
  const agent = await users.create({ login: 'agent1', displayName: 'B', password: 'long-enough-pw', roles: ['agent'] }, sys);
  const asAdmin = { actor: `user:${admin.id}`, ip: '10.0.0.1', userId: admin.id };
  return { clock, store, audit, users, roles, sessions, admin, agent, asAdmin };
}

function auditRows(store: { sqlite: { prepare(s: string): { all(...a: unknown[]): unknown[] } } }, action: string) {
  return (store.sqlite.prepare('SELECT actor, actor_ip, target, before, after FROM audit_log WHERE action = ? ORDER BY id').all(action) as Array<{ actor: string; actor_ip: string; target: string; before: string | null; after: string | null }>).map(
    (r) => ({ ...r, before: r.before === null ? null : (JSON.parse(r.before) as Record<string, unknown>), after: r.after === null ? null : (JSON.parse(r.after) as Record<string, unknown>) }),
  );
}

test('a custom role: created with a grant grid, edited (holders signed out), audited before/after, deleted only when unused', async (t) => {
  const { store, users, roles, sessions, agent, asAdmin } = await setup();
  t.teardown(() => store.close());
  const { value: role } = await roles.createRole({ name: '值班长', dataScope: 'department', grants: ['reports:view', 'reports:export', 'wallboard:view'] }, asAdmin);
  t.false(role.builtin);
  t.deepEqual(role.grants, ['reports:export', 'reports:view', 'wallboard:view']);
  t.deepEqual(auditRows(store, 'role.created').map((r) => [r.actor, r.actor_ip, r.target, r.after?.['grants']]), [[asAdmin.actor, '10.0.0.1', role.id, role.grants]]);

  // Give it to the agent; the agent's session ends when the role's rights change.
  await users.setRoles(agent.id, ['agent', role.id], sys);
  t.true((await users.access(agent.id)).permissions.can('reports', 'export'));
  await sessions.create(agent.id, { ip: '10.0.0.2', userAgent: 't', privileged: false });
  t.is(await sessions.countForUser(agent.id), 1);
  const edited = await roles.updateRole(role.id, { name: '值班长', dataScope: 'department', grants: ['reports:view'] }, asAdmin);
  t.deepEqual(edited.affected, [agent.id]);
  t.is(await sessions.countForUser(agent.id), 0);
  t.false((await users.access(agent.id)).permissions.can('reports', 'export'), 'takes effect at once');
  const upd = auditRows(store, 'role.updated');
  t.deepEqual([upd[0]?.before?.['grants'], upd[0]?.after?.['grants']], [['reports:export', 'reports:view', 'wallboard:view'], ['reports:view']]);
  // A rename alone changes nobody's rights: no sessions end.
  await sessions.create(agent.id, { ip: '10.0.0.2', userAgent: 't', privileged: false });
  t.deepEqual((await roles.updateRole(role.id, { name: '值班长 A', dataScope: 'department', grants: ['reports:view'] }, asAdmin)).affected, []);
  t.is(await sessions.countForUser(agent.id), 1);

  // In use: refused, nothing deleted. Unused: deleted and audited.
  const err = await t.throwsAsync(roles.deleteRole(role.id, asAdmin), { instanceOf: RoleInUseError });
  t.is(err?.users, 1);
  await users.setRoles(agent.id, ['agent'], sys);
  await roles.deleteRole(role.id, asAdmin);
  t.false((await roles.listRoles()).some((r) => r.id === role.id));
  t.deepEqual(auditRows(store, 'role.deleted').map((r) => r.before?.['name']), ['值班长 A']);
});

test('built-in roles cannot be edited or deleted', async (t) => {
  const { store, roles, asAdmin } = await setup();
  t.teardown(() => store.close());
  for (const id of ['admin', 'agent', 'supervisor', 'qa']) {
    await t.throwsAsync(roles.deleteRole(id, asAdmin), { instanceOf: ProtectedRoleError });
    await t.throwsAsync(roles.updateRole(id, { name: 'x', dataScope: 'all', grants: [] }, asAdmin), { instanceOf: ProtectedRoleError });
  }
  t.is((await roles.listRoles()).filter((r) => r.builtin).length, 4);
  t.deepEqual(auditRows(store, 'role.deleted'), []);
});

test('invalid roles and groups are refused field by field with nothing stored', async (t) => {
  const { store, roles, asAdmin } = await setup();
  t.teardown(() => store.close());
  const before = (await roles.listRoles()).length;
  const e1 = await t.throwsAsync(roles.createRole({ name: ' ', dataScope: 'galaxy', grants: ['users:fly', "x'; DROP TABLE panel_roles; --"] }, asAdmin), { instanceOf: ValidationError });
  t.deepEqual([...new Set(e1!.issues.map((i) => i.path))].sort(), ['dataScope', 'grants', 'name']);
  t.is((await roles.listRoles()).length, before);
  const e2 = await t.throwsAsync(roles.createGroup({ name: '一班', ipAllow: ['10.0.0.0/33'], roles: ['no-such-role'], members: [] }, asAdmin), { instanceOf: ValidationError });
  t.deepEqual(e2!.issues.map((i) => [i.path, i.message]), [['ipAllow', 'field.cidr']]);
  const e3 = await t.throwsAsync(roles.createGroup({ name: '一班', ipAllow: [], roles: ['no-such-role'], members: ['usr_nobody'] }, asAdmin), { instanceOf: ValidationError });
  t.deepEqual(e3!.issues.map((i) => i.path), ['roles', 'members']);
  t.deepEqual(await roles.listGroups(), []);
});

test('groups give roles to their members; membership and role changes end the affected sessions; audited before/after', async (t) => {
  const { store, users, roles, sessions, agent, asAdmin } = await setup();
  t.teardown(() => store.close());
  const { value: g } = await roles.createGroup({ name: '班长组', description: '夜班', ipAllow: ['10.0.0.0/8'], roles: [], members: [agent.id] }, asAdmin);
  t.false((await users.access(agent.id)).permissions.can('supervisor', 'view'));
  await sessions.create(agent.id, { ip: '10.0.0.2', userAgent: 't', privileged: false });
  const r = await roles.updateGroup(g.id, { name: '班长组', description: '夜班', ipAllow: ['10.0.0.0/8'], roles: ['supervisor'], members: [agent.id] }, asAdmin);
  t.deepEqual(r.affected, [agent.id]);
  t.is(await sessions.countForUser(agent.id), 0);
  t.true((await users.access(agent.id)).permissions.can('supervisor', 'monitor'), 'roles through the group');
  t.true(await users.ipAllowed(agent.id, '10.1.2.3'));
  t.false(await users.ipAllowed(agent.id, '192.168.1.1'), "the group's allow-list applies to its members");
  const upd = auditRows(store, 'group.updated')[0]!;
  t.deepEqual([upd.before?.['roles'], upd.after?.['roles']], [[], ['supervisor']]);
  // The name is unique.
  const dup = await t.throwsAsync(roles.createGroup({ name: '班长组', ipAllow: [], roles: [], members: [] }, asAdmin), { instanceOf: ValidationError });
  t.deepEqual(dup!.issues, [{ path: 'name', message: 'field.taken' }]);
  // Deleting the group takes its roles away.
  await roles.deleteGroup(g.id, asAdmin);
  t.false((await users.access(agent.id)).permissions.can('supervisor', 'view'));
  t.is(auditRows(store, 'group.deleted').length, 1);
});

test('least privilege: an administrator cannot give themselves a permission or data scope they do not hold (rolled back, nothing stored)', async (t) => {
  const { store, users, roles, admin, asAdmin } = await setup();
  t.teardown(() => store.close());
  // Joining a group that gives the agent role would add work-order access: refused.
  const err = await t.throwsAsync(roles.createGroup({ name: '自助', ipAllow: [], roles: ['agent'], members: [admin.id] }, asAdmin), { instanceOf: EscalationError });
  t.true(err!.gained.includes('workorders:view'));
  t.deepEqual(await roles.listGroups(), []);
  t.deepEqual(auditRows(store, 'group.created'), []);
  // Giving the same group to someone else is fine.
  const { value: g } = await roles.createGroup({ name: '自助', ipAllow: [], roles: ['agent'], members: [] }, asAdmin);
  await t.throwsAsync(roles.updateGroup(g.id, { name: '自助', ipAllow: [], roles: ['agent'], members: [admin.id] }, asAdmin), { instanceOf: EscalationError });
  // Widening a role the administrator holds through a custom role: refused too.
  const { value: mine } = await roles.createRole({ name: '我的', dataScope: 'all', grants: ['audit:view'] }, asAdmin);
  await users.setRoles(admin.id, ['admin', mine.id], { actor: 'test', ip: null });
  await t.throwsAsync(roles.updateRole(mine.id, { name: '我的', dataScope: 'all', grants: ['audit:view', 'recordings:view'] }, asAdmin), { instanceOf: EscalationError });
  t.deepEqual((await roles.role(mine.id)).grants, ['audit:view']);
  // Narrowing is always allowed.
  await roles.updateRole(mine.id, { name: '我的', dataScope: 'self', grants: [] }, asAdmin);
  t.false((await users.access(admin.id)).permissions.can('recordings', 'view'));
});
