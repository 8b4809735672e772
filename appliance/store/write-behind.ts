/**
 * Write-behind: the call path's own writes (CDRs, recording-ledger rows) committed by a
 * dedicated thread on its own connection, so the main thread — SIP, call control, every
 * call's signalling — never waits for an fsync.
 *
 * Why: the database runs with synchronous=FULL (DESIGN.md "Data"), so every COMMIT waits for the
 * WAL to reach the disk, and on ext4 that fsync also waits behind the recordings' write-back. In
 * the media benchmark (750 recorded calls starting at 38/s) single ledger inserts on the main
 * thread took up to 300 ms, and the event loop's lag p99 went to 146 ms (issue 4: < 20 ms).
 *
 * How: `submit` queues an item (the compiled statements of one CDR or one row change); items
 * submitted while a batch is being committed wait and go together as the next batch (group
 * commit without a timer: the batch grows with the disk's latency). Ordering is kept: batches
 * are committed in the order posted, on one connection. Durability is what it was: a CDR is on
 * disk once its batch is committed; a recording's row is settled from the files at the next
 * start if the process dies first (media/recorder/ledger.ts `settle`).
 *
 * Reads that must see the writes (a CDR asked for by id, the recording list) call `drainSync`:
 * it posts what is queued and waits (Atomics.wait on a shared counter the thread bumps after each
 * commit) — a wait on the disk, like the synchronous write was, but only for those rare reads.
 *
 * When the thread is not running (not started, failed, closed) items are committed on the main
 * connection at once, as before, so nothing is ever dropped. A failed item is reported by label
 * through `onFailure`; the others in its batch still commit (store/write-batch.ts).
 */
import type { Worker } from 'node:worker_threads';
import type { Clock, TimerHandle } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { spawnSiblingWorker } from '../core/spawn-worker.js';
import type { Sqlite } from './database.js';
import { BatchCommitter, type WriteFailure, type WriteItem } from './write-batch.js';
import type { FromWriter, ToWriter } from './write-behind-worker.js';

export type { WriteItem, WriteStatement } from './write-batch.js';
export { statementOf } from './write-batch.js';

export interface WriteBehindOptions {
  /** The main connection: its file is opened by the thread; it commits when the thread is down. */
  sqlite: Sqlite;
  log: Logger;
  /** Bounds the wait for the thread to exit at close. */
  clock: Pick<Clock, 'setTimeout'>;
  /** Items per batch at most (default 1000). */
  maxBatch?: number;
  /** How long `drainSync` waits for the thread before giving up (default 30 s). */
  drainTimeoutMs?: number;
  onFailure?: (f: WriteFailure) => void;
}

export class WriteBehind {
  private worker: Worker | null = null;
  private readonly committed = new Int32Array(new SharedArrayBuffer(4));
  private queue: WriteItem[] = [];
  private posted = 0;
  /** Batches posted and not yet reported done, by sequence number (re-run here if the thread dies). */
  private readonly inFlight = new Map<number, WriteItem[]>();
  private drainWaiters: Array<{ seq: number; resolve: () => void }> = [];
  private postScheduled = false;
  private readonly here: BatchCommitter;
  readonly stats = { batches: 0, items: 0, largest: 0, failed: 0, onMainThread: 0 };

  constructor(private readonly o: WriteBehindOptions) {
    this.here = new BatchCommitter(o.sqlite);
  }

  /** Start the thread; resolves when its connection is open. On failure items keep committing here. */
  async start(): Promise<void> {
    const worker = spawnSiblingWorker(import.meta.url, 'write-behind-worker', { file: this.o.sqlite.name, committed: this.committed.buffer });
    await new Promise<void>((resolve) => {
      const onMessage = (m: FromWriter): void => {
        if (m.kind === 'ready') {
          this.worker = worker;
          resolve();
        } else if (m.kind === 'fatal') {
          this.o.log.error({ err: m.message }, 'write-behind thread could not open the database: writing on the main thread');
          resolve();
        } else this.onDone(m.seq, m.failures);
      };
      worker.on('message', onMessage);
      worker.on('error', (err) => {
        this.o.log.error({ err }, 'write-behind thread failed: writing on the main thread');
        this.lost();
        resolve();
      });
      worker.on('exit', () => {
        this.lost();
        resolve();
      });
    });
  }

  /** Queue an item; it is committed with the next batch. */
  submit(item: WriteItem): void {
    if (!this.worker) {
      this.commitHere([item]);
      return;
    }
    this.queue.push(item);
    if (this.queue.length >= (this.o.maxBatch ?? 1000)) this.post();
    else if (this.inFlight.size === 0 && !this.postScheduled) {
      // End of this event-loop turn: what else this turn submits joins the batch.
      this.postScheduled = true;
      setImmediate(() => {
        this.postScheduled = false;
        if (this.inFlight.size === 0) this.post();
      });
    }
  }

  /** Items queued or being committed (until the thread's report of their batch is read). */
  pending(): number {
    let n = this.queue.length;
    for (const items of this.inFlight.values()) n += items.length;
    return n;
  }

  /** Block until everything submitted so far is committed (for reads that must see it). */
  drainSync(): void {
    this.post();
    const deadline = performance.now() + (this.o.drainTimeoutMs ?? 30_000);
    for (;;) {
      const seen = Atomics.load(this.committed, 0);
      if (!this.worker || seen >= this.posted) break;
      const left = deadline - performance.now();
      if (left <= 0) throw new AppError('INTERNAL', `write-behind: batch ${this.posted} not committed in ${this.o.drainTimeoutMs ?? 30_000} ms`);
      Atomics.wait(this.committed, 0, seen, left);
    }
  }

  /** Resolves when everything submitted so far is committed and its failures reported. */
  drain(): Promise<void> {
    this.post();
    const seq = this.posted;
    // Not the shared counter: the thread bumps it before its `done` message (with the failures) is read.
    if (!this.worker || this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ seq, resolve }));
  }

  /** Commit what is pending, stop the thread; later items are committed on the main thread. */
  async close(): Promise<void> {
    await this.drain();
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ kind: 'close' } satisfies ToWriter);
    let limit: TimerHandle | null = null;
    await Promise.race([exited, new Promise<void>((resolve) => (limit = this.o.clock.setTimeout(resolve, 5000)))]);
    (limit as TimerHandle | null)?.cancel();
    await worker.terminate();
  }

  private post(): void {
    if (this.queue.length === 0) return;
    const items = this.queue;
    this.queue = [];
    if (!this.worker) {
      this.commitHere(items);
      return;
    }
    const seq = ++this.posted;
    this.inFlight.set(seq, items);
    this.stats.batches++;
    this.stats.items += items.length;
    this.stats.largest = Math.max(this.stats.largest, items.length);
    this.worker.postMessage({ kind: 'batch', seq, items } satisfies ToWriter);
  }

  private onDone(seq: number, failures: WriteFailure[]): void {
    this.inFlight.delete(seq);
    for (const f of failures) this.fail(f);
    // Batches are committed and reported in order: everything up to `seq` is done.
    const waiting = this.drainWaiters;
    this.drainWaiters = waiting.filter((w) => w.seq > seq);
    for (const w of waiting) if (w.seq <= seq) w.resolve();
    if (this.inFlight.size === 0) this.post();
  }

  /** The thread is gone: what it had not reported committed is committed here, in order. */
  private lost(): void {
    if (!this.worker && this.inFlight.size === 0 && this.queue.length === 0) return;
    this.worker = null;
    const seen = Atomics.load(this.committed, 0);
    const retry = [...this.inFlight].filter(([seq]) => seq > seen).sort(([a], [b]) => a - b);
    this.inFlight.clear();
    for (const [, items] of retry) this.commitHere(items);
    this.commitHere(this.queue);
    this.queue = [];
    for (const w of this.drainWaiters) w.resolve();
    this.drainWaiters = [];
  }

  private commitHere(items: WriteItem[]): void {
    if (items.length === 0) return;
    this.stats.onMainThread += items.length;
    for (const f of this.here.commit(items)) this.fail(f);
  }

  private fail(f: WriteFailure): void {
    this.stats.failed++;
    if (this.o.onFailure) this.o.onFailure(f);
    else this.o.log.error({ item: f.label, err: f.message }, 'write-behind item not written');
  }
}
