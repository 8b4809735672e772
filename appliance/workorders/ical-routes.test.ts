import test from 'ava';
import { readFileSync } from 'node:fs';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { registerWorkOrderAdminRoutes } from './admin-routes.js';
import { seedOrg } from './testing/fixtures.js';
import { WorkOrderService } from './workorder-service.js';

const fixture = readFileSync(new URL('./testdata/cn-holidays-2025.ics', import.meta.url));
type Cal = { holidays: Array<{ date: string; name: string }>; workdays: Array<{ date: string; name: string }> };

async function rig() {
  const h = await startApiHarness();
  const svc = new WorkOrderService({ store: h.store, clock: h.clock, bus: h.bus, log: silentLogger() });
  seedOrg(svc);
  registerWorkOrderAdminRoutes(h.api.registry, svc, h.api.audit);
  const ics = (body: Buffer | string, query = ''): Promise<Response> =>
    fetch(`${h.base}/workorders/admin/calendars/office/ics${query}`, { method: 'POST', body, headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'text/calendar; charset=utf-8' } });
  const calendar = async (): Promise<Cal> => (await (await h.call('GET', '/workorders/admin/calendars/office')).json()) as Cal;
  return { h, svc, ics, calendar };
}

test('a .ics upload (text/calendar): dry run stores nothing, the import stores every day, replace clears the range first', async (t) => {
  const { h, svc, ics, calendar } = await rig();
  t.teardown(() => h.close());
  svc.setCalendarDay('office', { date: '2025-10-09', kind: 'holiday', name: '旧安排（作废）' });
  svc.setCalendarDay('office', { date: '2026-01-01', kind: 'holiday', name: '元旦' });

  const dry = await ics(fixture, '?dryRun=true');
  t.is(dry.status, 200);
  t.like((await dry.json()) as Record<string, unknown>, { holidays: 22, workdays: 5, removed: 0, from: '2025-01-01', to: '2025-10-11' });
  t.deepEqual((await calendar()).holidays.map((d) => d.date), ['2025-10-09', '2026-01-01'], 'a dry run stores nothing');

  const r = (await (await ics(fixture, '?replace=true')).json()) as { holidays: number; workdays: number; removed: number; skipped: Array<{ uid: string; line: number }> };
  t.like(r, { holidays: 22, workdays: 5, removed: 1 });
  t.deepEqual(r.skipped.map((s) => s.uid), ['2025-0930-meeting@hotline', '2025-0406-cancelled@hotline']);
  const cal = await calendar();
  t.is(cal.holidays.length, 23, '22 imported + 2026 New Year outside the range kept; the stale 9 Oct removed');
  t.false(cal.holidays.some((d) => d.date === '2025-10-09'));
  t.deepEqual(cal.workdays.map((d) => d.date), ['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11']);
  const office = svc.calendar('office');
  t.true(office.isWorkingAt(Date.UTC(2025, 9, 11, 1)), 'Saturday 11 Oct 09:00 CST works (the cache was refreshed)');
  t.false(office.isWorkingAt(Date.UTC(2025, 9, 8, 1)));
  const audit = h.store.sqlite.prepare("SELECT action, target FROM audit_log WHERE action = 'workorder.calendar.imported'").all();
  t.deepEqual(audit, [{ action: 'workorder.calendar.imported', target: 'office' }], 'the dry run is not audited');
});

test('a bad .ics is refused whole with each problem and line; nothing stored; wrong encoding is a 400', async (t) => {
  const { h, ics, calendar } = await rig();
  t.teardown(() => h.close());
  const bad = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:20251001', 'DTEND;VALUE=DATE:20251009', 'SUMMARY:国庆', 'END:VEVENT', 'BEGIN:VEVENT', 'DTSTART;VALUE=DATE:2025-10-11', 'SUMMARY:补班', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
  const r = await ics(bad);
  t.is(r.status, 400);
  const body = (await r.json()) as { error: { fields: Array<{ path: string; message: string }> } };
  t.deepEqual(body.error.fields, [{ path: 'line 7 (补班)', message: 'DTSTART "2025-10-11" is not a date (YYYYMMDD)' }]);
  t.deepEqual((await calendar()).holidays, []);
  const broken = await ics('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n');
  t.is(broken.status, 400);
  t.regex(((await broken.json()) as { error: { message: string } }).error.message, /line 3/);
  const latin = await ics(Buffer.from([0x42, 0x45, 0x47, 0x49, 0x4e, 0x3a, 0xe9, 0x0d, 0x0a]));
  t.is(latin.status, 400);
  t.regex(((await latin.json()) as { error: { message: string } }).error.message, /not valid UTF-8/);
  const json = await h.call('POST', '/workorders/admin/calendars/office/ics', { body: { ics: fixture.toString('utf8') } });
  t.is(json.status, 200, 'the JSON form still works');
});
