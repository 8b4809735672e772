import test from 'ava';
import { accountDelayMs, ACCOUNT_MAX_DELAY_MS } from './throttle.js';

test('account delay: free for 5 failures, then doubling from 1 s, capped at 60 s', (t) => {
  t.deepEqual([0, 4, 5, 6, 7, 10, 11, 40].map(accountDelayMs), [0, 0, 1000, 2000, 4000, 32_000, 60_000, 60_000]);
  t.is(ACCOUNT_MAX_DELAY_MS, 60_000);
});

test('the delay bounds failures per hour per account below 100 (ASVS 2.2.1)', (t) => {
  let at = 0;
  let n = 0;
  while (at < 3_600_000) {
    at += Math.max(accountDelayMs(n), 1);
    n++;
  }
  t.true(n < 100, `${n} attempts in an hour`);
});
