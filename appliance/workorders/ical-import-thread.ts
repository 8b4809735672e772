/**
 * iCalendar imports off the main thread: a State Council holiday feed of a decade is up to 2 MB
 * of RFC 5545 text, about 120 ms of parsing plus thousands of upserts — time the main thread
 * (every call's SIP signalling) does not have. The main thread checks the calendar exists, hands
 * the bytes to the import's own thread (ical-import-worker.ts, core/worker-job.ts), awaits the
 * result and drops its cached calendar so the next SLA computation reads the new days.
 *
 * One calendar import at a time (core/import-gate.ts): a second is a CONFLICT naming the
 * running one. A database without a file (`:memory:`) runs the import in-process.
 */
import type { ImportGate } from '../core/import-gate.js';
import { runWorkerJob, type WorkerJob } from '../core/worker-job.js';
import { decodeIcs } from './ical.js';
import type { IcsImportOptions, IcsImportResult } from './ical-import.js';
import type { IcsImportJob } from './ical-import-worker.js';
import type { WorkOrderService } from './workorder-service.js';

export interface IcsImportThreadOptions {
  gate: ImportGate;
  /** Sees the thread once started (tests stop it mid-import). */
  onThread?: (job: WorkerJob<IcsImportResult>) => void;
}

export async function importCalendarIcsOffThread(
  svc: WorkOrderService,
  calendarId: string,
  ics: Uint8Array | string,
  opts: IcsImportOptions,
  actor: string,
  thread: IcsImportThreadOptions,
): Promise<IcsImportResult> {
  svc.calendar(calendarId);
  const size = typeof ics === 'string' ? Buffer.byteLength(ics) : ics.byteLength;
  const { release } = thread.gate.enter('calendar', `an iCalendar file of ${size} bytes for calendar ${calendarId}`, actor);
  try {
    const { file } = svc.threadOptions();
    if (file === '' || file === ':memory:') return svc.importCalendarIcs(calendarId, typeof ics === 'string' ? ics : decodeIcs(ics), opts);
    const data: IcsImportJob = { file, calendarId, ics, opts };
    const job = runWorkerJob<IcsImportResult>(import.meta.url, 'ical-import-worker', data, { what: 'calendar import' });
    thread.onThread?.(job);
    return await job.result;
  } finally {
    svc.forgetCalendar(calendarId);
    release();
  }
}
