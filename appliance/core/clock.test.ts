import test from 'ava';
import { SystemClock } from './clock.js';
import { ManualClock } from './testing/manual-clock.js';

test('ManualClock fires timers in due order, including ones scheduled by callbacks', (t) => {
  const clock = new ManualClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push('b@200'), 200);
  clock.setTimeout(() => {
    fired.push('a@100');
    clock.setTimeout(() => fired.push('c@150'), 50);
  }, 100);
  clock.advance(149);
  t.deepEqual(fired, ['a@100']);
  clock.advance(1);
  t.deepEqual(fired, ['a@100', 'c@150']);
  clock.advance(50);
  t.deepEqual(fired, ['a@100', 'c@150', 'b@200']);
  t.is(clock.pendingTimers, 0);
});

test('ManualClock cancel and interval', (t) => {
  const clock = new ManualClock();
  let ticks = 0;
  const iv = clock.setInterval(() => ticks++, 20);
  const once = clock.setTimeout(() => t.fail('cancelled timer fired'), 30);
  once.cancel();
  clock.advance(100);
  t.is(ticks, 5);
  iv.cancel();
  clock.advance(100);
  t.is(ticks, 5);
});

test('ManualClock wall time moves with monotonic time', (t) => {
  const clock = new ManualClock(1_000_000);
  clock.advance(2500);
  t.is(clock.now(), 1_002_500);
  t.is(clock.monotonic(), 2500);
});

test('sleep resolves on advance and rejects on abort', async (t) => {
  const clock = new ManualClock();
  let done = false;
  const p = clock.sleep(1000).then(() => (done = true));
  clock.advance(999);
  await Promise.resolve();
  t.false(done);
  clock.advance(1);
  await p;
  t.true(done);

  const ac = new AbortController();
  const q = clock.sleep(1000, ac.signal);
  ac.abort(new Error('stop'));
  await t.throwsAsync(q, { message: 'stop' });
  t.is(clock.pendingTimers, 0);
});

test('SystemClock timers really fire', async (t) => {
  const clock = new SystemClock();
  const start = clock.monotonic();
  await clock.sleep(20);
  t.true(clock.monotonic() - start >= 15);
});
