/**
 * Child process for the kill -9 test (webhook-crash.test.ts): a minimal appliance that owns a
 * database file and a webhook service on the real clock. Arguments (argv, no environment):
 *   crash-child.ts <db-file> <receiver-url> publish <n>   subscribe, start, publish n events
 *   crash-child.ts <db-file> <receiver-url> drain         start and deliver what is queued
 * It prints one JSON line per milestone on stdout ({"ready":…}, {"published":[ids]}) and on
 * SIGTERM stops the service and closes the database.
 */
import { systemClock } from '../../../core/clock.js';
import { EventBus } from '../../../core/events.js';
import { silentLogger } from '../../../core/log.js';
import { openStore } from '../../../store/database.js';
import { createWebhookService } from '../webhook-service.js';

declare module '../../../core/events.js' {
  interface EventMap {
    'test.crash.published': { seq: number };
  }
}

const [file, url, mode, count] = process.argv.slice(2);
if (!file || !url || (mode !== 'publish' && mode !== 'drain')) {
  process.stderr.write('usage: crash-child.ts <db-file> <receiver-url> publish <n> | drain\n');
  process.exit(2);
}

const log = silentLogger();
const store = openStore({ file, clock: systemClock, log });
const bus = new EventBus({ clock: systemClock, log });
const service = createWebhookService({
  store,
  bus,
  clock: systemClock,
  log,
  config: { maxAttempts: 50, backoffMs: 50, maxBackoffMs: 200, timeoutMs: 5000, concurrency: 3 },
});

const say = (o: unknown): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

// Stay alive like the daemon does, until SIGTERM (an empty event loop would end the process).
const alive = systemClock.setInterval(() => undefined, 3_600_000);

process.on('SIGTERM', () => {
  alive.cancel();
  void service
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0));
});

if (mode === 'publish') {
  const sub = service.createSubscription({ url, eventTypes: ['test.*'] });
  service.start();
  const ids: string[] = [];
  for (let seq = 0; seq < Number(count ?? 10); seq++) ids.push(bus.publish('test.crash.published', { seq }).id);
  say({ subscriptionId: sub.id, published: ids });
} else {
  service.start();
  say({ ready: true });
}
