/**
 * Screen-pop latency: caller-number lookup (CustomerService.lookupByPhone — normalise the CLI,
 * probe customer_phones' covering primary key, join customers) with N customers (default
 * 1 000 000, each with a mobile and every third with a landline too), generated in one
 * transaction in a temporary database. Prints generation time and lookup p50/p99/max for
 * numbers that exist (in several spellings) and for unknown numbers.
 *   npm run bench -- customers [count] [lookups]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SystemClock } from '../appliance/core/clock.js';
import { EventBus } from '../appliance/core/events.js';
import { silentLogger } from '../appliance/core/log.js';
import { CustomerService } from '../appliance/customers/customer-service.js';
import { openStore } from '../appliance/store/database.js';

const count = Number(process.argv[2] ?? 1_000_000);
const lookups = Number(process.argv[3] ?? 200_000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-customers-'));
const clock = new SystemClock();
const log = silentLogger();
const store = openStore({ file: path.join(dir, 'bench.db'), clock, log });
const svc = new CustomerService({ store, clock, bus: new EventBus({ clock, log }), log, phone: { defaultAreaCode: '0371' } });

const mobile = (i: number): string => `139${String(i).padStart(8, '0')}`;
const landline = (i: number): string => `3716${String(i).padStart(7, '0').slice(-7)}`;

let t0 = performance.now();
const insC = store.sqlite.prepare("INSERT INTO customers (id, name, kind, created_at, updated_at) VALUES (?, ?, 'residential', ?, ?)");
const insP = store.sqlite.prepare('INSERT INTO customer_phones (number, customer_id, kind, area_code, label) VALUES (?, ?, ?, ?, ?)');
const now = Date.now();
store.sqlite.transaction(() => {
  for (let i = 0; i < count; i++) {
    const id = `cus_${String(i).padStart(8, '0')}`;
    insC.run(id, `客户${i}`, now, now);
    insP.run(mobile(i), id, 'mobile', null, '');
    if (i % 3 === 0) insP.run(landline(i), id, 'landline', '0371', '家里');
  }
})();
const genSecs = (performance.now() - t0) / 1000;
store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
console.log(`customers: generated ${count} customers in ${genSecs.toFixed(1)} s (one transaction)`);

function measure(label: string, input: (i: number) => string, expectHit: boolean): void {
  const lat = new Float64Array(lookups);
  let found = 0;
  for (let k = 0; k < lookups; k++) {
    const i = Math.floor(Math.random() * count);
    const cli = input(i);
    const s = performance.now();
    const r = svc.lookupByPhone(cli);
    lat[k] = performance.now() - s;
    if (r.matches.length > 0) found++;
  }
  if (expectHit && found !== lookups) throw new Error(`${label}: only ${found}/${lookups} found`);
  if (!expectHit && found !== 0) throw new Error(`${label}: ${found} unexpected matches`);
  const mean = (lat.reduce((a, b) => a + b, 0) / lat.length) * 1000;
  lat.sort();
  const pct = (p: number): string => (lat[Math.min(lat.length - 1, Math.floor(lat.length * p))]! * 1000).toFixed(1);
  console.log(`  ${label.padEnd(34)} p50 ${pct(0.5)} µs  p99 ${pct(0.99)} µs  max ${pct(1)} µs  mean ${mean.toFixed(1)} µs  (${lookups} lookups)`);
}

t0 = performance.now();
measure('mobile 139xxxxxxxx', (i) => mobile(i), true);
measure('mobile +86 139 xxxx xxxx', (i) => `+86 ${mobile(i).slice(0, 3)} ${mobile(i).slice(3, 7)} ${mobile(i).slice(7)}`, true);
measure('landline 0371-6xxxxxxx', (i) => `0371-${landline(i - (i % 3)).slice(3)}`, true);
measure('landline local 6xxxxxxx', (i) => landline(i - (i % 3)).slice(3), true);
measure('unknown number', (i) => `137${String(i).padStart(8, '0')}`, false);
console.log(`customers: ${((performance.now() - t0) / 1000).toFixed(1)} s of lookups`);
await store.close();
rmSync(dir, { recursive: true, force: true });
