/**
 * Customer imports off the main thread. A 5 000-row import held the main thread — and with it
 * every call's SIP signalling — for 1–6 s; now the main thread only hands the uploaded bytes
 * (or JSON rows) to a thread of its own (customer-import-worker.ts, core/worker-job.ts) and
 * awaits the report, publishing the stored customers' events after the commit as before.
 *
 *   - Same results: the thread runs the same `importCustomers` on its own connection.
 *   - One at a time: a second customer import while one runs is a CONFLICT naming the running
 *     one (core/import-gate.ts).
 *   - A thread that dies answers INTERNAL; its transaction never committed, nothing is stored.
 *   - A database without a file (`:memory:`, tests of other modules) cannot be opened by a
 *     second connection: there the import runs in-process, as it used to.
 */
import type { ImportMode, ImportReport } from '../core/csv-import.js';
import type { ImportGate } from '../core/import-gate.js';
import { runWorkerJob, type WorkerJob } from '../core/worker-job.js';
import { importCustomers, type CustomerImportDeps, type ImportSource } from './customer-import.js';
import type { CustomerImportAnswer, CustomerImportJob } from './customer-import-worker.js';
import type { CustomerActor } from './model.js';

export interface CustomerImportThreadOptions {
  gate: ImportGate;
  /** Rows between progress reports (default 500). */
  progressEvery?: number;
  /** Sees the thread once started (tests stop it mid-import). */
  onThread?: (job: WorkerJob<CustomerImportAnswer>) => void;
  onProgress?: (row: number) => void;
}

export async function importCustomersOffThread(
  deps: CustomerImportDeps,
  source: ImportSource,
  opts: { mode: ImportMode; dryRun: boolean },
  actor: CustomerActor,
  thread: CustomerImportThreadOptions,
): Promise<ImportReport> {
  const what = 'csv' in source ? `a CSV file of ${source.csv.byteLength} bytes` : `${source.rows.length} JSON rows`;
  const { entry, release } = thread.gate.enter('customer', what, actor.id);
  try {
    const { file, phone } = deps.customers.threadOptions();
    if (file === '' || file === ':memory:') return importCustomers(deps, source, opts, actor);
    const data: CustomerImportJob = { file, phone, now: deps.clock.now(), source, mode: opts.mode, dryRun: opts.dryRun, actor, progressEvery: thread.progressEvery ?? 500 };
    const job = runWorkerJob<CustomerImportAnswer>(import.meta.url, 'customer-import-worker', data, {
      what: 'customer import',
      onProgress: (row) => {
        entry.done = row;
        thread.onProgress?.(row);
      },
    });
    thread.onThread?.(job);
    const answer = await job.result;
    for (const e of answer.events) deps.bus.publish(e.type, e.payload as never);
    deps.log.info({ rows: answer.report.total, committed: answer.report.committed, rejected: answer.report.invalid }, 'customer import finished');
    return answer.report;
  } finally {
    release();
  }
}
