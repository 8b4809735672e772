/**
 * The users admin page's department field (issue 9 "data scope by department"): set on create
 * and changed on a user's row, refused when unknown or inactive (a `departmentId` field error,
 * nothing saved), `users:edit` only, audited with before/after, and followed by the user's live
 * data scope on their next request. Departments: d1 (一班) with child d1a (一班甲组), and d2
 * (二班); queues q1 (d1), q1a (d1a), q2 (d2); agents a1 (d1), b1 (d2).
 */
import test from 'ava';
import { Acd } from '../../appliance/acd/acd.js';
import { FakeAgentDialer, FakeBridger, queueConfig } from '../../appliance/acd/testing/acd-harness.js';
import { MemoryAcdStore } from '../../appliance/acd/testing/memory-acd-store.js';
import { silentLogger } from '../../appliance/core/log.js';
import { WorkOrderService } from '../../appliance/workorders/workorder-service.js';
import { acdDirectory, panelUserDepartments } from '../live/acd-directory.js';
import { addUser, setupAdmin, startPanel, type Harness, type PanelClient } from '../testing/panel-harness.js';

interface Rig {
  h: Harness;
  admin: PanelClient;
  workOrders: WorkOrderService;
}

async function rig(t: { teardown(fn: () => unknown): void }): Promise<Rig> {
  let workOrders!: WorkOrderService;
  const h = await startPanel({
    live: ({ store, clock, bus }) => {
      const log = silentLogger();
      workOrders = new WorkOrderService({ store, clock, bus, log });
      workOrders.createDepartment({ id: 'd1', code: '01', name: '一班' });
      workOrders.createDepartment({ id: 'd1a', code: '01a', name: '一班甲组', parentId: 'd1' });
      workOrders.createDepartment({ id: 'd2', code: '02', name: '二班' });
      const acd = new Acd({ clock, bus, log, store: new MemoryAcdStore(), dialer: new FakeAgentDialer(clock), bridger: new FakeBridger() });
      acd.upsertQueue(queueConfig('q1', { name: '故障报修', departmentId: 'd1' }));
      acd.upsertQueue(queueConfig('q1a', { name: '抢修甲组', departmentId: 'd1a' }));
      acd.upsertQueue(queueConfig('q2', { name: '营业咨询', departmentId: 'd2' }));
      acd.upsertAgent({ id: 'a1', name: 'A1', skills: {}, memberships: [{ queueId: 'q1', penalty: 0 }], departmentId: 'd1' });
      acd.upsertAgent({ id: 'b1', name: 'B1', skills: {}, memberships: [{ queueId: 'q2', penalty: 0 }], departmentId: 'd2' });
      return { acd, workOrders, acdDirectory: acdDirectory({ acd, clock, userDepartments: panelUserDepartments(store) }) };
    },
  });
  t.teardown(() => h.close());
  return { h, admin: await setupAdmin(h), workOrders };
}

async function userRow(h: Harness, login: string): Promise<{ id: string; department_id: string | null } | undefined> {
  return h.store.db.selectFrom('panel_users').select(['id', 'department_id']).where('login', '=', login).executeTakeFirst();
}

async function audits(h: Harness, action: string, target?: string): Promise<Array<{ actor: string; before: unknown; after: unknown }>> {
  return (await h.audit.search({ limit: 500, action })).items.filter((x) => target === undefined || x.target === target);
}

const ids = (page: string, prefix: 'q' | 'a'): string[] => [...page.matchAll(new RegExp(`id="${prefix}-([A-Za-z0-9_.-]+)"`, 'g'))].map((m) => m[1]!).sort();

const newUser = { displayName: '张三', password: 'a-long-password-1', roles: ['supervisor'] };

test('create: the form offers the department tree by name; the chosen department is saved and audited', async (t) => {
  const { h, admin } = await rig(t);
  const page = (await admin.get('/admin/users')).text;
  const select = /<select id="f-departmentId" name="departmentId"[^>]*>([\s\S]*?)<\/select>/.exec(page)?.[1] ?? '';
  t.deepEqual(
    [...select.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>/g)].map((m) => [m[1], m[2]]),
    [['', '（无）'], ['d1', '一班'], ['d1a', '一班 / 一班甲组'], ['d2', '二班']],
  );
  t.regex((await admin.get('/admin/users?lang=en')).text, /<option value="" selected>\(none\)<\/option>/);

  const r = await admin.post('/admin/users', { login: 'zhang', ...newUser, departmentId: 'd1a' });
  t.is(r.status, 303);
  const row = await userRow(h, 'zhang');
  t.is(row?.department_id, 'd1a');
  const created = await audits(h, 'user.created', row?.id);
  t.is((created[0]?.after as { departmentId: string }).departmentId, 'd1a');

  // "none" leaves the user without a department.
  t.is((await admin.post('/admin/users', { login: 'li', ...newUser, departmentId: '' })).status, 303);
  t.is((await userRow(h, 'li'))?.department_id, null);
});

test('create: an unknown or inactive department is a field error on departmentId and nothing is saved', async (t) => {
  const { h, admin, workOrders } = await rig(t);
  workOrders.updateDepartment('d2', { active: false });
  await admin.get('/admin/users');
  for (const departmentId of ['no-such-dept', 'd2']) {
    const r = await admin.post('/admin/users', { login: 'zhang', ...newUser, departmentId }, { 'HX-Request': 'true' });
    t.is(r.status, 422, departmentId);
    t.regex(r.text, /<select id="f-departmentId" name="departmentId" aria-invalid="true"/);
    t.regex(r.text, /<span class="err" id="f-departmentId-err">无效<\/span>/);
    // The draft keeps the other fields.
    t.regex(r.text, /id="f-login" name="login" type="text" value="zhang"/);
  }
  t.is(await userRow(h, 'zhang'), undefined);
  t.is((await audits(h, 'user.created')).filter((a) => (a.after as { login: string }).login === 'zhang').length, 0);
  // The inactive department is no longer offered.
  t.notRegex((await admin.get('/admin/users')).text, /<option value="d2"/);
});

test('row: the department changes through the htmx form, audited with before/after; unknown refused naming the field', async (t) => {
  const { h, admin } = await rig(t);
  await addUser(h, admin, 'zhang', ['supervisor']);
  const id = (await userRow(h, 'zhang'))!.id;
  const page = (await admin.get('/admin/users')).text;
  const form = new RegExp(`<form method="post" action="/admin/users/${id}/department" hx-post="/admin/users/${id}/department" hx-target="#main" class="department"><input type="hidden" name="_csrf" value="[^"]+"><select name="departmentId"`);
  t.regex(page, form);

  const r = await admin.post(`/admin/users/${id}/department`, { departmentId: 'd1' }, { 'HX-Request': 'true' });
  t.is(r.status, 200);
  t.regex(r.text, /已修改 zhang 的部门/);
  t.regex(r.text, /<option value="d1" selected>一班<\/option>/);
  t.is((await userRow(h, 'zhang'))?.department_id, 'd1');

  t.is((await admin.post(`/admin/users/${id}/department`, { departmentId: 'd2' })).status, 303);
  t.is((await userRow(h, 'zhang'))?.department_id, 'd2');
  const updated = await audits(h, 'user.updated', id);
  t.is(updated.length, 2);
  const changes = updated.map((a) => `${String((a.before as { departmentId: string | null }).departmentId)}→${String((a.after as { departmentId: string | null }).departmentId)}`);
  t.deepEqual(changes.sort(), ['d1→d2', 'null→d1']);
  t.true(updated.every((a) => a.actor.startsWith('user:usr')));

  const bad = await admin.post(`/admin/users/${id}/department`, { departmentId: 'd9' }, { 'HX-Request': 'true' });
  t.is(bad.status, 422);
  t.regex(bad.text, /aria-invalid="true"><option value="">（无）<\/option>/);
  t.regex(bad.text, /<span class="err" role="alert">部门: 无效<\/span>/);
  t.is((await userRow(h, 'zhang'))?.department_id, 'd2');
  t.is((await audits(h, 'user.updated', id)).length, 2);

  // Back to none.
  t.is((await admin.post(`/admin/users/${id}/department`, { departmentId: '' })).status, 303);
  t.is((await userRow(h, 'zhang'))?.department_id, null);
  t.is((await admin.post('/admin/users/usr_nobody/department', { departmentId: 'd1' })).status, 404);
});

test('row: without users:edit → 403 (audited); no CSRF token → refused; nobody changes their own department', async (t) => {
  const { h, admin } = await rig(t);
  const sup = await addUser(h, admin, 'boss', ['supervisor']);
  const id = (await userRow(h, 'boss'))!.id;
  await h.panel.services.users.update(id, { departmentId: 'd1' }, { actor: 'test', ip: null });

  await sup.get('/');
  const denied = await sup.post(`/admin/users/${id}/department`, { departmentId: 'd2' });
  t.is(denied.status, 403);
  t.true((await audits(h, 'access.denied')).some((d) => (d.after as { reason: string }).reason === 'permission:users:edit'));
  t.is((await userRow(h, 'boss'))?.department_id, 'd1');

  await admin.get('/admin/users');
  t.is((await admin.post(`/admin/users/${id}/department`, { departmentId: 'd2', _csrf: '' })).status, 403);
  t.is((await userRow(h, 'boss'))?.department_id, 'd1');

  const adminId = (await userRow(h, 'admin'))!.id;
  t.notRegex((await admin.get('/admin/users')).text, new RegExp(`/admin/users/${adminId}/department`));
  t.is((await admin.post(`/admin/users/${adminId}/department`, { departmentId: 'd2' })).status, 403);
  t.is((await userRow(h, 'admin'))?.department_id, null);
});

test('a department-tree supervisor’s live scope follows a change made on the users page, on their next request', async (t) => {
  const { h, admin } = await rig(t);
  const boss = await addUser(h, admin, 'boss', ['supervisor']);
  const id = (await userRow(h, 'boss'))!.id;
  // No department yet: a department-scoped supervisor sees nothing.
  t.deepEqual(ids((await boss.get('/supervisor')).text, 'q'), []);

  await admin.get('/admin/users');
  t.is((await admin.post(`/admin/users/${id}/department`, { departmentId: 'd1' })).status, 303);
  const d1 = (await boss.get('/supervisor')).text;
  t.deepEqual(ids(d1, 'q'), ['q1', 'q1a']);
  t.deepEqual(ids(d1, 'a'), ['a1']);

  // Same session, no sign-in again: the next request has the new scope.
  t.is((await admin.post(`/admin/users/${id}/department`, { departmentId: 'd2' })).status, 303);
  const d2 = await boss.get('/supervisor');
  t.is(d2.status, 200);
  t.deepEqual(ids(d2.text, 'q'), ['q2']);
  t.deepEqual(ids(d2.text, 'a'), ['b1']);
  t.is((await boss.post('/supervisor/agents/a1/status', { status: 'available' })).status, 404);
  t.is((await boss.post('/supervisor/agents/b1/status', { status: 'available' })).status, 303);
});
