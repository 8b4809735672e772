/**
 * Durable write rate of the appliance's SQLite file (WAL, synchronous=FULL): how many
 * acknowledged single-row transactions per second the box sustains, the ceiling for work
 * orders, CDRs and webhook queueing. Prints commits/s and p50/p99 latency.
 *   npm run bench -- store-write [count]
 */
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { SystemClock } from '../appliance/core/clock.js';
import { silentLogger } from '../appliance/core/log.js';
import { openStore } from '../appliance/store/database.js';

const count = Number(process.argv[2] ?? 2000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-store-'));
const store = openStore({ file: path.join(dir, 'bench.db'), clock: new SystemClock(), log: silentLogger() });
const insert = store.sqlite.prepare(
  "INSERT INTO audit_log (at, actor, action, target, after) VALUES (?, 'bench', 'workorder.create', ?, ?)",
);
const body = JSON.stringify({ type: '故障报修', text: '停电，请尽快处理'.repeat(8) });
const lat: number[] = [];
const t0 = performance.now();
for (let i = 0; i < count; i++) {
  const s = performance.now();
  insert.run(Date.now(), `wo-${i}`, body); // autocommit: one fsynced transaction each
  lat.push(performance.now() - s);
}
const secs = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const pct = (p: number): string => (lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0).toFixed(3);
console.log(`store-write: ${count} commits in ${secs.toFixed(2)} s = ${(count / secs).toFixed(0)} commits/s (synchronous=FULL, WAL)`);
console.log(`latency ms: p50 ${pct(0.5)}  p99 ${pct(0.99)}  max ${pct(1)}`);
await store.close();
rmSync(dir, { recursive: true, force: true });
