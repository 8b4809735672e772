/**
 * CDR group commit: a CallStorePort that collects the CDRs of calls ending close together and
 * writes them in ONE transaction. The database runs with synchronous=FULL (DESIGN.md "Data"),
 * so every COMMIT waits for an fsync of the WAL: written one by one, CDRs cap the call rate at
 * the disk's fsync rate and block the main thread (SIP, every call's signalling) for each — the
 * largest cost in the sip-cps benchmark profile (a quarter of the main thread at 100 calls/s).
 *
 * The first CDR of a batch schedules the flush `windowMs` later on the injected clock (default
 * 50 ms); `maxBatch` CDRs flush at once; reading a CDR (`cdr()`) and `flush()` (the daemon calls it
 * before the database closes) write what is pending first. A batch that fails as a whole is
 * retried one CDR per transaction so one bad row does not lose the others; a CDR that still fails
 * is reported through `onError` (logged by the caller), like a failed single write before.
 * Routes pass straight through.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { CallStorePort, CdrRecord } from './call-store.js';

export interface CdrBatchOptions {
  clock: Pick<Clock, 'setTimeout'>;
  /** Runs `fn` in one transaction (better-sqlite3 `sqlite.transaction(fn)()`). */
  transaction: (fn: () => void) => void;
  windowMs?: number;
  maxBatch?: number;
  onError?: (cdr: CdrRecord, err: unknown) => void;
}

export class BatchedCdrStore implements CallStorePort {
  private pending: CdrRecord[] = [];
  private timer: TimerHandle | null = null;
  /** Batches and CDRs written, for the benchmark and metrics. */
  readonly stats = { batches: 0, cdrs: 0, largest: 0 };

  constructor(
    private readonly inner: CallStorePort,
    private readonly o: CdrBatchOptions,
  ) {}

  routes(): ReturnType<CallStorePort['routes']> {
    return this.inner.routes();
  }

  saveRoute(input: Parameters<CallStorePort['saveRoute']>[0]): ReturnType<CallStorePort['saveRoute']> {
    return this.inner.saveRoute(input);
  }

  writeCdr(cdr: CdrRecord): void {
    this.pending.push(cdr);
    if (this.pending.length >= (this.o.maxBatch ?? 500)) this.flush();
    else this.timer ??= this.o.clock.setTimeout(() => this.flush(), this.o.windowMs ?? 50);
  }

  cdr(callId: string): CdrRecord | null {
    this.flush();
    return this.inner.cdr(callId);
  }

  /** Write every pending CDR now. */
  flush(): void {
    this.timer?.cancel();
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      this.o.transaction(() => {
        for (const c of batch) this.inner.writeCdr(c);
      });
    } catch {
      // One row spoiled the batch (rolled back as a whole): write them one by one.
      for (const c of batch) {
        try {
          this.o.transaction(() => this.inner.writeCdr(c));
        } catch (err) {
          this.o.onError?.(c, err);
        }
      }
    }
    this.stats.batches++;
    this.stats.cdrs += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
  }
}
