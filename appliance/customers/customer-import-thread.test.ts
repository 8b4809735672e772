import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { formatCsv } from '../core/csv.js';
import { ImportGate } from '../core/import-gate.js';
import { silentLogger } from '../core/log.js';
import { AppError, ConflictError } from '../core/errors.js';
import type { ImportReport } from '../core/csv-import.js';
import { importCustomers } from './customer-import.js';
import { registerCustomerImportRoutes } from './customer-import-routes.js';
import { importCustomersOffThread } from './customer-import-thread.js';
import { CustomerService } from './customer-service.js';
import { openCustomerRig, type CustomerRig } from './testing/fixtures.js';

/** `n` customers in the utility's layout; every 37th phone is not a number, every 53rd account repeats the one before. */
function file(n: number, account = '04'): Buffer {
  const rows = [['客户名称', '客户类型', '重要客户', '电话', '户号', '表号', '地址', '区域码', 'attr.monthlyKwh']];
  for (let i = 1; i <= n; i++) {
    const k = String(i).padStart(6, '0');
    rows.push([`客户${k}`, i % 10 ? '居民' : '非居民', i % 25 ? '否' : '是', i % 37 ? `138${k}00` : '电话未知', `${account}${i % 53 ? k : String(i - 1).padStart(6, '0')}`, `10${k}`, `郑州市金水路${i}号`, '410105', String(i)]);
  }
  if (rows[7]) rows[7][0] = '';
  return Buffer.from(formatCsv(rows), 'utf8');
}

const deps = (rig: CustomerRig) => ({ customers: rig.svc, clock: rig.clock, log: silentLogger(), bus: rig.bus });
const actor = { id: 'tester', ip: null };
/** Ids are new on every run; everything else must be equal. */
const comparable = (r: ImportReport) => ({ ...r, created: r.created.map((c) => c.row) });
const count = (rig: CustomerRig): number => (rig.store.sqlite.prepare('SELECT count(*) AS n FROM customers').get() as { n: number }).n;
const stored = (rig: CustomerRig) => rig.store.sqlite.prepare('SELECT c.name, c.kind, c.vip, c.tier, c.attributes, a.account_no FROM customers c JOIN customer_accounts a ON a.customer_id = c.id ORDER BY c.name').all();

test('the thread gives the in-process report for the same file (rows, row numbers, lines, columns) and stores the same customers', async (t) => {
  const here = openCustomerRig();
  const there = openCustomerRig();
  t.teardown(async () => {
    await here.close();
    await there.close();
  });
  const csv = file(400);
  const opts = { mode: 'valid-only' as const, dryRun: false };
  const inProcess = importCustomers(deps(here), { csv }, opts, actor);
  const offThread = await importCustomersOffThread(deps(there), { csv }, opts, actor, { gate: new ImportGate(there.clock) });
  t.true(inProcess.invalid > 15, 'the file has bad rows of several kinds');
  t.deepEqual(comparable(offThread), comparable(inProcess));
  t.is(count(there), inProcess.committed);
  t.deepEqual(stored(there), stored(here));
  t.is(there.events.filter((e) => e.type === 'customer.profile.created').length, inProcess.committed, 'events published on the main bus after the commit');
  t.true(offThread.created.every((c) => there.svc.get(c.id).name.startsWith('客户')), 'the reported ids are the stored rows');

  const rows = [{ name: '张三', accounts: [{ accountNo: '0499999' }] }, { name: '', kind: 'alien' }, 'not an object'];
  const json = { mode: 'all-or-nothing' as const, dryRun: false };
  const a = importCustomers(deps(here), { rows }, json, actor);
  const b = await importCustomersOffThread(deps(there), { rows }, json, actor, { gate: new ImportGate(there.clock) });
  t.deepEqual(comparable(b), comparable(a));
  t.is(b.committed, 0, 'all-or-nothing with bad rows stores nothing');
});

test('a file that cannot be read fails in the thread with the same typed error', async (t) => {
  const rig = openCustomerRig();
  t.teardown(() => rig.close());
  const err = await t.throwsAsync(importCustomersOffThread(deps(rig), { csv: Buffer.from('客户名称,颜色\r\n张三,红\r\n') }, { mode: 'valid-only', dryRun: false }, actor, { gate: new ImportGate(rig.clock) }));
  t.like(err, { code: 'VALIDATION', message: 'bad header line', issues: [{ path: '(header).颜色', message: 'unknown column "颜色"' }] });
});

test('a second customer import while one runs is refused naming the running one; a thread killed mid-import stores nothing and answers 500', async (t) => {
  const h = await startApiHarness();
  t.teardown(() => h.close());
  const log = silentLogger();
  const rig = { svc: new CustomerService({ store: h.store, clock: h.clock, bus: h.bus, log, phone: { defaultAreaCode: '0371' } }) };
  const gate = new ImportGate(h.clock);
  let kill = false;
  let progressed = 0;
  registerCustomerImportRoutes(h.api.registry, { customers: rig.svc, clock: h.clock, log, bus: h.bus }, h.api.audit, {
    gate,
    progressEvery: 100,
    onThread: (job) => {
      t.teardown(() => job.terminate());
      if (kill) job.worker.once('message', () => void job.terminate());
    },
    onProgress: (row) => (progressed = row),
  });
  const post = (body: Buffer) => fetch(`${h.base}/customers/import?mode=valid-only`, { method: 'POST', body, headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'text/csv' } });
  const count = (): number => (h.store.sqlite.prepare('SELECT count(*) AS n FROM customers').get() as { n: number }).n;

  // The first import is in the gate as soon as its thread has been started; the second is refused.
  const first = post(file(3000));
  while (!gate.current('customer')) await new Promise((r) => setTimeout(r, 5));
  const second = await post(file(2));
  t.is(second.status, 409);
  const body = (await second.json()) as { error: { code: string; message: string } };
  t.is(body.error.code, 'CONFLICT');
  t.regex(body.error.message, /a customer import is already running: a CSV file of \d+ bytes, started by .+ at 20\d\d-/);
  const done = (await (await first).json()) as ImportReport;
  t.is(done.total, 3000);
  t.true(progressed >= 2900, 'progress was reported');
  t.is(count(), done.committed);
  t.is(gate.current('customer'), null, 'the gate is open again');

  // Killed at its first progress report (100 rows in): the transaction never commits.
  kill = true;
  const before = count();
  const dead = await post(file(3000, '05'));
  t.is(dead.status, 500);
  t.like(await dead.json(), { error: { code: 'INTERNAL' } }, 'the details (thread stopped, exit code) go to the log');
  t.is(count(), before, 'no row of the killed import is stored');
  // The write lock went with the thread: the main connection writes at once.
  const t0 = performance.now();
  rig.svc.create({ name: '王五', accounts: [{ accountNo: '0698765' }] }, { id: 'tester', ip: null });
  t.true(performance.now() - t0 < 1000, 'no busy wait on a lock held by a dead thread');
  t.is(count(), before + 1);
});

test('the gate: one import per kind, other kinds run alongside', (t) => {
  const gate = new ImportGate({ now: () => Date.UTC(2026, 0, 5, 1, 0, 0) });
  const a = gate.enter('customer', 'a CSV file of 10 bytes', 'alice');
  const err = t.throws(() => gate.enter('customer', 'another', 'bob'), { instanceOf: ConflictError });
  t.is(err?.message, 'a customer import is already running: a CSV file of 10 bytes, started by alice at 2026-01-05T01:00:00.000Z, 0 rows done; try again when it has finished');
  t.true(err instanceof AppError);
  const b = gate.enter('calendar', 'x.ics', 'bob');
  b.release();
  a.release();
  t.notThrows(() => gate.enter('customer', 'again', 'bob').release());
});

test('a thread stopped from outside rejects with INTERNAL naming the job; nothing stored', async (t) => {
  const rig = openCustomerRig();
  t.teardown(() => rig.close());
  const err = await t.throwsAsync(
    importCustomersOffThread(deps(rig), { csv: file(3000) }, { mode: 'valid-only', dryRun: false }, actor, {
      gate: new ImportGate(rig.clock),
      progressEvery: 200,
      onThread: (job) => job.worker.once('message', () => void job.terminate()),
    }),
  );
  t.like(err, { code: 'INTERNAL' });
  t.regex(err!.message, /the customer import thread stopped \(exit code 1\) before it finished; nothing was stored/);
  t.is(count(rig), 0);
});
