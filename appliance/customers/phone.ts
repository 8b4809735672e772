/**
 * Chinese telephone numbers, normalised so that every way a caller's number reaches the
 * appliance (trunk CLI, IVR entry, an agent's typing, the billing system) gives one lookup key.
 * Numbering plan per ITU-T E.164 country code 86 and the MIIT national numbering plan:
 *
 *   - international prefix `+86`, `0086` (and a bare `86` before an 11-digit mobile) is dropped;
 *   - mobile numbers are 11 digits `1[3-9]xxxxxxxxx`; carriers prefix the trunk `0` to mobile
 *     CLIs from outside the local network (`013800138000`), which is dropped too;
 *   - landlines are `0` + area code + a 7–8 digit subscriber number that does not start with
 *     0 or 1. Area codes are 2 digits after the 0 for Beijing (010) and the 02X cities, 3 digits
 *     otherwise (0371 Zhengzhou, 0755 Shenzhen). A bare 7–8 digit number is local: it takes the
 *     site's default area code;
 *   - service numbers (95598, 12345, 110, 400/800 numbers) are kept as dialled.
 *
 * The key is the national significant number (no trunk 0): `13800138000`, `1088886666`,
 * `37165432100`; foreign numbers keep `+CC…`. Parsing is pure; errors are values.
 */

export const PhoneKinds = ['mobile', 'landline', 'service', 'international'] as const;
export type PhoneKind = (typeof PhoneKinds)[number];

export interface PhoneNumber {
  /** Lookup key: national significant number, or `+CC…` for foreign numbers. */
  key: string;
  kind: PhoneKind;
  /** Landline area code with its trunk 0 (`010`, `0371`); null otherwise. */
  areaCode: string | null;
  /** The number without area code (landline subscriber, mobile, service digits). */
  subscriber: string;
  /** E.164 form (`+8613800138000`); null for service numbers, which are not reachable from abroad. */
  e164: string | null;
  /** For people: `138 0013 8000`, `010-8888 6666`. */
  display: string;
}

export type PhoneProblem = 'empty' | 'bad-characters' | 'too-short' | 'too-long' | 'bad-area-code' | 'bad-subscriber' | 'no-area-code';

export type PhoneParse = { ok: true; phone: PhoneNumber } | { ok: false; problem: PhoneProblem; input: string };

export interface PhoneOptions {
  /** Area code (with or without the trunk 0) for bare 7–8 digit local numbers, e.g. `0371`. */
  defaultAreaCode?: string;
}

const MOBILE = /^1[3-9]\d{9}$/;
const SUBSCRIBER = /^[2-9]\d{6,7}$/;
/** 3–5 digit short codes (110, 12345, 95598, 96123) and 400/800 ten-digit numbers. */
const SERVICE = /^(?:1\d{2}|1\d{4}|9[5-6]\d{3}|9[5-6]\d{4}|[48]00\d{7})$/;

const fail = (problem: PhoneProblem, input: string): PhoneParse => ({ ok: false, problem, input });

function mobile(n: string): PhoneNumber {
  return { key: n, kind: 'mobile', areaCode: null, subscriber: n, e164: `+86${n}`, display: `${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}` };
}

function landline(area: string, sub: string): PhoneNumber {
  const shown = sub.length === 8 ? `${sub.slice(0, 4)} ${sub.slice(4)}` : `${sub.slice(0, 3)} ${sub.slice(3)}`;
  return { key: area + sub, kind: 'landline', areaCode: `0${area}`, subscriber: sub, e164: `+86${area}${sub}`, display: `0${area}-${shown}` };
}

/** Length of the area code (without the trunk 0) at the start of a national number, or 0 if none can start there. */
function areaLength(n: string): number {
  if (n.startsWith('10')) return 2;
  if (n.startsWith('2')) return 2;
  if (/^[3-9]/.test(n)) return 3;
  return 0;
}

/** A national significant number (no trunk 0, no country code). */
function national(n: string, input: string): PhoneParse {
  if (MOBILE.test(n)) return { ok: true, phone: mobile(n) };
  const len = areaLength(n);
  if (len === 0) return fail('bad-area-code', input);
  const sub = n.slice(len);
  if (sub.length < 7) return fail('too-short', input);
  if (sub.length > 8) return fail('too-long', input);
  if (!SUBSCRIBER.test(sub)) return fail('bad-subscriber', input);
  return { ok: true, phone: landline(n.slice(0, len), sub) };
}

export function parsePhone(raw: string, opts: PhoneOptions = {}): PhoneParse {
  const input = raw;
  const s = raw.trim().replace(/[\s\-().\u3000]/g, '');
  if (s === '') return fail('empty', input);
  if (!/^\+?\d+$/.test(s)) return fail('bad-characters', input);

  let digits: string;
  if (s.startsWith('+')) {
    if (!s.startsWith('+86')) return foreign(s.slice(1), input);
    digits = s.slice(3).replace(/^0/, '');
    return national(digits, input);
  }
  if (s.startsWith('00')) {
    if (!s.startsWith('0086')) return foreign(s.slice(2), input);
    return national(s.slice(4).replace(/^0/, ''), input);
  }
  digits = s;
  if (SERVICE.test(digits)) return { ok: true, phone: { key: digits, kind: 'service', areaCode: null, subscriber: digits, e164: null, display: digits } };
  if (/^861[3-9]\d{9}$/.test(digits)) return { ok: true, phone: mobile(digits.slice(2)) };
  if (MOBILE.test(digits)) return { ok: true, phone: mobile(digits) };
  if (digits.startsWith('0')) return national(digits.slice(1), input);
  if (SUBSCRIBER.test(digits)) {
    const area = opts.defaultAreaCode?.replace(/^0/, '');
    if (!area) return fail('no-area-code', input);
    return { ok: true, phone: landline(area, digits) };
  }
  if (digits.length < 7) return fail('too-short', input);
  return fail(digits.length > 12 ? 'too-long' : 'bad-subscriber', input);
}

/** E.164 §6: a country code and national number of at most 15 digits in all. */
function foreign(digits: string, input: string): PhoneParse {
  if (digits.length < 8) return fail('too-short', input);
  if (digits.length > 15) return fail('too-long', input);
  return { ok: true, phone: { key: `+${digits}`, kind: 'international', areaCode: null, subscriber: digits, e164: `+${digits}`, display: `+${digits}` } };
}

/** The lookup key of `raw`, or null when it is not a usable number. */
export function phoneKey(raw: string, opts: PhoneOptions = {}): string | null {
  const r = parsePhone(raw, opts);
  return r.ok ? r.phone.key : null;
}
