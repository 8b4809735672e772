import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { DEFAULT_FLOW_JSON, DEFAULT_FLOW_NEEDS, DEFAULT_PROMPTS_ZH } from './flows/index.js';
import { FlowStore } from './flow-store.js';
import { registerIvrRoutes } from './ivr-routes.js';
import { FakeCalendar, validationCatalogue } from './testing/fakes.js';

const catalogue = () =>
  validationCatalogue({
    prompts: Object.keys(DEFAULT_PROMPTS_ZH),
    queues: [...DEFAULT_FLOW_NEEDS.queues],
    adapters: [...DEFAULT_FLOW_NEEDS.adapters],
    calendars: [...DEFAULT_FLOW_NEEDS.calendars],
  });

async function rig() {
  const h = await startApiHarness();
  const flows = new FlowStore({ db: h.store.db, clock: h.clock, catalogue });
  registerIvrRoutes(h.api.registry, { flows, catalogue, clock: h.clock, simulationDeps: () => ({ calendar: new FakeCalendar('open') }) }, h.api.audit);
  const json = async (method: string, p: string, opts: { body?: unknown; key?: string | null } = {}) => {
    const res = await h.call(method, p, opts);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  return { h, flows, json };
}

const flow = DEFAULT_FLOW_JSON as Record<string, any>;
const auditActions = (h: Awaited<ReturnType<typeof startApiHarness>>) =>
  (h.store.sqlite.prepare("SELECT action, target FROM audit_log WHERE action LIKE 'ivr-flow.%' ORDER BY id").all() as Array<{ action: string; target: string }>).map((r) => `${r.action} ${r.target}`);

test('save draft → publish → new draft → publish → rollback, each audited; versions listed', async (t) => {
  const { h, json } = await rig();
  t.like(await json('PUT', '/ivr/flows/hotline-95598/draft', { body: flow }), { status: 200, body: { flowId: 'hotline-95598', version: 1, status: 'draft' } });
  t.is((await json('POST', '/ivr/flows/hotline-95598/versions/1/publish')).status, 200);
  const v2 = { ...flow, name: '95598 热线（春节版）' };
  t.like(await json('PUT', '/ivr/flows/hotline-95598/draft', { body: v2 }), { body: { version: 2 } });
  t.is((await json('POST', '/ivr/flows/hotline-95598/versions/2/publish')).status, 200);
  const rb = await json('POST', '/ivr/flows/hotline-95598/rollback', { body: { version: 1 } });
  t.like(rb, { status: 200, body: { version: 1, status: 'published' } });
  const versions = await json('GET', '/ivr/flows/hotline-95598/versions');
  t.deepEqual(versions.body.items.map((v: any) => [v.version, v.status]), [[2, 'retired'], [1, 'published']]);
  t.is(versions.body.items[1].publishedBy, `apikey:${h.adminKeyId}`);
  const list = await json('GET', '/ivr/flows');
  t.deepEqual(list.body.items.map((v: any) => [v.flowId, v.version]), [['hotline-95598', 1]]);
  const one = await json('GET', '/ivr/flows/hotline-95598/versions/2');
  t.is(one.body.definition.name, '95598 热线（春节版）');
  t.deepEqual(auditActions(h), [
    'ivr-flow.draft-saved hotline-95598 v1',
    'ivr-flow.published hotline-95598 v1',
    'ivr-flow.draft-saved hotline-95598 v2',
    'ivr-flow.published hotline-95598 v2',
    'ivr-flow.rolled-back hotline-95598 v1',
  ]);
  t.is((await json('POST', '/ivr/flows/hotline-95598/rollback', { body: { version: 1 } })).status, 409, 'the live version is no rollback target');
  await h.close();
});

test('an invalid draft is refused with node and field; nothing saved, the live version stays', async (t) => {
  const { h, json, flows } = await rig();
  await json('PUT', '/ivr/flows/hotline-95598/draft', { body: flow });
  await json('POST', '/ivr/flows/hotline-95598/versions/1/publish');
  const broken = structuredClone(flow);
  broken.nodes['bill-lookup'].adapter = 'crm';
  broken.nodes['main-menu'].options['4'] = 'nowhere';
  const r = await json('PUT', '/ivr/flows/hotline-95598/draft', { body: broken });
  t.is(r.status, 400);
  t.deepEqual(r.body.error.fields.map((f: any) => f.path), ['nodes.main-menu.options.4', 'nodes.bill-lookup.adapter', 'nodes.reading-account.', 'nodes.reading-value.', 'nodes.reading-submit.', 'nodes.reading-done.'].map((p) => p.replace(/\.$/, '')));
  t.regex(r.body.error.fields[1].message, /^unknown-adapter/);
  t.is((await flows.versions('hotline-95598')).length, 1);
  t.is((await flows.published('hotline-95598'))?.nodes['bill-lookup']?.verb, 'lookup');
  t.deepEqual(auditActions(h).length, 2);

  const v = await json('POST', '/ivr/flows/validate', { body: broken });
  t.false(v.body.valid);
  t.deepEqual(v.body.problems[0], { node: 'main-menu', field: 'options.4', code: 'bad-reference', message: 'options.4 names node nowhere, which does not exist' });
  const schemaBad = await json('POST', '/ivr/flows/validate', { body: { ...flow, nodes: { ...flow.nodes, welcome: { verb: 'play', prompts: [], next: 'outage-check' } } } });
  t.deepEqual(schemaBad.body.problems.map((p: any) => [p.node, p.field, p.code]), [['welcome', 'prompts', 'schema']]);
  t.is((await json('PUT', '/ivr/flows/other-flow/draft', { body: flow })).status, 400, 'path and body ids must agree');
  await h.close();
});

test('scopes: ivr:read reads and simulates but cannot save or publish', async (t) => {
  const { h, json } = await rig();
  const reader = await h.keyWith(['ivr:read']);
  t.is((await json('PUT', '/ivr/flows/hotline-95598/draft', { body: flow, key: reader.secret })).status, 403);
  await json('PUT', '/ivr/flows/hotline-95598/draft', { body: flow });
  t.is((await json('POST', '/ivr/flows/hotline-95598/versions/1/publish', { key: reader.secret })).status, 403);
  t.is((await json('GET', '/ivr/flows', { key: reader.secret })).status, 200);
  const sim = await json('POST', '/ivr/flows/hotline-95598/simulate', { key: reader.secret, body: { keys: '3' } });
  t.is(sim.status, 200);
  t.deepEqual(sim.body.path, ['welcome', 'outage-check', 'main-menu', 'fault-queue']);
  t.is(sim.body.outcome, 'enqueued');
  t.is((await json('POST', '/ivr/flows/hotline-95598/simulate', { body: { keys: '<script>' } })).status, 400);
  t.is((await json('GET', '/ivr/flows', { key: (await h.keyWith(['calls:read'])).secret })).status, 403);
  await h.close();
});

test('node traffic: visits and abandons per node from IVR events, most visited first', async (t) => {
  const { h, json, flows } = await rig();
  await json('PUT', '/ivr/flows/hotline-95598/draft', { body: flow });
  await json('POST', '/ivr/flows/hotline-95598/versions/1/publish');
  flows.recordTraffic(h.bus);
  const visit = (callId: string, nodeId: string, seq: number) =>
    h.bus.publish('ivr.node.visited', { callId, channelId: callId, flowId: 'hotline-95598', flowVersion: 1, nodeId, verb: 'menu', seq, from: null });
  for (const c of ['a', 'b', 'c']) {
    visit(c, 'welcome', 1);
    visit(c, 'main-menu', 2);
  }
  visit('a', 'bill-account', 3);
  h.bus.publish('ivr.flow.abandoned', { callId: 'b', channelId: 'b', flowId: 'hotline-95598', flowVersion: 1, lastNode: 'main-menu', path: ['welcome', 'main-menu'], vars: {}, durationMs: 9000, cause: 16 });
  await flows.flushTraffic();
  const r = await json('GET', '/ivr/flows/hotline-95598/traffic');
  t.is(r.status, 200);
  t.deepEqual(r.body.nodes, [
    { nodeId: 'main-menu', visits: 3, abandons: 1, abandonRate: 0.333 },
    { nodeId: 'welcome', visits: 3, abandons: 0, abandonRate: 0 },
    { nodeId: 'bill-account', visits: 1, abandons: 0, abandonRate: 0 },
  ]);
  t.is((await json('GET', '/ivr/flows/nope/traffic')).status, 404);
  await h.close();
});
