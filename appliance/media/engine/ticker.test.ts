import test from 'ava';
import { ManualClock } from '../../core/testing/manual-clock.js';
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
