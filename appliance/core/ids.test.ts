import test from 'ava';
import { ManualClock } from './testing/manual-clock.js';
import { MonotonicUlid, ulid } from './ids.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

test('MonotonicUlid: ids in one millisecond are distinct and sort in creation order', (t) => {
  const clock = new ManualClock();
  const gen = new MonotonicUlid();
  const ids = Array.from({ length: 5000 }, () => gen.next(clock));
  for (const id of ids) t.regex(id, ULID);
  t.is(new Set(ids).size, ids.length);
  t.deepEqual([...ids].sort(), ids);
  t.is(ids[0]!.slice(0, 10), ulid(clock).slice(0, 10), 'same time prefix as ulid()');
});

test('MonotonicUlid: a new millisecond sorts after, and a clock stepping back never sorts before', (t) => {
  const clock = new ManualClock();
  const gen = new MonotonicUlid();
  const a = gen.next(clock);
  clock.advance(1);
  const b = gen.next(clock);
  t.true(b > a);
  t.not(b.slice(10), a.slice(10), 'fresh randomness each millisecond');
  const back = { now: () => clock.now() - 60_000 };
  const c = gen.next(back);
  t.true(c > b);
});
