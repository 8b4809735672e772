import test from 'ava';
import { Worker } from 'node:worker_threads';
import { actors, MONDAY_0900, openRig, repairInput } from './testing/fixtures.js';

interface Result {
  numbers: string[];
  applied: number;
  conflicts: number;
  other: string[];
}

function run(data: Record<string, unknown>): Promise<Result> {
  return new Promise((resolve, reject) => {
    // Node 20 workers do not inherit tsx's loader for a .ts entry: register it, then import.
    const entry = new URL('./testing/concurrent-worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    const w = new Worker(boot, { eval: true, workerData: data });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

test('four processes creating orders on one file never draw the same number', async (t) => {
  const rig = openRig();
  const results = await Promise.all(Array.from({ length: 4 }, () => run({ file: rig.file, mode: 'create', count: 15, start: MONDAY_0900 })));
  const numbers = results.flatMap((r) => r.numbers);
  t.is(numbers.length, 60);
  t.is(new Set(numbers).size, 60);
  t.deepEqual(
    [...numbers].sort(),
    Array.from({ length: 60 }, (_, i) => `GD20260105-${String(i + 1).padStart(6, '0')}`),
  );
  await rig.close();
});

test('50 actions on one order from five connections: each applied or a conflict, the log consistent', async (t) => {
  const rig = openRig();
  const o = rig.svc.create(repairInput(), actors.agent);
  const results = await Promise.all(Array.from({ length: 5 }, () => run({ file: rig.file, mode: 'urge', count: 10, start: MONDAY_0900, orderId: o.id })));
  const applied = results.reduce((n, r) => n + r.applied, 0);
  const conflicts = results.reduce((n, r) => n + r.conflicts, 0);
  t.deepEqual(results.flatMap((r) => r.other), []);
  t.is(applied + conflicts, 50);
  t.true(applied >= 1);
  const after = rig.svc.get(o.id);
  t.is(after.urgeCount, applied);
  t.is(after.version, 1 + applied);
  const history = rig.svc.history(o.id);
  t.is(history.length, 1 + applied);
  t.deepEqual(history.map((e) => e.version), Array.from({ length: 1 + applied }, (_, i) => i + 1), 'one event per applied action, versions without gaps');
  t.log(`applied ${applied}, conflicts ${conflicts}`);
  await rig.close();
});
