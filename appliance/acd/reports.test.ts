import path from 'node:path';
import test from 'ava';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore, type Store } from '../store/database.js';
import { SqliteAcdStore } from './acd-store.js';
import { intervalStats } from './interval-stats.js';
import { agentPeriodTimes, periodEnd, periodLabel, periodStart, rollupIntervals } from './report-rollup.js';
import { AcdReports } from './reports.js';
import { MIN, MON_0900, morningFixture, S } from './testing/report-fixtures.js';

const T = { serviceLevelMs: 20_000, shortAbandonMs: 5_000 };
const DAY_START = MON_0900 - 9 * 60 * MIN; // 2026-01-05 00:00 local

function open(): { store: Store; acd: SqliteAcdStore; reports: AcdReports } {
  const clock = new ManualClock();
  const store = openStore({ file: path.join(tempDir('acd-rep-'), 'a.db'), clock, log: silentLogger() });
  const acd = new SqliteAcdStore(store);
  return { store, acd, reports: new AcdReports({ db: store.db, utcOffsetMinutes: 480 }) };
}

test('periods: local quarter hours, Monday weeks and calendar months at UTC+8', (t) => {
  const wed = Date.UTC(2026, 0, 7, 5, 7); // 13:07 local Wednesday
  t.is(periodStart(wed, '15m', 480), Date.UTC(2026, 0, 7, 5, 0));
  t.is(periodStart(wed, '30m', 480), Date.UTC(2026, 0, 7, 5, 0));
  t.is(periodStart(wed, 'day', 480), Date.UTC(2026, 0, 6, 16, 0));
  t.is(periodStart(wed, 'week', 480), Date.UTC(2026, 0, 4, 16, 0));
  t.is(periodLabel(periodStart(wed, 'week', 480), 'week', 480), '2026-01-05/2026-01-11');
  // 2026-01-31 23:59 local is January; 2026-02-01 00:00 local is February.
  t.is(periodLabel(periodStart(Date.UTC(2026, 0, 31, 15, 59), 'month', 480), 'month', 480), '2026-01');
  t.is(periodLabel(periodStart(Date.UTC(2026, 0, 31, 16, 0), 'month', 480), 'month', 480), '2026-02');
  t.is(periodEnd(periodStart(wed, 'month', 480), 'month', 480), Date.UTC(2026, 0, 31, 16, 0));
  t.is(periodLabel(Date.UTC(2026, 0, 7, 5, 15), '15m', 480), '2026-01-07 13:15');
});

test('agent times: a segment crossing a period boundary is split; break time by reason', (t) => {
  const tr = [
    { at: 0, status: 'available' as const, state: 'idle' as const, breakReason: null },
    { at: 10 * MIN, status: 'on-break' as const, state: 'idle' as const, breakReason: 'training' },
    { at: 20 * MIN, status: 'available' as const, state: 'in-call' as const, breakReason: null },
  ];
  const m = agentPeriodTimes(tr, 0, 30 * MIN, '15m', 0);
  t.deepEqual(m.get(0), { loggedInMs: 15 * MIN, readyMs: 10 * MIN, offeredMs: 0, inCallMs: 0, wrapMs: 0, outboundMs: 0, breakMs: 5 * MIN, breaks: { training: 5 * MIN } });
  t.deepEqual(m.get(15 * MIN), { loggedInMs: 15 * MIN, readyMs: 0, offeredMs: 0, inCallMs: 10 * MIN, wrapMs: 0, outboundMs: 0, breakMs: 5 * MIN, breaks: { training: 5 * MIN } });
});

test('interval report: the hand-computed morning, day granularity, every SL variant named', async (t) => {
  const { store, acd, reports } = open();
  t.teardown(() => store.close());
  acd.appendEvents(morningFixture().events);
  const r = await reports.intervalReport({ from: DAY_START, to: DAY_START + 24 * 60 * MIN, granularity: 'day' });
  t.is(r.rows.length, 1);
  const row = r.rows[0]!;
  t.is(row.label, '2026-01-05');
  t.like(row.counts, { offered: 7, answered: 3, answeredWithin: 2, abandoned: 2, abandonedShort: 1, abandonedWithin: 2, callbacks: 1, overflowed: 1, handled: 3 });
  // SL = Ans≤T / (Ans + Ab − Ab_short) = 2 / (3 + 2 − 1)
  t.is(row.serviceLevel, 50);
  t.is(r.formulas.serviceLevel, 'Ans≤T / (Ans + Ab − Ab_short) × 100');
  t.is(row.asaMs, (20_000 + 20_001 + 15_000) / 3);
  t.is(row.aht.ahtMs, (120_000 + 10_000 + 30_000 + 300_000 + 60_000 + 60_000) / 3);
  // (Ab − Ab_short) / (Q − Ab_short) = 1 / 6; raw Ab / Q = 2 / 7
  t.is(row.abandon.headline.value, (1 / 6) * 100);
  t.is(row.abandon.raw.value, (2 / 7) * 100);
  t.is(row.abandon.callbacks, 1);
  // Occupancy over q1's agents (a1 and a2, who handled its calls) for the whole day:
  // a1 handle 130 + 30 + 295 s; ready 30 min before 09:00 + 10 + 715 + 600 s; a2 has no state events.
  const handle = (130 + 30 + 295) * S;
  const ready = (30 * 60 + 10 + 715 + 600) * S;
  t.is(row.occupancy, (handle / (handle + ready)) * 100);
  t.is(r.totals[0]!.counts.offered, 7);

  const sl2 = await reports.intervalReport({ from: DAY_START, to: DAY_START + 24 * 60 * MIN, granularity: 'day', slVariant: 'sl2', occupancy: false });
  t.is(sl2.rows[0]!.serviceLevel, 80); // (2 + 2) / (3 + 2)
  t.is(sl2.formulas.serviceLevel, '(Ans≤T + Ab≤T) / (Ans + Ab) × 100');
  t.is(sl2.rows[0]!.occupancy, null);
  const ansOnly = await reports.intervalReport({ from: DAY_START, to: DAY_START + 24 * 60 * MIN, granularity: 'day', slVariant: 'answered-only', occupancy: false });
  t.is(ansOnly.rows[0]!.serviceLevel, (2 / 3) * 100);
});

test('interval report: stored aggregates plus the recomputed tail give the same numbers as raw alone', async (t) => {
  const { store, acd, reports } = open();
  t.teardown(() => store.close());
  acd.appendEvents(morningFixture().events);
  const from = MON_0900;
  const to = MON_0900 + 60 * MIN;
  const raw = await reports.intervalReport({ from, to, granularity: '15m' });
  t.deepEqual(
    raw.rows.map((r) => [r.label, r.counts.offered, r.counts.answered, r.counts.handled]),
    [
      ['2026-01-05 09:00', 7, 2, 2],
      ['2026-01-05 09:15', 0, 1, 1],
    ],
  );
  // The 09:00 quarter: a1 ready 10 + 715 s, handle 130 + 30 s, offered 10 + 5 s; a2 no state.
  t.is(raw.rows[0]!.occupancy, (160 / (160 + 725)) * 100);
  t.is(raw.storedUntil, from);
  // Close only the first quarter hour the way Acd.closeIntervals does; the rest stays raw.
  acd.saveIntervalStats(intervalStats(acd.events(from, from + 15 * MIN), 15 * MIN, () => T));
  const mixed = await reports.intervalReport({ from, to, granularity: '15m' });
  t.is(mixed.storedUntil, from + 15 * MIN);
  t.deepEqual(mixed.rows, raw.rows);
  // A stored row is trusted over raw events (proves the stored path is the one read).
  store.sqlite.prepare('UPDATE acd_interval_stats SET offered = 70').run();
  const tampered = await reports.intervalReport({ from, to, granularity: '30m', occupancy: false });
  t.is(tampered.rows[0]!.counts.offered, 70);
  t.is(tampered.rows[0]!.counts.answered, 3);
});

test('interval report: queue filter and per-queue thresholds from the queue configuration', async (t) => {
  const { store, acd, reports } = open();
  t.teardown(() => store.close());
  acd.appendEvents(morningFixture(MON_0900, 'q1').events);
  acd.appendEvents(morningFixture(MON_0900, 'q2').events.filter((e) => e.type.startsWith('queue.')).map((e) => ({ ...e, id: `q2-${e.id}` })));
  await store.db
    .insertInto('acd_queues')
    .values({ id: 'q2', name: '电费查询', strategy: 'ring-all', config: JSON.stringify({ serviceLevelMs: 30_000, shortAbandonMs: 5_000 }), created_at: 0, updated_at: 0 })
    .execute();
  const r = await reports.intervalReport({ from: DAY_START, to: DAY_START + 24 * 60 * MIN, granularity: 'day', queueIds: ['q2'], occupancy: false });
  t.deepEqual(r.rows.map((x) => x.queueId), ['q2']);
  t.is(r.rows[0]!.queueName, '电费查询');
  t.is(r.rows[0]!.serviceLevelMs, 30_000);
  // With T = 30 s all three answers are within and the callback (30 s) is within for SL X.
  t.is(r.rows[0]!.counts.answeredWithin, 3);
  t.is(r.rows[0]!.serviceLevel, (3 / 4) * 100);
});

test('agent report: logged, ready, talk, wrap, breaks by reason, calls handled and AHT', async (t) => {
  const { store, acd, reports } = open();
  t.teardown(() => store.close());
  acd.appendEvents(morningFixture().events);
  const r = await reports.agentReport({ from: MON_0900, to: MON_0900 + 60 * MIN });
  t.deepEqual(r.rows.map((x) => x.agentId), ['a1', 'a2']);
  const a1 = r.rows[0]!;
  // State at 09:00 comes from the 08:30 event before the range.
  t.deepEqual(a1.times, {
    loggedInMs: 45 * MIN,
    readyMs: (10 + 715 + 600) * S,
    offeredMs: 20 * S,
    inCallMs: (130 + 295) * S,
    wrapMs: 30 * S,
    outboundMs: 0,
    breakMs: 15 * MIN,
    breaks: { lunch: 15 * MIN },
  });
  t.is(a1.handled, 2);
  t.is(a1.talkMs, 180_000);
  t.is(a1.ahtMs, (180_000 + 10_000 + 30_000) / 2);
  t.is(a1.occupancy, (455 / (455 + 1325)) * 100);
  t.deepEqual(r.breakReasons, ['lunch']);
  const a2 = r.rows[1]!;
  t.is(a2.handled, 1);
  t.is(a2.ahtMs, 360_000);
  t.is(a2.occupancy, null);
  const filtered = await reports.agentReport({ from: MON_0900, to: MON_0900 + 60 * MIN, agentIds: ['a2'] });
  t.deepEqual(filtered.rows.map((x) => x.agentId), ['a2']);
});

test('rollup sums counts and keeps the maximum wait; mixed thresholds are reported as mixed', (t) => {
  const base = { queueId: 'q', intervalMs: 15 * MIN, shortAbandonMs: 5_000, agentsRequired: null };
  const row = (start: number, T: number, offered: number, maxWait: number) => ({
    ...base,
    intervalStart: start,
    serviceLevelMs: T,
    offered,
    answered: offered,
    answeredWithin: offered,
    abandoned: 0,
    abandonedWithin: 0,
    abandonedShort: 0,
    callbacks: 0,
    callbacksWithin: 0,
    overflowed: 0,
    sumAnswerWaitMs: 0,
    maxAnswerWaitMs: maxWait,
    handled: 0,
    talkMs: 0,
    holdMs: 0,
    acwMs: 0,
  });
  const r = rollupIntervals([row(DAY_START, 20_000, 3, 9_000), row(DAY_START + 15 * MIN, 30_000, 4, 7_000)], 'day', 480);
  t.is(r.length, 1);
  t.is(r[0]!.counts.offered, 7);
  t.is(r[0]!.counts.maxAnswerWaitMs, 9_000);
  t.is(r[0]!.serviceLevelMs, null);
});
