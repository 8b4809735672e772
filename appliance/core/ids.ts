/**
 * Identifiers: time-ordered, URL-safe, 26-character ULIDs (Crockford base32), so rows sort by
 * creation time and ids can be read in logs. Time comes from the injected clock.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function ulid(clock: Pick<Clock, 'now'>): string {
  let time = clock.now();
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32]! + out;
    time = Math.floor(time / 32);
  }
  const rnd = randomBytes(16);
  for (let i = 0; i < 16; i++) out += ALPHABET[rnd[i]! % 32]!;
  return out;
}

/** A prefixed id for a kind of thing: `call_01J…`, `wo_01J…`. */
export function newId(prefix: string, clock: Pick<Clock, 'now'>): string {
  return `${prefix}_${ulid(clock)}`;
}
