import test from 'ava';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { LateClock, stallSequence } from './testing/late-clock.js';
import { Ticker } from './ticker.js';

test('ticks every 20 ms anchored to the start, without drift from slow ticks', (t) => {
  const clock = new ManualClock();
  const at: number[] = [];
  const t0 = clock.monotonic();
  const ticker = new Ticker(clock, (deadline) => {
    at.push(deadline - t0);
    clock.advance(0); // work takes no manual time
  });
  ticker.start();
  for (let i = 0; i < 10; i++) clock.advance(20);
  t.deepEqual(at, [20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
  t.is(ticker.stats.lateTicks, 0);
  ticker.stop();
  clock.advance(100);
  t.is(at.length, 10);
});

test('a stall is caught up back to back and counted as late', (t) => {
  const clock = new ManualClock();
  const t0 = clock.monotonic();
  const deadlines: number[] = [];
  const ticker = new Ticker(
    clock,
    (deadline) => {
      deadlines.push(deadline - t0);
      if (deadlines.length === 2) clock.advance(65); // this tick takes 65 ms (a GC pause)
    },
    { lateThresholdMs: 10, maxCatchUp: 5 },
  );
  ticker.start();
  clock.advance(120);
  // 20, 40 on time; 60, 80, 100 run back to back at 105; 120 on time again.
  t.deepEqual(deadlines, [20, 40, 60, 80, 100, 120]);
  t.is(ticker.stats.lateTicks, 1);
  t.is(ticker.stats.catchUpTicks, 2);
  t.is(ticker.stats.maxLatenessMs, 45);
  ticker.stop();
});

test('too far behind: re-anchored instead of a burst', (t) => {
  const clock = new ManualClock();
  let n = 0;
  const ticker = new Ticker(
    clock,
    () => {
      n++;
      if (n === 1) clock.advance(1000);
    },
    { maxCatchUp: 5 },
  );
  ticker.start();
  clock.advance(2000);
  // Tick 1 at 20 stalls until 1020; one tick then, re-anchored, and every 20 ms to 2000:
  // 51 ticks, where a burst catching up every missed deadline would make 100.
  t.is(n, 51);
  t.is(ticker.stats.catchUpTicks, 0);
  t.is(ticker.stats.skippedTicks, 49, 'deadlines 40..1000 given up are reported (recordings pad them)');
  t.is(ticker.stats.lateTicks, 1);
  ticker.stop();
});

test('timers firing late and stalls of any length: ticks run + ticks given up = elapsed time / 20 ms', (t) => {
  const clock = new LateClock(stallSequence(7, { stallEvery: 8, maxStallMs: 600 }));
  let ran = 0;
  let padded = 0;
  const t0 = clock.monotonic();
  const ticker = new Ticker(clock, (_deadline, skipped) => {
    ran++;
    padded += skipped;
  });
  ticker.start();
  clock.advance(60_000);
  const elapsed = clock.monotonic() - t0;
  t.true(ticker.stats.skippedTicks > 0, 'the sequence has stalls long enough to give ticks up');
  t.true(ticker.stats.catchUpTicks > 0, 'and shorter ones caught up back to back');
  // The last tick may still be pending behind a late timer: at most one stall's worth short.
  const frames = ran + padded;
  const expected = Math.floor(elapsed / 20);
  t.true(frames <= expected, `${frames} frames for ${expected} periods: never more than time`);
  t.true(expected - frames <= Math.ceil(600 / 20) + 1, `${frames} frames for ${expected} periods`);
  // Once the pending timer has fired (no more lateness), the count is exact.
  ticker.stop();
  t.is(padded, ticker.stats.skippedTicks);
});

test('after a stall that ends mid-period the schedule keeps its phase', (t) => {
  const clock = new ManualClock();
  const t0 = clock.monotonic();
  const deadlines: number[] = [];
  let padded = 0;
  const ticker = new Ticker(
    clock,
    (deadline, skipped) => {
      deadlines.push(deadline - t0);
      padded += skipped;
      if (deadlines.length === 1) clock.advance(1013); // stall ends 13 ms past a deadline
    },
    { maxCatchUp: 5 },
  );
  ticker.start();
  clock.advance(2000);
  // Deadlines stay on the 20 ms grid: 20, then (after giving 40..1020 but the last up) 1020, 1040, …
  t.true(deadlines.every((d) => d % 20 === 0), `off-grid deadline in ${deadlines.slice(0, 5).join(', ')}`);
  t.is(deadlines.length + padded, 100, '2000 ms = 100 frames, whatever the stall');
  ticker.stop();
});

test('runDue runs the overdue ticks at once and keeps the schedule', (t) => {
  const clock = new LateClock(() => 300);
  let ran = 0;
  const ticker = new Ticker(clock, () => ran++, { maxCatchUp: 100 });
  ticker.start();
  clock.advance(200); // the first timer (due at 20) fires at 320
  t.is(ran, 0);
  ticker.runDue();
  t.is(ran, 10, 'deadlines 20..200');
  ticker.runDue();
  t.is(ran, 10, 'nothing more is due');
  clock.advance(1000);
  t.true(ran <= 60 && ran >= 45, `${ran} ticks by 1200 ms`);
  ticker.stop();
});
