import test from 'ava';
import type { Acd } from '../acd/acd.js';
import type { QueueOutcome } from '../acd/model.js';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { AcdEnqueuer } from './acd-enqueuer.js';

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
