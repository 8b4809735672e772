import path from 'node:path';
import test from 'ava';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore, type Store } from '../store/database.js';
import { WorkOrderReports, WORKORDER_FORMULAS } from './reports.js';
import { seedWorkOrderReportFixture, WO_T0 } from './testing/report-fixtures.js';

const H = 3_600_000;
const D = 24 * H;

async function open(): Promise<Store> {
  const store = openStore({ file: path.join(tempDir('wo-rep-'), 'a.db'), clock: new ManualClock(WO_T0), log: silentLogger() });
  await seedWorkOrderReportFixture(store.db);
  return store;
}

test('work-order report by type: created, open, closed, overdue, SLA compliance, 回访 satisfaction', async (t) => {
  const store = await open();
  t.teardown(() => store.close());
  const r = await new WorkOrderReports({ db: store.db }).summary({ from: WO_T0, to: WO_T0 + 7 * D, by: 'type', now: WO_T0 + 10 * D });
  t.deepEqual(r.formulas, WORKORDER_FORMULAS);
  t.deepEqual(r.rows.map((x) => x.key), ['complaint', 'repair']);
  const complaint = r.rows[0]!;
  const repair = r.rows[1]!;
  t.like(repair, { name: '故障报修', created: 3, open: 1, closed: 2, cancelled: 0, overdue: 1, breached: 1, closedBreached: 1, slaCompliancePct: 50, satisfied: 1, dissatisfied: 1, satisfactionPct: 50, avgResolveMs: 3 * H });
  t.like(complaint, { created: 4, open: 2, closed: 1, cancelled: 1, overdue: 1, breached: 1, closedBreached: 0, slaCompliancePct: 100, unreachable: 1, satisfactionPct: null, avgResolveMs: 21 * H });
  t.like(r.total, { created: 7, overdue: 2, closed: 3 });
  // Before o3's due instant it is not overdue yet.
  const early = await new WorkOrderReports({ db: store.db }).summary({ from: WO_T0, to: WO_T0 + 7 * D, by: 'type', now: WO_T0 + 12 * H });
  t.is(early.rows.find((x) => x.key === 'repair')!.overdue, 0);
});

test('work-order report by department counts an order for each department; by category; type filter', async (t) => {
  const store = await open();
  t.teardown(() => store.close());
  const reports = new WorkOrderReports({ db: store.db });
  const byDept = await reports.summary({ from: WO_T0, to: WO_T0 + 7 * D, by: 'department', now: WO_T0 + 10 * D });
  t.deepEqual(
    byDept.rows.map((x) => [x.key, x.name, x.created]),
    [
      ['', '', 4],
      ['d2', '抢修班', 3],
      ['d1', '城区供电所', 1],
    ],
  );
  const byCat = await reports.summary({ from: WO_T0, to: WO_T0 + 7 * D, by: 'category', typeId: 'repair', now: WO_T0 + 10 * D });
  t.deepEqual(
    byCat.rows.map((x) => [x.key, x.created]),
    [
      ['cat-outage', 2],
      ['', 1],
    ],
  );
});
