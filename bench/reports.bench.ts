/**
 * `npm run bench -- reports`: the queue interval report (issue 9) over 30 days × 20 queues of
 * stored 15-min aggregates plus agent state events for occupancy, on a temp SQLite file.
 * Prints query and HTML render times per granularity (day, 15 min) and the CSV export time.
 * Load per queue: ~300 calls a day from 08:00 to 20:00 local, 10 agents per queue.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteAcdStore } from '../appliance/acd/acd-store.js';
import { AcdReports } from '../appliance/acd/reports.js';
import type { IntervalStatsRecord } from '../appliance/acd/store-port.js';
import { EventBuilder } from '../appliance/acd/testing/report-fixtures.js';
import { silentLogger } from '../appliance/core/log.js';
import { ManualClock } from '../appliance/core/testing/manual-clock.js';
import { tempDir } from '../appliance/core/testing/temp-dir.js';
import { openStore } from '../appliance/store/database.js';
import { chart } from '../control-panel/reports/svg-chart.js';
import { toCsv } from '../control-panel/reports/csv.js';
import { html } from '../control-panel/html.js';

const DAYS = 30;
const QUEUES = 20;
const AGENTS_PER_QUEUE = 10;
const Q15 = 15 * 60_000;
const start = Date.UTC(2026, 0, 1, 16, 0); // 2026-01-02 00:00 local
const end = start + DAYS * 86_400_000;

const clock = new ManualClock(end);
const store = openStore({ file: path.join(tempDir('bench-reports-'), 'a.db'), clock, log: silentLogger() });
const acd = new SqliteAcdStore(store);

let seed = 1;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

const t0 = performance.now();
const rows: IntervalStatsRecord[] = [];
for (let d = 0; d < DAYS; d++) {
  for (let q = 0; q < QUEUES; q++) {
    for (let i = 32; i < 80; i++) {
      const offered = 3 + Math.floor(rnd() * 8);
      const abandoned = Math.floor(rnd() * 2);
      const answered = offered - abandoned;
      rows.push({
        queueId: `q${q}`,
        intervalStart: start + d * 86_400_000 + i * Q15,
        intervalMs: Q15,
        serviceLevelMs: 20_000,
        shortAbandonMs: 5_000,
        offered,
        answered,
        answeredWithin: Math.floor(answered * 0.8),
        abandoned,
        abandonedWithin: abandoned,
        abandonedShort: 0,
        callbacks: 0,
        callbacksWithin: 0,
        overflowed: 0,
        sumAnswerWaitMs: answered * 12_000,
        maxAnswerWaitMs: 40_000,
        handled: answered,
        talkMs: answered * 180_000,
        holdMs: answered * 10_000,
        acwMs: answered * 30_000,
        agentsRequired: null,
      });
    }
  }
}
acd.saveIntervalStats(rows);
// Agent state events: each agent goes available at 08:00, alternates in-call / wrap-up / idle, leaves at 20:00.
const b = new EventBuilder();
for (let d = 0; d < DAYS; d++) {
  for (let a = 0; a < QUEUES * AGENTS_PER_QUEUE; a++) {
    const id = `a${a}`;
    let at = start + d * 86_400_000 + 8 * 3_600_000;
    b.agent(at, id, 'available', 'idle');
    const stop = at + 12 * 3_600_000;
    while (at < stop) {
      at += 60_000 + Math.floor(rnd() * 600_000);
      b.agent(at, id, 'available', 'in-call');
      at += 180_000;
      b.agent(at, id, 'available', 'wrap-up');
      at += 30_000;
      b.agent(at, id, 'available', 'idle');
    }
    b.agent(stop + 60_000, id, 'logged-out', 'idle');
  }
}
for (let i = 0; i < b.events.length; i += 20_000) acd.appendEvents(b.events.slice(i, i + 20_000));
for (let q = 0; q < QUEUES; q++)
  for (let a = 0; a < AGENTS_PER_QUEUE; a++) b.completed(start + 9 * 3_600_000, `q${q}`, `seed-${q}-${a}`, `a${q * AGENTS_PER_QUEUE + a}`, 1, 0, 0);
acd.appendEvents(b.events.slice(-QUEUES * AGENTS_PER_QUEUE));
const loadMs = performance.now() - t0;
console.log(`data: ${rows.length} interval rows, ${b.events.length} agent events (${loadMs.toFixed(0)} ms to load)`);

const reports = new AcdReports({ db: store.db });
for (const g of ['day', '15m'] as const) {
  for (const occupancy of [false, true]) {
    const q0 = performance.now();
    const r = await reports.intervalReport({ from: start, to: end, granularity: g, occupancy });
    const q1 = performance.now();
    const sums = new Map<number, number>();
    for (const x of r.rows) sums.set(x.periodStart, (sums.get(x.periodStart) ?? 0) + x.counts.offered);
    const periods = [...sums.keys()];
    const body = html`${chart({ kind: periods.length > 60 ? 'line' : 'bar', title: 'volume', labels: periods.map(String), series: [{ name: 'offered', values: periods.map((p) => sums.get(p) ?? 0) }] })}<table>${r.rows.slice(0, 2000).map((x) => html`<tr><td>${x.queueName}</td><td>${x.label}</td><td>${x.counts.offered}</td><td>${x.serviceLevel ?? ''}</td><td>${x.occupancy ?? ''}</td></tr>`)}</table>`;
    const q2 = performance.now();
    const csv = toCsv(['q', 'p', 'n', 'sl'], r.rows.map((x) => [x.queueId, x.label, x.counts.offered, x.serviceLevel]));
    const q3 = performance.now();
    console.log(
      `interval report g=${g.padEnd(3)} occupancy=${String(occupancy).padEnd(5)} rows=${String(r.rows.length).padStart(5)}  query ${(q1 - q0).toFixed(0).padStart(5)} ms  html ${(q2 - q1).toFixed(0).padStart(4)} ms (${(body.value.length / 1024).toFixed(0)} KiB)  csv ${(q3 - q2).toFixed(0).padStart(4)} ms (${(csv.length / 1024).toFixed(0)} KiB)`,
    );
  }
}
await store.close();
