/**
 * Slot generation for an appointment service (issue 8 "Appointments: bookable time slots"): a
 * pure function of the service's template and its business calendar (workorders/calendar.ts).
 * A local day carries slots only when the calendar has working time on it — so public holidays
 * have none and make-up working days (调休) have them — cut from the template's own daily
 * periods, or from the calendar's periods of that day when the template has none. Slots do not
 * straddle a period's end: a 60-minute template in 08:30–12:00 gives 08:30, 09:30, 10:30.
 */
import type { BusinessCalendar } from '../workorders/calendar.js';
import type { ServiceDefinition } from './model.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface SlotTime {
  start: number;
  end: number;
}

/** Local midnight (wall ms) of the calendar day containing `at`. */
export function localDayStart(at: number, utcOffsetMinutes: number): number {
  const off = utcOffsetMinutes * MINUTE;
  return Math.floor((at + off) / DAY) * DAY - off;
}

/** Slots of `service` whose start lies in [from, to), in time order. */
export function slotTimes(service: Pick<ServiceDefinition, 'slotMinutes' | 'periods'>, calendar: BusinessCalendar, from: number, to: number): SlotTime[] {
  const out: SlotTime[] = [];
  if (to <= from) return out;
  const len = service.slotMinutes * MINUTE;
  const offset = calendar.definition.utcOffsetMinutes;
  for (let day = localDayStart(from, offset); day < to; day += DAY) {
    // Noon of the local day, so a period list is looked up for the right date.
    const working = calendar.periodsOn(day + DAY / 2);
    if (working.length === 0) continue;
    const periods = service.periods ? service.periods.map(([a, b]) => [day + a * MINUTE, day + b * MINUTE] as const) : working;
    for (const [a, b] of periods) {
      for (let s = a; s + len <= b; s += len) if (s >= from && s < to) out.push({ start: s, end: s + len });
    }
  }
  return out;
}

/** The slot starting exactly at `start`, or null when no slot of the template starts then. */
export function slotAt(service: Pick<ServiceDefinition, 'slotMinutes' | 'periods'>, calendar: BusinessCalendar, start: number): SlotTime | null {
  return slotTimes(service, calendar, start, start + 1)[0] ?? null;
}
