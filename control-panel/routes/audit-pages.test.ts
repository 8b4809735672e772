import test from 'ava';
import { addUser, PanelClient, setupAdmin, startPanel } from '../testing/panel-harness.js';
import { auditFilter } from './audit-pages.js';

const empty = { actor: '', action: '', target: '', ip: '', from: '', to: '' };

test('auditFilter: empty fields are no condition; times are UTC; bad values are field issues', (t) => {
  t.deepEqual(auditFilter(empty), {});
  t.deepEqual(auditFilter({ ...empty, action: 'user.*', from: '2025-01-31T08:00', to: '2025-01-31T09:00:30', ip: '10.0.0.1' }), {
    action: 'user.*',
    ip: '10.0.0.1',
    from: Date.UTC(2025, 0, 31, 8),
    to: Date.UTC(2025, 0, 31, 9, 0, 30),
  });
  const err = t.throws(() => auditFilter({ ...empty, ip: "' OR 1=1", from: 'yesterday', actor: 'a\r\nb' }));
  t.deepEqual((err as unknown as { issues: Array<{ path: string }> }).issues.map((i) => i.path).sort(), ['actor', 'from', 'ip']);
  t.throws(() => auditFilter({ ...empty, from: '2025-01-31T09:00', to: '2025-01-31T08:00' }));
});

test('audit page: search by actor, action prefix, target, IP and time; paging; CSV export with formula cells defused; closed to other roles', async (t) => {
  const h = await startPanel();
  t.teardown(() => h.close());
  const admin = await setupAdmin(h);
  const adminId = String(h.store.sqlite.prepare("SELECT id FROM panel_users WHERE login = 'admin'").pluck().get());
  const t0 = h.clock.now();
  // 60 rows from one integration at another address, one of them a formula-injection attempt.
  for (let i = 0; i < 60; i++) {
    h.clock.advance(1000);
    await h.audit.record({ actor: 'apikey:key_1', ip: '192.0.2.7', action: i % 2 ? 'workorder.created' : 'workorder.updated', target: `wo_${i}`, after: { note: i === 59 ? '=HYPERLINK("http://evil")' : `n${i}` } });
  }
  await h.audit.record({ actor: 'apikey:key_1', ip: '192.0.2.7', action: '=cmd|calc', target: '+1', after: null });

  const all = await admin.get('/admin/audit');
  t.is(all.status, 200);
  t.is((all.text.match(/<tr data-id=/g) ?? []).length, 50, 'one page');
  t.regex(all.text, /id="audit-next"/);
  const href = /href="(\/admin\/audit\?cursor=[^"]+)" hx-get/.exec(all.text)![1]!.replace(/&amp;/g, '&');
  const page2 = await admin.get(href);
  const ids1 = [...all.text.matchAll(/<tr data-id="(\d+)"/g)].map((m) => Number(m[1]));
  const ids2 = [...page2.text.matchAll(/<tr data-id="(\d+)"/g)].map((m) => Number(m[1]));
  t.true(ids2.length > 0);
  t.true(Math.max(...ids2) < Math.min(...ids1), 'older entries on the next page');

  const byIp = await admin.get('/admin/audit?ip=192.0.2.7&action=workorder.*');
  t.is((byIp.text.match(/<tr data-id=/g) ?? []).length, 50);
  const byTarget = await admin.get('/admin/audit?target=wo_3');
  t.is((byTarget.text.match(/<tr data-id=/g) ?? []).length, 1);
  t.regex(byTarget.text, /workorder.created/);
  const byActor = await admin.get(`/admin/audit?actor=${encodeURIComponent(`user:${adminId}`)}`);
  t.regex(byActor.text, /admin \(user:/, 'the actor shown by login');
  t.notRegex(byActor.text, /apikey:key_1/);
  const from = new Date(t0 + 10_000).toISOString().slice(0, 19);
  const to = new Date(t0 + 20_000).toISOString().slice(0, 19);
  const byTime = await admin.get(`/admin/audit?from=${from}&to=${to}`);
  t.is((byTime.text.match(/<tr data-id=/g) ?? []).length, 10, '[from, to) in UTC');

  const bad = await admin.get('/admin/audit?ip=%3Cscript%3E&from=soon', { 'HX-Request': 'true' });
  t.is(bad.status, 422);
  t.regex(bad.text, /class="field invalid"><label for="f-ip"/);
  t.notRegex(bad.text, /<script>/);

  const csv = await admin.get('/admin/audit.csv?ip=192.0.2.7');
  t.is(csv.status, 200);
  t.regex(csv.headers.get('content-type') ?? '', /text\/csv/);
  t.regex(csv.headers.get('content-disposition') ?? '', /attachment/);
  const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
  t.is(lines[0], 'id,at,actor,ip,action,target,before,after');
  t.is(lines.length, 62);
  t.true(lines.some((l) => l.includes(",'=cmd|calc,'+1,")), 'formula cells start with a quote');
  t.false(lines.some((l) => /(^|,)[=+@-]/.test(l.replace(/"[^"]*"/g, '""'))), 'no unquoted cell starts with = + - @');
  t.true(lines.some((l) => l.includes('"{""note"":""=HYPERLINK')), 'JSON cells start with { and stay quoted');
  t.is(Number(h.store.sqlite.prepare("SELECT count(*) FROM audit_log WHERE action = 'audit.exported'").pluck().get()), 1, 'the export itself is audited');

  // Other roles: no page, no export.
  const sup = await addUser(h, admin, 'sup1', ['supervisor']);
  t.is((await sup.get('/admin/audit')).status, 403);
  t.is((await sup.get('/admin/audit.csv')).status, 403);
  t.is((await new PanelClient(h.base).get('/admin/audit.csv')).location, '/login');
});
