/**
 * A worker thread with its own SQLite connection to a shared file, for the double-booking test:
 * waits on a shared barrier so every worker books at the same moment, then tries to book the
 * slot for its own phone number and reports `booked` or `conflict`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConflictError } from '../../core/errors.js';
import { EventBus } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { openStore } from '../../store/database.js';
import { WorkOrderService } from '../../workorders/workorder-service.js';
import { AppointmentBook } from '../appointment-service.js';

const { file, start, now, phone, barrier } = workerData as { file: string; start: number; now: number; phone: string; barrier: SharedArrayBuffer };
const clock = new ManualClock(now);
const log = silentLogger();
const store = openStore({ file, clock, log });
const bus = new EventBus({ clock, log });
const book = new AppointmentBook({ store, clock, bus, log, orders: new WorkOrderService({ store, clock, bus, log }) });
book.service('survey');
const flag = new Int32Array(barrier);
Atomics.add(flag, 1, 1);
Atomics.wait(flag, 0, 0);
let out: string;
try {
  out = book.book({ serviceId: 'survey', start, contactPhone: phone }, { id: `user:${phone}`, channel: 'agent' }).id;
} catch (err) {
  out = err instanceof ConflictError ? 'conflict' : `error: ${String(err)}`;
}
await store.close();
parentPort!.postMessage(out);
