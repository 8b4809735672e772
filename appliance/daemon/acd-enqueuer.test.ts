import test from 'ava';
import type { Acd } from '../acd/acd.js';
import type { QueueOutcome } from '../acd/model.js';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { makeRig, queueConfig } from '../acd/testing/acd-harness.js';
import { AcdEnqueuer, voicemailFlow } from './acd-enqueuer.js';

type Req = Parameters<Acd['enqueue']>[0];

function fakeAcd(answer: (req: Req) => Promise<QueueOutcome>): { acd: Pick<Acd, 'enqueue'>; seen: Req[] } {
  const seen: Req[] = [];
  return {
    seen,
    acd: {
      enqueue: (req) => {
        seen.push(req);
        return answer(req);
      },
    },
  };
}

const request = (channel: FakeChannel) => ({ callId: 'c1', channel, queue: 'repair', priority: 0, skills: [], vars: {} });

test('a waiting caller is queued at once, with the tier from the customer lookup', async (t) => {
  const clock = new ManualClock();
  let settle: (o: QueueOutcome) => void = () => undefined;
  const { acd, seen } = fakeAcd(() => new Promise((r) => (settle = r)));
  const enq = new AcdEnqueuer(acd, { log: silentLogger(), tiers: { tierOf: (n) => (n === '13800138000' ? 'critical' : null) } });
  const ch = new FakeChannel({ clock, caller: '13800138000' });
  t.deepEqual(await enq.enqueue(request(ch)), { outcome: 'queued' });
  t.is(seen[0]?.tier, 'critical-load');
  t.is(seen[0]?.queueId, 'repair');
  settle({ outcome: 'answered', agentId: 'a1', waitMs: 1000 });
  await new Promise((r) => setImmediate(r));
  t.is(ch.level, 'setup', 'an answered call is left to the ACD and its bridge');
});

test('refusals at the door map to the IVR outcomes', async (t) => {
  const clock = new ManualClock();
  for (const [reason, outcome] of [
    ['full', 'full'],
    ['empty', 'closed'],
    ['unknown-queue', 'unknown-queue'],
  ] as const) {
    const { acd } = fakeAcd(async () => ({ outcome: 'rejected', reason }));
    const enq = new AcdEnqueuer(acd, { log: silentLogger() });
    t.deepEqual(await enq.enqueue(request(new FakeChannel({ clock }))), { outcome });
  }
});

test('unknown customers are standard; an overflow the IVR cannot take is cleared with congestion', async (t) => {
  const clock = new ManualClock();
  let settle: (o: QueueOutcome) => void = () => undefined;
  const { acd, seen } = fakeAcd(() => new Promise((r) => (settle = r)));
  const enq = new AcdEnqueuer(acd, { log: silentLogger(), tiers: { tierOf: () => null } });
  const ch = new FakeChannel({ clock });
  await ch.answer();
  await enq.enqueue(request(ch));
  t.is(seen[0]?.tier, 'standard');
  settle({ outcome: 'overflowed', target: { kind: 'voicemail' } as never, reason: 'timeout', waitMs: 60_000 });
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  t.is(ch.hangupInfo?.cause, 42);
});

test('overflow to an IVR flow runs that flow on the caller; to voicemail, a voicemail flow of the box; to hang-up, nothing more', async (t) => {
  const clock = new ManualClock();
  const runs: { leg: string; flow: unknown }[] = [];
  const flows = { runFlow: async (ch: { id: string }, flow: unknown) => void runs.push({ leg: ch.id, flow }) };
  const cases: [QueueOutcome, (r: (typeof runs)[number] | undefined, ch: FakeChannel) => void][] = [
    [{ outcome: 'overflowed', target: { kind: 'ivr', flow: 'after-hours' }, reason: 'timeout', waitMs: 1 }, (r) => t.is(r?.flow, 'after-hours')],
    [
      { outcome: 'overflowed', target: { kind: 'voicemail', box: 'voicemail-callback' }, reason: 'full', waitMs: 0 },
      (r) => {
        const flow = r?.flow as ReturnType<typeof voicemailFlow>;
        t.is(flow.nodes[flow.start]?.verb, 'voicemail');
        t.like(flow.nodes[flow.start], { orderType: 'voicemail-callback' });
      },
    ],
    [
      { outcome: 'overflowed', target: { kind: 'hangup' }, reason: 'empty', waitMs: 0 },
      (r, ch) => {
        t.is(r, undefined);
        t.is(ch.level, 'connected', 'the ACD clears hang-up overflows itself');
      },
    ],
  ];
  for (const [outcome, check] of cases) {
    runs.length = 0;
    const { acd } = fakeAcd(async () => outcome);
    const enq = new AcdEnqueuer(acd, { log: silentLogger(), flows });
    const ch = new FakeChannel({ clock });
    await ch.answer();
    await enq.enqueue(request(ch));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    check(runs[0], ch);
    if (runs[0]) t.is(runs[0].leg, ch.id);
  }
});

test('the IVR variables ride with the caller into the ACD: queue.caller.joined (screen pop, event log) carries them', async (t) => {
  const rig = makeRig();
  rig.acd.upsertQueue(queueConfig('general'));
  const enq = new AcdEnqueuer(rig.acd, { log: silentLogger() });
  const ch = rig.caller('7', '13937100001');
  const vars = { account: '041000000001', balance: '135.79' };
  t.deepEqual(await enq.enqueue({ ...request(ch), queue: 'general', vars }), { outcome: 'queued' });
  const joined = rig.events.find((e) => e.type === 'queue.caller.joined');
  t.deepEqual((joined?.payload as { vars?: unknown }).vars, vars);
  vars.balance = '0';
  t.is((joined?.payload as { vars: Record<string, string> }).vars.balance, '135.79', 'a copy, not the flow’s live object');
});
