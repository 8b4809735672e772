import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { MessageService } from './message-service.js';
import { registerMessageRoutes } from './message-routes.js';

async function rig() {
  const h = await startApiHarness();
  const svc = new MessageService({ store: h.store, clock: h.clock, bus: h.bus, log: silentLogger() });
  registerMessageRoutes(h.api.registry, svc, h.api.audit);
  return { h, svc };
}

const lineman = { 'x-acting-user': 'user:lineman', 'x-acting-roles': 'field', 'x-acting-departments': 'field' };
const clerk = { 'x-acting-user': 'user:clerk', 'x-acting-roles': 'staff', 'x-acting-departments': 'marketing' };
type Json = Record<string, unknown>;

test('messages over REST: send to a department, each reader their own inbox and receipt; a key naming nobody has no inbox', async (t) => {
  const { h } = await rig();
  t.teardown(() => h.close());
  const sent = await h.call('POST', '/messages', { body: { to: { kind: 'department', id: 'field' }, kind: 'urge', priority: 'high', title: '催办 GD20260105-000001', orderId: 'wo_1' }, headers: { 'x-acting-user': 'user:boss' } });
  t.is(sent.status, 201);
  const m = (await sent.json()) as Json;
  t.like(m, { sender: 'user:boss', kind: 'urge', readAt: null });

  const inbox = async (who: Record<string, string>) => (await (await h.call('GET', '/messages', { headers: who })).json()) as { items: Json[]; unread: number };
  t.deepEqual((await inbox(lineman)).items.map((x) => x['id']), [m['id']]);
  t.is((await inbox(lineman)).unread, 1);
  t.deepEqual((await inbox(clerk)).items, [], 'another department does not see it');

  t.is((await h.call('POST', `/messages/${String(m['id'])}/read`, { headers: lineman })).status, 204);
  t.is((await inbox(lineman)).unread, 0);
  const receipts = (await (await h.call('GET', `/messages/${String(m['id'])}/receipts`)).json()) as { items: Json[] };
  t.deepEqual(receipts.items.map((r) => r['userId']), ['user:lineman']);

  const nobody = await h.call('GET', '/messages');
  t.is(nobody.status, 400);
  t.deepEqual(((await nobody.json()) as { error: { fields: Array<{ path: string }> } }).error.fields.map((f) => f.path), ['(header) X-Acting-User']);

  const bad = await h.call('POST', '/messages', { body: { to: { kind: 'planet', id: 'x' }, title: '' } });
  t.is(bad.status, 400);
  t.deepEqual(((await bad.json()) as { error: { fields: Array<{ path: string }> } }).error.fields.map((f) => f.path).sort(), ['title', 'to.kind']);
  const reader = await h.keyWith(['messages:read']);
  t.is((await h.call('POST', '/messages', { key: reader.secret, body: { to: { kind: 'user', id: 'user:x' }, title: 'x' } })).status, 403);
});

test('announcements over REST: audience, read receipts, withdrawal; every change audited', async (t) => {
  const { h } = await rig();
  t.teardown(() => h.close());
  const pub = await h.call('POST', '/announcements', { body: { title: '春节值班安排', body: '除夕至初七，抢修班24小时值班。', priority: 'high', audience: [{ kind: 'department', id: 'field' }] } });
  t.is(pub.status, 201);
  const a = (await pub.json()) as Json;
  const list = async (who: Record<string, string>) => ((await (await h.call('GET', '/announcements', { headers: who })).json()) as { items: Json[] }).items;
  t.deepEqual((await list(lineman)).map((x) => x['title']), ['春节值班安排']);
  t.deepEqual(await list(clerk), []);
  t.is((await h.call('POST', `/announcements/${String(a['id'])}/read`, { headers: lineman })).status, 204);
  t.deepEqual(((await (await h.call('GET', `/announcements/${String(a['id'])}/receipts`)).json()) as { items: Json[] }).items.map((r) => r['userId']), ['user:lineman']);
  t.is((await h.call('POST', `/announcements/${String(a['id'])}/withdraw`)).status, 204);
  t.deepEqual(await list(lineman), []);
  const bad = await h.call('POST', '/announcements', { body: { title: 'x', body: 'y', audience: [] } });
  t.is(bad.status, 400);
  const audit = h.store.sqlite.prepare("SELECT action FROM audit_log WHERE action LIKE 'message.%' ORDER BY id").pluck().all();
  t.deepEqual(audit, ['message.announcement.published', 'message.announcement.withdrawn']);
});

test('instants beyond what a date can show and order ids that are not ids are refused by name (were a 500)', async (t) => {
  const { h } = await rig();
  t.teardown(() => h.close());
  const bad = await h.call('POST', '/messages', { body: { to: { kind: 'user', id: 'user:x' }, title: 'x', expiresAt: Number.MAX_SAFE_INTEGER, orderId: '"><img src=x>' } });
  t.is(bad.status, 400);
  t.deepEqual(((await bad.json()) as { error: { fields: Array<{ path: string }> } }).error.fields.map((f) => f.path).sort(), ['expiresAt', 'orderId']);
  const ann = await h.call('POST', '/announcements', { body: { title: 'x', body: 'y', audience: [{ kind: 'all' }], validTo: Number.MAX_SAFE_INTEGER } });
  t.is(ann.status, 400);
});
