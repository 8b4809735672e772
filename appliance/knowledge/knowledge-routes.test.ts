import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { KnowledgeService } from './knowledge-service.js';
import { registerKnowledgeRoutes } from './knowledge-routes.js';
import { articles, publishAll } from './testing/fixtures.js';

async function rig() {
  const h = await startApiHarness();
  const svc = new KnowledgeService({ store: h.store, clock: h.clock, bus: h.bus, log: silentLogger() });
  registerKnowledgeRoutes(h.api.registry, svc, h.api.audit);
  return { h, svc };
}

type Hits = { items: { id: string; title: string; snippet: string; highlights: [number, number][] }[] };

test('search in Chinese over HTTP, get counts hits', async (t) => {
  const { h, svc } = await rig();
  const ids = publishAll(svc);
  const q = async (s: string): Promise<Hits> => (await (await h.call('GET', `/knowledge/search?q=${encodeURIComponent(s)}`)).json()) as Hits;
  t.deepEqual((await q('阶梯电价')).items.map((i) => i.id), [ids.tiered]);
  t.deepEqual((await q('停电')).items.map((i) => i.id).sort(), [ids.outage, ids.payment].sort());
  t.is((await q('电费')).items[0]?.title, articles.payment.title);
  const h1 = (await q('恢复送电')).items[0]!;
  t.is(h1.snippet.slice(...h1.highlights[0]!), '恢复送电');
  t.is((await h.call('GET', '/knowledge/search?q=')).status, 400);
  await h.call('GET', `/knowledge/articles/${ids.payment}`);
  const a = (await (await h.call('GET', `/knowledge/articles/${ids.payment}`)).json()) as { hits: number };
  t.is(a.hits, 2);
  await h.close();
});

test('create → update → publish over HTTP: validation, 409, department rights, audit', async (t) => {
  const { h } = await rig();
  const bad = await h.call('POST', '/knowledge/articles', { body: { title: '', body: '正文', validFrom: '2026-02-01T00:00:00Z', validTo: 'tomorrow', owner: 'x' } });
  t.is(bad.status, 400);
  t.deepEqual(((await bad.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path).sort(), ['owner', 'title', 'validTo']);
  t.is(h.store.sqlite.prepare('SELECT count(*) FROM kb_articles').pluck().get(), 0);

  const created = await h.call('POST', '/knowledge/articles', { body: { title: '峰谷分时电价', body: '低谷时段电价优惠。', tags: ['电价'], departmentId: 'marketing' } });
  t.is(created.status, 201);
  const a = (await created.json()) as { id: string; version: number; status: string };
  t.is(a.status, 'draft');
  const v2 = await h.call('PATCH', `/knowledge/articles/${a.id}`, { body: { version: 1, body: '低谷时段（23:00–7:00）电价优惠。', note: '补充时段' } });
  t.is(v2.status, 200);
  t.is((await h.call('PATCH', `/knowledge/articles/${a.id}`, { body: { version: 1, title: '旧' } })).status, 409);
  t.is((await h.call('POST', `/knowledge/articles/${a.id}/publish`, { body: { version: 1 } })).status, 409);
  const pub = await h.call('POST', `/knowledge/articles/${a.id}/publish`, { body: { version: 2 } });
  t.like(await pub.json(), { status: 'published', publishedVersion: 2 });

  // A person of another department, named by a key allowed to act for people, may not edit.
  const outsider = { 'x-acting-user': 'user:mt', 'x-acting-departments': 'metering' };
  t.is((await h.call('PATCH', `/knowledge/articles/${a.id}`, { body: { version: 2, body: '改' }, headers: outsider })).status, 403);
  const ownDept = { 'x-acting-user': 'user:mk', 'x-acting-departments': 'marketing' };
  t.is((await h.call('PATCH', `/knowledge/articles/${a.id}`, { body: { version: 2, body: '低谷时段电价优惠，适合电动汽车。' }, headers: ownDept })).status, 200);

  const reader = await h.keyWith(['knowledge:read']);
  t.is((await h.call('POST', '/knowledge/articles', { key: reader.secret, body: { title: 't', body: 'b' } })).status, 403);
  const revs = (await (await h.call('GET', `/knowledge/articles/${a.id}/revisions`)).json()) as { items: { version: number; actor: string }[] };
  t.deepEqual(revs.items.map((r) => r.version), [1, 2, 3]);
  t.is(revs.items[2]?.actor, 'user:mk');
  const audit = h.store.sqlite.prepare("SELECT action FROM audit_log WHERE action LIKE 'knowledge.%' ORDER BY id").pluck().all();
  t.deepEqual(audit, ['knowledge.article.created', 'knowledge.article.updated', 'knowledge.article.published', 'knowledge.article.updated']);
  await h.close();
});

test('search with CR, LF and NUL in the query: the controls separate terms, no 500', async (t) => {
  const { h, svc } = await rig();
  t.teardown(() => h.close());
  const ids = publishAll(svc);
  const res = await h.call('GET', `/knowledge/search?q=${encodeURIComponent('阶梯电价\r\nX-Injected: 1\u0000end')}`);
  t.is(res.status, 200);
  const only = await h.call('GET', `/knowledge/search?q=${encodeURIComponent('阶梯电价\u0000')}`);
  t.deepEqual(((await only.json()) as Hits).items.map((i) => i.id), [ids.tiered]);
  t.is((await h.call('GET', `/knowledge/search?q=${encodeURIComponent('\u0000\r\n')}`)).status, 400, 'nothing but controls is an empty query');
});

test('permissions in search results: internal articles only with knowledge:internal; otherwise not found and not listed', async (t) => {
  const { h, svc } = await rig();
  t.teardown(() => h.close());
  const ids = publishAll(svc); // the outage article is internal (staff-only), the others public
  const publicKey = await h.keyWith(['knowledge:read']);
  const staffKey = await h.keyWith(['knowledge:read', 'knowledge:internal']);
  const search = async (key: string, q: string, extra = ''): Promise<Response> => h.call('GET', `/knowledge/search?q=${encodeURIComponent(q)}${extra}`, { key });
  const ids0 = async (r: Response): Promise<string[]> => ((await r.json()) as Hits).items.map((i) => i.id).sort();
  t.deepEqual(await ids0(await search(staffKey.secret, '停电')), [ids.outage, ids.payment].sort());
  t.deepEqual(await ids0(await search(publicKey.secret, '停电')), [ids.payment], 'the internal article is not listed');
  t.is((await search(publicKey.secret, '停电', '&visibility=internal')).status, 403);
  t.is((await h.call('GET', `/knowledge/articles/${ids.outage}`, { key: publicKey.secret })).status, 404);
  t.is((await h.call('GET', `/knowledge/articles/${ids.outage}`, { key: staffKey.secret })).status, 200);
  t.is((await h.call('GET', `/knowledge/articles/${ids.payment}`, { key: publicKey.secret })).status, 200);
  const hits = ((await (await h.call('GET', `/knowledge/articles/${ids.outage}`, { key: staffKey.secret })).json()) as { hits: number }).hits;
  t.is(hits, 2, 'the refused read counted no hit');
});
