import test from 'ava';
import { intervalStats, recordsFromEvents } from './interval-stats.js';
import {
  abandonRate,
  agentTimes,
  averageHandleTime,
  averageSpeedOfAnswer,
  countQueue,
  occupancy,
  serviceLevel,
  utilisation,
  type QueueExitRecord,
} from './metrics.js';
import { MemoryAcdStore } from './testing/memory-acd-store.js';
import { makeRig, queueConfig } from './testing/acd-harness.js';

const T = { serviceLevelMs: 20_000, shortAbandonMs: 5_000 };
const exit = (outcome: QueueExitRecord['outcome'], waitMs: number): QueueExitRecord => ({ queueId: 'q', callId: `c${waitMs}`, at: 0, outcome, waitMs });

test('service level boundary: 19 999 ms and 20 000 ms are within a 20 s SL, 20 001 ms is not', (t) => {
  const c = countQueue([], [exit('answered', 19_999), exit('answered', 20_000), exit('answered', 20_001)], [], T);
  t.is(c.answeredWithin, 2);
  t.is(serviceLevel(c, 'answered-only').value, (2 / 3) * 100);
});

test('service level variants follow METRICS.md formulas and name them', (t) => {
  // 8 answered (6 within T), 4 abandoned (1 short ≤ 5 s, 2 within T), 2 callbacks (1 within T), 1 flowed out, Q = 15
  const exits = [
    ...[1_000, 5_000, 10_000, 15_000, 19_000, 20_000, 25_000, 60_000].map((w) => exit('answered', w)),
    ...[3_000, 12_000, 40_000, 90_000].map((w) => exit('abandoned', w)),
    exit('callback', 8_000),
    exit('callback', 45_000),
    exit('overflowed', 120_000),
  ];
  const entries = Array.from({ length: 15 }, (_, i) => ({ queueId: 'q', callId: `e${i}`, at: 0 }));
  const c = countQueue(entries, exits, [], T);
  t.like(c, { offered: 15, answered: 8, answeredWithin: 6, abandoned: 4, abandonedWithin: 2, abandonedShort: 1, callbacks: 2, callbacksWithin: 1, overflowed: 1 });
  t.deepEqual(serviceLevel(c, 'recommended'), { value: (6 / (8 + 4 - 1)) * 100, formula: 'Ans≤T / (Ans + Ab − Ab_short) × 100' });
  t.is(serviceLevel(c, 'answered-only').value, (6 / 8) * 100);
  t.is(serviceLevel(c, 'sl2').value, ((6 + 2) / (8 + 4)) * 100);
  t.is(serviceLevel(c, 'removed-within').value, ((6 + 2 + 1) / (8 + 4 + 2)) * 100);
  const cfg = serviceLevel(c, 'configurable', { includeOverflow: true, excludeShortAbandons: true, excludeAbandons: false });
  t.deepEqual(cfg, { value: ((8 - 2) / (8 + 4 + 1 - 1)) * 100, formula: '(Ans − Ans>T) / (Ans + Ab + FO − Ab_short) × 100' });
  t.is(serviceLevel(c, 'configurable', { includeOverflow: false, excludeShortAbandons: false, excludeAbandons: true }).value, (6 / 8) * 100);
  // ASA from queue entry over answered only
  t.is(averageSpeedOfAnswer(c).value, (1_000 + 5_000 + 10_000 + 15_000 + 19_000 + 20_000 + 25_000 + 60_000) / 8);
  // abandonment: callbacks are not abandons
  const ab = abandonRate(c);
  t.is(ab.headline.value, ((4 - 1) / (15 - 1)) * 100);
  t.is(ab.raw.value, (4 / 15) * 100);
  t.is(ab.short, 1);
  t.is(ab.callbacks, 2);
});

test('empty denominators give null, not NaN', (t) => {
  const c = countQueue([], [], [], T);
  t.is(serviceLevel(c).value, null);
  t.is(averageSpeedOfAnswer(c).value, null);
  t.is(averageHandleTime(c).ahtMs, null);
  t.is(abandonRate(c).raw.value, null);
});

test('AHT = (talk + hold + ACW) / handled with the parts separate; occupancy ≠ utilisation', (t) => {
  const c = countQueue([], [], [
    { queueId: 'q', agentId: 'a', callId: '1', at: 0, talkMs: 100_000, holdMs: 20_000, acwMs: 30_000 },
    { queueId: 'q', agentId: 'a', callId: '2', at: 0, talkMs: 200_000, holdMs: 0, acwMs: 10_000 },
  ], T);
  t.like(averageHandleTime(c), { talkMs: 150_000, holdMs: 10_000, acwMs: 20_000, ahtMs: 180_000, formula: '(talk + hold + ACW) / handled' });
  const times = agentTimes(
    [
      { agentId: 'a', at: 0, status: 'available', state: 'idle' },
      { agentId: 'a', at: 100, status: 'available', state: 'offered' },
      { agentId: 'a', at: 110, status: 'available', state: 'in-call' },
      { agentId: 'a', at: 400, status: 'available', state: 'wrap-up' },
      { agentId: 'a', at: 500, status: 'available', state: 'idle' },
      { agentId: 'a', at: 600, status: 'on-break', state: 'idle' },
      { agentId: 'a', at: 800, status: 'logged-out', state: 'idle' },
    ],
    0,
    1_000,
  );
  t.deepEqual(times, { handleMs: 390, idleMs: 200, loggedInMs: 800, offeredMs: 10, breakMs: 200 });
  t.is(occupancy(times.handleMs, times.idleMs).value, (390 / 590) * 100);
  t.is(utilisation(times.handleMs, times.loggedInMs).value, (390 / 800) * 100);
});

async function answeredAfter(waitMs: number): Promise<{ within: number; recomputed: number }> {
  const store = new MemoryAcdStore();
  const rig = makeRig({}, store);
  rig.acd.upsertQueue(queueConfig('q', { serviceLevelMs: 20_000, ringTimeoutMs: 60_000 }));
  rig.acd.upsertAgent({ id: 'a', name: 'A', skills: {}, memberships: [{ queueId: 'q', penalty: 0 }] });
  rig.acd.setStatus('a', 'available');
  void rig.acd.enqueue({ channel: rig.caller('c'), queueId: 'q' });
  rig.clock.advance(waitMs);
  rig.dialer.ringing.get('a')!.answer();
  await rig.settle();
  rig.acd.flush();
  const rows = intervalStats(store.log, 900_000, () => T);
  return { within: rig.acd.queueSnapshot('q').counts.answeredWithin, recomputed: rows[0]!.answeredWithin };
}

test('through the ACD: answered at 19 999 ms is within a 20 s service level, at 20 001 ms it is not', async (t) => {
  t.deepEqual(await answeredAfter(19_999), { within: 1, recomputed: 1 });
  t.deepEqual(await answeredAfter(20_001), { within: 0, recomputed: 0 });
});

test('interval stats from the raw log: exits land in the 15-min interval where they happen; Q at entry', async (t) => {
  const store = new MemoryAcdStore();
  const rig = makeRig({}, store);
  const start = rig.clock.now(); // 01:00:00 UTC, an interval boundary
  rig.acd.upsertQueue(queueConfig('q', { wrapUpMs: 30_000, ringTimeoutMs: 60_000 }));
  rig.acd.upsertAgent({ id: 'a', name: 'A', skills: {}, memberships: [{ queueId: 'q', penalty: 0 }] });
  const c1 = rig.caller('c1');
  void rig.acd.enqueue({ channel: c1, queueId: 'q' });
  rig.clock.advance(14 * 60_000 + 50_000); // 01:14:50
  rig.acd.setStatus('a', 'available');
  rig.clock.advance(20_000); // answered at 01:15:10 after 15:10 of wait
  rig.dialer.ringing.get('a')!.answer();
  await rig.settle();
  const c2 = rig.caller('c2');
  void rig.acd.enqueue({ channel: c2, queueId: 'q' });
  rig.clock.advance(2_000);
  c2.remoteHangup(); // a short abandon in the second interval
  rig.clock.advance(60_000);
  rig.dialer.agentChannels.get('a')!.remoteHangup();
  rig.clock.advance(30_000);
  const rows = rig.acd.closeIntervals(start, start + 3_600_000, 900_000);
  t.is(rows.length, 2);
  t.like(rows[0], { intervalStart: start, offered: 1, answered: 0, abandoned: 0 });
  t.like(rows[1], {
    intervalStart: start + 900_000,
    offered: 1,
    answered: 1,
    answeredWithin: 0,
    sumAnswerWaitMs: 910_000,
    abandoned: 1,
    abandonedShort: 1,
    handled: 1,
    talkMs: 62_000,
    acwMs: 30_000,
  });
  t.is(store.intervalStats('q', start, start + 3_600_000).length, 2);
  const rec = recordsFromEvents(store.log);
  t.is(rec.exits.length, 2);
});
