import test from 'ava';
import { DEFAULT_FLOW_JSON, DEFAULT_FLOW_NEEDS, DEFAULT_PROMPTS_ZH } from '../../appliance/ivr/flows/index.js';
import { FlowStore } from '../../appliance/ivr/flow-store.js';
import { FakeCalendar, validationCatalogue } from '../../appliance/ivr/testing/fakes.js';
import { addUser, setupAdmin, startPanel } from '../testing/panel-harness.js';

const catalogue = () =>
  validationCatalogue({
    prompts: Object.keys(DEFAULT_PROMPTS_ZH),
    queues: [...DEFAULT_FLOW_NEEDS.queues],
    adapters: [...DEFAULT_FLOW_NEEDS.adapters],
    calendars: [...DEFAULT_FLOW_NEEDS.calendars],
  });

async function rig() {
  let flows: FlowStore | undefined;
  const h = await startPanel({
    live: ({ store, clock }) => {
      flows = new FlowStore({ db: store.db, clock, catalogue });
      return { ivr: { flows, catalogue, simulationDeps: () => ({ calendar: new FakeCalendar('open') }), promptText: (n: string) => DEFAULT_PROMPTS_ZH[n] } };
    },
  });
  const admin = await setupAdmin(h);
  return { h, admin, flows: flows! };
}

const flowJson = (patch: (f: any) => void = () => undefined): string => {
  const f = structuredClone(DEFAULT_FLOW_JSON) as any;
  patch(f);
  return JSON.stringify(f, null, 2);
};
const audit = (h: Awaited<ReturnType<typeof startPanel>>) =>
  (h.store.sqlite.prepare("SELECT actor, action, target FROM audit_log WHERE action LIKE 'ivr-flow.%' ORDER BY id").all() as Array<{ actor: string; action: string; target: string }>).map((r) => `${r.action} ${r.target}`);

test('create a flow from JSON, see it listed, publish it; every change audited as the user', async (t) => {
  const { h, admin } = await rig();
  t.regex((await admin.get('/ivr')).text, /还没有流程/);
  const created = await admin.post('/ivr/drafts', { json: flowJson() });
  t.is(created.status, 200);
  t.regex(created.text, /已保存草稿 v1/);
  t.regex(created.text, /<tr data-version="1" data-status="draft">/);
  t.regex((await admin.get('/ivr')).text, /data-flow="hotline-95598"/);
  const pub = await admin.post('/ivr/flows/hotline-95598/versions/1/publish');
  t.is(pub.status, 200);
  t.regex(pub.text, /<tr data-version="1" data-status="published">/);
  await admin.post('/ivr/flows/hotline-95598/draft', { json: flowJson((f) => (f.name = '春节版')) });
  await admin.post('/ivr/flows/hotline-95598/versions/2/publish');
  const rb = await admin.post('/ivr/flows/hotline-95598/rollback', { version: '1' });
  t.regex(rb.text, /已回滚到 v1/);
  t.regex(rb.text, /<tr data-version="2" data-status="retired">/);
  t.deepEqual(audit(h), [
    'ivr-flow.draft-saved hotline-95598 v1',
    'ivr-flow.published hotline-95598 v1',
    'ivr-flow.draft-saved hotline-95598 v2',
    'ivr-flow.published hotline-95598 v2',
    'ivr-flow.rolled-back hotline-95598 v1',
  ]);
  t.true((h.store.sqlite.prepare("SELECT actor FROM audit_log WHERE action = 'ivr-flow.published'").pluck().all() as string[]).every((a) => a.startsWith('user:')));
  await h.close();
});

test('an invalid draft: 422, each problem at its node and field, posted text kept and escaped, live version untouched', async (t) => {
  const { h, admin, flows } = await rig();
  await admin.post('/ivr/drafts', { json: flowJson() });
  await admin.post('/ivr/flows/hotline-95598/versions/1/publish');
  const broken = flowJson((f) => {
    f.nodes['bill-lookup'].adapter = 'crm';
    f.nodes['welcome'].label = '</textarea><script>alert(1)</script>';
  });
  const r = await admin.post('/ivr/flows/hotline-95598/draft', { json: broken }, { 'HX-Request': 'true' });
  t.is(r.status, 422);
  t.false(r.text.includes('<html'), 'htmx gets the fragment');
  t.regex(r.text, /<tr class="problem" data-node="bill-lookup" data-field="adapter">/);
  t.regex(r.text, /<tr data-node="bill-lookup" class="invalid">[\s\S]*?<code>adapter<\/code> unknown-adapter/);
  t.false(r.text.includes('<script>alert(1)</script>'));
  t.true(r.text.includes('&lt;/textarea&gt;&lt;script&gt;'));
  t.is((await flows.versions('hotline-95598')).length, 1);
  const badJson = await admin.post('/ivr/flows/hotline-95598/draft', { json: '{"id": ' });
  t.is(badJson.status, 422);
  t.regex(badJson.text, /不是有效的 JSON/);
  t.deepEqual(audit(h).length, 2);
  await h.close();
});

test('the simulator walks the draft with typed keys and shows path, transcript and variables', async (t) => {
  const { h, admin } = await rig();
  await admin.post('/ivr/drafts', { json: flowJson() });
  const r = await admin.post('/ivr/flows/hotline-95598/simulate', { keys: 'w 3', caller: '13800138000' }, { 'HX-Request': 'true' });
  t.is(r.status, 200);
  t.regex(r.text, /<strong id="sim-outcome">enqueued<\/strong>/);
  const path = [...r.text.matchAll(/<li data-node="([^"]+)"/g)].map((m) => m[1]);
  t.deepEqual(path, ['welcome', 'outage-check', 'main-menu', 'fault-queue']);
  t.regex(r.text, /您没有输入，请重新选择。/, 'the timeout prompt text is shown');
  t.regex(r.text, /<th>caller<\/th><td>13800138000<\/td>/);
  const bad = await admin.post('/ivr/flows/hotline-95598/simulate', { keys: '<b>1</b>' }, { 'HX-Request': 'true' });
  t.is(bad.status, 422);
  await h.close();
});

test('node traffic table shows where callers leave', async (t) => {
  const { h, admin, flows } = await rig();
  await admin.post('/ivr/drafts', { json: flowJson() });
  await admin.post('/ivr/flows/hotline-95598/versions/1/publish');
  flows.recordTraffic(h.bus);
  for (const c of ['a', 'b']) h.bus.publish('ivr.node.visited', { callId: c, channelId: c, flowId: 'hotline-95598', flowVersion: 1, nodeId: 'main-menu', verb: 'menu', seq: 2, from: 'welcome' });
  h.bus.publish('ivr.flow.abandoned', { callId: 'a', channelId: 'a', flowId: 'hotline-95598', flowVersion: 1, lastNode: 'main-menu', path: ['main-menu'], vars: {}, durationMs: 1, cause: 16 });
  await flows.flushTraffic();
  const page = await admin.get('/ivr/flows/hotline-95598');
  t.regex(page.text, /<tr data-node="main-menu"><td>main-menu<\/td><td>2<\/td><td>1<\/td><td>50.0%<\/td><\/tr>/);
  await h.close();
});

test('authorisation and CSRF: an agent cannot see or change flows; a post without the token is refused', async (t) => {
  const { h, admin, flows } = await rig();
  await admin.post('/ivr/drafts', { json: flowJson() });
  const agent = await addUser(h, admin, 'agent1', ['agent']);
  t.is((await agent.get('/ivr')).status, 403);
  t.is((await agent.post('/ivr/flows/hotline-95598/versions/1/publish')).status, 403);
  t.is((await admin.post('/ivr/flows/hotline-95598/versions/1/publish', { _csrf: 'forged' })).status, 403);
  t.is((await flows.versions('hotline-95598'))[0]?.status, 'draft');
  t.true(h.panel.routes.filter((r) => r.path.startsWith('/ivr') && r.method === 'post' && !r.path.endsWith('/simulate')).every((r) => Array.isArray(r.access) && r.access[1] === 'edit'));
  await h.close();
});
