/**
 * iCalendar (RFC 5545) reading for business calendars (issue 8 "SLA: … business calendars
 * (weekly hours, holidays and make-up working days — 调休 — editable, importable as iCal)"): the
 * State Council's holiday schedule as published in .ics feeds becomes calendar.ts holidays and
 * make-up workdays.
 *
 *   §3.1   "a long line can be split between any two characters by inserting a CRLF immediately
 *          followed by a single linear white-space character (i.e., SPACE or HTAB)"; unfolding
 *          is "accomplished by removing the CRLF and the linear white-space character that
 *          immediately follows". Bare LF line ends are accepted too.
 *   §3.1   contentline = name *(";" param ) ":" value — a parameter value may be a quoted-string,
 *          which can hold ":" ";" and ",".
 *   §3.3.11 TEXT: "\\" "\;" "\," and "\N"/"\n" are escapes; CATEGORIES is a list of TEXT split on
 *          unescaped commas.
 *   §3.6.1 "a "VEVENT" … that specifies a "DTSTART" property with a DATE value type but no
 *          "DTEND" nor "DURATION" property, the event's duration is taken to be one day";
 *   §3.8.2.2 for a DATE "DTEND" it "specifies the non-inclusive end of the event";
 *   §3.8.2.5 DURATION in days or weeks (P3D, P1W) for all-day events.
 *
 * An all-day event is a make-up working day (调休上班) when it says so by a property —
 * `X-HOTLINE-DAY:WORKDAY` (ours), `X-APPLE-SPECIAL-DAY:ALTERNATE-WORKDAY` (Apple's China holiday
 * feed) — by a category (补班, 上班, 调休上班, 班, WORKDAY, MAKEUP-WORKDAY) or, failing those, by its
 * SUMMARY (上班, 补班, ending in 班, "workday"). Every other all-day event is a holiday. Timed
 * events and cancelled ones are skipped and reported; a recurring event (RRULE) or an event
 * without a usable DTSTART fails the import, naming the line: nothing is half-imported.
 */
import { ParseError, ValidationError, type FieldIssue } from '../core/errors.js';

export interface IcsProperty {
  name: string;
  params: Record<string, string[]>;
  value: string;
  /** 1-based line of the (unfolded) property's first physical line. */
  line: number;
}

export interface IcsComponent {
  name: string;
  line: number;
  properties: IcsProperty[];
  components: IcsComponent[];
}

/** §3.1.4 "The default charset for an iCalendar stream is UTF-8": bytes decoded strictly. */
export function decodeIcs(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new ParseError('the iCalendar file is not valid UTF-8 (RFC 5545 §3.1.4)', 0, { cause: err });
  }
}

/** Unfold and split into content lines with their first physical line number (§3.1). */
export function contentLines(text: string): Array<{ text: string; line: number }> {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const physical = src.split(/\r\n|\n|\r/);
  const out: Array<{ text: string; line: number }> = [];
  physical.forEach((l, i) => {
    if ((l.startsWith(' ') || l.startsWith('\t')) && out.length > 0) out[out.length - 1]!.text += l.slice(1);
    else if (l !== '') out.push({ text: l, line: i + 1 });
  });
  return out;
}

/** One content line → name, parameters, value (§3.1; quoted parameter values may hold : ; ,). */
export function parseContentLine(text: string, line: number): IcsProperty {
  let i = 0;
  const nameEnd = text.search(/[;:]/);
  if (nameEnd <= 0) throw new ParseError(`line ${line}: not a content line (expected NAME:value)`, line);
  const name = text.slice(0, nameEnd).toUpperCase();
  if (!/^[A-Z0-9-]+$/.test(name)) throw new ParseError(`line ${line}: bad property name "${text.slice(0, nameEnd)}"`, line);
  i = nameEnd;
  const params: Record<string, string[]> = {};
  while (text[i] === ';') {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new ParseError(`line ${line}: parameter without a value`, line);
    const pname = text.slice(i + 1, eq).toUpperCase();
    i = eq + 1;
    const values: string[] = [];
    for (;;) {
      if (text[i] === '"') {
        const close = text.indexOf('"', i + 1);
        if (close < 0) throw new ParseError(`line ${line}: unclosed quoted parameter value`, line);
        values.push(text.slice(i + 1, close));
        i = close + 1;
      } else {
        let j = i;
        while (j < text.length && !';:,'.includes(text[j]!)) j++;
        values.push(text.slice(i, j));
        i = j;
      }
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    params[pname] = values;
  }
  if (text[i] !== ':') throw new ParseError(`line ${line}: expected ":" after the property name and parameters`, line);
  return { name, params, value: text.slice(i + 1), line };
}

/** The component tree of an iCalendar stream (BEGIN/END matched, §3.4, §3.6). */
export function parseICalendar(text: string): IcsComponent {
  const root: IcsComponent = { name: '(root)', line: 0, properties: [], components: [] };
  const stack: IcsComponent[] = [root];
  for (const cl of contentLines(text)) {
    const p = parseContentLine(cl.text, cl.line);
    const top = stack[stack.length - 1]!;
    if (p.name === 'BEGIN') {
      const c: IcsComponent = { name: p.value.toUpperCase(), line: p.line, properties: [], components: [] };
      top.components.push(c);
      stack.push(c);
    } else if (p.name === 'END') {
      if (stack.length === 1 || top.name !== p.value.toUpperCase())
        throw new ParseError(`line ${p.line}: END:${p.value} does not close ${stack.length === 1 ? 'anything' : `BEGIN:${top.name} of line ${top.line}`}`, p.line);
      stack.pop();
    } else {
      if (stack.length === 1) throw new ParseError(`line ${p.line}: property ${p.name} outside BEGIN:VCALENDAR`, p.line);
      top.properties.push(p);
    }
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]!;
    throw new ParseError(`BEGIN:${open.name} of line ${open.line} is never closed`, open.line);
  }
  const cal = root.components.filter((c) => c.name === 'VCALENDAR');
  if (cal.length === 0) throw new ParseError('not an iCalendar file: no BEGIN:VCALENDAR', 0);
  return { name: 'VCALENDAR', line: cal[0]!.line, properties: cal.flatMap((c) => c.properties), components: cal.flatMap((c) => c.components) };
}

/** §3.3.11 TEXT unescaping. */
export function unescapeText(v: string): string {
  return v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** §3.3.11 a TEXT list (CATEGORIES): split on commas that are not escaped. */
export function textList(v: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && i + 1 < v.length) {
      cur += c + v[i + 1]!;
      i++;
    } else if (c === ',') {
      out.push(unescapeText(cur));
      cur = '';
    } else cur += c;
  }
  out.push(unescapeText(cur));
  return out.map((s) => s.trim()).filter(Boolean);
}

export interface IcsDay {
  date: string;
  name: string;
}

export interface IcsSkipped {
  line: number;
  uid: string | null;
  summary: string;
  reason: string;
}

export interface IcsDays {
  holidays: IcsDay[];
  workdays: IcsDay[];
  skipped: IcsSkipped[];
}

const DAY = 86_400_000;
const WorkdayCategories = new Set(['补班', '上班', '调休上班', '班', 'WORKDAY', 'MAKEUP-WORKDAY', 'WORKING-DAY']);
const HolidayCategories = new Set(['假期', '休', '放假', 'HOLIDAY', 'PUBLIC-HOLIDAY']);

function dateOf(p: IcsProperty): { date: number; allDay: boolean } | null {
  const allDay = p.params['VALUE']?.[0]?.toUpperCase() === 'DATE' || /^\d{8}$/.test(p.value);
  const m = /^(\d{4})(\d{2})(\d{2})(T\d{6}Z?)?$/.exec(p.value.trim());
  if (!m) return null;
  const date = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(date);
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return null;
  return { date, allDay: allDay && !m[4] };
}

function daysOfDuration(v: string): number | null {
  const m = /^\+?P(?:(\d+)W|(\d+)D)$/.exec(v.trim());
  if (!m) return null;
  return m[1] ? Number(m[1]) * 7 : Number(m[2]);
}

function isWorkday(ev: IcsComponent, summary: string, categories: string[]): boolean {
  const prop = (n: string): string | undefined => ev.properties.find((p) => p.name === n)?.value.trim().toUpperCase();
  const ours = prop('X-HOTLINE-DAY');
  if (ours === 'WORKDAY') return true;
  if (ours === 'HOLIDAY') return false;
  const apple = prop('X-APPLE-SPECIAL-DAY');
  if (apple === 'ALTERNATE-WORKDAY') return true;
  if (apple === 'WORK-HOLIDAY') return false;
  if (categories.some((c) => WorkdayCategories.has(c.toUpperCase()))) return true;
  if (categories.some((c) => HolidayCategories.has(c.toUpperCase()))) return false;
  return /上班|补班|班$|workday/i.test(summary.trim());
}

/** Holidays and make-up workdays of an iCalendar feed; every problem named with its line. */
export function icsCalendarDays(text: string, opts: { maxDays?: number } = {}): IcsDays {
  const cal = parseICalendar(text);
  const out: IcsDays = { holidays: [], workdays: [], skipped: [] };
  const issues: FieldIssue[] = [];
  const maxDays = opts.maxDays ?? 3660;
  for (const ev of cal.components.filter((c) => c.name === 'VEVENT')) {
    const get = (n: string): IcsProperty | undefined => ev.properties.find((p) => p.name === n);
    const summary = unescapeText(get('SUMMARY')?.value ?? '').replace(/\s*\n\s*/g, ' ').trim();
    const uid = get('UID')?.value ?? null;
    const where = `line ${ev.line}${summary ? ` (${summary})` : ''}`;
    const skip = (reason: string): void => {
      out.skipped.push({ line: ev.line, uid, summary, reason });
    };
    if (get('STATUS')?.value.trim().toUpperCase() === 'CANCELLED') {
      skip('cancelled (STATUS:CANCELLED)');
      continue;
    }
    if (get('RRULE') || get('RDATE')) {
      issues.push({ path: where, message: 'recurring events (RRULE/RDATE) are not expanded; list each date as its own event' });
      continue;
    }
    const startProp = get('DTSTART');
    const start = startProp ? dateOf(startProp) : null;
    if (!startProp || !start) {
      issues.push({ path: where, message: startProp ? `DTSTART "${startProp.value}" is not a date (YYYYMMDD)` : 'no DTSTART' });
      continue;
    }
    if (!start.allDay) {
      skip('a timed event, not a whole day (DTSTART without VALUE=DATE)');
      continue;
    }
    let days = 1;
    const endProp = get('DTEND');
    const dur = get('DURATION');
    if (endProp) {
      const end = dateOf(endProp);
      if (!end) {
        issues.push({ path: where, message: `DTEND "${endProp.value}" is not a date (YYYYMMDD)` });
        continue;
      }
      days = Math.round((end.date - start.date) / DAY);
    } else if (dur) {
      const n = daysOfDuration(dur.value);
      if (n === null) {
        issues.push({ path: where, message: `DURATION "${dur.value}" is not a number of days or weeks` });
        continue;
      }
      days = n;
    }
    if (days < 1) {
      issues.push({ path: where, message: 'DTEND is not after DTSTART' });
      continue;
    }
    if (days > 366) {
      issues.push({ path: where, message: `${days} days in one event; at most 366` });
      continue;
    }
    const categories = ev.properties.filter((p) => p.name === 'CATEGORIES').flatMap((p) => textList(p.value));
    const list = isWorkday(ev, summary, categories) ? out.workdays : out.holidays;
    for (let k = 0; k < days; k++) list.push({ date: new Date(start.date + k * DAY).toISOString().slice(0, 10), name: summary });
  }
  const holidayDates = new Map(out.holidays.map((h) => [h.date, h.name]));
  for (const w of out.workdays) {
    if (holidayDates.has(w.date)) issues.push({ path: w.date, message: `both a holiday (${holidayDates.get(w.date)}) and a workday (${w.name})` });
  }
  if (out.holidays.length + out.workdays.length > maxDays) issues.push({ path: '(file)', message: `more than ${maxDays} dated days` });
  if (issues.length > 0) throw new ValidationError(`${issues.length} problem(s) in the iCalendar file; nothing imported`, issues);
  return out;
}
