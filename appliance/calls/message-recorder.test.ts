import test from 'ava';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import type { MediaEngine } from '../media/engine/media-engine.js';
import { EngineMessageRecorder } from './message-recorder.js';

/** A media engine that records what the recorder asked of it; a recording lasts as long as the clock ran. */
function fakeEngine(clock: ManualClock) {
  const log: string[] = [];
  const engine = {
    createBridge: async (o: { affinity?: string }) => {
      log.push(`bridge ${o.affinity}`);
      return {
        add: async (leg: { id: string }, a: { side?: string }) => void log.push(`add ${leg.id} ${a.side}`),
        remove: async (leg: { id: string }) => void log.push(`remove ${leg.id}`),
        destroy: async () => void log.push('destroy'),
        record: async (o: { callId: string }) => {
          log.push(`record ${o.callId}`);
          const started = clock.monotonic();
          const closed = () => ({ path: `/rec/2026/01/05/${o.callId}.wav`, durationMs: clock.monotonic() - started, outcome: 'complete' });
          return { rowId: `row-${o.callId}`, closed: Promise.resolve(closed()), stop: async () => (log.push('stop'), closed()) };
        },
      };
    },
  } as unknown as Pick<MediaEngine, 'createBridge'>;
  return { engine, log };
}

/** Until the recorder is waiting (its max-length timer is set). */
async function recording(clock: ManualClock): Promise<void> {
  while (clock.pendingTimers === 0) await new Promise((r) => setImmediate(r));
}

function rig() {
  const clock = new ManualClock();
  const { engine, log } = fakeEngine(clock);
  const channel = new FakeChannel({ clock, caller: '13937100001' });
  Object.assign(channel, { rtp: { id: 'rtp-1' } });
  void channel.answer();
  const recorder = new EngineMessageRecorder({ engine, clock, log: silentLogger() });
  const ctl = new AbortController();
  return { clock, log, channel, recorder, ctl };
}

test("a message ends at '#': the caller's leg alone is recorded on its own bridge, then leaves it", async (t) => {
  const { clock, log, channel, recorder, ctl } = rig();
  const done = recorder.record({ callId: 'call-1', channel, maxMs: 60_000, signal: ctl.signal });
  await recording(clock);
  await clock.advance(7000);
  channel.press('5'); // not an end key
  await clock.advance(1000);
  channel.press('#');
  const r = await done;
  t.like(r, { endedBy: 'key', durationMs: 8000, recording: '/rec/2026/01/05/call-1-vm1.wav', recordingId: 'row-call-1-vm1' });
  t.deepEqual(log, ['bridge call-1', 'add rtp-1 caller', 'record call-1-vm1', 'stop', 'remove rtp-1', 'destroy']);
  t.is(clock.pendingTimers, 0);
});

test('a message ends at the maximum length, or when the caller hangs up (kept), or when the IVR stops', async (t) => {
  const max = rig();
  const a = max.recorder.record({ callId: 'c', channel: max.channel, maxMs: 30_000, signal: max.ctl.signal });
  await recording(max.clock);
  await max.clock.advance(30_000);
  t.like(await a, { endedBy: 'max', durationMs: 30_000 });

  const gone = rig();
  const b = gone.recorder.record({ callId: 'c', channel: gone.channel, maxMs: 30_000, signal: gone.ctl.signal });
  await recording(gone.clock);
  await gone.clock.advance(4000);
  gone.channel.remoteHangup();
  t.like(await b, { endedBy: 'hangup', durationMs: 4000 });
  t.false(gone.log.includes('remove rtp-1'), 'a hung-up leg is not removed, the bridge is destroyed');
  t.true(gone.log.includes('destroy'));
  t.is(gone.clock.pendingTimers, 0);

  const stop = rig();
  const c = stop.recorder.record({ callId: 'c', channel: stop.channel, maxMs: 30_000, signal: stop.ctl.signal });
  await recording(stop.clock);
  await stop.clock.advance(2000);
  stop.ctl.abort();
  t.like(await c, { endedBy: 'stopped', durationMs: 2000 });
});

test('a leg without media is refused before anything is created', async (t) => {
  const clock = new ManualClock();
  const { engine, log } = fakeEngine(clock);
  const channel = new FakeChannel({ clock });
  const recorder = new EngineMessageRecorder({ engine, clock, log: silentLogger() });
  await t.throwsAsync(recorder.record({ callId: 'c', channel, maxMs: 1000, signal: new AbortController().signal }), { message: /no media/ });
  t.deepEqual(log, []);
});
