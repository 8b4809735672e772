/**
 * Mandarin readings as prompt-name sequences (GB/T 15835-2011 "出版物上数字用法" for the written
 * forms; the spoken rules are the ones every 95598 announcer follows):
 *
 * - digits are grouped by four: 个 / 万 / 亿 / 万亿;
 * - inside a group, a run of zeros between non-zero digits is read once as 零 and trailing
 *   zeros are silent (1001 一千零一, 1010 一千零一十, 1100 一千一百);
 * - a group below 1000 following a higher non-zero group, or an all-zero group between two
 *   non-zero ones, is preceded by one 零 (10010 一万零一十, 100000001 一亿零一);
 * - 10–19 at the very start of a number drop the 一: 十, 十五, 十万; elsewhere 一十 (110 一百一十);
 * - 2 is 两 before 千, 万 and 亿, and before 百 at the start of a number (两百, 两千, 一万两千,
 *   两千万); it is 二 before 十 and in the units (十二, 二十二, 一千二百); a bare 2 before a
 *   measure word (元, 点 o'clock, 角, 分) is 两 (两元, 两点);
 * - in telephone, account and other digit strings 1 is read 幺 (yāo) so it is not heard as 七.
 *
 * Names are the keys of PROMPT_TEXT_ZH; the catalogue records one prompt per name.
 */
import { parseDecimal, toFen } from './decimal.js';

export const PROMPT_TEXT_ZH = {
  'digit-0': '零',
  'digit-1': '一',
  'digit-2': '二',
  'digit-3': '三',
  'digit-4': '四',
  'digit-5': '五',
  'digit-6': '六',
  'digit-7': '七',
  'digit-8': '八',
  'digit-9': '九',
  yao: '幺',
  liang: '两',
  ten: '十',
  hundred: '百',
  thousand: '千',
  wan: '万',
  yi: '亿',
  point: '点',
  negative: '负',
  star: '星',
  pound: '井',
  yuan: '元',
  jiao: '角',
  fen: '分',
  year: '年',
  month: '月',
  day: '日',
  hour: '点',
  minute: '分',
  zheng: '整',
} as const;

export type ZhPrompt = keyof typeof PROMPT_TEXT_ZH;

const DIGIT = (d: number): ZhPrompt => `digit-${d}` as ZhPrompt;
const PLACE: readonly (ZhPrompt | null)[] = [null, 'ten', 'hundred', 'thousand'];
const GROUP_UNIT: readonly ZhPrompt[][] = [[], ['wan'], ['yi'], ['wan', 'yi']];

export interface ZhNumberOptions {
  /** The number stands before a measure word (元, 点, 角, 分): a bare 2 is 两. */
  measure?: boolean;
}

/** An integer given as a digit string (no sign, no leading zeros) read in Mandarin. */
export function zhInteger(int: string, opts: ZhNumberOptions = {}): ZhPrompt[] {
  if (/^0*$/.test(int)) return ['digit-0'];
  if (opts.measure && int === '2') return ['liang'];
  const groups: number[] = [];
  for (let end = int.length; end > 0; end -= 4) groups.push(Number(int.slice(Math.max(0, end - 4), end)));
  const out: ZhPrompt[] = [];
  let gap = false;
  for (let g = groups.length - 1; g >= 0; g--) {
    const v = groups[g]!;
    if (v === 0) {
      if (out.length > 0) gap = true;
      continue;
    }
    const leading = out.length === 0;
    if (!leading && (gap || v < 1000)) out.push('digit-0');
    gap = false;
    out.push(...zhGroup(v, leading, g > 0));
    out.push(...GROUP_UNIT[g]!);
  }
  return out;
}

/** One four-digit group, 1 ≤ v ≤ 9999. */
function zhGroup(v: number, leading: boolean, hasUnit: boolean): ZhPrompt[] {
  const out: ZhPrompt[] = [];
  let started = false;
  let zero = false;
  for (let pos = 3; pos >= 0; pos--) {
    const d = Math.floor(v / 10 ** pos) % 10;
    if (d === 0) {
      if (started) zero = true;
      continue;
    }
    if (zero) out.push('digit-0');
    zero = false;
    const first = leading && !started;
    if (pos === 1 && d === 1 && first) out.push('ten');
    else {
      out.push(d === 2 && useLiang(pos, first, v, hasUnit) ? 'liang' : DIGIT(d));
      const place = PLACE[pos];
      if (place) out.push(place);
    }
    started = true;
  }
  return out;
}

function useLiang(pos: number, first: boolean, groupValue: number, hasUnit: boolean): boolean {
  if (pos === 3) return true;
  if (pos === 2) return first;
  // A group that is exactly 2 at the head of the number, before 万/亿: 两万, 两亿.
  return pos === 0 && first && groupValue === 2 && hasUnit;
}

/** A decimal number: 3.14 三点一四, -5 负五. */
export function zhNumber(value: string | number, opts: ZhNumberOptions = {}): ZhPrompt[] {
  const d = parseDecimal(value);
  const out: ZhPrompt[] = d.negative ? ['negative'] : [];
  out.push(...zhInteger(d.int, d.frac ? {} : opts));
  if (d.frac) out.push('point', ...zhDigitsPlain(d.frac));
  return out;
}

/** Digit by digit with 一 (years, decimals). */
function zhDigitsPlain(s: string): ZhPrompt[] {
  return [...s].map((c) => DIGIT(Number(c)));
}

/** A digit string as dialled: 1 is 幺, * 星, # 井. Other characters are skipped. */
export function zhDigits(s: string): ZhPrompt[] {
  const out: ZhPrompt[] = [];
  for (const c of s) {
    if (c === '1') out.push('yao');
    else if (c >= '0' && c <= '9') out.push(DIGIT(Number(c)));
    else if (c === '*') out.push('star');
    else if (c === '#') out.push('pound');
  }
  return out;
}

/** Money in 元/角/分: 123.45 一百二十三元四角五分, 0.05 五分, 12.30 十二元三角, 12.05 十二元零五分. */
export function zhMoney(value: string | number): ZhPrompt[] {
  const { negative, fen } = toFen(value);
  const yuan = fen / 100n;
  const jiao = Number((fen / 10n) % 10n);
  const f = Number(fen % 10n);
  const out: ZhPrompt[] = negative ? ['negative'] : [];
  if (yuan > 0n || (jiao === 0 && f === 0)) out.push(...zhInteger(yuan.toString(), { measure: true }), 'yuan');
  if (jiao > 0) out.push(jiao === 2 ? 'liang' : DIGIT(jiao), 'jiao');
  if (f > 0) {
    if (jiao === 0 && yuan > 0n) out.push('digit-0');
    out.push(f === 2 ? 'liang' : DIGIT(f), 'fen');
  }
  return out;
}

/** A calendar date: 2026-01-05 二零二六年一月五日 (the year digit by digit, month and day as numbers). */
export function zhDate(year: number, month: number, day: number): ZhPrompt[] {
  return [...zhDigitsPlain(String(year)), 'year', ...zhInteger(String(month)), 'month', ...zhInteger(String(day)), 'day'];
}

/** A 24-hour clock time: 14:05 十四点零五分, 2:00 两点整, 10:30 十点三十分. */
export function zhTime(hour: number, minute: number): ZhPrompt[] {
  const out: ZhPrompt[] = [...zhInteger(String(hour), { measure: true }), 'hour'];
  if (minute === 0) return [...out, 'zheng'];
  if (minute < 10) out.push('digit-0');
  return [...out, ...zhInteger(String(minute)), 'minute'];
}
