import test from 'ava';
import type { Clock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { AcdScheduler } from './acd-scheduler.js';

const MIN = 60_000;
const utc = (h: number, m = 0): number => Date.UTC(2026, 0, 5, h, m);

function rig(clock: Clock, opts: ConstructorParameters<typeof AcdScheduler>[1] = {}) {
  const closed: [string, string, number][] = [];
  const resets: number[] = [];
  const iso = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
  const s = new AcdScheduler(
    {
      clock,
      log: silentLogger(),
      acd: {
        closeIntervals: (from, to, len) => {
          closed.push([iso(from), iso(to), len / MIN]);
          return [];
        },
        resetRealtime: () => resets.push(clock.now()),
      },
    },
    { utcOffsetMinutes: 480, ...opts },
  );
  return { s, closed, resets };
}

test('closes each 15- and 30-minute interval once, just after it ends', (t) => {
  const clock = new ManualClock(utc(1, 5));
  const { s, closed } = rig(clock);
  s.start();
  t.deepEqual(closed, [['00:45', '01:00', 15], ['00:30', '01:00', 30]], 'last complete intervals at start');
  closed.length = 0;
  clock.advance(10 * MIN - 1);
  t.deepEqual(closed, [], '01:14:59: nothing ends yet');
  clock.advance(1_001);
  t.deepEqual(closed, [['01:00', '01:15', 15]], 'closed at 01:15 + 1 s grace');
  clock.advance(15 * MIN);
  t.deepEqual(closed, [['01:00', '01:15', 15], ['01:15', '01:30', 15], ['01:00', '01:30', 30]]);
  clock.advance(60 * MIN);
  t.is(closed.filter((c) => c[2] === 15).length, 6);
  t.is(closed.filter((c) => c[2] === 30).length, 3);
  s.stop();
  clock.advance(60 * MIN);
  t.is(closed.length, 9, 'nothing after stop');
});

test('the real-time counters reset exactly at local midnight (UTC+8: 16:00 UTC)', (t) => {
  const clock = new ManualClock(utc(15, 50));
  const { s, resets } = rig(clock);
  s.start();
  clock.advance(10 * MIN - 1);
  t.deepEqual(resets, []);
  clock.advance(1);
  t.deepEqual(resets, [utc(16)]);
  clock.advance(23 * 60 * MIN);
  t.deepEqual(resets, [utc(16)], 'once per day');
  clock.advance(60 * MIN);
  t.deepEqual(resets, [utc(16), utc(16) + 24 * 60 * MIN]);
  s.stop();
});

test('wall-clock steps: forward closes the skipped intervals (bounded), backward closes the repeating ones again', (t) => {
  const manual = new ManualClock(utc(1, 5));
  let skew = 0;
  const clock: Clock = {
    now: () => manual.now() + skew,
    monotonic: () => manual.monotonic(),
    setTimeout: (fn, ms) => manual.setTimeout(fn, ms),
    setInterval: (fn, ms) => manual.setInterval(fn, ms),
    sleep: (ms, sig) => manual.sleep(ms, sig),
  };
  const { s, closed } = rig(clock, { intervalsMs: [15 * MIN], maxCatchUp: 4 });
  s.start();
  closed.length = 0;
  skew = 3 * 60 * MIN; // NTP steps three hours forward
  manual.advance(60_000);
  t.deepEqual(closed, [['03:00', '04:00', 15]], 'one call covering at most 4 intervals');
  closed.length = 0;
  skew = 0; // and back
  manual.advance(15 * MIN);
  t.deepEqual(closed, [['00:45', '01:00', 15], ['01:00', '01:15', 15]], 'the last complete one again at once, then each as it ends');
  s.stop();
});

test('interval lengths that do not divide a day are refused', (t) => {
  t.throws(() => rig(new ManualClock(), { intervalsMs: [7 * MIN] }), { instanceOf: RangeError });
});
