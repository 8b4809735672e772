import test from 'ava';
import { addUser, setupAdmin, startPanel, type Harness } from '../testing/panel-harness.js';

function userId(h: Harness, login: string): string {
  return String(h.store.sqlite.prepare('SELECT id FROM panel_users WHERE login = ?').pluck().get(login));
}

function lastAudit(h: Harness, action: string): { actor: string; target: string; before: unknown; after: unknown } | undefined {
  const r = h.store.sqlite.prepare('SELECT actor, target, before, after FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1').get(action) as
    | { actor: string; target: string; before: string | null; after: string | null }
    | undefined;
  return r && { ...r, before: r.before && (JSON.parse(r.before) as unknown), after: r.after && (JSON.parse(r.after) as unknown) };
}

test('roles pages: the grant grid creates a custom role, invalid input re-renders 422 with fields marked, built-ins are read-only and not deletable', async (t) => {
  const h = await startPanel();
  t.teardown(() => h.close());
  const admin = await setupAdmin(h);

  const list = await admin.get('/admin/roles');
  t.is(list.status, 200);
  t.regex(list.text, /id="role-admin"/);
  t.regex(list.text, /data-nav="roles"/, 'menu entry');
  const builtin = await admin.get('/admin/roles/admin');
  t.regex(builtin.text, /内置角色由系统定义/);
  t.notRegex(builtin.text, /<form method="post" action="\/admin\/roles\/admin"/, 'no edit form for a built-in role');
  t.regex(builtin.text, /data-grant="users:create">✓/);

  const form = await admin.get('/admin/roles/new');
  t.is((form.text.match(/name="grant"/g) ?? []).length, 13 * 6, 'the function × operation grid');
  const bad = await admin.post('/admin/roles', { name: '', dataScope: 'galaxy', grant: ['reports:view', 'reports:fly'] }, { 'HX-Request': 'true' });
  t.is(bad.status, 422);
  t.regex(bad.text, /class="field invalid"><label for="f-name"/);
  t.regex(bad.text, /value="reports:view" aria-label="[^"]*" checked/, 'the draft is kept');
  t.is(Number(h.store.sqlite.prepare('SELECT count(*) FROM panel_roles WHERE builtin = 0').pluck().get()), 0);

  const ok = await admin.post('/admin/roles', { name: '值班长 <b>', description: '', dataScope: 'department', grant: ['reports:view', 'reports:export', 'wallboard:view'] });
  t.is(ok.status, 303);
  t.is(ok.location, '/admin/roles');
  const roleId = String(h.store.sqlite.prepare('SELECT id FROM panel_roles WHERE builtin = 0').pluck().get());
  const created = lastAudit(h, 'role.created');
  t.is(created?.actor, `user:${userId(h, 'admin')}`);
  t.deepEqual((created?.after as { grants: string[] }).grants, ['reports:export', 'reports:view', 'wallboard:view']);
  const page = await admin.get(`/admin/roles/${roleId}`);
  t.regex(page.text, /值班长 &lt;b&gt;/, 'escaped');
  t.regex(page.text, /value="reports:export" aria-label="[^"]*" checked/);

  // Edit: a grant off; audited before/after.
  const edit = await admin.post(`/admin/roles/${roleId}`, { name: '值班长', description: '', dataScope: 'department', grant: ['reports:view'] }, { 'HX-Request': 'true' });
  t.is(edit.status, 200);
  t.regex(edit.text, /已保存/);
  const upd = lastAudit(h, 'role.updated');
  t.deepEqual([(upd?.before as { grants: string[] }).grants, (upd?.after as { grants: string[] }).grants], [['reports:export', 'reports:view', 'wallboard:view'], ['reports:view']]);

  // Built-in: delete refused (409), still there.
  const del = await admin.post('/admin/roles/admin/delete', {}, { 'HX-Request': 'true' });
  t.is(del.status, 409);
  t.is(Number(h.store.sqlite.prepare("SELECT count(*) FROM panel_roles WHERE id = 'admin'").pluck().get()), 1);
  // Custom, unused: deleted.
  t.is((await admin.post(`/admin/roles/${roleId}/delete`)).status, 303);
  t.is(lastAudit(h, 'role.deleted')?.target, roleId);
});

test('groups pages: a group gives a role to its members (effective at once), the self-escalation is refused 403 and audited, roles pages are closed to non-administrators', async (t) => {
  const h = await startPanel();
  t.teardown(() => h.close());
  const admin = await setupAdmin(h);
  const agent = await addUser(h, admin, 'agent1', ['agent']);
  t.is((await agent.get('/reports')).status, 403);
  t.is((await agent.get('/admin/roles')).status, 403);
  t.is((await agent.get('/admin/groups')).status, 403);
  await agent.get('/');
  t.is((await agent.post('/admin/groups', { name: 'x', roles: ['admin'], members: [userId(h, 'agent1')] })).status, 403, 'cannot post either');
  t.is(Number(h.store.sqlite.prepare('SELECT count(*) FROM panel_groups').pluck().get()), 0);

  await admin.get('/admin/groups/new');
  const bad = await admin.post('/admin/groups', { name: '一班', ipAllow: 'not-a-cidr', roles: ['supervisor'], members: [] }, { 'HX-Request': 'true' });
  t.is(bad.status, 422);
  t.regex(bad.text, /class="field invalid"><label for="f-ipAllow"/);
  const created = await admin.post('/admin/groups', { name: '一班', description: '白班', ipAllow: '', roles: ['supervisor'], members: [userId(h, 'agent1')] });
  t.is(created.status, 303);
  t.is(lastAudit(h, 'group.created')?.actor, `user:${userId(h, 'admin')}`);
  // The member's session ended (privileges changed); signed in again they have the group's role.
  t.is((await agent.get('/reports')).location, '/login?expired=1');
  await agent.login('agent1', 'my-own-password-2');
  t.is((await agent.get('/reports')).status, 200, 'supervisor rights through the group');

  // Adding oneself to the group would give the administrator business data: refused.
  const groupId = String(h.store.sqlite.prepare('SELECT id FROM panel_groups').pluck().get());
  await admin.get(`/admin/groups/${groupId}`);
  const esc = await admin.post(`/admin/groups/${groupId}`, { name: '一班', ipAllow: '', roles: ['supervisor'], members: [userId(h, 'agent1'), userId(h, 'admin')] }, { 'HX-Request': 'true' });
  t.is(esc.status, 403);
  t.regex(esc.text, /不能给自己增加尚未拥有的权限/);
  t.is(Number(h.store.sqlite.prepare('SELECT count(*) FROM panel_group_members').pluck().get()), 1, 'nothing stored');
  const denied = lastAudit(h, 'access.denied');
  t.is((denied?.after as { reason: string }).reason, 'escalation');

  // Delete the group: the member loses the role.
  t.is((await admin.post(`/admin/groups/${groupId}/delete`)).status, 303);
  await agent.login('agent1', 'my-own-password-2');
  t.is((await agent.get('/reports')).status, 403);
});
