import test from 'ava';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { bestCause, NON_SELECTED_USER_CLEARING, ringForks } from './fork.js';

const forks = (clock: ManualClock, n: number) => Array.from({ length: n }, (_, i) => new FakeChannel({ clock, id: `fork-${i}`, direction: 'outbound' }));

test('§16.7: the first branch to answer wins, the others are cancelled with Q.850 26', async (t) => {
  const clock = new ManualClock();
  const legs = forks(clock, 3);
  const p = ringForks(legs, { signal: new AbortController().signal, timeoutMs: 30_000, clock });
  await legs[0]!.alerting();
  await legs[2]!.alerting();
  await legs[1]!.answer();
  const r = await p;
  t.is(r.outcome, 'answered');
  t.is(r.outcome === 'answered' ? r.channel : null, legs[1] ?? null);
  t.is(legs[1]!.level, 'connected');
  t.deepEqual([legs[0]!.hangupInfo?.cause, legs[2]!.hangupInfo?.cause], [NON_SELECTED_USER_CLEARING, NON_SELECTED_USER_CLEARING]);
});

test('§16.7 step 6: every branch failed → the best cause (decline over busy over no answer), not the last one', async (t) => {
  const clock = new ManualClock();
  const legs = forks(clock, 3);
  const p = ringForks(legs, { signal: new AbortController().signal, timeoutMs: 30_000, clock });
  legs[0]!.remoteHangup(18);
  legs[1]!.remoteHangup(17);
  legs[2]!.remoteHangup(41);
  t.deepEqual(await p, { outcome: 'busy', cause: 17 });
  t.is(bestCause([18, 21, 17]), 21);
  t.is(bestCause([41, 19]), 19);
  t.is(bestCause([41, 38]), 41);
});

test('one branch failing keeps the others ringing; ring timeout and caller abort cancel all', async (t) => {
  const clock = new ManualClock();
  const legs = forks(clock, 2);
  const p = ringForks(legs, { signal: new AbortController().signal, timeoutMs: 20_000, clock });
  legs[0]!.remoteHangup(17);
  clock.advance(19_999);
  t.is(legs[1]!.level, 'setup', 'still ringing');
  clock.advance(1);
  t.deepEqual(await p, { outcome: 'no-answer', cause: 19 });
  t.is(legs[1]!.hangupInfo?.cause, 19);

  const caller = new AbortController();
  const more = forks(clock, 2);
  const q = ringForks(more, { signal: caller.signal, timeoutMs: 20_000, clock });
  caller.abort();
  t.is((await q).outcome, 'failed');
  t.true(more.every((l) => l.level === 'terminated'));
});
