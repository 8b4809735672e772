import test from 'ava';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { HangupCauses } from '../q850.js';
import { FakeChannel } from './fake-channel.js';

test('barge-in playback is interrupted by a key press and reports the digit', async (t) => {
  const clock = new ManualClock();
  const ch = new FakeChannel({ clock });
  await ch.answer();
  const p = ch.media.play([{ kind: 'prompt', name: 'welcome' }, { kind: 'prompt', name: 'menu' }], { bargeIn: true });
  clock.advance(1000);
  await Promise.resolve();
  ch.press('2');
  t.deepEqual(await p, { outcome: 'interrupted', digit: '2' });
  t.deepEqual(ch.played.map((i) => (i.kind === 'prompt' ? i.name : '')), ['welcome', 'menu']);
});

test('remote hangup ends playback, aborts `ended` and records the cause', async (t) => {
  const clock = new ManualClock();
  const ch = new FakeChannel({ clock });
  const p = ch.media.play([{ kind: 'prompt', name: 'welcome' }]);
  ch.remoteHangup(HangupCauses.USER_BUSY);
  t.deepEqual(await p, { outcome: 'hungup' });
  t.true(ch.ended.aborted);
  t.is(ch.level, 'terminated');
  t.deepEqual(ch.hangupInfo, { cause: 17, by: 'remote', at: clock.now() });
  await t.throwsAsync(ch.answer());
});
