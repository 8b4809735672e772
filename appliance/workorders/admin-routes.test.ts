import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { registerWorkOrderAdminRoutes } from './admin-routes.js';
import { seedOrg } from './testing/fixtures.js';
import { VisitService } from './visit-service.js';
import { WorkOrderService } from './workorder-service.js';
import { registerWorkOrderRoutes } from './workorder-routes.js';

async function rig() {
  const h = await startApiHarness();
  const log = silentLogger();
  const svc = new WorkOrderService({ store: h.store, clock: h.clock, bus: h.bus, log });
  seedOrg(svc);
  const visits = new VisitService({ store: h.store, clock: h.clock, bus: h.bus, log, orders: svc });
  registerWorkOrderRoutes(h.api.registry, svc, h.api.audit);
  registerWorkOrderAdminRoutes(h.api.registry, svc, h.api.audit, visits);
  return { h, svc, visits };
}

const fields = async (r: Response): Promise<string[]> => ((await r.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path).sort();

test('admin: types with forms, categories, departments, calendars with 调休 and iCal, SLA policies, visit rules — validated and audited', async (t) => {
  const { h, svc, visits } = await rig();
  const ty = await h.call('POST', '/workorders/admin/types', {
    body: { id: 'meter-check', name: '校表', kind: 'application', form: { fields: [{ key: 'meterNo', label: '表号', type: 'text', required: true }] }, workflow: { steps: [{ id: 'check', name: '校验', assign: { by: 'department', departmentIds: ['metering'] } }] } },
  });
  t.is(ty.status, 201);
  t.is(svc.getType('meter-check').form.fields[0]!.key, 'meterNo');
  const badType = await h.call('POST', '/workorders/admin/types', { body: { id: 'X', name: '', kind: 'nope', workflow: { steps: [] } } });
  t.is(badType.status, 400);
  t.deepEqual(await fields(badType), ['id', 'kind', 'name', 'workflow.steps']);
  const unknownDept = await h.call('POST', '/workorders/admin/types', { body: { id: 'y', name: 'y', kind: 'other', workflow: { steps: [{ id: 's', name: 's', assign: { by: 'department', departmentIds: ['ghost'] } }] } } });
  t.is(unknownDept.status, 400);

  t.is((await h.call('PATCH', '/workorders/admin/types/meter-check', { body: { active: false } })).status, 200);
  t.false(svc.getType('meter-check').active);
  t.is((await h.call('POST', '/workorders/admin/categories', { body: { typeId: 'repair', code: 'line', name: '线路' } })).status, 201);
  t.deepEqual(((await (await h.call('GET', '/workorders/admin/types/repair/categories')).json()) as { items: { code: string }[] }).items.map((c) => c.code), ['line']);
  t.is((await h.call('POST', '/workorders/admin/departments', { body: { id: 'hr', code: '99', name: '人事部' } })).status, 201);
  t.is((await h.call('POST', '/workorders/admin/departments', { body: { id: 'hr2', code: '99', name: '重复' } })).status, 409);
  t.is((await h.call('PATCH', '/workorders/admin/departments/csc', { body: { parentId: 'field' } })).status, 400, 'no cycles');

  t.is((await h.call('PUT', '/workorders/admin/calendars/office/days/2026-02-14', { body: { kind: 'workday', name: '春节调休上班' } })).status, 204);
  const ics = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20260216', 'DTEND;VALUE=DATE:20260219', 'SUMMARY:春节', 'END:VEVENT', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20260228', 'SUMMARY:补班', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
  const imp = await h.call('POST', '/workorders/admin/calendars/office/ics', { body: { ics } });
  t.deepEqual(await imp.json(), { holidays: 3, workdays: 1, removed: 0, from: '2026-02-16', to: '2026-02-28', skipped: [] });
  const cal = (await (await h.call('GET', '/workorders/admin/calendars/office')).json()) as { holidays: { date: string }[]; workdays: { date: string }[] };
  t.deepEqual(cal.holidays.map((d) => d.date), ['2026-02-16', '2026-02-17', '2026-02-18']);
  t.deepEqual(cal.workdays.map((d) => d.date), ['2026-02-14', '2026-02-28']);
  t.false(svc.calendar('office').isWorkingAt(Date.UTC(2026, 1, 16, 2)), 'the cached calendar was refreshed');
  t.is((await h.call('DELETE', '/workorders/admin/calendars/office/days/2026-02-28')).status, 204);
  t.is((await h.call('PUT', '/workorders/admin/calendars/ghost/days/2026-02-28', { body: { kind: 'holiday' } })).status, 404);

  const pol = await h.call('POST', '/workorders/admin/sla-policies', { body: { typeId: 'repair', areaClass: 'rural', metric: 'arrival', targetMinutes: 90 } });
  t.is(pol.status, 201);
  t.deepEqual(await fields(await h.call('POST', '/workorders/admin/sla-policies', { body: { metric: 'lunch', targetMinutes: 0, warnPercents: [90, 50] } })), ['metric', 'targetMinutes', 'warnPercents']);

  t.is((await h.call('PUT', '/workorders/admin/visit-rules/complaints', { body: { name: '投诉全回访', kind: 'complaint', samplePercent: 100 } })).status, 200);
  t.deepEqual(visits.listRules().map((r) => r.id), ['complaints']);

  const reader = await h.keyWith(['workorders:read', 'workorders:write']);
  t.is((await h.call('POST', '/workorders/admin/departments', { key: reader.secret, body: { code: '98', name: 'x' } })).status, 403, 'needs admin:workorders');

  const audit = h.store.sqlite.prepare("SELECT action FROM audit_log WHERE action LIKE 'workorder.%' ORDER BY id").pluck().all();
  t.deepEqual(audit, [
    'workorder.type.created',
    'workorder.type.updated',
    'workorder.category.created',
    'workorder.department.created',
    'workorder.calendar.day-set',
    'workorder.calendar.imported',
    'workorder.calendar.day-removed',
    'workorder.sla-policy.created',
    'workorder.visit-rule.saved',
  ]);
  await h.close();
});

test('GET /workorders/:id/flow.svg returns an escaped SVG of the history', async (t) => {
  const { h } = await rig();
  const agent = { 'x-acting-user': 'user:agent1', 'x-acting-roles': 'agent', 'x-acting-departments': 'csc' };
  const created = await h.call('POST', '/workorders', { body: { typeId: 'consult', source: 'call', title: '<i>电价</i>咨询' }, headers: agent });
  const o = (await created.json()) as { id: string; number: string };
  await h.call('POST', `/workorders/${o.id}/actions`, { body: { action: 'accept', version: 1 }, headers: agent });
  const r = await h.call('GET', `/workorders/${o.number}/flow.svg`);
  t.is(r.status, 200);
  t.regex(r.headers.get('content-type') ?? '', /^image\/svg\+xml/);
  const svg = await r.text();
  t.true(svg.includes('&lt;i&gt;电价&lt;/i&gt;咨询'));
  t.is([...svg.matchAll(/data-action="/g)].length, 2);
  t.is((await h.call('GET', '/workorders/wo_nope/flow.svg')).status, 404);
  await h.close();
});
