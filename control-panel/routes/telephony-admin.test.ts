import test from 'ava';
import { matchRoute } from '../../appliance/calls/dialplan.js';
import { ha1 } from '../../appliance/sip/auth/index.js';
import { addUser, setupAdmin, startPanel, type Harness } from '../testing/panel-harness.js';
import { telephonyDeps, TEST_REALM } from '../testing/telephony-rig.js';

async function rig(t: { teardown(fn: () => unknown): void }) {
  let deps!: ReturnType<typeof telephonyDeps>;
  const h = await startPanel({
    live: ({ store, clock }) => {
      deps = telephonyDeps(store, clock);
      return { telephony: deps };
    },
  });
  t.teardown(() => h.close());
  return { h, deps };
}

function audits(h: Harness, prefix: string): Array<{ action: string; target: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }> {
  const rows = h.store.sqlite.prepare("SELECT action, target, before, after FROM audit_log WHERE action LIKE ? ORDER BY id").all(`${prefix}%`) as Array<{ action: string; target: string; before: string | null; after: string | null }>;
  return rows.map((r) => ({ ...r, before: r.before && JSON.parse(r.before), after: r.after && JSON.parse(r.after) }));
}

test('extensions: create with a write-only password (stored as H(A1), never shown back or audited), edit, disable; schema errors marked; audited before/after', async (t) => {
  const { h, deps } = await rig(t);
  const admin = await setupAdmin(h);
  const list = await admin.get('/admin/extensions');
  t.is(list.status, 200);
  t.regex(list.text, /data-nav="extensions"/);

  const bad = await admin.post('/admin/extensions', { number: '1x', displayName: 'A "quoted" name', password: 'short', maxContacts: '5' }, { 'HX-Request': 'true' });
  t.is(bad.status, 422);
  for (const f of ['number', 'displayName', 'password']) t.regex(bad.text, new RegExp(`class="field invalid"><label for="f-${f}"`), f);
  t.deepEqual(deps.extensions.list(), []);

  const ok = await admin.post('/admin/extensions', { number: '8001', displayName: '坐席一 <i>', authUser: '', password: 'phone-secret-1', maxContacts: '3' });
  t.is(ok.status, 303);
  const x = deps.extensions.get('8001')!;
  t.like(x, { displayName: '坐席一 <i>', authUser: '8001', maxContacts: 3, enabled: true });
  const rec = deps.extensions.record('8001')!;
  t.is(rec.ha1Md5, ha1('MD5', '8001', TEST_REALM, 'phone-secret-1'), 'the registrar can verify the password set in the panel');
  const page = await admin.get('/admin/extensions/8001');
  t.regex(page.text, /坐席一 &lt;i&gt;/);
  t.notRegex(page.text, /phone-secret-1/);
  t.notRegex(page.text, new RegExp(rec.ha1Md5));
  t.regex(page.text, /name="password" type="password" value=""/);
  const dup = await admin.post('/admin/extensions', { number: '8001', displayName: 'x', password: 'phone-secret-2' }, { 'HX-Request': 'true' });
  t.is(dup.status, 422);
  t.regex(dup.text, /class="field invalid"><label for="f-number"/);

  // Edit without a password keeps it; with one, rehashes.
  await admin.get('/admin/extensions/8001');
  t.is((await admin.post('/admin/extensions/8001', { displayName: '坐席一', authUser: '', password: '', maxContacts: '3' })).status, 303);
  t.is(deps.extensions.record('8001')!.ha1Md5, rec.ha1Md5);
  t.is((await admin.post('/admin/extensions/8001', { displayName: '坐席一', authUser: '', password: 'phone-secret-9', maxContacts: '3' })).status, 303);
  t.is(deps.extensions.record('8001')!.ha1Md5, ha1('MD5', '8001', TEST_REALM, 'phone-secret-9'));
  t.is((await admin.post('/admin/extensions/8001/disable')).status, 303);
  t.false(deps.extensions.get('8001')!.enabled);
  t.is(deps.extensions.credentials('8001')?.enabled, false, 'the registrar sees it at once');

  const rows = audits(h, 'sip-extension.');
  t.deepEqual(rows.map((r) => r.action), ['sip-extension.created', 'sip-extension.updated', 'sip-extension.updated', 'sip-extension.disabled']);
  t.deepEqual(rows.map((r) => r.after?.['passwordChanged']), [true, false, true, undefined]);
  t.deepEqual([rows[3]!.before?.['enabled'], rows[3]!.after?.['enabled']], [true, false]);
  const text = JSON.stringify(rows);
  t.false(text.includes('phone-secret') || text.includes(rec.ha1Md5), 'no password or digest in the audit log');
  t.is((await admin.post('/admin/extensions/9999/disable')).status, 404);
});

test('inbound routes: DID pattern → IVR / queue / extension / test line with RouteSchema, edit, disable (calls stop matching); the read-only outbound page; other roles refused', async (t) => {
  const { h, deps } = await rig(t);
  const admin = await setupAdmin(h);
  await admin.get('/admin/routes');
  const bad = await admin.post('/admin/routes', { id: 'Main Line', name: '', priority: 'soon', did: '9559x', caller: '', targetKind: 'extension', targetValue: 'abc', holdMs: '' }, { 'HX-Request': 'true' });
  t.is(bad.status, 422);
  for (const f of ['id', 'name', 'priority', 'did', 'targetValue']) t.regex(bad.text, new RegExp(`class="field invalid"><label for="f-${f}"`), f);
  t.deepEqual(deps.routes.routes(), []);

  t.is((await admin.post('/admin/routes', { id: 'hotline', name: '95598 热线', priority: '10', did: '95598', caller: '', targetKind: 'ivr', targetValue: 'main', holdMs: '' })).status, 303);
  t.is((await admin.post('/admin/routes', { id: 'test-echo', name: '回声测试', priority: '20', did: '_9X', caller: '', targetKind: 'diagnostic', targetValue: 'echo', holdMs: '0' })).status, 303);
  t.deepEqual(deps.routes.routes().map((r) => [r.id, r.target]), [
    ['hotline', { kind: 'ivr', flow: 'main' }],
    ['test-echo', { kind: 'diagnostic', mode: 'echo', holdMs: 0 }],
  ]);
  const dup = await admin.post('/admin/routes', { id: 'hotline', name: 'x', priority: '1', did: '1', caller: '', targetKind: 'queue', targetValue: 'q1', holdMs: '' }, { 'HX-Request': 'true' });
  t.is(dup.status, 422);
  t.regex(dup.text, /class="field invalid"><label for="f-id"/);

  // Edit: to a queue, caller-restricted.
  await admin.get('/admin/routes/hotline');
  t.is((await admin.post('/admin/routes/hotline', { name: '95598 热线', priority: '10', did: '95598', caller: '_138X.', targetKind: 'queue', targetValue: 'q1', holdMs: '' })).status, 303);
  t.deepEqual(matchRoute(deps.routes.routes(), '95598', '13800138000')?.target, { kind: 'queue', queue: 'q1' });
  t.is(matchRoute(deps.routes.routes(), '95598', '02088888888'), null);
  // Disable: calls no longer match it.
  t.is((await admin.post('/admin/routes/hotline/disable')).status, 303);
  t.is(matchRoute(deps.routes.routes(), '95598', '13800138000'), null);
  const rows = audits(h, 'call-route.');
  t.deepEqual(rows.map((r) => r.action), ['call-route.created', 'call-route.created', 'call-route.updated', 'call-route.disabled']);
  t.deepEqual([(rows[2]!.before?.['target'] as { kind: string }).kind, (rows[2]!.after?.['target'] as { kind: string }).kind], ['ivr', 'queue']);

  const outbound = await admin.get('/admin/outbound');
  t.is(outbound.status, 200);
  t.regex(outbound.text, /_0X\./);
  t.regex(outbound.text, /运营商 A/);
  t.notRegex(outbound.text.split('<main')[1] ?? '', /<form/, 'read only');

  const sup = await addUser(h, admin, 'sup1', ['supervisor']);
  for (const p of ['/admin/extensions', '/admin/routes', '/admin/outbound', '/admin/routes/hotline']) t.is((await sup.get(p)).status, 403, p);
  t.is((await sup.post('/admin/routes/hotline/enable')).status, 403);
  t.false(deps.routes.routes().find((r) => r.id === 'hotline')!.enabled);
});
