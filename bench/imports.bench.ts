/**
 * Bulk imports and appointments on a temporary database:
 *   - RFC 4180 parsing (core/csv.ts) of a generated customer file: MB/s;
 *   - the customer import (customers/customer-import.ts) of N rows in one transaction,
 *     valid-only, with 1 % bad rows: rows/s, and the same file as a dry run;
 *   - the work-order import (workorders/order-import.ts) of N rows: rows/s;
 *   - appointment booking (appointments/appointment-service.ts): bookings/s through the
 *     service, each its own IMMEDIATE transaction with the capacity probe;
 *   - the main thread during a customer import, in-process (as it was) and on the import's own
 *     thread (customers/customer-import-thread.ts): event-loop lag p99 and max
 *     (monitorEventLoopDelay, its resolution subtracted), and — off-thread — how long a
 *     main-thread write waits for the import's write lock (one customer created every 50 ms).
 *   npm run bench -- imports [rows ≤ CUSTOMER_IMPORT_MAX_ROWS]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import os from 'node:os';
import path from 'node:path';
import { AppointmentBook } from '../appliance/appointments/appointment-service.js';
import { formatCsv, parseCsv } from '../appliance/core/csv.js';
import { EventBus } from '../appliance/core/events.js';
import { silentLogger } from '../appliance/core/log.js';
import { ManualClock } from '../appliance/core/testing/manual-clock.js';
import { ImportGate } from '../appliance/core/import-gate.js';
import { CUSTOMER_IMPORT_MAX_ROWS, importCustomers } from '../appliance/customers/customer-import.js';
import { importCustomersOffThread } from '../appliance/customers/customer-import-thread.js';
import { CustomerService } from '../appliance/customers/customer-service.js';
import { openStore } from '../appliance/store/database.js';
import { importOrders } from '../appliance/workorders/order-import.js';
import { seedOrg } from '../appliance/workorders/testing/fixtures.js';
import { WorkOrderService } from '../appliance/workorders/workorder-service.js';

const rows = Math.min(Number(process.argv[2] ?? 5_000), CUSTOMER_IMPORT_MAX_ROWS);
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-imports-'));
const clock = new ManualClock();
const log = silentLogger();
const store = openStore({ file: path.join(dir, 'bench.db'), clock, log });
const bus = new EventBus({ clock, log });
const customers = new CustomerService({ store, clock, bus, log, phone: { defaultAreaCode: '0371' } });
const orders = new WorkOrderService({ store, clock, bus, log });
seedOrg(orders);

const table = [['客户名称', '客户类型', '重要客户', '电话', '户号', '表号', '地址', '区域码']];
for (let i = 0; i < rows; i++) {
  const n = String(i).padStart(7, '0');
  table.push([`客户${n}`, i % 10 ? '居民' : '非居民', i % 50 ? '否' : '是', i % 100 === 7 ? '坏号码' : `139${n}1`, `04${n}`, `10${n}`, `郑州市金水路${i}号, ${i % 9}单元`, '410105']);
}
const csv = Buffer.from(formatCsv(table), 'utf8');

const reps = 5;
const big = Buffer.concat(Array.from({ length: 8 }, () => csv));
const bigText = big.toString('utf8');
let t0 = performance.now();
for (let k = 0; k < reps; k++) parseCsv(bigText);
const parseMs = (performance.now() - t0) / reps;
console.log(`csv parse: ${(big.length / 1048576).toFixed(1)} MB, ${rows * 8} rows in ${parseMs.toFixed(1)} ms (${(big.length / 1048576 / (parseMs / 1000)).toFixed(1)} MB/s)`);

const actor = { id: 'bench', ip: null };
t0 = performance.now();
const dry = importCustomers({ customers, clock, log, bus }, { csv }, { mode: 'valid-only', dryRun: true }, actor);
const dryMs = performance.now() - t0;
console.log(`customer import dry run: ${dry.total} rows, ${dry.invalid} bad, ${dryMs.toFixed(0)} ms (${((dry.total / dryMs) * 1000).toFixed(0)} rows/s)`);
t0 = performance.now();
const real = importCustomers({ customers, clock, log, bus }, { csv }, { mode: 'valid-only', dryRun: false }, actor);
const realMs = performance.now() - t0;
console.log(`customer import valid-only: ${real.committed} stored, ${real.invalid} reported, ${realMs.toFixed(0)} ms (${((real.total / realMs) * 1000).toFixed(0)} rows/s)`);

const otable = [['工单类型', '标题', '来源', '优先级', '区域', '联系电话', 'field.meterNo', 'field.faultKind', 'field.households']];
for (let i = 0; i < rows; i++) otable.push(['故障报修', `历史报修 ${i}`, '来信', '普通', '城区', `1390000${String(i % 10000).padStart(4, '0')}`, `12${String(i).padStart(8, '0')}`, 'no-power', String(1 + (i % 50))]);
const ocsv = Buffer.from(formatCsv(otable), 'utf8');
t0 = performance.now();
const o = importOrders(orders, { csv: ocsv }, { mode: 'all-or-nothing', dryRun: false }, { id: 'bench', roles: [], departmentIds: [], channel: 'api' });
const oMs = performance.now() - t0;
console.log(`order import all-or-nothing: ${o.committed} stored, ${oMs.toFixed(0)} ms (${((o.committed / oMs) * 1000).toFixed(0)} rows/s)`);

const book = new AppointmentBook({ store, clock, bus, log, orders });
book.saveService({ id: 'survey', name: '装表勘查', departmentId: 'marketing', calendarId: 'office', slotMinutes: 30, capacity: 50, horizonDays: 90, noticeMinutes: 0 });
const slots = book.slots('survey', clock.now(), clock.now() + 80 * 86_400_000).filter((s) => s.start > clock.now());
const n = Math.min(5000, slots.length * 50);
t0 = performance.now();
let conflicts = 0;
for (let i = 0; i < n; i++) {
  try {
    book.book({ serviceId: 'survey', start: slots[i % slots.length]!.start, contactPhone: `138${String(i).padStart(8, '0')}` }, { id: 'bench', channel: 'api' });
  } catch {
    conflicts++;
  }
}
const bMs = performance.now() - t0;
console.log(`appointment bookings: ${n - conflicts} booked, ${conflicts} conflicts, ${bMs.toFixed(0)} ms (${((n / bMs) * 1000).toFixed(0)} bookings/s, synchronous=FULL)`);

// The main thread during an import: a fresh file of new accounts each time (nothing collides).
const lagFile = (prefix: string): Buffer => Buffer.from(csv.toString('utf8').replaceAll(',04', `,${prefix}`).replaceAll('\r\n客户', `\r\n客户${prefix}`), 'utf8');
const RESOLUTION_MS = 10;
async function mainThreadDuring(label: string, run: () => Promise<{ committed: number; total: number }>, probeWrites: boolean): Promise<void> {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const writes: number[] = [];
  let stop = false;
  let k = 0;
  const probe = async (): Promise<void> => {
    while (!stop) {
      await new Promise((r) => setTimeout(r, 50));
      if (stop || !probeWrites) continue;
      const w0 = performance.now();
      customers.create({ name: `探针${k}`, accounts: [{ accountNo: `09${String(k++).padStart(8, '0')}` }] }, actor);
      writes.push(performance.now() - w0);
    }
  };
  const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 3 * RESOLUTION_MS));
  h.enable();
  const probing = probe();
  await tick();
  const t0 = performance.now();
  const r = await run();
  const ms = performance.now() - t0;
  // One more sample after the run, so a loop the run held is measured (in-process).
  await tick();
  stop = true;
  await probing;
  h.disable();
  const lag = (ns: number): string => Math.max(0, ns / 1e6 - RESOLUTION_MS).toFixed(1);
  writes.sort((a, b) => a - b);
  const w = probeWrites && writes.length ? `; main-thread writes during it: ${writes.length}, p50 ${writes[writes.length >> 1]!.toFixed(1)} ms, max ${writes[writes.length - 1]!.toFixed(1)} ms` : '';
  console.log(`${label}: ${r.committed}/${r.total} stored in ${ms.toFixed(0)} ms; main-thread lag p99 ${lag(h.percentile(99))} ms, max ${lag(h.max)} ms${w}`);
}
await mainThreadDuring('customer import in-process (before)', async () => importCustomers({ customers, clock, log, bus }, { csv: lagFile('05') }, { mode: 'valid-only', dryRun: false }, actor), false);
const gate = new ImportGate(clock);
await mainThreadDuring('customer import on its thread', () => importCustomersOffThread({ customers, clock, log, bus }, { csv: lagFile('06') }, { mode: 'valid-only', dryRun: false }, actor, { gate }), false);
await mainThreadDuring('customer import on its thread, main writing', () => importCustomersOffThread({ customers, clock, log, bus }, { csv: lagFile('07') }, { mode: 'valid-only', dryRun: false }, actor, { gate }), true);

await store.close();
rmSync(dir, { recursive: true, force: true });
