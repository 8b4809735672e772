import path from 'node:path';
import test from 'ava';
import { SqliteAcdStore } from '../acd/acd-store.js';
import { AcdReports } from '../acd/reports.js';
import { MON_0900, morningFixture } from '../acd/testing/report-fixtures.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { IvrReports } from '../ivr/reports.js';
import { openStore, type Store } from '../store/database.js';
import { WorkOrderReports } from '../workorders/reports.js';
import { seedWorkOrderReportFixture, WO_T0 } from '../workorders/testing/report-fixtures.js';
import { parseDefinition } from './definition.js';
import { resolveRange, runReport, type DatasetSources } from './datasets.js';

async function rig(): Promise<{ store: Store; sources: DatasetSources }> {
  const store = openStore({ file: path.join(tempDir('rep-run-'), 'a.db'), clock: new ManualClock(MON_0900), log: silentLogger() });
  new SqliteAcdStore(store).appendEvents(morningFixture().events);
  await seedWorkOrderReportFixture(store.db);
  return {
    store,
    sources: { acd: new AcdReports({ db: store.db }), workorders: new WorkOrderReports({ db: store.db }), ivr: new IvrReports({ db: store.db }), utcOffsetMinutes: 480 },
  };
}

test('ranges are local days: last-days includes today; fixed includes the end day', (t) => {
  t.deepEqual(resolveRange({ kind: 'last-days', days: 1 }, MON_0900, 480), { from: Date.UTC(2026, 0, 4, 16), to: Date.UTC(2026, 0, 5, 16) });
  t.deepEqual(resolveRange({ kind: 'fixed', from: '2026-01-05', to: '2026-01-06' }, 0, 480), { from: Date.UTC(2026, 0, 4, 16), to: Date.UTC(2026, 0, 6, 16) });
});

test('custom ACD report by hour: sums and ratios of sums match the hand-computed morning', async (t) => {
  const { store, sources } = await rig();
  t.teardown(() => store.close());
  const def = parseDefinition({ name: 'x', dataset: 'acd-intervals', dimensions: ['hour'], measures: ['offered', 'answered', 'serviceLevelPct', 'sl2Pct', 'asaSec', 'abandonPct'], range: { kind: 'fixed', from: '2026-01-05', to: '2026-01-05' } });
  const r = await runReport(sources, def, MON_0900);
  t.deepEqual(r.rows, [{ dims: ['09'], labels: ['09'], values: [7, 3, 50, 80, (20 + 20.001 + 15) / 3, (1 / 6) * 100] }]);
  t.is(r.columns[3]!.formula, 'Ans≤T / (Ans + Ab − Ab_short) × 100');
  const none = await runReport(sources, parseDefinition({ ...def, filters: [{ field: 'queue', op: 'eq', values: ['q9'] }] }), MON_0900);
  t.deepEqual(none.rows, []);
});

test('custom agent-calls report: per agent calls and AHT, sorted by a measure, limited', async (t) => {
  const { store, sources } = await rig();
  t.teardown(() => store.close());
  const def = parseDefinition({ name: 'x', dataset: 'agent-calls', dimensions: ['agent'], measures: ['calls', 'ahtSec'], sort: { by: 'ahtSec', dir: 'desc' }, range: { kind: 'last-days', days: 1 } });
  const r = await runReport(sources, def, MON_0900);
  t.deepEqual(r.rows.map((x) => [x.dims[0], x.values]), [
    ['a2', [1, 360]],
    ['a1', [2, 110]],
  ]);
  const one = await runReport(sources, parseDefinition({ ...def, limit: 1 }), MON_0900);
  t.is(one.rows.length, 1);
  t.is(one.truncated, 1);
});

test('custom work-order report by department with a filter: multi-department orders count in each', async (t) => {
  const { store, sources } = await rig();
  t.teardown(() => store.close());
  const def = parseDefinition({
    name: 'x',
    dataset: 'workorders',
    dimensions: ['department'],
    measures: ['count', 'slaCompliancePct', 'satisfactionPct'],
    filters: [{ field: 'type', op: 'eq', values: ['repair'] }],
    range: { kind: 'fixed', from: '2026-01-05', to: '2026-01-11' },
  });
  const r = await runReport(sources, def, WO_T0 + 10 * 86_400_000);
  t.deepEqual(r.rows.map((x) => [x.dims[0], x.labels[0], x.values]), [
    ['d1', '城区供电所', [1, 100, 100]],
    ['d2', '抢修班', [3, 50, 50]],
  ]);
  const ne = await runReport(sources, parseDefinition({ ...def, filters: [{ field: 'department', op: 'ne', values: ['d1'] }], dimensions: ['type'], measures: ['count'] }), WO_T0);
  // o1 (d1 and d2) is excluded; complaint orders have no department and stay.
  t.deepEqual(ne.rows.map((x) => [x.dims[0], x.values[0]]), [
    ['complaint', 4],
    ['repair', 2],
  ]);
});
