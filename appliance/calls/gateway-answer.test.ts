import test from 'ava';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { awaitGatewayAnswer, type FailedOutcome } from './gateway-answer.js';

const classify = (cause: number): FailedOutcome => (cause === 17 ? 'busy' : cause === 34 ? 'congestion' : 'failed');

function setup(o: { aborted?: boolean } = {}) {
  const clock = new ManualClock();
  const leg = new FakeChannel({ clock, direction: 'outbound' });
  const ac = new AbortController();
  if (o.aborted) ac.abort();
  return { clock, leg, ac, done: awaitGatewayAnswer(leg, { signal: ac.signal, timeoutMs: 30_000 }, clock, classify) };
}

test('the far end answers: answered with the leg; a later timeout or abort changes nothing', async (t) => {
  const { clock, leg, ac, done } = setup();
  await leg.answer();
  const r = await done;
  t.is(r.outcome, 'answered');
  t.true(r.outcome === 'answered' && r.channel === leg);
  ac.abort();
  clock.advance(60_000);
  t.is(leg.level, 'connected');
});

test('the far end clears: its cause, classified by the gateway’s table', async (t) => {
  const busy = setup();
  busy.leg.remoteHangup(17);
  t.deepEqual(await busy.done, { outcome: 'busy', cause: 17 });
  const congested = setup();
  congested.leg.remoteHangup(34);
  t.deepEqual(await congested.done, { outcome: 'congestion', cause: 34 });
});

test('ring timeout: no-answer 19 and the leg is cleared with 19', async (t) => {
  const { clock, leg, done } = setup();
  clock.advance(29_999);
  t.is(leg.level, 'setup');
  clock.advance(1);
  t.deepEqual(await done, { outcome: 'no-answer', cause: 19 });
  t.is(leg.hangupInfo?.cause, 19);
});

test('the caller gives up, before or while it rings: failed 16 and the leg is cleared with 16', async (t) => {
  const later = setup();
  later.ac.abort();
  t.deepEqual(await later.done, { outcome: 'failed', cause: 16 });
  t.is(later.leg.hangupInfo?.cause, 16);
  const before = setup({ aborted: true });
  t.deepEqual(await before.done, { outcome: 'failed', cause: 16 });
  t.is(before.leg.hangupInfo?.cause, 16);
});
