import type { AddressInfo } from 'node:net';
import test from 'ava';
import express from 'express';
import { createApi } from '../../appliance/api/app.js';
import { Scopes } from '../../appliance/api/scopes.js';
import { silentLogger } from '../../appliance/core/log.js';
import { BuiltinRoles } from '../auth/permissions.js';
import { grantFor, ScopePermissions, scopesFor } from '../auth/api-scopes.js';
import { Permissions } from '../auth/permissions.js';
import { addUser, PanelClient, setupAdmin, startPanel, type Harness } from '../testing/panel-harness.js';

/** The panel harness plus the API on the same store, on its own port, with the panel's session port. */
async function rig(t: { teardown(fn: () => unknown): void }): Promise<{ h: Harness; apiBase: string; keySecret: string }> {
  const h = await startPanel();
  t.teardown(() => h.close());
  const api = createApi({ store: h.store, clock: h.clock, log: silentLogger(), bus: h.bus, version: 't' });
  api.useSessionAuth(h.panel.apiSessionAuth);
  const app = express();
  app.set('trust proxy', true);
  app.use('/api/v1', api.router);
  const server = app.listen(0, '127.0.0.1');
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  await new Promise((r) => server.once('listening', r));
  const key = await api.apiKeys.create({ name: 'k', scopes: ['audit:read'] }, { actor: 'test', ip: null });
  return { h, apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`, keySecret: key.secret };
}

/** fetch on the API with the panel client's cookies (and its CSRF token when `csrf`). */
async function call(base: string, c: PanelClient | null, method: string, p: string, opts: { csrf?: boolean; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; json: unknown; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (c) headers['cookie'] = c.cookieHeader();
  if (c && opts.csrf) headers['x-csrf-token'] = c.csrf;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + p, { method, headers, ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null, headers: res.headers };
}

function denials(h: Harness): Array<{ actor: string; target: string; reason: string }> {
  const rows = h.store.sqlite.prepare("SELECT actor, target, after FROM audit_log WHERE action = 'access.denied' ORDER BY id").all() as Array<{ actor: string; target: string; after: string }>;
  return rows.map((r) => ({ actor: r.actor, target: r.target, reason: (JSON.parse(r.after) as { reason: string }).reason }));
}

test('every API scope is in the scope → function × operation table, and each mapped grant is a real function and operation', (t) => {
  t.deepEqual(Scopes.filter((s) => !(s in ScopePermissions)), [], 'scopes without a decision for panel sessions');
  t.is(grantFor('workorders:act-as'), 'api-key-only');
  const admin = BuiltinRoles.find((r) => r.id === 'admin')!;
  const perms = new Permissions(Object.entries(admin.grants).flatMap(([f, ops]) => (ops ?? []).map((o) => [f, o] as const)));
  const scopes = scopesFor(perms);
  t.true(scopes.includes('audit:read'));
  t.true(scopes.includes('admin:api-keys'));
  t.false(scopes.includes('workorders:read'), 'least privilege: the administrator gets no business data through the API either');
  t.false(scopes.includes('workorders:act-as'));
});

test('a signed-in panel session calls /api/v1 under the RBAC table: allowed, 403 without the permission (audited), CSRF on writes, the key path unchanged', async (t) => {
  const { h, apiBase, keySecret } = await rig(t);
  const admin = await setupAdmin(h);
  const agent = await addUser(h, admin, 'agent1', ['agent']);
  const adminId = String(h.store.sqlite.prepare("SELECT id FROM panel_users WHERE login = 'admin'").pluck().get());
  const agentId = String(h.store.sqlite.prepare("SELECT id FROM panel_users WHERE login = 'agent1'").pluck().get());

  // Admin holds audit:view → audit:read.
  const ok = await call(apiBase, admin, 'GET', '/audit?limit=5');
  t.is(ok.status, 200);
  t.true(Array.isArray((ok.json as { items: unknown[] }).items));
  t.is(ok.headers.get('x-content-type-options'), 'nosniff');
  t.is(ok.headers.get('referrer-policy'), 'no-referrer');

  // The agent does not: 403, audited with the missing permission, via the API.
  const before = denials(h).length;
  const no = await call(apiBase, agent, 'GET', '/audit');
  t.is(no.status, 403);
  t.is((no.json as { error: { code: string } }).error.code, 'FORBIDDEN');
  t.deepEqual(denials(h).slice(before), [{ actor: `user:${agentId}`, target: 'GET /api/v1/audit', reason: 'permission:audit:view' }]);

  // A state-changing call without the CSRF token is refused and creates nothing.
  const keysBefore = Number(h.store.sqlite.prepare('SELECT count(*) FROM api_keys').pluck().get());
  const noCsrf = await call(apiBase, admin, 'POST', '/api-keys', { body: { name: 'from panel', scopes: ['system:read'] } });
  t.is(noCsrf.status, 403);
  t.is(denials(h).at(-1)?.reason, 'csrf:token');
  const foreign = await call(apiBase, admin, 'POST', '/api-keys', { csrf: true, body: { name: 'from panel', scopes: ['system:read'] }, headers: { origin: 'http://evil.example' } });
  t.is(foreign.status, 403);
  t.is(Number(h.store.sqlite.prepare('SELECT count(*) FROM api_keys').pluck().get()), keysBefore);
  // With it: created, and the audit row names the person, not a key.
  const created = await call(apiBase, admin, 'POST', '/api-keys', { csrf: true, body: { name: 'from panel', scopes: ['system:read'] } });
  t.is(created.status, 201, JSON.stringify(created.json));
  const row = h.store.sqlite.prepare("SELECT actor FROM audit_log WHERE action = 'api-key.created' ORDER BY id DESC LIMIT 1").get() as { actor: string };
  t.is(row.actor, `user:${adminId}`);

  // No cookie, no key: 401 as before. A forged cookie: 401. A key still works without any session.
  t.is((await call(apiBase, null, 'GET', '/audit')).status, 401);
  t.is((await call(apiBase, null, 'GET', '/audit', { headers: { cookie: 'sid=' + 'A'.repeat(43) } })).status, 401);
  t.is((await call(apiBase, null, 'GET', '/audit', { headers: { authorization: `Bearer ${keySecret}` } })).status, 200);
  // A key and a cookie together: the key decides (its scopes), the session is not consulted.
  t.is((await call(apiBase, agent, 'GET', '/system/info', { headers: { authorization: `Bearer ${keySecret}` } })).status, 403);

  // Signing out ends API access too.
  await admin.post('/logout');
  t.is((await call(apiBase, admin, 'GET', '/audit')).status, 401);
});

test('a panel session that must change its password, or whose user is disabled, gets no API access', async (t) => {
  const { h, apiBase } = await rig(t);
  const admin = await setupAdmin(h);
  // Created by the administrator, signed in with the initial password: must change it first.
  await admin.get('/admin/users');
  t.is((await admin.post('/admin/users', { login: 'fresh1', displayName: 'fresh', password: 'temporary-pass-1', roles: ['admin'] })).status, 303);
  const fresh = new PanelClient(h.base);
  t.is((await fresh.login('fresh1', 'temporary-pass-1')).location, '/account/password');
  const pending = await call(apiBase, fresh, 'GET', '/system/info');
  t.is(pending.status, 403);
  t.is(denials(h).at(-1)?.reason, 'password-change');
  const sup = await addUser(h, admin, 'sup1', ['supervisor']);
  t.is((await call(apiBase, sup, 'GET', '/system/info')).status, 403, 'supervisor lacks system:view');
  const supId = String(h.store.sqlite.prepare("SELECT id FROM panel_users WHERE login = 'sup1'").pluck().get());
  await admin.get('/admin/users');
  t.is((await admin.post(`/admin/users/${supId}/disable`)).status, 303);
  t.is((await call(apiBase, sup, 'GET', '/system/info')).status, 401);
});
