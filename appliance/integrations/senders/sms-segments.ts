/**
 * How a text is cut into SMS segments (3GPP TS 23.038 alphabets, TS 23.040 §9.2.3.24.1
 * concatenation). A message in the GSM 7-bit default alphabet fits 160 characters in one SMS,
 * 153 per segment once concatenated (the 6-octet user-data header takes 7 septets); anything
 * else — Chinese — is UCS-2: 70 characters alone, 67 per segment concatenated. Characters of the
 * GSM extension table (`^{}\[~]|€`) take two septets. A UTF-16 surrogate pair is never split
 * across segments (handsets would show two broken halves).
 */

/** TS 23.038 §6.2.1 default alphabet (the basic table), as UTF-16. */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** TS 23.038 §6.2.1.1 extension table: escape + one septet. */
const GSM_EXTENDED = '^{}\\[~]|€\f';

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SmsSplit {
  encoding: SmsEncoding;
  segments: string[];
}

export const SMS_LIMITS = { gsm7: { single: 160, multi: 153 }, ucs2: { single: 70, multi: 67 } } as const;

function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM_BASIC.includes(ch) && !GSM_EXTENDED.includes(ch)) return false;
  return true;
}

/** Units a character takes: septets for GSM-7, UTF-16 code units for UCS-2. */
function units(ch: string, encoding: SmsEncoding): number {
  if (encoding === 'gsm7') return GSM_EXTENDED.includes(ch) ? 2 : 1;
  return ch.length;
}

export function smsEncoding(text: string): SmsEncoding {
  return isGsm7(text) ? 'gsm7' : 'ucs2';
}

export function splitSms(text: string): SmsSplit {
  const encoding = smsEncoding(text);
  const chars = Array.from(text);
  const total = chars.reduce((n, ch) => n + units(ch, encoding), 0);
  const limits = SMS_LIMITS[encoding];
  if (total <= limits.single) return { encoding, segments: text === '' ? [] : [text] };
  const segments: string[] = [];
  let current = '';
  let used = 0;
  for (const ch of chars) {
    const u = units(ch, encoding);
    if (used + u > limits.multi) {
      segments.push(current);
      current = '';
      used = 0;
    }
    current += ch;
    used += u;
  }
  if (current !== '') segments.push(current);
  return { encoding, segments };
}

/** `text` cut to at most `maxSegments` segments, ending in `…` when cut. */
export function fitSms(text: string, maxSegments: number): string {
  if (splitSms(text).segments.length <= maxSegments) return text;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (splitSms(`${chars.slice(0, mid).join('')}…`).segments.length <= maxSegments) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('')}…`;
}
