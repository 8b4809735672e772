import path from 'node:path';
import test from 'ava';
import { makeRig, queueConfig } from '../acd/testing/acd-harness.js';
import { Call } from '../calls/call.js';
import type { Channel } from '../channel/channel.js';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import type { MediaEngine } from '../media/engine/media-engine.js';
import { openStore } from '../store/database.js';
import { IvrCallRecords } from './call-records.js';
import type { Variables } from './ports.js';
import { PostCallSurveys } from './postcall-survey.js';
import { IvrRunner } from './runner.js';
import { parseFlow } from './validator.js';

const surveyFlow = parseFlow({
  id: 'post-call',
  name: 'post-call survey',
  start: 'rate',
  nodes: {
    rate: { verb: 'survey', survey: 'satisfaction', questions: [{ id: 'agent', prompt: ['rate-agent'] }], thanksPrompt: ['thanks'], next: 'bye' },
    bye: { verb: 'hangup', prompt: [] },
  },
});

function rig() {
  const clock = new ManualClock();
  const log = silentLogger();
  const store = openStore({ file: path.join(tempDir('postcall-'), 'a.db'), clock, log });
  const bus = new EventBus({ clock, log });
  const records = new IvrCallRecords({ db: store.db, clock });
  const runs: Array<{ channel: Channel; flowId: string; vars: Variables; done: Promise<unknown> }> = [];
  const surveys = new PostCallSurveys({
    db: store.db,
    clock,
    log,
    runner: {
      runFlow: async (channel, flowId, vars) => {
        const done = new IvrRunner({ clock, log, events: bus, channel, flow: surveyFlow, callId: 'call-1', vars, deps: { survey: records } }).run();
        runs.push({ channel, flowId, vars, done });
        await done;
      },
    },
  });
  const off = surveys.listen(bus);
  const caller = new FakeChannel({ clock, playMs: 500, caller: '13937100001', direction: 'inbound' });
  const agent = new FakeChannel({ clock, playMs: 500, direction: 'outbound', called: '1002' });
  void caller.answer();
  void agent.answer();
  return { clock, store, bus, records, surveys, runs, off, caller, agent, close: () => (off(), store.close()) };
}

test("the agent hangs up first in a queue with a survey flow: the caller is kept and rates the agent; scores stored with the call, queue and agent", async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  await r.surveys.setFlow('general', 'post-call');
  r.bus.publish('queue.caller.answered', { queueId: 'general', callId: 'call-1', agentId: '1002', waitMs: 1000 });
  await r.agent.hangup(16);
  t.true(r.surveys.onLegEnded({ call: { id: 'call-1' }, ended: r.agent, info: r.agent.hangupInfo!, remaining: [r.caller] }));
  t.true(r.surveys.keepCaller({ callId: 'call-1', ended: r.agent, caller: r.caller }), 'the ACD gets the same answer');
  t.is(r.runs.length, 1, 'one survey, however many ask');
  t.deepEqual(r.runs[0]!.vars, { postcall_queue: 'general', postcall_agent: '1002' });
  await r.clock.advanceAsync(600, 100);
  r.caller.press('4');
  await r.clock.advanceAsync(3000, 100);
  await r.runs[0]!.done;
  await r.records.flush();
  t.deepEqual(await r.records.scoresOf('call-1'), [{ survey: 'satisfaction', question: 'agent', score: 4, queue: 'general', agentId: '1002' }]);
  t.is(r.caller.level, 'terminated', 'the survey flow ends the call');
});

test('no survey when the caller hangs up first, when the queue has none, or once the setting is cleared (persisted)', async (t) => {
  const r = rig();
  t.teardown(() => r.close());
  await r.surveys.setFlow('general', 'post-call');
  r.bus.publish('queue.caller.answered', { queueId: 'general', callId: 'call-1', agentId: '1002', waitMs: 1000 });
  r.bus.publish('queue.caller.answered', { queueId: 'billing', callId: 'call-2', agentId: '1003', waitMs: 1000 });
  t.false(r.surveys.onLegEnded({ call: { id: 'call-1' }, ended: r.caller, info: { cause: 16, by: 'remote', at: 0 }, remaining: [r.agent] }), 'caller first');
  t.false(r.surveys.onLegEnded({ call: { id: 'call-2' }, ended: r.agent, info: { cause: 16, by: 'remote', at: 0 }, remaining: [r.caller] }), 'queue without a survey');
  t.false(r.surveys.onLegEnded({ call: { id: 'call-9' }, ended: r.agent, info: { cause: 16, by: 'remote', at: 0 }, remaining: [r.caller] }), 'not a queue call');
  t.is(r.runs.length, 0);

  const again = new PostCallSurveys({ db: r.store.db, clock: r.clock, log: silentLogger() });
  await again.load();
  t.deepEqual(again.list(), [{ queueId: 'general', flowId: 'post-call' }]);
  await again.setFlow('general', null);
  await r.surveys.load();
  t.is(r.surveys.flowFor('general'), null);
});

test('the call layer keeps the remaining caller (out of the bridge, up) when its policy says so; otherwise clears it', async (t) => {
  for (const keep of [true, false]) {
    const clock = new ManualClock();
    const log: string[] = [];
    const bridge = { add: async (l: { id: string }) => void log.push(`add ${l.id}`), remove: async (l: { id: string }) => void log.push(`remove ${l.id}`), destroy: async () => void log.push('destroy') };
    const engine = { createBridge: async () => bridge, release: () => undefined } as unknown as Pick<MediaEngine, 'createBridge' | 'release'>;
    const asked: string[] = [];
    const call = new Call(
      { id: 'call-1', caller: '13937100001', called: '95598', direction: 'inbound' },
      { clock, log: silentLogger(), bus: { publish: () => ({}) as never }, store: { writeCdr: () => undefined } as never, engine, onLegEnded: (e) => (asked.push(e.ended.id), keep) },
    );
    const caller = Object.assign(new FakeChannel({ clock, id: 'caller', direction: 'inbound' }), { rtp: { id: 'rtp-caller' } });
    const agent = Object.assign(new FakeChannel({ clock, id: 'agent', direction: 'outbound' }), { rtp: { id: 'rtp-agent' } });
    await caller.answer();
    await agent.answer();
    call.addLeg(caller);
    call.addLeg(agent);
    await call.bridge(caller, agent);
    agent.remoteHangup();
    await new Promise((r) => setImmediate(r));
    t.deepEqual(asked, ['agent']);
    t.is(caller.level, keep ? 'connected' : 'terminated', `keep=${keep}`);
    t.is(log.includes('remove rtp-caller'), keep);
    if (keep) t.false(call.isBridged(caller), 'the kept caller left the bridge');
  }
});

test('the ACD does not clear the caller when keepCaller says so at the end of a queue call', async (t) => {
  for (const keep of [true, false]) {
    const acdRig = makeRig();
    // makeRig builds the Acd; the hook is read from its deps at the end of the call.
    const deps = (acdRig.acd as unknown as { deps: { keepCaller?: unknown } }).deps;
    const asked: string[] = [];
    deps.keepCaller = (e: { callId: string; agentId: string }) => (asked.push(`${e.callId}/${e.agentId}`), keep);
    acdRig.acd.upsertQueue(queueConfig('general'));
    acdRig.acd.upsertAgent({ id: 'a1', name: 'A1', skills: {}, memberships: [{ queueId: 'general', penalty: 0 }] });
    acdRig.dialer.auto = { afterMs: 0 };
    acdRig.acd.setStatus('a1', 'available', null, 'agent');
    const caller = acdRig.caller('1');
    void acdRig.acd.enqueue({ channel: caller, queueId: 'general', callId: 'call-1' });
    await acdRig.settle();
    const agentLeg = acdRig.dialer.agentChannels.get('a1');
    if (!agentLeg) return t.fail('the agent was not offered the call');
    agentLeg.remoteHangup();
    await acdRig.settle();
    t.deepEqual(asked, ['call-1/a1']);
    t.is(caller.level, keep ? 'connected' : 'terminated', `keep=${keep}`);
  }
});
