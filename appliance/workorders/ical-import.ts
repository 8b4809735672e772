/**
 * Storing an iCalendar (RFC 5545) feed's holidays and make-up workdays (调休) in a business
 * calendar, all or nothing (ical.ts reads the feed): the one transaction that both the
 * WorkOrderService (in-process) and the import's own thread (ical-import-worker.ts) run, on
 * whichever connection they hold.
 *
 *   - a bad event fails the whole file (ical.ts ValidationError naming each line);
 *   - `replace` first removes the calendar's dated exceptions between the file's first and last
 *     date (a re-published schedule);
 *   - the calendar must still be consistent afterwards: it is rebuilt from the stored rows
 *     (calendar.ts createCalendar) inside the transaction, so an inconsistent result rolls back;
 *   - `dryRun` reports without storing.
 */
import { NotFoundError } from '../core/errors.js';
import { createCalendar, type BusinessCalendar, type CalendarDefinition } from './calendar.js';
import { icsCalendarDays, type IcsSkipped } from './ical.js';
import type { WorkOrderStore } from './workorder-store.js';

export interface IcsImportResult {
  holidays: number;
  workdays: number;
  removed: number;
  from: string | null;
  to: string | null;
  skipped: IcsSkipped[];
}

export interface IcsImportOptions {
  replace?: boolean;
  dryRun?: boolean;
}

const parseJson = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

/** The stored calendar `id` built from its rows; NotFoundError when there is none. */
export function loadCalendar(ws: Pick<WorkOrderStore, 'getCalendar' | 'calendarDays'>, id: string): BusinessCalendar {
  const row = ws.getCalendar(id);
  if (!row) throw new NotFoundError('calendar', id);
  const days = ws.calendarDays(id);
  const def: CalendarDefinition = {
    utcOffsetMinutes: row.utc_offset_minutes,
    weekly: JSON.parse(row.weekly) as Array<Array<[number, number]>>,
    holidays: days.filter((d) => d.kind === 'holiday').map((d) => ({ date: d.date, name: d.name })),
    workdays: days.filter((d) => d.kind === 'workday').map((d) => ({ date: d.date, name: d.name, periods: parseJson<Array<[number, number]>>(d.periods) })),
  };
  return createCalendar(def);
}

/** Parse, validate and store the feed `ics` in calendar `calendarId` (see the file header). */
export function importIcsDays(ws: WorkOrderStore, calendarId: string, ics: string, opts: IcsImportOptions = {}): IcsImportResult {
  loadCalendar(ws, calendarId);
  const days = icsCalendarDays(ics);
  const dates = [...days.holidays, ...days.workdays].map((d) => d.date).sort();
  const from = dates[0] ?? null;
  const to = dates[dates.length - 1] ?? null;
  let removed = 0;
  const rollback = new Error('dry run');
  try {
    ws.transaction(() => {
      if (opts.replace && from !== null && to !== null) {
        for (const d of ws.calendarDays(calendarId)) if (d.date >= from && d.date <= to) removed += ws.deleteCalendarDay(calendarId, d.date);
      }
      for (const h of days.holidays) ws.upsertCalendarDay({ calendar_id: calendarId, date: h.date, kind: 'holiday', name: h.name, periods: null });
      for (const w of days.workdays) ws.upsertCalendarDay({ calendar_id: calendarId, date: w.date, kind: 'workday', name: w.name, periods: null });
      loadCalendar(ws, calendarId);
      if (opts.dryRun) throw rollback;
    });
  } catch (err) {
    if (err !== rollback) throw err;
  }
  return { holidays: days.holidays.length, workdays: days.workdays.length, removed, from, to, skipped: days.skipped };
}
