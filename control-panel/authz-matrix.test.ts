/**
 * The authorisation matrix of issue 9 ("every route × every built-in role → allowed or 403 as
 * the RBAC table says"). Routes come from the router's stack (testing/route-table.ts), so a new
 * route is in the matrix the moment it is mounted; the expectation comes from the RBAC table
 * (BuiltinRoles grants × the route's declared access), not from a list here. Each route is
 * requested as a full page and as an htmx fragment, with a valid CSRF token on POSTs so the
 * only thing that can refuse is the permission guard. A refusal must be a 403 with an
 * `access.denied` audit row naming the missing permission; an allowed request must never
 * produce one. Anonymous requests go to /login (pages), 401 + HX-Redirect (fragments) or 401 (posts).
 */
import test from 'ava';
import { startLiveRig } from './testing/live-rig.js';
import { addUser, PanelClient, setupAdmin, type Harness } from './testing/panel-harness.js';
import { BUILTIN_ROLE_IDS, concretePath, mountedRoutes, roleMay, routeTable } from './testing/route-table.js';

function lastAuditId(h: Harness): number {
  return Number(h.store.sqlite.prepare('SELECT coalesce(max(id), 0) FROM audit_log').pluck().get());
}

function deniedSince(h: Harness, id: number): Array<{ target: string; reason: string }> {
  const rows = h.store.sqlite.prepare("SELECT target, after FROM audit_log WHERE action = 'access.denied' AND id > ? ORDER BY id").all(id) as Array<{ target: string; after: string }>;
  return rows.map((r) => ({ target: r.target, reason: (JSON.parse(r.after) as { reason: string }).reason }));
}

test('authorisation matrix: every mounted route (GET and POST, page and fragment) × every built-in role and anonymous', async (t) => {
  const rig = await startLiveRig({ withIvr: true, withCallControl: true });
  t.teardown(() => rig.close());
  const h = rig.h;
  const table = routeTable(h.panel);
  // Everything declared is mounted and everything mounted is declared.
  t.is(mountedRoutes(h.panel).length, h.panel.routes.length);
  t.true(table.some((r) => r.path.startsWith('/ivr')), 'the IVR editor routes are part of the matrix');
  t.true(table.filter((r) => r.mounted.method === 'POST').length >= 15);

  const admin = await setupAdmin(h);
  const clients = new Map<string, PanelClient>([['admin', admin]]);
  for (const role of BUILTIN_ROLE_IDS.filter((r) => r !== 'admin')) clients.set(role, await addUser(h, admin, `u-${role}`, [role]));
  t.deepEqual([...clients.keys()].sort(), [...BUILTIN_ROLE_IDS].sort());

  // /logout ends the session, so each client posts it last.
  const ordered = [...table].sort((a, b) => Number(a.path === '/logout') - Number(b.path === '/logout'));
  let checked = 0;
  for (const [role, c] of clients) {
    await c.get('/');
    for (const r of ordered) {
      const path = concretePath(r.path);
      const expectAllowed = roleMay(role, r.access);
      for (const fragment of [false, true]) {
        const headers = fragment ? { 'HX-Request': 'true' } : undefined;
        const mark = lastAuditId(h);
        const res = r.mounted.method === 'GET' ? await c.get(path, headers) : await c.post(path, {}, headers);
        const denied = deniedSince(h, mark).filter((d) => d.reason.startsWith('permission:'));
        const what = `${role} ${r.mounted.method} ${r.path}${fragment ? ' (fragment)' : ''}`;
        if (expectAllowed) {
          t.deepEqual(denied, [], `${what}: allowed by the RBAC table`);
          t.not(res.status, 403, what);
          if (r.access !== 'public') t.not(res.location, '/login', `${what}: signed-in users are not sent to /login`);
        } else {
          const [fn, op] = r.access as readonly [string, string];
          t.is(res.status, 403, what);
          t.deepEqual(denied, [{ target: `${r.mounted.method} ${path}`, reason: `permission:${fn}:${op}` }], `${what}: audited`);
          if (fragment) t.notRegex(res.text, /<html/, `${what}: a fragment, not a page`);
          else t.regex(res.text, /<html/, `${what}: a page`);
        }
        checked++;
        if (r.path === '/logout') break;
      }
    }
  }
  t.true(checked >= BUILTIN_ROLE_IDS.length * table.length);

  const anon = new PanelClient(h.base);
  await anon.get('/login');
  for (const r of table.filter((x) => x.access !== 'public')) {
    const path = concretePath(r.path);
    if (r.mounted.method === 'GET') {
      t.is((await anon.get(path)).location, '/login', `anonymous GET ${r.path}`);
      const frag = await anon.get(path, { 'HX-Request': 'true' });
      t.is(frag.status, 401, `anonymous GET ${r.path} (fragment)`);
      t.is(frag.headers.get('hx-redirect'), '/login');
    } else {
      t.is((await anon.post(path, {})).status, 401, `anonymous POST ${r.path}`);
    }
  }
});
