/**
 * Identifiers: time-ordered, URL-safe, 26-character ULIDs (Crockford base32), so rows sort by
 * creation time and ids can be read in logs. Time comes from the injected clock.
 */
import { randomView } from './random-pool.js';
import type { Clock } from './clock.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function ulid(clock: Pick<Clock, 'now'>): string {
  let time = clock.now();
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32]! + out;
    time = Math.floor(time / 32);
  }
  const rnd = randomView(16);
  for (let i = 0; i < 16; i++) out += ALPHABET[rnd[i]! % 32]!;
  return out;
}

/** A prefixed id for a kind of thing: `call_01J…`, `wo_01J…`. */
export function newId(prefix: string, clock: Pick<Clock, 'now'>): string {
  return `${prefix}_${ulid(clock)}`;
}

/**
 * ULIDs for hot paths (event ids, ACD offers): the ULID spec's "Monotonicity" rule — "when
 * generating a ULID within the same millisecond, we can provide some guarantees regarding sort
 * order … the random component is incremented by 1 bit in the least significant bit position"
 * — so crypto randomness is drawn once per millisecond (from a pooled buffer), not per id, and
 * ids made in one millisecond sort in creation order. A clock stepping backwards keeps the
 * last time, so ids never sort before earlier ones.
 */
export class MonotonicUlid {
  private lastTime = -1;
  private readonly rnd = new Uint8Array(16);

  next(clock: Pick<Clock, 'now'>): string {
    const now = clock.now();
    if (now > this.lastTime) {
      this.lastTime = now;
      const fresh = randomView(16);
      for (let i = 0; i < 16; i++) this.rnd[i] = fresh[i]! % 32;
    } else {
      let i = 15;
      while (i >= 0 && this.rnd[i] === 31) this.rnd[i--] = 0;
      if (i >= 0) this.rnd[i]!++;
    }
    let time = this.lastTime;
    let head = '';
    for (let i = 0; i < 10; i++) {
      head = ALPHABET[time % 32]! + head;
      time = Math.floor(time / 32);
    }
    let tail = '';
    for (let i = 0; i < 16; i++) tail += ALPHABET[this.rnd[i]!]!;
    return head + tail;
  }
}

const sharedMonotonic = new MonotonicUlid();

/** A ULID from the process-wide MonotonicUlid. */
export function monotonicUlid(clock: Pick<Clock, 'now'>): string {
  return sharedMonotonic.next(clock);
}

/** `newId` on the monotonic generator, for ids made many times a millisecond. */
export function newMonotonicId(prefix: string, clock: Pick<Clock, 'now'>): string {
  return `${prefix}_${sharedMonotonic.next(clock)}`;
}
