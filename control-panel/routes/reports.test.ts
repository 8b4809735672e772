import test from 'ava';
import { SqliteAcdStore } from '../../appliance/acd/acd-store.js';
import { morningFixture } from '../../appliance/acd/testing/report-fixtures.js';
import { seedWorkOrderReportFixture } from '../../appliance/workorders/testing/report-fixtures.js';
import { BOM } from '../reports/csv.js';
import { reportEnglishKeys, reportMessageKeys } from '../reports/i18n.js';
import { addUser, setupAdmin, startPanel, type Harness, type PanelClient } from '../testing/panel-harness.js';

const DAY_Q = 'from=2026-01-05&to=2026-01-05';

interface Rig {
  h: Harness;
  admin: PanelClient;
  sup: PanelClient;
}

async function rig(t: { teardown(fn: () => Promise<void>): void }): Promise<Rig> {
  const h = await startPanel();
  t.teardown(() => h.close());
  new SqliteAcdStore(h.store).appendEvents(morningFixture().events);
  await h.store.db
    .insertInto('acd_queues')
    .values({ id: 'q1', name: '<script>alert("q")</script>报修', strategy: 'ring-all', config: JSON.stringify({ serviceLevelMs: 20_000, shortAbandonMs: 5_000 }), created_at: 0, updated_at: 0 })
    .execute();
  await seedWorkOrderReportFixture(h.store.db);
  const admin = await setupAdmin(h);
  const sup = await addUser(h, admin, 'sup1', ['supervisor']);
  return { h, admin, sup };
}

/** The raw bytes (fetch's text() drops a byte-order mark). */
async function bytes(c: PanelClient, p: string): Promise<Buffer> {
  const res = await fetch(c.base + p, { headers: { cookie: c.cookieHeader() } });
  return Buffer.from(await res.arrayBuffer());
}

const UTF8_BOM = Buffer.from(BOM, 'utf8');

async function designer(r: Rig): Promise<PanelClient> {
  await r.h.panel.services.users.createRole(
    { id: 'designer', name: '报表设计', dataScope: 'all', grants: { dashboard: ['view'], reports: ['view', 'create', 'edit', 'delete', 'export'] } },
    { actor: 'system', ip: null },
  );
  return addUser(r.h, r.admin, 'des1', ['designer']);
}

test('English is switchable: every report word has an English entry', (t) => {
  t.deepEqual(reportMessageKeys.filter((k) => !reportEnglishKeys.includes(k)), []);
});

test('ACD report: page vs htmx fragment, hand-computed figures, escaped names, Chinese first and English', async (t) => {
  const r = await rig(t);
  const page = await r.sup.get(`/reports/acd?${DAY_Q}&g=day`);
  t.is(page.status, 200);
  t.true(page.text.startsWith('<!doctype html>'));
  t.regex(page.text, /<nav/);
  t.regex(page.text, /队列话务报表/);
  const row = /<tr class="" data-queue="q1" data-period="2026-01-05">([\s\S]*?)<\/tr>/.exec(page.text)?.[1] ?? '';
  t.regex(row, /class="n offered">7</);
  t.regex(row, /class="n answered">3</);
  t.regex(row, /class="n abandoned">2</);
  t.regex(row, /class="n short">1</);
  t.regex(row, /class="n callbacks">1</);
  t.regex(row, /class="n sl">50\.0%</);
  t.regex(row, /class="n asa">18\.3</);
  t.regex(row, /class="n abandon">16\.7%</);
  t.regex(page.text, /Ans≤T \/ \(Ans \+ Ab − Ab_short\) × 100/);
  t.notRegex(page.text, /<script>alert/);
  t.regex(page.text, /&lt;script&gt;alert\(&quot;q&quot;\)&lt;\/script&gt;报修/);
  t.regex(page.text, /<svg [^>]*data-kind="bar"/);
  t.regex(page.text, /href="\/reports\/acd\.csv\?from=2026-01-05&amp;to=2026-01-05&amp;g=day&amp;sl=recommended"/);
  const frag = await r.sup.get(`/reports/acd?${DAY_Q}&g=15m&sl=sl2`, { 'HX-Request': 'true' });
  t.is(frag.status, 200);
  t.notRegex(frag.text, /<html|<nav/);
  t.regex(frag.text, /data-period="2026-01-05 09:00"/);
  t.regex(frag.text, /data-period="2026-01-05 09:15"/);
  t.regex(frag.text, /\(Ans≤T \+ Ab≤T\) \/ \(Ans \+ Ab\) × 100/);
  const en = await r.sup.get(`/reports/acd?${DAY_Q}&lang=en`);
  t.regex(en.text, /Queue interval report/);
  t.regex(en.text, /<th>Offered<\/th>/);
});

test('ACD CSV: BOM, every row plus totals, formula-looking names defused; export needs reports:export', async (t) => {
  const r = await rig(t);
  await r.h.store.db.updateTable('acd_queues').set({ name: '=cmd|"/c calc"!A1' }).where('id', '=', 'q1').execute();
  const csv = await r.sup.get(`/reports/acd.csv?${DAY_Q}&g=15m`);
  t.is(csv.status, 200);
  t.regex(csv.headers.get('content-type') ?? '', /^text\/csv; charset=utf-8/);
  t.regex(csv.headers.get('content-disposition') ?? '', /^attachment; filename="acd-15m-2026-01-05-2026-01-05\.csv"/);
  t.deepEqual((await bytes(r.sup, `/reports/acd.csv?${DAY_Q}&g=15m`)).subarray(0, 3), UTF8_BOM);
  const lines = csv.text.trimEnd().split('\r\n');
  t.is(lines.length, 1 + 2 + 1); // header, two quarter hours, total
  t.regex(lines[1]!, /^q1,"'=cmd\|""\/c calc""!A1",2026-01-05 09:00,20,7,2,1,2,1,1,1,/);
  t.regex(lines[3]!, /^q1,.*,合计,20,7,3,2,2,1,1,1,50,/);

  const agent = await addUser(r.h, r.admin, 'agent1', ['agent']);
  t.is((await agent.get('/reports')).status, 403);
  const denied = await agent.get(`/reports/acd.csv?${DAY_Q}`);
  t.is(denied.status, 403);
  t.notDeepEqual((await bytes(agent, `/reports/acd.csv?${DAY_Q}`)).subarray(0, 3), UTF8_BOM);
  const qa = await addUser(r.h, r.admin, 'qa1', ['qa']);
  const qaPage = await qa.get(`/reports/acd?${DAY_Q}`);
  t.is(qaPage.status, 200);
  t.notRegex(qaPage.text, /class="export"/);
  t.is((await qa.get(`/reports/workorders.csv?${DAY_Q}`)).status, 403);
  const audits = (await r.h.audit.search({ limit: 50, action: 'access.denied' })).items.map((i) => (i.after as { reason: string }).reason);
  t.true(audits.includes('permission:reports:export'));
  t.true(audits.includes('permission:reports:view'));
});

test('bad report queries re-render the form with the field named (422), page and fragment', async (t) => {
  const r = await rig(t);
  const bad = await r.sup.get('/reports/acd?g=hourly&from=2026-13-01');
  t.is(bad.status, 422);
  t.regex(bad.text, /data-path="g"/);
  t.regex(bad.text, /id="f-g"[^>]*aria-invalid="true"/);
  const long = await r.sup.get('/reports/acd?g=15m&from=2026-01-01&to=2026-03-01', { 'HX-Request': 'true' });
  t.is(long.status, 422);
  t.notRegex(long.text, /<html/);
  t.regex(long.text, /时间范围过长/);
  t.is((await r.sup.get('/reports/acd.csv?g=nope')).status, 422);
});

test('agent, IVR and work-order reports render their figures and export CSV', async (t) => {
  const r = await rig(t);
  const agents = await r.sup.get(`/reports/agents?${DAY_Q}`);
  t.is(agents.status, 200);
  const a1 = /<tr data-agent="a1">([\s\S]*?)<\/tr>/.exec(agents.text)?.[1] ?? '';
  t.regex(a1, /class="n handled">2</);
  t.regex(a1, /class="n aht">110\.0</);
  t.regex(a1, /class="n break">0:15:00</);
  t.regex(agents.text, /小休：lunch/);
  const agentsCsv = await r.sup.get(`/reports/agents.csv?${DAY_Q}`);
  t.regex(agentsCsv.text, /\r\na1,a1,4500,3125,20,425,30,900,900,2,180,10,30,110,/);

  const ivr = await r.sup.get(`/reports/ivr?${DAY_Q}`);
  t.is(ivr.status, 200);
  t.regex(ivr.text, /所选范围内没有数据/);

  const wo = await r.sup.get('/reports/workorders?from=2026-01-05&to=2026-01-11&by=type');
  t.is(wo.status, 200);
  const repair = /<tr class="" data-key="repair">([\s\S]*?)<\/tr>/.exec(wo.text)?.[1] ?? '';
  t.regex(repair, /故障报修/);
  t.regex(repair, /class="n created">3</);
  t.regex(repair, /class="n sla">50\.0%</);
  t.regex(repair, /class="n satisfaction">50\.0%</);
  const dept = await r.sup.get('/reports/workorders.csv?from=2026-01-05&to=2026-01-11&by=department');
  t.regex(dept.text, /\r\nd2,抢修班,3,/);
});

test('custom reports: allow-listed fields only (422 names them), saved, run, shared with a role, exported; owner-only edits', async (t) => {
  const r = await rig(t);
  const des = await designer(r);
  const form = await des.get('/reports/custom/new?dataset=workorders');
  t.is(form.status, 200);
  t.regex(form.text, /name="dimensions" value="department"/);
  const fields = {
    dataset: 'workorders',
    name: '部门工单<b>统计</b>',
    dimensions: ['department'],
    measures: ['count', 'slaCompliancePct'],
    filter_field_0: 'type',
    filter_op_0: 'eq',
    filter_values_0: 'repair',
    range_kind: 'fixed',
    range_from: '2026-01-05',
    range_to: '2026-01-11',
    chart: 'bar',
    sharedRoles: ['supervisor'],
  };
  const bad = await des.post('/reports/custom', { ...fields, dimensions: ['password_hash'], measures: ['sum(talk_ms)'], filter_field_1: 'owner' });
  t.is(bad.status, 422);
  t.regex(bad.text, /data-path="dimensions\.0"[^>]*>dimensions\.0: unknown dimension &quot;password_hash&quot;/);
  t.regex(bad.text, /data-path="measures\.0"/);
  t.regex(bad.text, /data-path="filters\.1\.field"/);
  t.is(await r.h.store.db.selectFrom('report_definitions').select('id').execute().then((x) => x.length), 0);
  const noCsrf = await des.post('/reports/custom', { ...fields, _csrf: 'forged' });
  t.is(noCsrf.status, 403);

  const ok = await des.post('/reports/custom', fields);
  t.is(ok.status, 303);
  const url = ok.location!;
  t.regex(url, /^\/reports\/custom\/rpt_/);
  const run = await des.get(url);
  t.is(run.status, 200);
  t.regex(run.text, /部门工单&lt;b&gt;统计&lt;\/b&gt;/);
  t.regex(run.text, /<td>抢修班<\/td><td class="n">3<\/td><td class="n">50<\/td>/);
  t.regex(run.text, /<td>城区供电所<\/td><td class="n">1<\/td><td class="n">100<\/td>/);

  // Shared with supervisors: listed, runnable and exportable by them, but not editable.
  t.regex((await r.sup.get('/reports')).text, /部门工单&lt;b&gt;统计/);
  t.is((await r.sup.get(url)).status, 200);
  const csv = await r.sup.get(`${url}/export.csv`);
  t.deepEqual((await bytes(r.sup, `${url}/export.csv`)).subarray(0, 3), UTF8_BOM);
  t.regex(csv.text, /\r\n抢修班,3,50\r\n/);
  t.is((await r.sup.get(`${url}/edit`)).status, 403);
  t.is((await r.sup.post(`${url}/delete`)).status, 403);
  // Not shared with QA: invisible.
  const qa = await addUser(r.h, r.admin, 'qa2', ['qa']);
  t.is((await qa.get(url)).status, 404);

  // The owner edits (validated again) and deletes.
  t.is((await des.get(`${url}/edit`)).status, 200);
  const edited = await des.post(url, { ...fields, name: '改名', sharedRoles: [] });
  t.is(edited.status, 303);
  t.is((await r.sup.get(url)).status, 404);
  await des.get(url);
  t.is((await des.post(`${url}/delete`)).status, 303);
  t.is((await des.get(url)).status, 404);
  const actions = (await r.h.audit.search({ limit: 200, action: 'report.*' })).items.map((i) => i.action).sort();
  t.deepEqual(actions, ['report.created', 'report.deleted', 'report.updated']);
});
