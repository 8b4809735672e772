import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { formatCsv } from '../core/csv.js';
import { registerCustomerImportRoutes } from './customer-import-routes.js';
import { CustomerService } from './customer-service.js';

type Report = {
  mode: string;
  dryRun: boolean;
  total: number;
  valid: number;
  invalid: number;
  committed: number;
  rejected: Array<{ row: number; line: number | null; fields: Array<{ path: string; message: string }> }>;
  created: Array<{ row: number; id: string }>;
};

async function rig() {
  const h = await startApiHarness();
  const log = silentLogger();
  const customers = new CustomerService({ store: h.store, clock: h.clock, bus: h.bus, log, phone: { defaultAreaCode: '0371' } });
  registerCustomerImportRoutes(h.api.registry, { customers, clock: h.clock, log, bus: h.bus }, h.api.audit);
  const count = (): number => (h.store.sqlite.prepare('SELECT count(*) AS n FROM customers').get() as { n: number }).n;
  const csv = (body: string | Buffer, query = ''): Promise<Response> =>
    fetch(`${h.base}/customers/import${query}`, { method: 'POST', body, headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'text/csv; charset=utf-8' } });
  return { h, customers, count, csv };
}

/** 100 customers in the utility's spreadsheet layout; rows 17, 42 and 88 are bad. */
function hundred(): string {
  const rows = [['客户名称', '客户类型', '重要客户', '电话', '户号', '表号', '地址', '区域码', 'attr.monthlyKwh']];
  for (let i = 1; i <= 100; i++) {
    const n = String(i).padStart(4, '0');
    rows.push([`客户${n}`, i % 10 === 0 ? '非居民' : '居民', i % 25 === 0 ? '是' : '否', `1380000${n}`, `04100000${n}`, `10000000${n}`, `郑州市金水路${i}号, ${i % 3}单元`, '410105', String(100 + i)]);
  }
  rows[17]![3] = '电话未知';
  rows[42]![4] = '#41';
  rows[88]![0] = '';
  rows[88]![2] = '可能';
  // A quoted address with a line break and a quote keeps the file honest about RFC 4180.
  rows[5]![6] = '郑州市"花园"路\n5号';
  return formatCsv(rows);
}

const expectedRejected = [
  { row: 17, line: 19, fields: [{ path: '电话', message: 'not a phone number' }] },
  { row: 42, line: 44, fields: [{ path: '户号', message: 'account numbers are 4–32 letters, digits or -' }] },
  { row: 88, line: 90, fields: [{ path: '客户名称', message: 'required' }, { path: '重要客户', message: 'expected 是/否, true/false or 1/0' }] },
];

const simplify = (r: Report['rejected']) => r.map((x) => ({ ...x, fields: x.fields.map((f) => ({ path: f.path, message: f.message.replace(/ \(.*\)$/, '') })) }));

test('3 bad rows of 100: the exact row/column report; all-or-nothing stores nothing, valid-only stores 97', async (t) => {
  const { h, count, csv, customers } = await rig();
  t.teardown(() => h.close());
  const file = hundred();

  const dry = (await (await csv(file, '?mode=valid-only&dryRun=true')).json()) as Report;
  t.like(dry, { mode: 'valid-only', dryRun: true, total: 100, valid: 97, invalid: 3, committed: 0 });
  t.is(count(), 0, 'a dry run stores nothing');

  const none = await csv(file);
  t.is(none.status, 200);
  const r1 = (await none.json()) as Report;
  t.like(r1, { mode: 'all-or-nothing', dryRun: false, total: 100, valid: 97, invalid: 3, committed: 0 });
  t.deepEqual(simplify(r1.rejected), expectedRejected);
  t.is(count(), 0, 'all-or-nothing with bad rows stores nothing');

  const events: string[] = [];
  h.bus.onAny((e) => events.push(e.type));
  const some = (await (await csv(file, '?mode=valid-only')).json()) as Report;
  t.like(some, { total: 100, valid: 97, invalid: 3, committed: 97 });
  t.deepEqual(simplify(some.rejected), expectedRejected);
  t.is(count(), 97);
  t.is(events.filter((e) => e === 'customer.profile.created').length, 97, 'one event per stored customer, after the commit');
  const six = customers.get(some.created.find((c) => c.row === 5)!.id);
  t.is(six.addresses[0]?.text, '郑州市"花园"路\n5号');
  t.like(customers.findByAccount('041000000010'), { name: '客户0010', kind: 'business' });
  t.is(customers.findByAccount('041000000025').vip, true);
  t.is(customers.findByAccount('041000000003').attributes['monthlyKwh'], 103);

  // The same file again: every good row now collides with a stored account.
  const again = (await (await csv(file, '?mode=valid-only')).json()) as Report;
  t.is(again.committed, 0);
  t.is(again.invalid, 100);
  t.regex(again.rejected[0]!.fields[0]!.message, /belongs to another customer/);
  t.is(again.rejected[0]!.fields[0]!.path, '户号');
});

test('JSON rows use the POST /customers schema; duplicates within one import are caught', async (t) => {
  const { h, count } = await rig();
  t.teardown(() => h.close());
  const rows = [
    { name: '张三', phones: [{ number: '13800138000' }], accounts: [{ accountNo: '0410001' }] },
    { name: '李四', accounts: [{ accountNo: '0410001' }] },
    { name: '', kind: 'alien' },
  ];
  const r = (await (await h.call('POST', '/customers/import?mode=valid-only', { body: { rows } })).json()) as Report;
  t.like(r, { total: 3, committed: 1, invalid: 2 });
  t.deepEqual(r.rejected.map((x) => [x.row, x.line, x.fields.map((f) => f.path).sort()]), [
    [2, null, ['accounts.0.accountNo']],
    [3, null, ['kind', 'name']],
  ]);
  t.is(count(), 1);
});

test('unreadable files get a clear error: wrong encoding, no header line, unknown columns, over the size limit, broken quoting', async (t) => {
  const { h, count, csv } = await rig();
  t.teardown(() => h.close());
  const gbk = Buffer.from([0xbf, 0xcd, 0xbb, 0xa7, 0xc3, 0xfb, 0xb3, 0xc6, 0x0d, 0x0a, 0xd5, 0xc5, 0xc8, 0xfd, 0x0d, 0x0a]); // 客户名称 / 张三 in GBK
  const enc = await csv(gbk);
  t.is(enc.status, 400);
  const encBody = (await enc.json()) as { error: { code: string; message: string } };
  t.is(encBody.error.code, 'PARSE');
  t.regex(encBody.error.message, /not valid UTF-8 at byte 0/);
  const gb = (await (await csv(gbk, '?charset=gb18030')).json()) as Report;
  t.like(gb, { committed: 1, total: 1 }, 'the same file read as GB18030');
  const viaHeader = await fetch(`${h.base}/customers/import?dryRun=true`, { method: 'POST', body: gbk, headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'text/csv; charset=GBK' } });
  t.like((await viaHeader.json()) as Report, { valid: 1, committed: 0 }, 'charset=GBK in the Content-Type is honoured');

  const headless = await csv('张三,13800138000,0410002\r\n李四,13800138001,0410003\r\n');
  t.is(headless.status, 400);
  const hb = (await headless.json()) as { error: { message: string; fields: Array<{ path: string; message: string }> } };
  t.is(hb.error.message, 'missing header line');
  t.regex(hb.error.fields[0]!.message, /first line must name the columns \(name, …\)/);

  const unknown = await csv('客户名称,颜色,户号,户号\r\n张三,红,0410004,0410005\r\n');
  t.is(unknown.status, 400);
  t.deepEqual(((await unknown.json()) as { error: { fields: Array<{ path: string }> } }).error.fields.map((f) => f.path), ['(header).颜色', '(header).户号']);

  const big = await csv(Buffer.alloc(10 * 1024 * 1024, 0x41));
  t.is(big.status, 413);
  t.regex(((await big.json()) as { error: { message: string } }).error.message, /larger than 8388608 bytes/);

  const broken = await csv('客户名称,户号\r\n"张三,0410006\r\n');
  t.is(broken.status, 400);
  t.regex(((await broken.json()) as { error: { message: string } }).error.message, /line 2, column 1: quoted field never closed/);

  const wrongType = await h.call('POST', '/customers/import', { body: 'x', headers: { 'content-type': 'application/xml' } });
  t.is(wrongType.status, 415);
  t.is(count(), 1);
});

test('the OpenAPI document offers the import as text/csv and as JSON rows', async (t) => {
  const { h } = await rig();
  t.teardown(() => h.close());
  const doc = (await (await h.call('GET', '/openapi.json', { key: null })).json()) as { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: Record<string, unknown> }> } } }> };
  const content = doc.paths['/customers/import']!.post.requestBody.content;
  t.deepEqual(Object.keys(content).sort(), ['application/json', 'text/csv', 'text/plain']);
  t.like(content['text/csv']!.schema, { type: 'string', format: 'binary', maxLength: 8 * 1024 * 1024 });
});
