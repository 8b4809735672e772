/**
 * The customer import's thread (customer-import-thread.ts starts it): parse, validate and insert
 * in one transaction on this thread's own connection to the appliance's file
 * (store/worker-store.ts), by the very code the main thread used to run (customer-import.ts
 * `importCustomers` over CustomerService.create), so the report — rows, row numbers, CSV lines,
 * failing columns — is the same. Bus events of the stored customers are collected and handed
 * back with the report; the main thread publishes them (they follow the commit, as before).
 *
 * If the thread dies mid-import, its transaction never commits: SQLite rolls it back (WAL: other
 * connections never saw its pages), so nothing of the import is stored.
 */
import type { ImportMode, ImportReport } from '../core/csv-import.js';
import { EventBus, type EventType } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { carriedClock, serveWorkerJob } from '../core/worker-job.js';
import { openWorkerStore } from '../store/worker-store.js';
import { importCustomers, type ImportSource } from './customer-import.js';
import { CustomerService } from './customer-service.js';
import type { CustomerActor } from './model.js';
import type { PhoneOptions } from './phone.js';

export interface CustomerImportJob {
  file: string;
  phone: PhoneOptions | undefined;
  /** The main thread's clock when the import was posted (stored timestamps and ids follow it). */
  now: number;
  source: ImportSource;
  mode: ImportMode;
  dryRun: boolean;
  actor: CustomerActor;
  /** Post progress every this many rows. */
  progressEvery: number;
}

export interface CustomerImportAnswer {
  report: ImportReport;
  /** Events of the committed rows, in order, for the main thread's bus. */
  events: Array<{ type: EventType; payload: unknown }>;
}

serveWorkerJob<CustomerImportJob, CustomerImportAnswer>((job, progress) => {
  const clock = carriedClock(job.now);
  const log = silentLogger();
  const store = openWorkerStore(job.file);
  try {
    const bus = new EventBus({ clock, log });
    const events: CustomerImportAnswer['events'] = [];
    bus.onAny((e) => events.push({ type: e.type, payload: e.payload }));
    const customers = new CustomerService({ store, clock, bus, log, ...(job.phone && { phone: job.phone }) });
    const onRow = (row: number): void => {
      if (row % job.progressEvery === 0) progress(row);
    };
    const report = importCustomers({ customers, clock, log, bus }, job.source, { mode: job.mode, dryRun: job.dryRun, onRow }, job.actor);
    return { report, events };
  } finally {
    store.sqlite.close();
  }
});
