/**
 * A worker thread with its own SQLite connection to a shared file, for concurrency tests:
 * `create` draws `count` orders; `urge` reads the order's version and urges with it `count`
 * times, reporting how many applied and how many conflicted.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConflictError } from '../../core/errors.js';
import { EventBus } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { openStore } from '../../store/database.js';
import { WorkOrderService } from '../workorder-service.js';
import { actors, repairInput } from './fixtures.js';

const { file, mode, count, start, orderId } = workerData as { file: string; mode: 'create' | 'urge'; count: number; start: number; orderId?: string };
const clock = new ManualClock(start);
const log = silentLogger();
const store = openStore({ file, clock, log });
const svc = new WorkOrderService({ store, clock, bus: new EventBus({ clock, log }), log });
const out = { numbers: [] as string[], applied: 0, conflicts: 0, other: [] as string[] };
for (let i = 0; i < count; i++) {
  if (mode === 'create') out.numbers.push(svc.create(repairInput(), actors.agent).number);
  else {
    const version = svc.get(orderId!).version;
    await new Promise((r) => setImmediate(r));
    try {
      svc.act(orderId!, { action: 'urge', version }, actors.agent2);
      out.applied++;
    } catch (err) {
      if (err instanceof ConflictError) out.conflicts++;
      else out.other.push(String(err));
    }
  }
}
await store.close();
parentPort!.postMessage(out);
