/**
 * The write-behind thread (store/write-behind.ts): its own connection to the appliance's
 * SQLite file, committing the batches the main thread posts, in order, one transaction each.
 * After each batch it stores the batch's sequence number in the shared counter and wakes a main
 * thread that may be waiting for it (Atomics), then reports the items that failed.
 */
import BetterSqlite3 from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { configureConnection } from './database.js';
import { BatchCommitter, type WriteItem } from './write-batch.js';

export type ToWriter = { kind: 'batch'; seq: number; items: WriteItem[] } | { kind: 'close' };
export type FromWriter = { kind: 'ready' } | { kind: 'done'; seq: number; failures: { label: string; message: string }[] } | { kind: 'fatal'; message: string };

const port = parentPort;
if (!port) throw new Error('write-behind-worker.ts runs only as a worker thread');
const { file, committed } = workerData as { file: string; committed: SharedArrayBuffer };
const counter = new Int32Array(committed);
const post = (m: FromWriter): void => port.postMessage(m);

let sqlite: BetterSqlite3.Database;
try {
  sqlite = new BetterSqlite3(file, { fileMustExist: true });
  configureConnection(sqlite, false);
} catch (err) {
  post({ kind: 'fatal', message: err instanceof Error ? err.message : String(err) });
  throw err;
}
const committer = new BatchCommitter(sqlite);

port.on('message', (m: ToWriter) => {
  if (m.kind === 'close') {
    sqlite.close();
    port.close();
    return;
  }
  let failures: { label: string; message: string }[];
  try {
    failures = committer.commit(m.items);
  } catch (err) {
    // Not one item could be written (disk full, database gone): every item is reported.
    const message = err instanceof Error ? err.message : String(err);
    failures = m.items.map((i) => ({ label: i.label, message }));
  }
  Atomics.store(counter, 0, m.seq);
  Atomics.notify(counter, 0);
  post({ kind: 'done', seq: m.seq, failures });
});
post({ kind: 'ready' });
