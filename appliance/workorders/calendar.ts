/**
 * Business calendars for SLA clocks [W 9.5 "节假日", METRICS.md "Ticket/work-order SLA times":
 * "business time on a calendar with timezone, weekly business hours and public holidays"].
 * China moves working days around public holidays (调休): a Saturday or Sunday can be a working
 * day, so a calendar has weekly hours plus dated exceptions — `holiday` (no work, even on a
 * weekday) and `workday` (work, even at the weekend; with its own periods or Monday's).
 *
 * All instants are wall-clock ms since the epoch. Local dates use a fixed UTC offset (China has
 * no daylight saving: +08:00 = 480 minutes). Pure functions: no clock, no store.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { zodIssues } from './forms.js';
import { icsCalendarDays } from './ical.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Give up looking for working time after ten years: the calendar has none. */
const MAX_DAYS = 3660;

/** [startMinute, endMinute) of the local day, 0 ≤ start < end ≤ 1440. */
export type Period = readonly [number, number];

const PeriodSchema = z
  .tuple([z.number().int().min(0).max(1440), z.number().int().min(0).max(1440)])
  .refine(([a, b]) => a < b, 'period start must be before its end');

export const PeriodsSchema = z
  .array(PeriodSchema)
  .refine((ps) => ps.every((p, i) => i === 0 || ps[i - 1]![1] <= p[0]), 'periods must be ascending and not overlap');

export const DateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date must be YYYY-MM-DD');

export const CalendarSchema = z.object({
  utcOffsetMinutes: z.number().int().min(-720).max(840),
  /** Seven lists, Sunday first (Date#getUTCDay order). */
  weekly: z.array(PeriodsSchema).length(7),
  holidays: z.array(z.object({ date: DateSchema, name: z.string().default('') })).default([]),
  workdays: z
    .array(z.object({ date: DateSchema, name: z.string().default(''), periods: PeriodsSchema.nullable().default(null) }))
    .default([]),
});
export type CalendarDefinition = z.infer<typeof CalendarSchema>;
export type CalendarInput = z.input<typeof CalendarSchema>;

/** 08:30–12:00 and 13:30–17:30, Monday to Friday: a common utility office day. */
export const OFFICE_HOURS: readonly Period[] = [
  [510, 720],
  [810, 1050],
];

export function weekdayCalendar(periods: readonly Period[] = OFFICE_HOURS, utcOffsetMinutes = 480): CalendarInput {
  const p = periods.map((x) => [x[0], x[1]] as [number, number]);
  return { utcOffsetMinutes, weekly: [[], p, p, p, p, p, []] };
}

export interface BusinessCalendar {
  readonly definition: CalendarDefinition;
  /** Business ms in [from, to); 0 when to ≤ from. */
  businessMsBetween(from: number, to: number): number;
  /**
   * The earliest instant t ≥ from with businessMsBetween(from, t) = ms. With ms = 0 that is
   * `from` itself; a target reached exactly at the end of a period is that end, not the next start.
   */
  addBusinessMs(from: number, ms: number): number;
  /** Working periods of the local date containing `at`, as wall-clock [start, end) pairs. */
  periodsOn(at: number): Array<[number, number]>;
  isWorkingAt(at: number): boolean;
}

/** Always open: wall time is business time. */
export const roundTheClock: BusinessCalendar = {
  definition: { utcOffsetMinutes: 0, weekly: Array.from({ length: 7 }, () => [[0, 1440] as [number, number]]), holidays: [], workdays: [] },
  businessMsBetween: (from, to) => Math.max(0, to - from),
  addBusinessMs: (from, ms) => from + Math.max(0, ms),
  periodsOn: (at) => {
    const start = Math.floor(at / DAY) * DAY;
    return [[start, start + DAY]];
  },
  isWorkingAt: () => true,
};

export function parseCalendar(input: unknown): CalendarDefinition {
  const r = CalendarSchema.safeParse(input);
  if (!r.success) throw new ValidationError('invalid business calendar', zodIssues(r.error));
  return r.data;
}

export function createCalendar(input: CalendarInput | CalendarDefinition): BusinessCalendar {
  const def = parseCalendar(input);
  const offset = def.utcOffsetMinutes * MINUTE;
  const holidays = new Set(def.holidays.map((h) => h.date));
  const workdays = new Map(def.workdays.map((w) => [w.date, w.periods ?? def.weekly[1] ?? []]));
  if (def.holidays.some((h) => workdays.has(h.date))) {
    const both = def.holidays.filter((h) => workdays.has(h.date)).map((h) => h.date);
    throw new ValidationError('a date cannot be both a holiday and a workday', [
      { path: 'holidays', message: `listed as workday too: ${both.join(', ')}` },
    ]);
  }

  /** Local midnight (as wall ms) of the local day containing `at`. */
  const dayStart = (at: number): number => Math.floor((at + offset) / DAY) * DAY - offset;

  const periodsOfDay = (start: number): Array<[number, number]> => {
    const local = new Date(start + offset);
    const date = local.toISOString().slice(0, 10);
    let periods: readonly Period[];
    const special = workdays.get(date);
    if (special) periods = special;
    else if (holidays.has(date)) periods = [];
    else periods = def.weekly[local.getUTCDay()] ?? [];
    return periods.map(([a, b]) => [start + a * MINUTE, start + b * MINUTE]);
  };

  return {
    definition: def,
    periodsOn: (at) => periodsOfDay(dayStart(at)),
    isWorkingAt: (at) => periodsOfDay(dayStart(at)).some(([a, b]) => at >= a && at < b),
    businessMsBetween(from, to) {
      if (to <= from) return 0;
      let sum = 0;
      for (let day = dayStart(from); day < to; day += DAY) {
        for (const [a, b] of periodsOfDay(day)) {
          const lo = Math.max(a, from);
          const hi = Math.min(b, to);
          if (hi > lo) sum += hi - lo;
        }
      }
      return sum;
    },
    addBusinessMs(from, ms) {
      let left = Math.max(0, ms);
      if (left === 0) return from;
      let day = dayStart(from);
      for (let i = 0; i < MAX_DAYS; i++, day += DAY) {
        for (const [a, b] of periodsOfDay(day)) {
          const lo = Math.max(a, from);
          if (b <= lo) continue;
          if (b - lo >= left) return lo + left;
          left -= b - lo;
        }
      }
      throw new ValidationError('business calendar has no working time', [
        { path: 'weekly', message: `no working time within ${MAX_DAYS} days` },
      ]);
    },
  };
}

/**
 * Holidays and make-up workdays from an iCalendar file (RFC 5545; ical.ts reads it: line
 * unfolding, escaped text, all-day DTSTART;VALUE=DATE events, DTEND non-inclusive, DURATION, the
 * workday markers). Throws a ValidationError naming every bad event's line; nothing is returned
 * half-read.
 */
export function parseIcsDays(ics: string): { holidays: Array<{ date: string; name: string }>; workdays: Array<{ date: string; name: string }> } {
  const days = icsCalendarDays(ics);
  return { holidays: days.holidays, workdays: days.workdays };
}
