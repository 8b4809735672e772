/**
 * `/trunks`, `/outbound-routes` and `/class-of-service` through the real API (registry,
 * scopes, validation, audit) on a temporary SQLite store: CRUD, the write-only password, 400s
 * naming fields, 403 without the scope, audit rows without secrets, persistence in the store.
 */
import test from 'ava';
import { startApiHarness } from '../../api/testing.js';
import { registerOutboundRoutes } from '../../calls/outbound-api.js';
import { SqliteOutboundStore } from '../../calls/outbound-store.js';
import { silentLogger } from '../../core/log.js';
import { Contact, sipUri } from '../message/index.js';
import type { SipRequester } from './requester.js';
import { registerTrunkRoutes } from './trunk-routes.js';
import { TrunkService } from './trunk-service.js';
import { SqliteTrunkStore } from './trunk-store.js';

const quiet: SipRequester = { send: () => Promise.resolve(null), contact: (user) => new Contact(sipUri({ user, host: '127.0.0.1', port: 5060 })) };
type Json = Record<string, unknown>;

async function rig(t: { teardown(fn: () => unknown): void }) {
  const h = await startApiHarness();
  const store = new SqliteTrunkStore(h.store, () => h.clock.now());
  const trunks = new TrunkService({ clock: h.clock, log: silentLogger(), bus: h.bus, store, requester: quiet });
  trunks.start();
  const outbound = new SqliteOutboundStore(h.store, () => h.clock.now());
  registerTrunkRoutes(h.api.registry, trunks, h.api.audit);
  registerOutboundRoutes(h.api.registry, outbound, h.api.audit);
  t.teardown(async () => {
    await trunks.stop();
    await h.close();
  });
  return { h, trunks, store, outbound };
}

test('trunks CRUD with live status; password write-only (never read back nor audited); 400 names the field; 403 without the scope', async (t) => {
  const { h, trunks, store } = await rig(t);
  const body = { id: 'ct', name: 'China Telecom', host: '192.0.2.10', auth: { kind: 'registration', username: '02150000000', password: 'top-secret' }, channels: 30 };
  const created = await h.call('POST', '/trunks', { body });
  t.is(created.status, 201);
  const view = (await created.json()) as Json;
  t.like(view, { id: 'ct', channels: 30, auth: { kind: 'registration', password: '********' } });
  t.like(view['status'], { up: false, registration: 'backoff', reachable: false, channelsInUse: 0 }, 'the (silent) carrier did not answer the REGISTER');
  t.is((await h.call('POST', '/trunks', { body })).status, 409);
  t.like(store.get('ct')!.auth, { kind: 'registration', password: 'top-secret' }, 'stored for the REGISTER client');
  t.true(trunks.get('ct') !== undefined, 'running');

  const bad = await h.call('POST', '/trunks', { body: { ...body, id: 'x', acl: ['300.1.1.1'], transport: 'sctp' } });
  t.is(bad.status, 400);
  const fields = (((await bad.json()) as Json)['error'] as { fields: Array<{ path: string }> }).fields.map((f) => f.path).sort();
  t.deepEqual(fields, ['acl.0', 'transport']);

  const put = await h.call('PUT', '/trunks/ct', { body: { name: 'CT', host: '192.0.2.11', auth: { kind: 'ip' }, qualifySeconds: 0 } });
  t.is(put.status, 200);
  t.like(await put.json(), { host: '192.0.2.11', auth: { kind: 'ip' }, status: { up: true, registration: null } });
  const reader = await h.keyWith(['trunks:read']);
  t.is((await h.call('GET', '/trunks', { key: reader.secret })).status, 200);
  t.is((await h.call('DELETE', '/trunks/ct', { key: reader.secret })).status, 403);
  t.is((await h.call('DELETE', '/trunks/ct')).status, 204);
  t.is((await h.call('GET', '/trunks/ct')).status, 404);
  t.is(trunks.get('ct'), undefined);
  const audit = (await h.api.audit.search({ limit: 50, action: 'sip-trunk.*' })).items.map((e) => e.action);
  t.deepEqual(audit.sort(), ['sip-trunk.created', 'sip-trunk.deleted', 'sip-trunk.updated']);
  const rows = h.store.sqlite.prepare("SELECT before, after FROM audit_log WHERE action LIKE 'sip-trunk.%'").all() as Array<{ before: string | null; after: string | null }>;
  t.false(rows.some((r) => `${r.before}${r.after}`.includes('top-secret')), 'no password in the audit log');
});

test('outbound routes and classes of service: CRUD, defaults (international blocked), audit; an extension without a row is internal', async (t) => {
  const { h, outbound } = await rig(t);
  const r = await h.call('POST', '/outbound-routes', { body: { id: 'pstn', name: 'PSTN', pattern: '_0X.', strip: 1, gateways: ['ct'], maxCallsPerHour: 20 } });
  t.is(r.status, 201);
  t.like(await r.json(), { class: 'national', blockedPrefixes: ['00', '160', '168', '900', '1900'], maxCallsPerHour: 20 });
  const bad = await h.call('POST', '/outbound-routes', { body: { id: 'b', name: 'b', pattern: '_0.X', gateways: [] } });
  t.is(bad.status, 400);
  t.is((await h.call('PUT', '/outbound-routes/pstn', { body: { name: 'PSTN', pattern: '_9X.', strip: 1, gateways: ['ct', 'e1'] } })).status, 200);
  t.deepEqual(outbound.routes().map((x) => [x.id, x.pattern, x.gateways]), [['pstn', '_9X.', ['ct', 'e1']]]);
  t.is(outbound.classOf('1001'), 'internal');
  t.is((await h.call('PUT', '/class-of-service/1001', { body: { class: 'national' } })).status, 200);
  t.is(outbound.classOf('1001'), 'national');
  t.is((await h.call('PUT', '/class-of-service/1001', { body: { class: 'galactic' } })).status, 400);
  t.deepEqual(((await (await h.call('GET', '/class-of-service')).json()) as Json)['items'], [{ extension: '1001', class: 'national' }]);
  t.is((await h.call('DELETE', '/class-of-service/1001')).status, 204);
  t.is(outbound.classOf('1001'), 'internal');
  t.is((await h.call('DELETE', '/outbound-routes/pstn')).status, 204);
  t.deepEqual(outbound.routes(), []);
  const actions = (await h.api.audit.search({ limit: 50, action: 'outbound-route.*' })).items.map((e) => e.action).sort();
  t.deepEqual(actions, ['outbound-route.created', 'outbound-route.deleted', 'outbound-route.updated']);
});
