/**
 * English readings as prompt-name sequences, in the American style the English prompts are
 * recorded in: no "and" inside numbers (101 "one hundred one"), hyphenated tens spoken as two
 * prompts ("twenty" "three"), years in pairs ("twenty twenty-six", "nineteen oh five", "two
 * thousand five"), money as "<n> yuan and <n> cents", 12-hour clock with a.m./p.m.
 *
 * Names are the keys of PROMPT_TEXT_EN.
 */
import { parseDecimal, toFen } from './decimal.js';

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const TEENS = ['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const ORDINALS = [
  '', 'first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth',
  'eleventh', 'twelfth', 'thirteenth', 'fourteenth', 'fifteenth', 'sixteenth', 'seventeenth', 'eighteenth', 'nineteenth', 'twentieth',
  'twenty-first', 'twenty-second', 'twenty-third', 'twenty-fourth', 'twenty-fifth', 'twenty-sixth', 'twenty-seventh', 'twenty-eighth',
  'twenty-ninth', 'thirtieth', 'thirty-first',
];

function table(): Record<string, string> {
  const t: Record<string, string> = {};
  ONES.forEach((w, i) => (t[`digit-${i}`] = w));
  TEENS.forEach((w, i) => (t[`n-${10 + i}`] = w));
  for (let i = 2; i < 10; i++) t[`n-${i * 10}`] = TENS[i]!;
  MONTHS.forEach((w, i) => (t[`month-${i + 1}`] = w));
  for (let i = 1; i <= 31; i++) t[`ord-${i}`] = ORDINALS[i]!;
  Object.assign(t, {
    hundred: 'hundred', thousand: 'thousand', million: 'million', billion: 'billion', trillion: 'trillion',
    point: 'point', minus: 'minus', star: 'star', pound: 'pound', oh: 'oh', and: 'and',
    yuan: 'yuan', cent: 'cent', cents: 'cents', oclock: "o'clock", am: 'a.m.', pm: 'p.m.',
  });
  return t;
}

export const PROMPT_TEXT_EN: Readonly<Record<string, string>> = table();

const SCALES = ['', 'thousand', 'million', 'billion', 'trillion', 'quadrillion'];

/** 1 ≤ v ≤ 99. */
function under100(v: number): string[] {
  if (v < 10) return [`digit-${v}`];
  if (v < 20) return [`n-${v}`];
  const t = Math.floor(v / 10) * 10;
  return v % 10 === 0 ? [`n-${t}`] : [`n-${t}`, `digit-${v % 10}`];
}

/** 1 ≤ v ≤ 999. */
function under1000(v: number): string[] {
  const h = Math.floor(v / 100);
  const rest = v % 100;
  return [...(h ? [`digit-${h}`, 'hundred'] : []), ...(rest ? under100(rest) : [])];
}

export function enInteger(int: string): string[] {
  if (/^0*$/.test(int)) return ['digit-0'];
  const groups: number[] = [];
  for (let end = int.length; end > 0; end -= 3) groups.push(Number(int.slice(Math.max(0, end - 3), end)));
  const out: string[] = [];
  for (let g = groups.length - 1; g >= 0; g--) {
    const v = groups[g]!;
    if (v === 0) continue;
    out.push(...under1000(v));
    if (SCALES[g]) out.push(SCALES[g]!);
  }
  return out;
}

export function enNumber(value: string | number): string[] {
  const d = parseDecimal(value);
  const out = d.negative ? ['minus'] : [];
  out.push(...enInteger(d.int));
  if (d.frac) out.push('point', ...[...d.frac].map((c) => `digit-${c}`));
  return out;
}

export function enDigits(s: string): string[] {
  const out: string[] = [];
  for (const c of s) {
    if (c >= '0' && c <= '9') out.push(`digit-${c}`);
    else if (c === '*') out.push('star');
    else if (c === '#') out.push('pound');
  }
  return out;
}

/** 123.45 → one hundred twenty three yuan and forty five cents; 0.05 → five cents. */
export function enMoney(value: string | number): string[] {
  const { negative, fen } = toFen(value);
  const yuan = fen / 100n;
  const cents = Number(fen % 100n);
  const out = negative ? ['minus'] : [];
  if (yuan > 0n || cents === 0) out.push(...enInteger(yuan.toString()), 'yuan');
  if (cents > 0) {
    if (yuan > 0n) out.push('and');
    out.push(...under100(cents), cents === 1 ? 'cent' : 'cents');
  }
  return out;
}

function enYear(y: number): string[] {
  if (y >= 2000 && y <= 2009) return enInteger(String(y));
  const hi = Math.floor(y / 100);
  const lo = y % 100;
  if (y < 1000) return enInteger(String(y));
  if (lo === 0) return [...under100(hi), 'hundred'];
  return [...under100(hi), ...(lo < 10 ? ['oh', `digit-${lo}`] : under100(lo))];
}

/** January fifth, twenty twenty-six. */
export function enDate(year: number, month: number, day: number): string[] {
  return [`month-${month}`, `ord-${day}`, ...enYear(year)];
}

/** 14:05 → two oh five p.m.; 12:00 → twelve o'clock p.m.; 00:30 → twelve thirty a.m. */
export function enTime(hour: number, minute: number): string[] {
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  const out = under100(h12);
  if (minute === 0) out.push('oclock');
  else if (minute < 10) out.push('oh', `digit-${minute}`);
  else out.push(...under100(minute));
  out.push(hour < 12 ? 'am' : 'pm');
  return out;
}
