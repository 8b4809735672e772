/**
 * The iCalendar import's thread (ical-import-thread.ts starts it): decode (RFC 5545 §3.1.4
 * UTF-8), parse, validate and store the feed's holidays and make-up workdays in one transaction
 * on this thread's own connection (store/worker-store.ts), by the same ical-import.ts code the
 * service runs in-process. A thread that dies mid-import never commits: nothing is stored.
 */
import { serveWorkerJob } from '../core/worker-job.js';
import { openWorkerStore } from '../store/worker-store.js';
import { decodeIcs } from './ical.js';
import { importIcsDays, type IcsImportOptions, type IcsImportResult } from './ical-import.js';
import { WorkOrderStore } from './workorder-store.js';

export interface IcsImportJob {
  file: string;
  calendarId: string;
  /** The uploaded file (bytes) or the JSON body's text. */
  ics: Uint8Array | string;
  opts: IcsImportOptions;
}

serveWorkerJob<IcsImportJob, IcsImportResult>((job) => {
  const store = openWorkerStore(job.file);
  try {
    const text = typeof job.ics === 'string' ? job.ics : decodeIcs(job.ics);
    return importIcsDays(new WorkOrderStore(store), job.calendarId, text, job.opts);
  } finally {
    store.sqlite.close();
  }
});
