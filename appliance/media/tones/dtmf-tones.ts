/**
 * In-band DTMF as tone specs (ITU-T Q.23): each digit is one low-group and one high-group
 * frequency sent together. Q.23 Table 1 / Figure 1:
 *
 *            1209   1336   1477   1633 Hz
 *     697     1      2      3      A
 *     770     4      5      6      B
 *     852     7      8      9      C
 *     941     *      0      #      D
 *
 * Levels follow Q.24's acceptance window (each tone −10 dBm0 here, as spandsp's generator) and
 * the timing the minimum Q.24 detection needs (≥ 40 ms on, ≥ 40 ms pause); the defaults are
 * 100 ms on and 60 ms off, comfortable for every receiver.
 */
import type { ToneSpec } from './tone-plan.js';

const LOW = [697, 770, 852, 941] as const;
const HIGH = [1209, 1336, 1477, 1633] as const;
const KEYPAD = ['123A', '456B', '789C', '*0#D'] as const;

/** The Q.23 frequency pair of a digit, or null for anything else. */
export function dtmfFrequencies(digit: string): readonly [number, number] | null {
  const d = digit.toUpperCase();
  for (let row = 0; row < KEYPAD.length; row++) {
    const col = (KEYPAD[row] as string).indexOf(d);
    if (col >= 0 && d.length === 1) return [LOW[row] as number, HIGH[col] as number];
  }
  return null;
}

/** One tone spec playing `digits` in turn, each `onMs` of the pair then `offMs` of silence. */
export function dtmfToneSpec(digits: readonly string[], onMs = 100, offMs = 60, levelDbm0 = -10): ToneSpec {
  const segments: ToneSpec['segments'] = [];
  for (const d of digits) {
    const f = dtmfFrequencies(d);
    if (!f) continue;
    segments.push({ freqs: [f[0], f[1]], ms: onMs }, { freqs: [], ms: offMs });
  }
  if (segments.length === 0) segments.push({ freqs: [], ms: offMs });
  return { segments, repeat: false, levelDbm0 };
}
