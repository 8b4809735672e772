/**
 * Group commit: many writers, one fsync. With synchronous=FULL every COMMIT waits for the WAL
 * to reach the disk (store/database.ts), so one order per transaction is capped by the disk's
 * fsync rate (a few hundred per second on a busy shared disk). Writes handed to `run()` in the
 * same turn of the event loop — concurrent REST requests, an import, the IVR — are collected and
 * committed together in ONE IMMEDIATE transaction; each write runs in its own SAVEPOINT, so one
 * that throws is rolled back alone and rejects alone, and the others still commit. Every promise
 * settles only after the COMMIT returned: an order acknowledged to a caller is on disk. The
 * technique is PostgreSQL's commit_delay / MySQL's binlog group commit, done in the process.
 *
 * The flush runs at the end of the current event-loop turn (setImmediate: after the I/O
 * callbacks that are ready, so requests that arrived together share the batch). That is a
 * deferral, not a timer: no time passes on any Clock, so ManualClock tests need nothing special.
 * A batch reaching `maxBatch` is flushed at once.
 */

/** A write to run inside the shared transaction; `after` runs once it has committed. */
export type GroupWork<T> = () => { value: T; after?: () => void };

interface Job {
  work: GroupWork<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitDeps {
  /** Runs `fn` at the end of this event-loop turn (default setImmediate). */
  defer?: (fn: () => void) => void;
  /** Runs `fn` in one IMMEDIATE transaction; nested calls must become savepoints (better-sqlite3 does). */
  transaction: <T>(fn: () => T) => T;
  /** Flush at once when this many writes wait. Default 256. */
  maxBatch?: number;
}

export class GroupCommit {
  private queue: Job[] = [];
  private scheduled = false;
  /** Batches committed and writes in them, for metrics and the benchmark. */
  readonly stats = { batches: 0, writes: 0, largest: 0 };

  constructor(private readonly deps: GroupCommitDeps) {}

  run<T>(work: GroupWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (this.queue.length >= (this.deps.maxBatch ?? 256)) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        (this.deps.defer ?? setImmediate)(() => this.flush());
      }
    });
  }

  /** Commit everything queued now. */
  flush(): void {
    this.scheduled = false;
    const jobs = this.queue;
    this.queue = [];
    if (jobs.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown; after?: () => void } | { ok: false; error: unknown }> = [];
    try {
      this.deps.transaction(() => {
        for (const job of jobs) {
          try {
            // Nested: a SAVEPOINT that a throw rolls back on its own.
            const r = this.deps.transaction(job.work);
            outcomes.push({ ok: true, value: r.value, ...(r.after ? { after: r.after } : {}) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const job of jobs) job.reject(error);
      return;
    }
    this.stats.batches++;
    this.stats.writes += jobs.length;
    this.stats.largest = Math.max(this.stats.largest, jobs.length);
    jobs.forEach((job, i) => {
      const o = outcomes[i]!;
      if (!o.ok) {
        job.reject(o.error);
        return;
      }
      o.after?.();
      job.resolve(o.value);
    });
  }
}
