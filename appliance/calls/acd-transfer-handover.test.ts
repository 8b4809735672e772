import test from 'ava';
import type { Channel } from '../channel/channel.js';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { keepsTransferredCaller } from './acd-transfer-handover.js';
import { Call } from './call.js';
import type { CdrRecord } from './call-store.js';

/** A queue call: caller and agent bridged in one Call on a recording stub engine; `calls` is the call layer's leg lookup. */
function queueCall() {
  const clock = new ManualClock();
  const log = silentLogger();
  const bus = new EventBus({ clock, log });
  const cdrs: CdrRecord[] = [];
  const bridge = { add: async () => undefined, remove: async () => undefined, destroy: async () => undefined, tap: async () => undefined };
  const call = new Call(
    { id: 'call-1', caller: '13937100001', called: '95598', direction: 'inbound' },
    {
      clock,
      log,
      bus,
      store: { writeCdr: (c: CdrRecord) => void cdrs.push(c) } as never,
      engine: { createBridge: async () => bridge, release: () => undefined } as never,
    },
  );
  // Media legs: Call.bridge takes a SIP leg's RTP endpoint.
  const withMedia = (ch: FakeChannel): FakeChannel => Object.assign(ch, { rtp: { link: 'worker-0' } });
  const caller = withMedia(new FakeChannel({ clock, direction: 'inbound', caller: '13937100001' }));
  const agent = withMedia(new FakeChannel({ clock, direction: 'outbound', called: '1002' }));
  const target = withMedia(new FakeChannel({ clock, direction: 'outbound', called: '1003' }));
  for (const ch of [caller, agent, target]) call.addLeg(ch);
  const byLeg = new Map<string, Call>([caller, agent, target].map((ch) => [ch.id, call]));
  const calls = { callOf: (id: string) => byLeg.get(id) };
  return { call, caller, agent, target, calls, cdrs };
}

const asked = (calls: { callOf(id: string): Call | undefined }, ended: Channel, caller: Channel): boolean => keepsTransferredCaller(calls, { ended, caller });

test('the agent leg left the call by transfer (REFER from its phone): the ACD keeps the caller when that leg ends', async (t) => {
  const q = queueCall();
  await Promise.all([q.caller.answer(), q.agent.answer()]);
  await q.call.bridge(q.caller, q.agent);
  await q.call.detach(q.agent, { transferred: true });
  await q.agent.hangup(16);
  t.true(q.call.leftByTransfer(q.agent));
  t.true(asked(q.calls, q.agent, q.caller));
  t.is(q.caller.level, 'connected', 'the call layer did not clear the caller either');
});

test('the agent hung up an ordinary queue call: the caller is not kept', async (t) => {
  const q = queueCall();
  await Promise.all([q.caller.answer(), q.agent.answer()]);
  await q.call.bridge(q.caller, q.agent);
  await q.agent.hangup(16);
  t.false(q.call.leftByTransfer(q.agent));
  t.false(asked(q.calls, q.agent, q.caller));
});

test('a failed transfer that bridged the agent back (RFC 5589 §6.2) makes its leg an ordinary party again', async (t) => {
  const q = queueCall();
  await Promise.all([q.caller.answer(), q.agent.answer()]);
  await q.call.bridge(q.caller, q.agent);
  await q.call.detach(q.agent, { transferred: true });
  await q.call.bridge(q.caller, q.agent);
  t.false(q.call.leftByTransfer(q.agent));
  await q.agent.hangup(16);
  t.false(asked(q.calls, q.agent, q.caller));
});

test('a caller already gone, a leg the call layer does not know, or no call layer at all: not kept', async (t) => {
  const q = queueCall();
  await Promise.all([q.caller.answer(), q.agent.answer()]);
  await q.call.bridge(q.caller, q.agent);
  await q.call.detach(q.agent, { transferred: true });
  const stranger = new FakeChannel({ clock: new ManualClock(), direction: 'outbound', called: '1009' });
  t.false(asked(q.calls, stranger, q.caller));
  t.false(keepsTransferredCaller({}, { ended: q.agent, caller: q.caller }));
  await q.caller.hangup(16);
  t.false(asked(q.calls, q.agent, q.caller));
});

test('the transferred call goes on: the CDR lists the transfer and ends when the caller and the target hang up', async (t) => {
  const q = queueCall();
  await Promise.all([q.caller.answer(), q.agent.answer(), q.target.answer()]);
  await q.call.bridge(q.caller, q.agent);
  await q.call.detach(q.agent, { transferred: true });
  await q.agent.hangup(16);
  await q.call.bridge(q.caller, q.target);
  q.call.recordTransfer({ kind: 'blind', at: 0, transferorLegId: q.agent.id, transfereeLegId: q.caller.id, targetLegId: q.target.id, target: '1003', replacedCallId: null, outcome: 200 });
  t.false(q.call.isOver);
  await q.target.hangup(16);
  const cdr = await q.call.cdr;
  t.is(q.caller.level, 'terminated', 'the target’s hang-up cleared the caller');
  t.is(cdr.transfers?.[0]?.transferorLegId, q.agent.id);
  t.is(cdr.legs.length, 3);
});
