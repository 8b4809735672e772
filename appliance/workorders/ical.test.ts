import test from 'ava';
import { readFileSync } from 'node:fs';
import { ParseError, ValidationError } from '../core/errors.js';
import { createCalendar, weekdayCalendar } from './calendar.js';
import { contentLines, icsCalendarDays, parseContentLine, parseICalendar, textList, unescapeText } from './ical.js';

const fixture = readFileSync(new URL('./testdata/cn-holidays-2025.ics', import.meta.url), 'utf8');
const cst = (y: number, m: number, d: number, hh = 0, mm = 0): number => Date.UTC(y, m - 1, d, hh - 8, mm);

test('RFC 5545 §3.1: unfolding removes CRLF and exactly one space or tab; line numbers are the first physical line', (t) => {
  const lines = contentLines('BEGIN:VCALENDAR\r\nSUMMARY:国庆\r\n 节\r\n\t假期\r\nDESCRIPTION:a\r\n  b\r\nEND:VCALENDAR\r\n');
  t.deepEqual(lines, [
    { text: 'BEGIN:VCALENDAR', line: 1 },
    { text: 'SUMMARY:国庆节假期', line: 2 },
    { text: 'DESCRIPTION:a b', line: 5 },
    { text: 'END:VCALENDAR', line: 7 },
  ]);
});

test('content lines: parameters, quoted values holding ; : and ,', (t) => {
  const p = parseContentLine('ORGANIZER;CN="国务院办公厅; 发布:国办";ROLE=CHAIR,OPT:mailto:x@example.gov.cn', 3);
  t.deepEqual(p, { name: 'ORGANIZER', params: { CN: ['国务院办公厅; 发布:国办'], ROLE: ['CHAIR', 'OPT'] }, value: 'mailto:x@example.gov.cn', line: 3 });
  t.like(parseContentLine('dtstart;value=DATE:20251001', 1), { name: 'DTSTART', params: { VALUE: ['DATE'] }, value: '20251001' });
  t.throws(() => parseContentLine('no colon here', 9), { instanceOf: ParseError, message: /line 9/ });
  t.throws(() => parseContentLine('X;CN="open:value', 4), { instanceOf: ParseError, message: /unclosed quoted/ });
});

test('§3.3.11 TEXT escapes and CATEGORIES lists', (t) => {
  t.is(unescapeText('放假\\, 共8天\\n调休\\;上班\\\\'), '放假, 共8天\n调休;上班\\');
  t.deepEqual(textList('补班,调休\\,上班, WORKDAY'), ['补班', '调休,上班', 'WORKDAY']);
});

test('the 2025 holiday feed: holidays, 调休 workdays by every marker, nested components kept apart, timed and cancelled skipped', (t) => {
  const days = icsCalendarDays(fixture);
  t.deepEqual(days.holidays.map((d) => d.date), [
    '2025-01-01',
    '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-01', '2025-02-02', '2025-02-03', '2025-02-04',
    '2025-05-01', '2025-05-02', '2025-05-03', '2025-05-04', '2025-05-05',
    '2025-10-01', '2025-10-02', '2025-10-03', '2025-10-04', '2025-10-05', '2025-10-06', '2025-10-07', '2025-10-08',
  ]);
  t.deepEqual(days.workdays.map((d) => [d.date, d.name]), [
    ['2025-01-26', '春节补班'],
    ['2025-02-08', '春节调休'],
    ['2025-04-27', '劳动节 调休'],
    ['2025-09-28', '国庆节前调休（周日）'],
    ['2025-10-11', '国庆节后上班（周六）'],
  ]);
  t.is(days.holidays.find((d) => d.date === '2025-10-01')?.name, '国庆节、中秋节, 放假调休共8天（10月1日至8 日）', 'folded and escaped SUMMARY');
  t.is(days.holidays.find((d) => d.date === '2025-01-28')?.name, '春节', "the VALARM's SUMMARY 补班提醒 does not make 春节 a workday");
  t.deepEqual(days.skipped.map((s) => [s.uid, s.reason.split(' (')[0]]), [
    ['2025-0930-meeting@hotline', 'a timed event, not a whole day'],
    ['2025-0406-cancelled@hotline', 'cancelled'],
  ]);
  const cal = parseICalendar(fixture);
  t.deepEqual(cal.components.map((c) => c.name).filter((n, i, a) => a.indexOf(n) === i), ['VTIMEZONE', 'VEVENT']);
});

test('imported days drive business time across 国庆 with its make-up Saturday', (t) => {
  const days = icsCalendarDays(fixture);
  const cal = createCalendar({ ...weekdayCalendar(), holidays: days.holidays, workdays: days.workdays.map((w) => ({ ...w, periods: null })) });
  t.true(cal.isWorkingAt(cst(2025, 10, 11, 9)), 'Saturday 11 Oct is a working day');
  t.true(cal.isWorkingAt(cst(2025, 9, 28, 14)), 'Sunday 28 Sep is a working day');
  t.false(cal.isWorkingAt(cst(2025, 10, 8, 9)), 'Wednesday 8 Oct is a holiday');
  // Tuesday 30 Sep 16:30 + 3 business hours: 1 h that day, then 2 h on Thursday 9 Oct.
  t.is(cal.addBusinessMs(cst(2025, 9, 30, 16, 30), 3 * 3_600_000), cst(2025, 10, 9, 10, 30));
  t.is(cal.businessMsBetween(cst(2025, 10, 1), cst(2025, 10, 12)), 3 * 7.5 * 3_600_000, 'Thu 9, Fri 10 and the make-up Saturday 11 Oct');
});

test('a bad feed fails as a whole, naming every problem with its line', (t) => {
  const bad = [
    'BEGIN:VCALENDAR',
    'BEGIN:VEVENT',
    'DTSTART;VALUE=DATE:20251301',
    'SUMMARY:错误的月份',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'DTSTART;VALUE=DATE:20250101',
    'RRULE:FREQ=YEARLY',
    'SUMMARY:元旦',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'DTSTART;VALUE=DATE:20251011',
    'SUMMARY:休息',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'DTSTART;VALUE=DATE:20251011',
    'SUMMARY:补班',
    'END:VEVENT',
    'END:VCALENDAR',
  ].join('\r\n');
  const err = t.throws(() => icsCalendarDays(bad), { instanceOf: ValidationError });
  t.deepEqual(err?.issues.map((i) => i.path), ['line 2 (错误的月份)', 'line 6 (元旦)', '2025-10-11']);
  t.throws(() => icsCalendarDays('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n'), { instanceOf: ParseError, message: /line 3: END:VCALENDAR does not close BEGIN:VEVENT of line 2/ });
  t.throws(() => icsCalendarDays('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n'), { instanceOf: ParseError, message: /never closed/ });
  t.throws(() => icsCalendarDays('SUMMARY:hello\r\n'), { instanceOf: ParseError, message: /outside BEGIN:VCALENDAR/ });
  t.throws(() => icsCalendarDays('just text'), { instanceOf: ParseError });
});
