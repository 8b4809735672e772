import test from 'ava';
import path from 'node:path';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from './database.js';
import { WriteBehind, type WriteItem } from './write-behind.js';

function rig() {
  const store = openStore({ file: path.join(tempDir('write-behind-'), 'h.db'), clock: systemClock, log: silentLogger() });
  store.sqlite.exec('CREATE TABLE wb (id INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT');
  const failures: string[] = [];
  const writer = new WriteBehind({ sqlite: store.sqlite, clock: systemClock, log: silentLogger(), onFailure: (f) => failures.push(`${f.label}: ${f.message}`) });
  const count = (): number => (store.sqlite.prepare('SELECT count(*) AS n FROM wb').get() as { n: number }).n;
  const item = (id: number, v: string | null = `v${id}`): WriteItem => ({ label: `row ${id}`, statements: [{ sql: 'INSERT INTO wb (id, v) VALUES (?, ?)', parameters: [id, v] }] });
  return { store, writer, failures, count, item };
}

test('items are committed by the thread, not before submit returns, and drainSync makes them visible', async (t) => {
  const r = rig();
  await r.writer.start();
  t.teardown(async () => {
    await r.writer.close();
    await r.store.close();
  });
  for (let i = 1; i <= 200; i++) r.writer.submit(r.item(i));
  t.is(r.count(), 0, 'nothing is written on the main thread during the turn');
  r.writer.drainSync();
  t.is(r.count(), 200);
  await r.writer.drain();
  t.is(r.writer.pending(), 0, 'and the thread has reported every batch');
  t.is(r.writer.stats.onMainThread, 0);
  t.true(r.writer.stats.batches < 200, `grouped into ${r.writer.stats.batches} batches`);
});

test('order is kept across batches: a later update wins over an earlier insert', async (t) => {
  const r = rig();
  await r.writer.start();
  t.teardown(async () => {
    await r.writer.close();
    await r.store.close();
  });
  r.writer.submit(r.item(1, 'first'));
  await new Promise((res) => setImmediate(res));
  r.writer.submit({ label: 'update 1', statements: [{ sql: 'UPDATE wb SET v = ? WHERE id = ?', parameters: ['second', 1] }] });
  await r.writer.drain();
  t.is((r.store.sqlite.prepare('SELECT v FROM wb WHERE id = 1').get() as { v: string }).v, 'second');
});

test('a bad item is reported by label and loses nothing else of its batch', async (t) => {
  const r = rig();
  await r.writer.start();
  t.teardown(async () => {
    await r.writer.close();
    await r.store.close();
  });
  r.writer.submit(r.item(1));
  r.writer.submit(r.item(2, null));
  r.writer.submit(r.item(3));
  await r.writer.drain();
  t.is(r.count(), 2);
  t.is(r.failures.length, 1);
  t.regex(r.failures[0]!, /^row 2: NOT NULL constraint failed: wb\.v/);
});

test('without the thread (not started, or after close) items commit on the main connection at once', async (t) => {
  const r = rig();
  t.teardown(() => r.store.close());
  r.writer.submit(r.item(1));
  t.is(r.count(), 1);
  await r.writer.start();
  r.writer.submit(r.item(2));
  await r.writer.close();
  t.is(r.count(), 2, 'close commits what was queued');
  r.writer.submit(r.item(3));
  t.is(r.count(), 3);
  t.is(r.writer.stats.onMainThread, 2);
});

test('when the thread dies, what it had not committed is committed on the main thread, in order', async (t) => {
  const r = rig();
  await r.writer.start();
  t.teardown(() => r.store.close());
  for (let i = 1; i <= 50; i++) r.writer.submit(r.item(i));
  // Kill the thread before it can report: nothing may be lost and nothing written twice.
  const worker = (r.writer as unknown as { worker: { terminate(): Promise<number> } }).worker;
  await worker.terminate();
  await new Promise((res) => setTimeout(res, 50));
  r.writer.submit(r.item(51));
  t.is(r.count(), 51);
  t.deepEqual(r.failures, []);
});
