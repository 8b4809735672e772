import test from 'ava';
import { createCalendar, weekdayCalendar } from '../workorders/calendar.js';
import { localDayStart, slotAt, slotTimes } from './slots.js';

const cst = (day: number, hh: number, mm = 0): number => Date.UTC(2026, 0, day, hh - 8, mm);
const hhmm = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(5, 16).replace('T', ' ');

const cal = createCalendar({
  ...weekdayCalendar(),
  holidays: [{ date: '2026-01-07', name: '停电检修日' }],
  workdays: [{ date: '2026-01-10', name: '调休上班', periods: null }],
});

test('a 60-minute template on the calendar periods never straddles the lunch break', (t) => {
  const s = slotTimes({ slotMinutes: 60, periods: null }, cal, cst(5, 0), cst(6, 0));
  t.deepEqual(s.map((x) => hhmm(x.start)), ['01-05 08:30', '01-05 09:30', '01-05 10:30', '01-05 13:30', '01-05 14:30', '01-05 15:30', '01-05 16:30']);
  t.true(s.every((x) => x.end - x.start === 3_600_000));
});

test('holidays have no slots, make-up Saturdays (调休) do, Sundays do not', (t) => {
  const week = slotTimes({ slotMinutes: 120, periods: [[540, 720]] }, cal, cst(5, 0), cst(12, 0));
  const days = [...new Set(week.map((x) => hhmm(x.start).slice(0, 5)))];
  t.deepEqual(days, ['01-05', '01-06', '01-08', '01-09', '01-10']);
  t.deepEqual(week.filter((x) => hhmm(x.start).startsWith('01-10')).map((x) => hhmm(x.start)), ['01-10 09:00']);
});

test('slotAt finds only real slot starts', (t) => {
  const tpl = { slotMinutes: 30, periods: [[540, 720]] as Array<[number, number]> };
  t.deepEqual(slotAt(tpl, cal, cst(5, 9, 30)), { start: cst(5, 9, 30), end: cst(5, 10) });
  t.is(slotAt(tpl, cal, cst(5, 9, 15)), null);
  t.is(slotAt(tpl, cal, cst(5, 11, 30))?.end, cst(5, 12));
  t.is(slotAt(tpl, cal, cst(5, 12)), null);
  t.is(slotAt(tpl, cal, cst(7, 9)), null, 'holiday');
});

test('localDayStart is the local midnight for +08:00', (t) => {
  t.is(localDayStart(cst(5, 0, 30), 480), cst(5, 0));
  t.is(localDayStart(cst(5, 23, 59), 480), cst(5, 0));
  t.is(localDayStart(cst(6, 7), 480), cst(6, 0));
});
