import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { formatCsv } from '../core/csv.js';
import { silentLogger } from '../core/log.js';
import { registerOrderImportRoutes } from './order-import-routes.js';
import { seedOrg } from './testing/fixtures.js';
import { WorkOrderService } from './workorder-service.js';

type Report = {
  total: number;
  valid: number;
  invalid: number;
  committed: number;
  dryRun: boolean;
  rejected: Array<{ row: number; line: number | null; fields: Array<{ path: string; message: string }> }>;
  created: Array<{ row: number; id: string }>;
};

async function rig() {
  const h = await startApiHarness();
  const svc = new WorkOrderService({ store: h.store, clock: h.clock, bus: h.bus, log: silentLogger() });
  seedOrg(svc);
  registerOrderImportRoutes(h.api.registry, svc, h.api.audit);
  const count = (): number => (h.store.sqlite.prepare('SELECT count(*) AS n FROM workorders').get() as { n: number }).n;
  const csv = (body: string | Buffer, query = ''): Promise<Response> =>
    fetch(`${h.base}/workorders/import${query}`, { method: 'POST', body, headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'text/csv' } });
  return { h, svc, count, csv };
}

function hundredRepairs(): string {
  const rows = [['工单类型', '标题', '来源', '优先级', '区域', '联系电话', '地址', 'field.meterNo', 'field.faultKind', 'field.households']];
  for (let i = 1; i <= 100; i++) {
    rows.push(['故障报修', `历史报修 ${i}`, i % 2 ? '来电' : '来信', i % 10 === 0 ? '紧急' : '普通', '城区', `1390000${String(i).padStart(4, '0')}`, `文化路${i}号`, `12345${String(i).padStart(5, '0')}`, i % 3 ? 'no-power' : 'low-voltage', String(i)]);
  }
  rows[7]![7] = 'ABC';
  rows[33]![2] = '飞鸽';
  rows[66]![1] = '';
  rows[66]![9] = '很多';
  return formatCsv(rows);
}

test('orders: 3 bad rows of 100 reported by row and column; all-or-nothing stores none, valid-only 97 with events after the commit', async (t) => {
  const { h, svc, count, csv } = await rig();
  t.teardown(() => h.close());
  const file = hundredRepairs();
  const r1 = (await (await csv(file)).json()) as Report;
  t.like(r1, { total: 100, valid: 97, invalid: 3, committed: 0 });
  t.deepEqual(
    r1.rejected.map((r) => [r.row, r.line, r.fields.map((f) => f.path)]),
    [
      [7, 8, ['field.meterNo']],
      [33, 34, ['来源']],
      [66, 67, ['标题', 'field.households']],
    ],
  );
  t.regex(r1.rejected[1]!.fields[0]!.message, /unknown value "飞鸽"/);
  t.is(count(), 0);
  const created: string[] = [];
  h.bus.on('workorder.order.created', (e) => created.push(e.payload.number));
  const r2 = (await (await csv(file, '?mode=valid-only')).json()) as Report;
  t.like(r2, { committed: 97, invalid: 3 });
  t.is(count(), 97);
  t.is(created.length, 97);
  t.is(created[96], 'GD20260105-000097', 'numbers drawn without gaps from the rows rolled back');
  const o = svc.get(r2.created.find((c) => c.row === 10)!.id);
  t.like(o, { typeId: 'repair', source: 'letter', priority: 'urgent', areaClass: 'urban', contactPhone: '13900000010' });
  t.deepEqual(o.fields, { meterNo: '1234500010', faultKind: 'no-power', households: 10 });
});

test('orders as JSON rows with a dry run: nothing stored, the report the same', async (t) => {
  const { h, count } = await rig();
  t.teardown(() => h.close());
  const rows = [
    { typeId: 'consult', source: 'web', title: '电价咨询' },
    { typeId: 'nope', source: 'web', title: 'x' },
    { typeId: 'consult', source: 'pigeon', title: '' },
  ];
  const r = (await (await h.call('POST', '/workorders/import?mode=valid-only&dryRun=true', { body: { rows } })).json()) as Report;
  t.like(r, { dryRun: true, total: 3, valid: 1, invalid: 2, committed: 0 });
  t.deepEqual(r.rejected.map((x) => [x.row, x.fields.map((f) => f.path).sort()]), [
    [2, ['(row)']],
    [3, ['source', 'title']],
  ]);
  t.is(count(), 0);
});

test('orders: a header-less file and a missing required column are refused as a whole', async (t) => {
  const { h, csv, count } = await rig();
  t.teardown(() => h.close());
  const headless = await csv('故障报修,停电,来电\r\n');
  t.is(headless.status, 400);
  const missing = await csv('工单类型,标题\r\n咨询,电价\r\n');
  t.is(missing.status, 400);
  const m = (await missing.json()) as { error: { fields: Array<{ path: string; message: string }> } };
  t.deepEqual(m.error.fields, [{ path: '(header).source', message: 'required column "source" is missing' }]);
  t.is(count(), 0);
});
