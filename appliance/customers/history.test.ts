import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { SqliteCallStore } from '../calls/call-store.js';
import { silentLogger } from '../core/log.js';
import { ValidationError } from '../core/errors.js';
import { callHistorySource, surveyHistorySource } from '../integrations/customer-history-sources.js';
import type { Store } from '../store/database.js';
import { visitHistorySource, workOrderHistorySource } from '../workorders/customer-history-source.js';
import { actors, repairInput, seedOrg } from '../workorders/testing/fixtures.js';
import { VisitService } from '../workorders/visit-service.js';
import { WorkOrderService } from '../workorders/workorder-service.js';
import { CustomerService } from './customer-service.js';
import { CustomerHistory, decodeCursor, encodeCursor, phoneSpellings, type HistoryEntry } from './history.js';
import { registerCustomerHistoryRoutes } from './history-routes.js';
import { parsePhone } from './phone.js';
import { agent, hospital } from './testing/fixtures.js';

function cdr(calls: SqliteCallStore, callId: string, caller: string, called: string, at: number, answered: boolean, direction: 'inbound' | 'outbound' = 'inbound') {
  calls.writeCdr({
    callId,
    direction,
    caller,
    called,
    routeId: null,
    targetKind: 'queue',
    target: 'general',
    startedAt: at,
    answeredAt: answered ? at + 5_000 : null,
    endedAt: at + 65_000,
    cause: 16,
    endedBy: 'remote',
    legs: [],
  });
}

function score(store: Store, callId: string, question: string, value: number, at: number) {
  store.sqlite
    .prepare("INSERT INTO ivr_survey_scores (call_id, survey, question, score, queue, agent_id, recorded_at) VALUES (?, 'post-call', ?, ?, 'general', 'user:agent1', ?)")
    .run(callId, question, value, at);
}

async function rig() {
  const h = await startApiHarness();
  const log = silentLogger();
  const customers = new CustomerService({ store: h.store, clock: h.clock, bus: h.bus, log, phone: { defaultAreaCode: '0371' } });
  const orders = new WorkOrderService({ store: h.store, clock: h.clock, bus: h.bus, log });
  seedOrg(orders);
  const visits = new VisitService({ store: h.store, clock: h.clock, bus: h.bus, log, orders });
  visits.start();
  const history = new CustomerHistory({
    customer: (id) => customers.get(id),
    parsePhone: (k) => customers.parsePhone(k),
    siteAreaCode: '0371',
    sources: [callHistorySource(h.store), workOrderHistorySource(h.store), surveyHistorySource(h.store), visitHistorySource(h.store)],
  });
  registerCustomerHistoryRoutes(h.api.registry, history);
  const calls = new SqliteCallStore(h.store, () => h.clock.now());
  return { h, customers, orders, visits, history, calls };
}

test('phone spellings cover how trunks and phones deliver a number', (t) => {
  const mobile = parsePhone('13903710001');
  const landline = parsePhone('0371-6555 1234');
  if (!mobile.ok || !landline.ok) return t.fail('fixtures parse');
  t.deepEqual(phoneSpellings(mobile.phone).sort(), ['+8613903710001', '008613903710001', '013903710001', '13903710001', '8613903710001']);
  t.deepEqual(phoneSpellings(landline.phone, '0371').sort(), ['+8637165551234', '008637165551234', '037165551234', '37165551234', '65551234']);
  t.false(phoneSpellings(landline.phone, '010').includes('65551234'), 'a bare subscriber number is ours only in our own area');
  t.throws(() => decodeCursor('nonsense'), { instanceOf: ValidationError });
  t.deepEqual(decodeCursor(encodeCursor({ at: 5, kind: 'visit', id: 'v1' })), { at: 5, kind: 'visit', id: 'v1' });
});

test('calls by any spelling, work orders, surveys and visits merge newest first; pages neither skip nor repeat', async (t) => {
  const { h, customers, orders, visits, history, calls } = await rig();
  t.teardown(() => h.close());
  const c = customers.create(hospital(), agent);
  const other = customers.create(hospital({ name: '别人', phones: [{ number: '13800000009' }], accounts: [{ accountNo: '041000000099' }] }), agent);
  const t0 = h.clock.now();

  cdr(calls, 'call_a', '+8613903710001', '95598', t0 + 1_000, true); // mobile, with +86
  cdr(calls, 'call_b', '65551234', '95598', t0 + 2_000, false); // landline, bare local number
  cdr(calls, 'call_c', '95598', '013903710001', t0 + 3_000, true, 'outbound'); // our callback, trunk 0
  cdr(calls, 'call_x', '13800000009', '95598', t0 + 3_500, true); // someone else
  score(h.store, 'call_a', 'q1', 5, t0 + 70_000);
  score(h.store, 'call_a', 'q2', 4, t0 + 70_000);
  score(h.store, 'call_x', 'q1', 1, t0 + 70_000);

  h.clock.advance(100_000);
  visits.saveRule({ id: 'all', name: '全部', samplePercent: 100 });
  let o = orders.create(repairInput({ customerId: c.id, title: '门诊楼停电' }), actors.agent);
  o = orders.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = orders.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
  h.clock.advance(60_000);
  o = orders.act(o.id, { action: 'reply', version: o.version, reply: '已修复' }, actors.lineman);
  o = orders.act(o.id, { action: 'close', version: o.version }, actors.agent);
  orders.create(repairInput({ customerId: other.id }), actors.agent);
  h.clock.advance(60_000);
  const second = orders.create(repairInput({ customerId: c.id, title: '电压低', callIds: [] }), actors.agent);

  const all = history.page(c.id, { limit: 50 });
  const brief = (e: HistoryEntry) => `${e.kind}:${e.kind === 'survey' ? e.callId : e.kind === 'visit' ? e.orderId : e.id}`;
  t.deepEqual(all.items.map(brief), [`workorder:${second.id}`, `visit:${o.id}`, `workorder:${o.id}`, 'survey:call_a', 'call:call_c', 'call:call_b', 'call:call_a']);
  t.is(all.nextCursor, null);
  const survey = all.items.find((e) => e.kind === 'survey');
  t.like(survey, { average: 4.5, scores: [{ question: 'q1', score: 5 }, { question: 'q2', score: 4 }] });
  const callC = all.items.find((e) => e.id === 'call_c');
  t.like(callC, { direction: 'outbound', number: '013903710001', otherParty: '95598', answered: true });

  // Pages of 2 give the same sequence, even for entries sharing a millisecond.
  cdr(calls, 'call_d', '13903710001', '95598', t0 + 2_000, true);
  cdr(calls, 'call_e', '037165551234', '95598', t0 + 2_000, true);
  const full = history.page(c.id, { limit: 50 }).items.map(brief);
  const paged: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10; i++) {
    const p = history.page(c.id, { limit: 2, ...(cursor !== undefined && { cursor }) });
    paged.push(...p.items.map(brief));
    if (p.nextCursor === null) break;
    cursor = p.nextCursor;
  }
  t.deepEqual(paged, full);
  t.is(full.length, 9);
  t.deepEqual(history.page(c.id, { limit: 50, kinds: ['call'] }).items.map((e) => e.id), ['call_c', 'call_e', 'call_d', 'call_b', 'call_a']);
});

test('GET /customers/:id/history: typed entries, summaries, refs, cursor paging, 404 and bad input', async (t) => {
  const { h, customers, orders, calls } = await rig();
  t.teardown(() => h.close());
  const c = customers.create(hospital(), agent);
  cdr(calls, 'call_1', '13903710001', '95598', h.clock.now() - 10_000, true);
  const o = orders.create(repairInput({ customerId: c.id }), actors.agent);

  const res = await h.call('GET', `/customers/${c.id}/history?limit=1`);
  t.is(res.status, 200);
  const page = (await res.json()) as { items: Record<string, unknown>[]; nextCursor: string | null; kinds: string[] };
  t.deepEqual(page.kinds.sort(), ['call', 'survey', 'visit', 'workorder']);
  t.like(page.items[0], { kind: 'workorder', id: o.id, number: o.number, ref: { kind: 'workorder', id: o.id } });
  t.regex(String(page.items[0]!['summary']), new RegExp(o.number));
  t.truthy(page.nextCursor);
  const next = (await (await h.call('GET', `/customers/${c.id}/history?limit=1&cursor=${page.nextCursor}`)).json()) as typeof page;
  t.like(next.items[0], { kind: 'call', id: 'call_1', durationSec: 65, answered: true, ref: { kind: 'call', id: 'call_1' } });
  t.is(next.nextCursor, null);
  const onlyCalls = (await (await h.call('GET', `/customers/${c.id}/history?kinds=call`)).json()) as typeof page;
  t.deepEqual(onlyCalls.items.map((e) => e['kind']), ['call']);

  t.is((await h.call('GET', '/customers/cus_nope/history')).status, 404);
  const bad = await h.call('GET', `/customers/${c.id}/history?kinds=calls&limit=0&cursor=xyz`);
  t.is(bad.status, 400);
  const fields = ((await bad.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path);
  t.true(fields.some((p) => p.startsWith('kinds')) && fields.includes('limit'));
  t.is((await h.call('GET', `/customers/${c.id}/history?cursor=xyz`)).status, 400);
  const doc = (await (await h.call('GET', '/openapi.json')).json()) as { paths: Record<string, unknown> };
  t.truthy(doc.paths['/customers/{id}/history']);
});
