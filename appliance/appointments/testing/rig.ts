/**
 * An appointment book on the work-order test rig (workorders/testing/fixtures.ts: a temporary
 * SQLite file, a ManualClock at Monday 2026-01-05 09:00 China time, the office calendar
 * Mon–Fri 08:30–12:00 / 13:30–17:30) with two services: 装表勘查 (marketing, 60-minute slots,
 * 2 places, the calendar's periods, reminder 24 h ahead) and 表计校验 (metering, 30-minute
 * slots 09:00–12:00, 1 place, reminder 2 h ahead).
 */
import { openRig, type Rig } from '../../workorders/testing/fixtures.js';
import { AppointmentBook } from '../appointment-service.js';
import type { BookingActor } from '../model.js';

export interface AppointmentRig extends Rig {
  book: AppointmentBook;
}

/** Local (+08:00) wall time of 2026-01-DD HH:MM as epoch ms. */
export function cst(day: number, hh: number, mm = 0): number {
  return Date.UTC(2026, 0, day, hh - 8, mm);
}

export const agent: BookingActor = { id: 'user:agent1', ip: '10.0.0.11', channel: 'agent' };
export const ivr: BookingActor = { id: 'ivr:hotline-95598', channel: 'ivr' };

export function openAppointmentRig(opts: { file?: string; seed?: boolean } = {}): AppointmentRig {
  const rig = openRig(opts.file ? { file: opts.file, withOrg: opts.seed !== false } : {});
  const book = new AppointmentBook({ store: rig.store, clock: rig.clock, bus: rig.bus, log: rig.svc['deps'].log, orders: rig.svc });
  if (opts.seed !== false) {
    book.saveService({ id: 'survey', name: '装表勘查', departmentId: 'marketing', calendarId: 'office', slotMinutes: 60, capacity: 2, remindMinutes: 1440, noticeMinutes: 60 });
    book.saveService({ id: 'meter-check', name: '表计校验', departmentId: 'metering', calendarId: 'office', slotMinutes: 30, capacity: 1, periods: [[540, 720]], remindMinutes: 120, noticeMinutes: 0 });
  }
  return { ...rig, book };
}
