/**
 * The say module: values → prompt-name sequences, in Mandarin (zh.ts) or English (en.ts).
 * Pure functions with no clock, channel or catalogue; the `say` verb turns the names into
 * PlayItems and the validator checks the catalogue holds every name a kind can produce.
 */
import { ValidationError } from '../../core/errors.js';
import { enDate, enDigits, enMoney, enNumber, enTime, PROMPT_TEXT_EN } from './en.js';
import { PROMPT_TEXT_ZH, zhDate, zhDigits, zhMoney, zhNumber, zhTime } from './zh.js';

export const SayKinds = ['digits', 'number', 'money', 'date', 'time'] as const;
export type SayKind = (typeof SayKinds)[number];

export const Langs = ['zh', 'en'] as const;
export type Lang = (typeof Langs)[number];

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{1,2}):(\d{2})(?::\d{2})?$/;

export function parseDate(value: string): { year: number; month: number; day: number } {
  const m = DATE.exec(value.trim().slice(0, 10));
  const year = Number(m?.[1]);
  const month = Number(m?.[2]);
  const day = Number(m?.[3]);
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (!m || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day)
    throw new ValidationError(`not a date: ${JSON.stringify(value)}`, [{ path: 'value', message: 'expected YYYY-MM-DD' }]);
  return { year, month, day };
}

/** HH:MM, or an ISO date-time whose local time part is used as written. */
export function parseTime(value: string): { hour: number; minute: number } {
  const text = value.includes('T') ? value.split('T')[1] ?? '' : value.trim();
  const m = TIME.exec(text.slice(0, 8).replace(/[Z+].*$/, ''));
  const hour = Number(m?.[1]);
  const minute = Number(m?.[2]);
  if (!m || hour > 23 || minute > 59)
    throw new ValidationError(`not a time: ${JSON.stringify(value)}`, [{ path: 'value', message: 'expected HH:MM' }]);
  return { hour, minute };
}

/** The prompt names reading `value` as `kind` in `lang`. Throws ValidationError on bad values. */
export function say(kind: SayKind, value: string | number, lang: Lang): string[] {
  const text = String(value);
  switch (kind) {
    case 'digits':
      return lang === 'zh' ? zhDigits(text) : enDigits(text);
    case 'number':
      return lang === 'zh' ? zhNumber(value) : enNumber(value);
    case 'money':
      return lang === 'zh' ? zhMoney(value) : enMoney(value);
    case 'date': {
      const d = parseDate(text);
      return lang === 'zh' ? zhDate(d.year, d.month, d.day) : enDate(d.year, d.month, d.day);
    }
    case 'time': {
      const t = parseTime(text);
      return lang === 'zh' ? zhTime(t.hour, t.minute) : enTime(t.hour, t.minute);
    }
  }
}

/** Every prompt name the say module can produce in `lang` (what the catalogue must hold). */
export function sayPromptNames(lang: Lang): string[] {
  return Object.keys(lang === 'zh' ? PROMPT_TEXT_ZH : PROMPT_TEXT_EN);
}

/** The text of a say prompt, for logs, golden tests and TTS rendering of the prompt set. */
export function sayText(names: readonly string[], lang: Lang): string {
  const table: Readonly<Record<string, string>> = lang === 'zh' ? PROMPT_TEXT_ZH : PROMPT_TEXT_EN;
  return names.map((n) => table[n] ?? `<${n}>`).join(lang === 'zh' ? '' : ' ');
}
