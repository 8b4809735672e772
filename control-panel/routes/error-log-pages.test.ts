import test from 'ava';
import { ErrorLog, teedLogger } from '../../appliance/ops/error-log.js';
import { addUser, PanelClient, setupAdmin, startPanel } from '../testing/panel-harness.js';

/** A daemon-like logger teed into a ring, with a few records the way modules write them. */
function daemonErrors(): ErrorLog {
  const ring = new ErrorLog(100);
  const log = teedLogger('silent', ring);
  log.child({ mod: 'sip.tx' }).warn({ txKey: 'z9hG4bK77', authorization: 'Digest secret' }, 'transaction timeout');
  log.child({ mod: 'calls' }).error({ callId: 'call_1', err: new Error('engine gone') }, 'inbound call failed');
  log.child({ mod: 'evil' }).error({ note: '=HYPERLINK("http://x")' }, '=cmd|calc');
  log.info('not kept');
  return ring;
}

test('audit page: error log exported as CSV and JSON by audit:export holders (formula cells defused, credentials redacted, audited); others refused', async (t) => {
  const ring = daemonErrors();
  const h = await startPanel({ errorLog: ring });
  t.teardown(() => h.close());
  const admin = await setupAdmin(h);

  const page = await admin.get('/admin/audit');
  t.regex(page.text, /id="error-log-csv"/);
  t.regex(page.text, /<span id="error-log-count">3<\/span>/);

  const csv = await admin.get('/admin/audit/errors.csv');
  t.is(csv.status, 200);
  t.regex(csv.headers.get('content-type') ?? '', /text\/csv/);
  t.regex(csv.headers.get('content-disposition') ?? '', /attachment; filename="error-log-/);
  const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
  t.is(lines[0], 'seq,at,level,mod,msg,fields');
  t.is(lines.length, 4);
  t.regex(lines[1]!, /^1,\d{4}-\d\d-\d\dT[^,]+,warn,sip\.tx,transaction timeout,"\{""txKey"":""z9hG4bK77"",""authorization"":""\[redacted\]""\}"$/);
  t.regex(lines[2]!, /,error,calls,inbound call failed,.*engine gone/);
  t.true(lines[3]!.includes(",'=cmd|calc,"), 'a formula message is defused');
  t.false(csv.text.includes('Digest secret'));

  const errorsOnly = await admin.get('/admin/audit/errors.json?level=error');
  t.is(errorsOnly.status, 200);
  const body = JSON.parse(errorsOnly.text) as { dropped: number; records: Array<{ seq: number; level: string; mod: string; fields: Record<string, unknown> }> };
  t.deepEqual(body.records.map((r) => [r.seq, r.level, r.mod]), [
    [2, 'error', 'calls'],
    [3, 'error', 'evil'],
  ]);
  t.is(body.records[0]!.fields['callId'], 'call_1');
  t.is(body.dropped, 0);
  t.is((await admin.get('/admin/audit/errors.json?level=debug')).status, 422);

  const exported = h.store.sqlite.prepare("SELECT after FROM audit_log WHERE action = 'error-log.exported' ORDER BY id").pluck().all() as string[];
  t.deepEqual(exported.map((a) => (JSON.parse(a) as { format: string; records: number }).records), [3, 2]);

  // New records show up in the next export (the ring is read per request).
  teedLogger('silent', ring).error('later');
  t.is((await admin.get('/admin/audit/errors.csv')).text.trim().split('\r\n').length, 5);

  const sup = await addUser(h, admin, 'sup1', ['supervisor']);
  t.is((await sup.get('/admin/audit/errors.csv')).status, 403);
  t.is((await sup.get('/admin/audit/errors.json')).status, 403);
  t.is((await new PanelClient(h.base).get('/admin/audit/errors.json')).location, '/login');
});

test('without an error log wired the export answers 404 and the audit page offers none', async (t) => {
  const h = await startPanel();
  t.teardown(() => h.close());
  const admin = await setupAdmin(h);
  t.notRegex((await admin.get('/admin/audit')).text, /error-log-csv/);
  t.is((await admin.get('/admin/audit/errors.csv')).status, 404);
});
