import test from 'ava';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { HangupCauses } from '../channel/q850.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import type { Call } from './call.js';
import { Monitor, type MonitorCalls } from './monitor.js';

/** A call whose bridge records the taps put on it; a supervisor phone answered or not by the test. */
function rig(o: { bridged?: boolean } = {}) {
  const clock = new ManualClock();
  const bus = new EventBus({ clock, log: silentLogger() });
  const events: string[] = [];
  for (const type of ['call.monitor.started', 'call.monitor.changed', 'call.monitor.ended'] as const) bus.on(type, (e) => events.push(`${type}:${JSON.stringify(e.payload)}`));
  const agentLeg = new FakeChannel({ clock, direction: 'outbound', called: '1002' });
  void agentLeg.answer();
  const taps: { leg: string; mode: string }[] = [];
  let bridged = o.bridged ?? true;
  const call = {
    id: 'call-1',
    isOver: false,
    isBridged: () => bridged,
    mediaOf: () => null,
    tap: async (leg: { id: string }, agent: { id: string }, mode: string) => {
      if (!bridged || agent !== agentLeg) throw new Error('not bridged');
      taps.push({ leg: leg.id, mode });
    },
  } as unknown as Call;
  let answer: ((ch: FakeChannel | null) => void) | null = null;
  const calls: MonitorCalls = {
    extensionOf: (id) => (id === 'a1' ? '1002' : null),
    activeLegOf: (ext) => (ext === '1002' && agentLeg.level === 'connected' ? { call, leg: agentLeg } : null),
    dialExtension: (_call, ext, opts) =>
      new Promise((resolve) => {
        opts.signal.addEventListener('abort', () => resolve({ outcome: 'failed', cause: HangupCauses.NORMAL_CLEARING }), { once: true });
        answer = (ch) => resolve(ch ? { outcome: 'answered', channel: ch } : { outcome: 'no-answer', cause: HangupCauses.NO_ANSWER });
        void ext;
      }),
  };
  const monitor = new Monitor({ clock, bus, log: silentLogger(), calls });
  const supervisorPhone = (): FakeChannel => {
    const ch = new FakeChannel({ clock, direction: 'outbound', called: '1004' });
    void ch.answer();
    answer!(ch);
    return ch;
  };
  return { clock, monitor, agentLeg, taps, events, supervisorPhone, noAnswer: () => answer!(null), setBridged: (b: boolean) => (bridged = b) };
}

const settle = (clock: ManualClock): Promise<void> => clock.advanceAsync(100, 20);

test('listen → whisper → barge: the supervisor is tapped in on answer and the mode switches on the bridge; audited as events', async (t) => {
  const r = rig();
  const s = r.monitor.start({ supervisor: '1004', agentId: 'a1', mode: 'listen' });
  t.like(s, { state: 'ringing', mode: 'listen', agentExtension: '1002', callId: 'call-1' });
  const sup = r.supervisorPhone();
  await settle(r.clock);
  t.like(r.monitor.get(s.id), { state: 'active' });
  await r.monitor.setMode(s.id, 'whisper');
  await r.monitor.setMode(s.id, 'barge');
  t.deepEqual(r.taps, [
    { leg: sup.id, mode: 'listen' },
    { leg: sup.id, mode: 'whisper' },
    { leg: sup.id, mode: 'barge' },
  ]);
  r.agentLeg.remoteHangup();
  sup.remoteHangup();
  await settle(r.clock);
  t.like(r.monitor.get(s.id), { state: 'ended', endReason: 'call-ended' });
  t.deepEqual(
    r.events.map((e) => e.split(':')[0]),
    ['call.monitor.started', 'call.monitor.changed', 'call.monitor.changed', 'call.monitor.ended'],
  );
});

test('a mode chosen while the supervisor still rings applies on answer; the tap waits for the agent to be on the bridge', async (t) => {
  const r = rig({ bridged: false });
  const s = r.monitor.start({ supervisor: '1004', agentId: 'a1', mode: 'listen' });
  await r.monitor.setMode(s.id, 'whisper');
  t.deepEqual(r.taps, []);
  const sup = r.supervisorPhone();
  await settle(r.clock);
  t.like(r.monitor.get(s.id), { state: 'ringing' }, 'not active before the agent is bridged');
  r.setBridged(true);
  await settle(r.clock);
  t.deepEqual(r.taps, [{ leg: sup.id, mode: 'whisper' }]);
  t.like(r.monitor.get(s.id), { state: 'active' });
});

test('stop clears the supervisor leg and leaves the call; a supervisor who does not answer ends the session', async (t) => {
  const r = rig();
  const s = r.monitor.start({ supervisor: '1004', agentId: 'a1', mode: 'barge' });
  const sup = r.supervisorPhone();
  await settle(r.clock);
  await r.monitor.stop(s.id);
  t.is(sup.level, 'terminated');
  t.is(r.agentLeg.level, 'connected');
  t.like(r.monitor.get(s.id), { state: 'ended', endReason: 'stopped' });
  await t.throwsAsync(() => r.monitor.setMode(s.id, 'listen'), { code: 'INVALID_TRANSITION' });

  const s2 = r.monitor.start({ supervisor: '1004', agentId: 'a1', mode: 'listen' });
  r.noAnswer();
  await settle(r.clock);
  t.like(r.monitor.get(s2.id), { state: 'ended', endReason: 'no-answer' });
});

test('refusals: unknown agent, agent not on a call, monitoring oneself, the same supervisor twice', (t) => {
  const r = rig();
  t.throws(() => r.monitor.start({ supervisor: '1004', agentId: 'nobody', mode: 'listen' }), { code: 'NOT_FOUND' });
  t.throws(() => r.monitor.start({ supervisor: '1002', agentId: 'a1', mode: 'listen' }), { code: 'CONFLICT' });
  r.monitor.start({ supervisor: '1004', agentId: 'a1', mode: 'listen' });
  t.throws(() => r.monitor.start({ supervisor: '1004', agentId: 'a1', mode: 'barge' }), { code: 'CONFLICT' });
  r.agentLeg.remoteHangup();
  t.throws(() => r.monitor.start({ supervisor: '1005', agentId: 'a1', mode: 'listen' }), { code: 'NOT_FOUND' });
});

test('attach: a supervisor leg that dialled in (monitoring code) is answered and tapped in without ringing; the session ends with either side', async (t) => {
  const r = rig();
  const sup = new FakeChannel({ clock: r.clock, caller: '1004', called: '*911002' });
  const s = await r.monitor.attach({ supervisor: '1004', agentId: 'a1', mode: 'whisper', leg: sup });
  t.like(s, { state: 'active', mode: 'whisper', supervisor: '1004', callId: 'call-1' });
  t.is(sup.level, 'connected');
  t.deepEqual(r.taps, [{ leg: sup.id, mode: 'whisper' }]);
  await r.monitor.setMode(s.id, 'barge');
  t.deepEqual(r.taps[1], { leg: sup.id, mode: 'barge' });
  sup.remoteHangup();
  await settle(r.clock);
  t.like(r.monitor.get(s.id), { state: 'ended', endReason: 'supervisor-hung-up' });
  t.is(r.agentLeg.level, 'connected', 'the monitored call goes on');

  const sup2 = new FakeChannel({ clock: r.clock, caller: '1004', called: '*901002' });
  const s2 = await r.monitor.attach({ supervisor: '1004', agentId: 'a1', mode: 'listen', leg: sup2 });
  r.agentLeg.remoteHangup();
  await settle(r.clock);
  t.like(r.monitor.get(s2.id), { state: 'ended', endReason: 'call-ended' });
  t.is(sup2.level, 'terminated', "the supervisor's leg is cleared with the call");
  const sup3 = new FakeChannel({ clock: r.clock, caller: '1004', called: '*901002' });
  await t.throwsAsync(r.monitor.attach({ supervisor: '1004', agentId: 'a1', mode: 'listen', leg: sup3 }), { code: 'NOT_FOUND' } as never);
});
