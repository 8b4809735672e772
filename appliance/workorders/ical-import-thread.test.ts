import test from 'ava';
import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { EventBus } from '../core/events.js';
import { ImportGate } from '../core/import-gate.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { importCalendarIcsOffThread } from './ical-import-thread.js';
import { seedOrg } from './testing/fixtures.js';
import { WorkOrderService } from './workorder-service.js';

const fixture = readFileSync(new URL('./testdata/cn-holidays-2025.ics', import.meta.url));

function rig() {
  const clock = new ManualClock();
  const log = silentLogger();
  const store = openStore({ file: path.join(tempDir('ics-'), 'appliance.db'), clock, log });
  const svc = new WorkOrderService({ store, clock, bus: new EventBus({ clock, log }), log });
  seedOrg(svc);
  const days = () => store.sqlite.prepare("SELECT date, kind, name FROM calendar_days WHERE calendar_id = 'office' ORDER BY date").all();
  return { store, svc, clock, days, gate: new ImportGate(clock), close: () => store.close() };
}

/** A decade of one-day holidays (3 000 events), each with a long description: about 1.3 MB. */
function decade(): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN'];
  for (let i = 0; i < 3000; i++) {
    const d = new Date(Date.UTC(2030, 0, 1) + i * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
    lines.push('BEGIN:VEVENT', `UID:${i}@test`, `DTSTART;VALUE=DATE:${d}`, `SUMMARY:假日${i}`, `DESCRIPTION:${'说明'.repeat(120)}`, 'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.join('\r\n');
}

test('the thread stores the same days and answers the same result as the service in-process; the cached calendar is refreshed', async (t) => {
  const a = rig();
  const b = rig();
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  a.svc.setCalendarDay('office', { date: '2025-10-09', kind: 'holiday', name: '旧安排' });
  b.svc.setCalendarDay('office', { date: '2025-10-09', kind: 'holiday', name: '旧安排' });
  t.false(b.svc.calendar('office').isWorkingAt(Date.UTC(2025, 9, 9, 1)), 'cached before the import');
  const inProcess = a.svc.importCalendarIcs('office', fixture.toString('utf8'), { replace: true });
  const offThread = await importCalendarIcsOffThread(b.svc, 'office', fixture, { replace: true }, 'tester', { gate: b.gate });
  t.deepEqual(offThread, inProcess);
  t.like(offThread, { holidays: 22, workdays: 5, removed: 1 });
  t.deepEqual(b.days(), a.days());
  t.true(b.svc.calendar('office').isWorkingAt(Date.UTC(2025, 9, 9, 1)), 'Thursday 9 Oct 2025 works again: the stale holiday went with replace');
  t.true(b.svc.calendar('office').isWorkingAt(Date.UTC(2025, 9, 11, 1)), 'Saturday 11 Oct 补班 read from the new rows');
});

test('bad files fail in the thread with the same typed errors; unknown calendar is NOT_FOUND before any thread', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  const err = await t.throwsAsync(importCalendarIcsOffThread(r.svc, 'office', 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:2025-10-11\r\nSUMMARY:补班\r\nEND:VEVENT\r\nEND:VCALENDAR', {}, 'tester', { gate: r.gate }));
  t.like(err, { code: 'VALIDATION', issues: [{ path: 'line 2 (补班)', message: 'DTSTART "2025-10-11" is not a date (YYYYMMDD)' }] });
  const latin = await t.throwsAsync(importCalendarIcsOffThread(r.svc, 'office', Buffer.from([0x42, 0x45, 0xe9, 0x0d, 0x0a]), {}, 'tester', { gate: r.gate }));
  t.like(latin, { code: 'PARSE' });
  t.regex(latin!.message, /not valid UTF-8/);
  t.like(await t.throwsAsync(importCalendarIcsOffThread(r.svc, 'nope', fixture, {}, 'tester', { gate: r.gate })), { code: 'NOT_FOUND' });
  t.deepEqual(r.days(), []);
  t.is(r.gate.current('calendar'), null);
});

test('a second calendar import while one runs is a CONFLICT; a thread killed inside its transaction stores nothing and releases the lock', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  // A second connection that cannot wait: BEGIN IMMEDIATE fails while the thread holds the write lock.
  const probe = new BetterSqlite3(r.store.file, { timeout: 0 });
  t.teardown(() => probe.close());
  const locked = (): boolean => {
    try {
      probe.exec('BEGIN IMMEDIATE; ROLLBACK');
      return false;
    } catch {
      return true;
    }
  };
  let killed = false;
  const running = importCalendarIcsOffThread(r.svc, 'office', decade(), {}, 'alice', {
    gate: r.gate,
    onThread: (job) => {
      const watch = (): void => {
        if (locked()) {
          killed = true;
          void job.terminate();
        } else setImmediate(watch);
      };
      watch();
    },
  });
  const second = await t.throwsAsync(importCalendarIcsOffThread(r.svc, 'office', fixture, {}, 'bob', { gate: r.gate }));
  t.like(second, { code: 'CONFLICT' });
  t.regex(second!.message, /a calendar import is already running: an iCalendar file of \d+ bytes for calendar office, started by alice/);
  const err = await t.throwsAsync(running);
  t.true(killed, 'the thread was stopped while it held the write lock');
  t.like(err, { code: 'INTERNAL' });
  t.regex(err!.message, /calendar import thread stopped/);
  t.deepEqual(r.days(), [], 'nothing of the killed import is stored');
  t.false(locked(), 'the lock went with the thread');
  t.notThrows(() => r.svc.setCalendarDay('office', { date: '2030-01-01', kind: 'holiday', name: '元旦' }));
  t.is(r.gate.current('calendar'), null);
});
