import test from 'ava';
import { ValidationError } from '../core/errors.js';
import { createCalendar, parseIcsDays, roundTheClock, weekdayCalendar } from './calendar.js';

const MIN = 60_000;
/** Wall ms of a local (+08:00) date and time. */
const cst = (y: number, mo: number, d: number, h: number, mi = 0): number => Date.UTC(y, mo - 1, d, h - 8, mi);

// Friday 2026-01-09; Saturday 01-10 a make-up working day (调休); Sunday 01-11 weekend;
// Monday 01-12 a public holiday; Tuesday 01-13 an ordinary day. Office day 08:30–12:00, 13:30–17:30.
const withExceptions = createCalendar({
  ...weekdayCalendar(),
  holidays: [{ date: '2026-01-12', name: '假日' }],
  workdays: [{ date: '2026-01-10', name: '调休上班' }],
});
const plain = createCalendar(weekdayCalendar());

test('10 business hours from Friday 16:00 cross a 调休 Saturday, a Sunday and a holiday Monday', (t) => {
  const from = cst(2026, 1, 9, 16);
  // Fri 16:00–17:30 = 90 min, Sat (make-up day, Monday hours) = 450 min, Tue 08:30 + 60 min.
  t.is(withExceptions.addBusinessMs(from, 600 * MIN), cst(2026, 1, 13, 9, 30));
  t.is(withExceptions.businessMsBetween(from, cst(2026, 1, 13, 9, 30)), 600 * MIN);
  // Without the exceptions: Fri 90 + Mon 450 = 540, then Tue 08:30 + 60 — the same instant by
  // another road; one exception alone moves it.
  t.is(plain.addBusinessMs(from, 600 * MIN), cst(2026, 1, 13, 9, 30));
  t.is(plain.businessMsBetween(from, cst(2026, 1, 12, 17, 30)), 540 * MIN);
  const holidayOnly = createCalendar({ ...weekdayCalendar(), holidays: [{ date: '2026-01-12' }] });
  t.is(holidayOnly.addBusinessMs(from, 600 * MIN), cst(2026, 1, 14, 9, 30));
  const workdayOnly = createCalendar({ ...weekdayCalendar(), workdays: [{ date: '2026-01-10' }] });
  t.is(workdayOnly.addBusinessMs(from, 600 * MIN), cst(2026, 1, 12, 9, 30));
});

test('the make-up Saturday counts and the holiday Monday does not', (t) => {
  t.is(withExceptions.businessMsBetween(cst(2026, 1, 10, 0), cst(2026, 1, 11, 0)), 450 * MIN);
  t.is(plain.businessMsBetween(cst(2026, 1, 10, 0), cst(2026, 1, 11, 0)), 0);
  t.is(withExceptions.businessMsBetween(cst(2026, 1, 12, 0), cst(2026, 1, 13, 0)), 0);
  t.is(plain.businessMsBetween(cst(2026, 1, 12, 0), cst(2026, 1, 13, 0)), 450 * MIN);
  t.true(withExceptions.isWorkingAt(cst(2026, 1, 10, 9)));
  t.false(withExceptions.isWorkingAt(cst(2026, 1, 12, 9)));
  t.false(withExceptions.isWorkingAt(cst(2026, 1, 13, 12, 30)), 'lunch break');
});

test('a make-up workday can carry its own hours', (t) => {
  const cal = createCalendar({ ...weekdayCalendar(), workdays: [{ date: '2026-01-10', periods: [[540, 600]] }] });
  t.is(cal.businessMsBetween(cst(2026, 1, 10, 0), cst(2026, 1, 11, 0)), 60 * MIN);
});

test('a target reached exactly at the end of a period is that end, not the next start', (t) => {
  t.is(plain.addBusinessMs(cst(2026, 1, 5, 8, 30), 210 * MIN), cst(2026, 1, 5, 12, 0));
  t.is(plain.addBusinessMs(cst(2026, 1, 5, 8, 30), 210 * MIN + 1), cst(2026, 1, 5, 13, 30) + 1);
  t.is(plain.addBusinessMs(cst(2026, 1, 5, 8, 30), 0), cst(2026, 1, 5, 8, 30));
});

test('time outside business hours starts counting at the next opening', (t) => {
  t.is(plain.addBusinessMs(cst(2026, 1, 10, 10), MIN), cst(2026, 1, 12, 8, 31));
  t.is(plain.addBusinessMs(cst(2026, 1, 5, 20), MIN), cst(2026, 1, 6, 8, 31));
  t.is(plain.businessMsBetween(cst(2026, 1, 5, 17, 30), cst(2026, 1, 6, 8, 30)), 0);
});

test('round the clock is plain wall time', (t) => {
  t.is(roundTheClock.addBusinessMs(1000, 45 * MIN), 1000 + 45 * MIN);
  t.is(roundTheClock.businessMsBetween(5, 3), 0);
});

test('a calendar without working time and a date both holiday and workday are refused', (t) => {
  const empty = createCalendar({ utcOffsetMinutes: 480, weekly: [[], [], [], [], [], [], []] });
  t.throws(() => empty.addBusinessMs(0, MIN), { instanceOf: ValidationError });
  const err = t.throws(() => createCalendar({ ...weekdayCalendar(), holidays: [{ date: '2026-01-10' }], workdays: [{ date: '2026-01-10' }] }), {
    instanceOf: ValidationError,
  });
  t.is(err.issues[0]?.path, 'holidays');
  const bad = t.throws(() => createCalendar({ utcOffsetMinutes: 480, weekly: [[[600, 500]], [], [], [], [], [], []] }), { instanceOf: ValidationError });
  t.true(bad.issues.some((i) => i.path.startsWith('weekly.0')));
});

test('iCalendar import: multi-day holidays and make-up workdays', (t) => {
  const ics = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'BEGIN:VEVENT',
    'DTSTART;VALUE=DATE:20261001',
    'DTEND;VALUE=DATE:20261004',
    'SUMMARY:国庆节',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'DTSTART;VALUE=DATE:20260927',
    'SUMMARY:国庆节调休上班',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'DTSTART;VALUE=DATE:20260101',
    'SUMMARY:元旦',
    ' 假期',
    'END:VEVENT',
    'END:VCALENDAR',
  ].join('\r\n');
  const days = parseIcsDays(ics);
  t.deepEqual(
    days.holidays.map((d) => d.date),
    ['2026-10-01', '2026-10-02', '2026-10-03', '2026-01-01'],
  );
  t.is(days.holidays[3]?.name, '元旦假期');
  t.deepEqual(days.workdays, [{ date: '2026-09-27', name: '国庆节调休上班' }]);
});
