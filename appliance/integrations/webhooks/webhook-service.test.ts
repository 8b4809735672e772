import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.js';
import { EventBus, type AnyAppEvent } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { openStore, type Store } from '../../store/database.js';
import { signatureHeader, verifySignature } from './signature.js';
import { startReceiver, type Receiver, type Reply } from './testing/receiver.js';
import type { WebhooksConfig } from './dispatcher.js';
import { createWebhookService, type WebhookService, type WebhookServiceDeps } from './webhook-service.js';

declare module '../../core/events.js' {
  interface EventMap {
    'test.meter.read-ed': { n: number };
    'test.outage.reported': { area: string };
    'other.thing.happened': { ok: boolean };
  }
}

const baseConfig: WebhooksConfig = {
  maxAttempts: 5,
  backoffMs: 1000,
  maxBackoffMs: 3000,
  timeoutMs: 2000,
  concurrency: 2,
};

interface Rig {
  clock: ManualClock;
  bus: EventBus;
  store: Store;
  service: WebhookService;
  events: AnyAppEvent[];
  dir: string;
  reopen(overrides?: Partial<WebhookServiceDeps>): WebhookService;
  close(): Promise<void>;
}

async function rig(t: { teardown(fn: () => unknown): void }, overrides: Partial<WebhookServiceDeps> = {}): Promise<Rig> {
  const dir = mkdtempSync(path.join(tmpdir(), 'webhooks-'));
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 1, 0, 0));
  const log = silentLogger();
  const store = openStore({ file: path.join(dir, 'appliance.db'), clock, log });
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const deps = (o: Partial<WebhookServiceDeps>): WebhookServiceDeps => ({
    store,
    bus,
    clock,
    log,
    config: baseConfig,
    ...overrides,
    ...o,
  });
  const services: WebhookService[] = [createWebhookService(deps({}))];
  const r: Rig = {
    clock,
    bus,
    store,
    service: services[0]!,
    events,
    dir,
    reopen(o = {}) {
      const s = createWebhookService(deps(o));
      services.push(s);
      return s;
    },
    async close() {
      for (const s of services) await s.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t.teardown(() => r.close());
  return r;
}

async function receiver(
  t: { teardown(fn: () => unknown): void },
  respond: (n: number) => Reply | Promise<Reply>,
): Promise<Receiver> {
  const r = await startReceiver((req) => respond(req.n));
  t.teardown(() => r.close());
  return r;
}

function row(store: Store, id: string) {
  return store.sqlite.prepare('SELECT * FROM webhook_deliveries WHERE id = ?').get(id) as
    | { status: string; attempts: number; next_attempt_at: number; last_status: number | null; last_error: string | null; delivered_at: number | null }
    | undefined;
}

function onlyDelivery(store: Store): string {
  const rows = store.sqlite.prepare('SELECT id FROM webhook_deliveries').all() as { id: string }[];
  if (rows.length !== 1) throw new Error(`expected one delivery, found ${rows.length}`);
  return rows[0]!.id;
}

test('create validates URL and event types and names every failing field', async (t) => {
  const r = await rig(t, { knownEventTypes: ['test.meter.read-ed', 'test.outage.reported'] });
  const err = t.throws(
    () =>
      r.service.createSubscription({
        url: 'ftp://billing.example/hook',
        eventTypes: ['test.meter.read-ed', 'test.meter.typo-ed', 'webhook.*', 'Not An Event', 'queue.*'],
      }),
    { instanceOf: ValidationError },
  );
  t.deepEqual(
    err?.issues.map((i) => i.path),
    ['url'],
    'URL problems are reported by the schema before event types are looked at',
  );
  const err2 = t.throws(
    () =>
      r.service.createSubscription({
        url: 'https://billing.example/hook',
        eventTypes: ['test.meter.read-ed', 'test.meter.typo-ed', 'webhook.*', 'Not An Event', 'queue.*', 'test.outage.*'],
      }),
    { instanceOf: ValidationError },
  );
  t.deepEqual(
    err2?.issues.map((i) => i.path),
    ['eventTypes.1', 'eventTypes.2', 'eventTypes.3'],
  );
  t.regex(err2?.issues[0]?.message ?? '', /unknown event type/);
  t.regex(err2?.issues[1]?.message ?? '', /not delivered to webhooks/);
  t.regex(err2?.issues[2]?.message ?? '', /expected an event name/);
  for (const url of ['javascript:alert(1)', 'http://user:pw@gis.example/x', 'not a url']) {
    t.throws(() => r.service.createSubscription({ url, eventTypes: ['*'] }), { instanceOf: ValidationError }, url);
  }
  t.throws(() => r.service.createSubscription({ url: 'http://a.example/', eventTypes: [] }), { instanceOf: ValidationError });
  t.throws(() => r.service.createSubscription({ url: 'http://a.example/', eventTypes: ['*', '*'] }), {
    instanceOf: ValidationError,
  });
  t.is(r.service.listSubscriptions().length, 0, 'nothing written on bad input');
});

test('create returns the secret once; get, list and update hide it unless rotated', async (t) => {
  const r = await rig(t);
  const created = r.service.createSubscription({ url: 'http://127.0.0.1:9/hook', eventTypes: ['test.*'], description: 'billing' });
  t.regex(created.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  t.regex(created.id, /^whs_/);
  t.false('secret' in r.service.getSubscription(created.id));
  t.false('secret' in (r.service.listSubscriptions()[0] ?? {}));
  const renamed = r.service.updateSubscription(created.id, { description: 'billing v2', active: false });
  t.is(renamed.description, 'billing v2');
  t.false(renamed.active);
  t.false('secret' in renamed);
  const rotated = r.service.updateSubscription(created.id, { rotateSecret: true });
  t.truthy(rotated.secret);
  t.not(rotated.secret, created.secret);
  t.throws(() => r.service.updateSubscription(created.id, {}), { instanceOf: ValidationError });
  t.throws(() => r.service.getSubscription('whs_nope'), { instanceOf: NotFoundError });
  r.service.deleteSubscription(created.id);
  t.throws(() => r.service.deleteSubscription(created.id), { instanceOf: NotFoundError });
});

test('the active subscriptions are cached between events but every subscription write is seen by the next event', async (t) => {
  const r = await rig(t);
  const count = (id: string): number =>
    (r.store.sqlite.prepare('SELECT count(*) AS n FROM webhook_deliveries WHERE subscription_id = ?').get(id) as { n: number }).n;
  const a = r.service.createSubscription({ url: 'http://127.0.0.1:9/a', eventTypes: ['test.*'] });
  r.bus.publish('test.meter.read-ed', { n: 1 });
  t.is(count(a.id), 1);
  // Created after an event was handled (the list was cached): the next event reaches it.
  const b = r.service.createSubscription({ url: 'http://127.0.0.1:9/b', eventTypes: ['other.*'] });
  r.bus.publish('other.thing.happened', { ok: true });
  t.is(count(b.id), 1);
  // Patterns changed: the old patterns no longer apply.
  r.service.updateSubscription(b.id, { eventTypes: ['test.outage.reported'] });
  r.bus.publish('other.thing.happened', { ok: true });
  r.bus.publish('test.outage.reported', { area: 'north' });
  t.is(count(b.id), 2);
  // Deactivated, then written through ANOTHER service object on the same database connection.
  const second = r.reopen();
  second.updateSubscription(a.id, { active: false });
  r.bus.publish('test.meter.read-ed', { n: 2 });
  t.is(count(a.id), 2, 'inactive: the read-ed event is not queued for it');
  r.service.deleteSubscription(b.id);
  r.bus.publish('test.outage.reported', { area: 'south' });
  t.is(count(b.id), 0, 'deleted with its deliveries, and no new one');
  // Written by another connection (the CLI, a restore): seen within a second without any call here.
  const other = openStore({ file: r.store.file, clock: r.clock, log: silentLogger() });
  other.sqlite
    .prepare('INSERT INTO webhook_subscriptions (id, url, event_types, secret, description, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 0, 0)')
    .run('whs_cli', 'http://127.0.0.1:9/cli', JSON.stringify(['test.*']), 'whsec_x', '');
  await other.close();
  r.clock.advance(1000); // other connections' commits are looked for at most once a second
  r.bus.publish('test.meter.read-ed', { n: 3 });
  t.is(count('whs_cli'), 1);
});

test('publish queues one pending row per matching active subscription before it returns', async (t) => {
  const r = await rig(t);
  const all = r.service.createSubscription({ url: 'http://127.0.0.1:9/a', eventTypes: ['*'] });
  const prefix = r.service.createSubscription({ url: 'http://127.0.0.1:9/b', eventTypes: ['test.*'] });
  const exact = r.service.createSubscription({ url: 'http://127.0.0.1:9/c', eventTypes: ['test.outage.reported'] });
  const other = r.service.createSubscription({ url: 'http://127.0.0.1:9/d', eventTypes: ['other.*'] });
  r.service.createSubscription({ url: 'http://127.0.0.1:9/e', eventTypes: ['*'], active: false });

  const ev = r.bus.publish('test.meter.read-ed', { n: 1 });
  // Synchronously after publish(), before any await: the rows are committed.
  const rows = r.store.sqlite
    .prepare('SELECT subscription_id, status, payload FROM webhook_deliveries WHERE event_id = ? ORDER BY subscription_id')
    .all(ev.id) as { subscription_id: string; status: string; payload: string }[];
  t.deepEqual(
    rows.map((x) => x.subscription_id),
    [all.id, prefix.id].sort(),
  );
  t.true(rows.every((x) => x.status === 'pending'));
  t.deepEqual(JSON.parse(rows[0]!.payload), { id: ev.id, type: 'test.meter.read-ed', at: ev.at, payload: { n: 1 } });

  r.bus.publish('test.outage.reported', { area: 'north' });
  r.bus.publish('other.thing.happened', { ok: true });
  r.bus.publish('webhook.delivery.dead-lettered', {
    deliveryId: 'x',
    subscriptionId: all.id,
    eventId: 'y',
    eventType: 'test.meter.read-ed',
    attempts: 1,
  });
  const count = (id: string): number =>
    (r.store.sqlite.prepare('SELECT count(*) AS n FROM webhook_deliveries WHERE subscription_id = ?').get(id) as { n: number }).n;
  t.is(count(all.id), 3, '* gets every event except webhook.*');
  t.is(count(prefix.id), 2);
  t.is(count(exact.id), 1);
  t.is(count(other.id), 1);
  t.is(
    (r.store.sqlite.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE event_type LIKE 'webhook.%'").get() as { n: number }).n,
    0,
  );
});

test('a delivery is a signed POST of {id,type,at,payload} that verifySignature accepts', async (t) => {
  const rec = await receiver(t, () => ({ status: 204 }));
  const r = await rig(t);
  const sub = r.service.createSubscription({ url: rec.url, eventTypes: ['test.*'] });
  r.service.start();
  const ev = r.bus.publish('test.outage.reported', { area: 'north' });
  await r.service.settled();

  t.is(rec.requests.length, 1);
  const req = rec.requests[0]!;
  t.is(req.method, 'POST');
  t.is(req.path, '/hook');
  t.is(req.headers['content-type'], 'application/json');
  t.is(req.eventType, 'test.outage.reported');
  const deliveryId = onlyDelivery(r.store);
  t.is(req.deliveryId, deliveryId);
  t.deepEqual(JSON.parse(req.body), { id: ev.id, type: 'test.outage.reported', at: ev.at, payload: { area: 'north' } });
  const ts = Math.floor(r.clock.now() / 1000);
  t.is(req.timestamp, String(ts));
  t.is(req.signature, signatureHeader(sub.secret, ts, req.body));

  const now = r.clock.now();
  t.deepEqual(verifySignature({ secret: sub.secret, header: req.signature, body: req.body, now }), { ok: true, timestamp: ts });
  t.deepEqual(verifySignature({ secret: sub.secret, header: req.signature, body: Buffer.from(req.body), now }), {
    ok: true,
    timestamp: ts,
  });
  t.deepEqual(verifySignature({ secret: sub.secret, header: req.signature, body: req.body.replace('north', 'south'), now }), {
    ok: false,
    reason: 'mismatch',
  });
  t.deepEqual(verifySignature({ secret: 'whsec_other', header: req.signature, body: req.body, now }), {
    ok: false,
    reason: 'mismatch',
  });
  t.deepEqual(verifySignature({ secret: sub.secret, header: req.signature, body: req.body, now: now + 301_000 }), {
    ok: false,
    reason: 'expired',
  });
  t.deepEqual(verifySignature({ secret: sub.secret, header: 'v1=abc', body: req.body, now }), { ok: false, reason: 'malformed' });
  t.deepEqual(verifySignature({ secret: sub.secret, header: undefined, body: req.body, now }), { ok: false, reason: 'malformed' });
  // A header carrying an old and a new signature (secret rotation) verifies with either secret.
  const both = `${req.signature},v1=${'0'.repeat(64)}`;
  t.true(verifySignature({ secret: sub.secret, header: both, body: req.body, now }).ok);

  const d = row(r.store, deliveryId)!;
  t.is(d.status, 'delivered');
  t.is(d.attempts, 0);
  t.is(d.last_status, 204);
  t.is(d.delivered_at, r.clock.now());
});

test('failed attempts are retried exactly on the back-off schedule (ManualClock)', async (t) => {
  // 500 for the first three attempts, then 200.
  const rec = await receiver(t, (n) => (n <= 3 ? { status: 500, body: 'database locked' } : { status: 200 }));
  const r = await rig(t);
  r.service.createSubscription({ url: rec.url, eventTypes: ['*'] });
  r.service.start();
  const t0 = r.clock.now();
  r.bus.publish('test.meter.read-ed', { n: 7 });
  await r.service.settled();
  const id = onlyDelivery(r.store);

  // backoff 1000, then 2000, then min(3000, 4000) = 3000.
  const expected = [1000, 2000, 3000];
  let at = t0;
  for (const [i, delay] of expected.entries()) {
    const d = row(r.store, id)!;
    t.is(rec.requests.length, i + 1);
    t.is(d.status, 'pending');
    t.is(d.attempts, i + 1);
    t.is(d.last_status, 500);
    t.is(d.last_error, 'HTTP 500: database locked');
    t.is(d.next_attempt_at, at + delay, `attempt ${i + 2} due ${delay} ms after attempt ${i + 1}`);
    r.clock.advance(delay - 1);
    await r.service.settled();
    t.is(rec.requests.length, i + 1, `not retried 1 ms early (attempt ${i + 2})`);
    r.clock.advance(1);
    await r.service.settled();
    at += delay;
  }
  t.is(rec.requests.length, 4);
  const d = row(r.store, id)!;
  t.is(d.status, 'delivered');
  t.is(d.attempts, 3, 'attempts counts failed attempts');
  t.is(d.delivered_at, t0 + 6000);
  t.deepEqual(
    new Set(rec.requests.map((q) => q.deliveryId)),
    new Set([id]),
    'every retry carries the same delivery id',
  );
  const failed = r.events.filter((e) => e.type === 'webhook.delivery.failed');
  t.deepEqual(
    failed.map((e) => (e.type === 'webhook.delivery.failed' ? [e.payload.attempts, e.payload.status, e.payload.nextAttemptAt] : null)),
    [
      [1, 500, t0 + 1000],
      [2, 500, t0 + 3000],
      [3, 500, t0 + 6000],
    ],
  );
  t.is(r.clock.pendingTimers, 0, 'no timer left once the queue is empty');
});

test('a receiver that hangs past timeoutMs is a failed attempt, retried after the back-off', async (t) => {
  const rec = await receiver(t, (n) => (n === 1 ? 'hang' : { status: 200 }));
  const r = await rig(t);
  r.service.createSubscription({ url: rec.url, eventTypes: ['*'] });
  r.service.start();
  r.bus.publish('test.meter.read-ed', { n: 1 });
  await rec.waitFor(1);
  const id = onlyDelivery(r.store);
  t.is(row(r.store, id)!.status, 'delivering');
  const sent = r.clock.now();
  r.clock.advance(baseConfig.timeoutMs - 1);
  await new Promise((res) => setImmediate(res));
  t.is(row(r.store, id)!.status, 'delivering', 'still waiting 1 ms before the timeout');
  r.clock.advance(1);
  await r.service.settled();
  const d = row(r.store, id)!;
  t.is(d.status, 'pending');
  t.is(d.attempts, 1);
  t.is(d.last_status, null);
  t.regex(d.last_error ?? '', /timeout/);
  t.is(d.next_attempt_at, sent + baseConfig.timeoutMs + baseConfig.backoffMs);
  r.clock.advance(baseConfig.backoffMs);
  await r.service.settled();
  t.is(row(r.store, id)!.status, 'delivered');
  t.is(rec.requests.length, 2);
});

test('connection refused is a failed attempt with the network reason', async (t) => {
  const closed = await startReceiver(() => ({ status: 200 }));
  const url = closed.url;
  await closed.close();
  const r = await rig(t);
  r.service.createSubscription({ url, eventTypes: ['*'] });
  r.service.start();
  r.bus.publish('test.meter.read-ed', { n: 1 });
  await r.service.settled();
  const d = row(r.store, onlyDelivery(r.store))!;
  t.is(d.status, 'pending');
  t.is(d.attempts, 1);
  t.regex(d.last_error ?? '', /network error.*ECONNREFUSED/);
});

test('after maxAttempts the delivery is dead-lettered; redeliver sends it again', async (t) => {
  let healthy = false;
  const rec = await receiver(t, () => (healthy ? { status: 200 } : { status: 503 }));
  const r = await rig(t, { config: { ...baseConfig, maxAttempts: 3 } });
  const sub = r.service.createSubscription({ url: rec.url, eventTypes: ['*'] });
  r.service.start();
  const ev = r.bus.publish('test.meter.read-ed', { n: 1 });
  await r.service.settled();
  r.clock.advance(1000);
  await r.service.settled();
  r.clock.advance(2000);
  await r.service.settled();
  const id = onlyDelivery(r.store);
  t.is(rec.requests.length, 3);
  t.is(row(r.store, id)!.status, 'dead');
  t.is(row(r.store, id)!.attempts, 3);
  r.clock.advance(3_600_000);
  await r.service.settled();
  t.is(rec.requests.length, 3, 'a dead delivery is not retried');
  t.is(r.clock.pendingTimers, 0);

  const dead = r.service.listDeadLetters();
  t.deepEqual(
    dead.map((d) => [d.id, d.eventId, d.status, d.attempts, d.lastStatus]),
    [[id, ev.id, 'dead', 3, 503]],
  );
  t.is(r.service.listDeliveries(sub.id, { status: 'dead' }).length, 1);
  const deadEvents = r.events.filter((e) => e.type === 'webhook.delivery.dead-lettered');
  t.is(deadEvents.length, 1);
  t.is(deadEvents[0]?.payload.deliveryId, id);
  t.true(
    rec.requests.every((q) => q.eventType === 'test.meter.read-ed'),
    'webhook.* events about this delivery were not themselves delivered',
  );

  healthy = true;
  const again = r.service.redeliver(id);
  t.is(again.status, 'pending');
  t.is(again.attempts, 0);
  await r.service.settled();
  t.is(rec.requests.length, 4);
  t.is(rec.requests[3]?.deliveryId, id);
  t.is(row(r.store, id)!.status, 'delivered');
  t.deepEqual(r.service.listDeadLetters(), []);
  t.throws(() => r.service.redeliver(id), { instanceOf: ConflictError });
  t.throws(() => r.service.redeliver('whd_missing'), { instanceOf: NotFoundError });
});

test('on start, rows a crashed process left delivering go back to pending and are sent', async (t) => {
  const rec = await receiver(t, () => ({ status: 200 }));
  const r = await rig(t);
  r.service.createSubscription({ url: rec.url, eventTypes: ['*'] });
  // Queued while the dispatcher is stopped, then marked as if a process died mid-request.
  r.bus.publish('test.meter.read-ed', { n: 1 });
  r.bus.publish('test.meter.read-ed', { n: 2 });
  t.is(rec.requests.length, 0);
  r.store.sqlite.prepare("UPDATE webhook_deliveries SET status = 'delivering'").run();
  await r.service.stop();

  const fresh = r.reopen();
  fresh.start();
  await fresh.settled();
  t.is(rec.requests.length, 2);
  const statuses = r.store.sqlite.prepare('SELECT status, attempts FROM webhook_deliveries').all() as {
    status: string;
    attempts: number;
  }[];
  t.deepEqual(statuses, [
    { status: 'delivered', attempts: 0 },
    { status: 'delivered', attempts: 0 },
  ]);
});

test('no more than `concurrency` attempts are in flight at once', async (t) => {
  const gates: (() => void)[] = [];
  const rec = await receiver(
    t,
    () => new Promise<Reply>((resolve) => gates.push(() => resolve({ status: 200 }))),
  );
  const r = await rig(t, { config: { ...baseConfig, concurrency: 2 } });
  r.service.createSubscription({ url: rec.url, eventTypes: ['*'] });
  r.service.start();
  for (let n = 0; n < 5; n++) r.bus.publish('test.meter.read-ed', { n });
  await rec.waitFor(2);
  await new Promise((res) => setTimeout(res, 50));
  t.is(rec.requests.length, 2, 'third request waits for a free slot');
  // Answer whatever is open until all five have arrived, then answer the last ones.
  while (rec.requests.length < 5) {
    const next = rec.requests.length + 1;
    for (const open of gates.splice(0)) open();
    await rec.waitFor(next);
  }
  await new Promise((res) => setTimeout(res, 20));
  for (const open of gates.splice(0)) open();
  await r.service.settled();
  t.is(rec.requests.length, 5);
  t.is(rec.maxOpen, 2);
  t.is(
    (r.store.sqlite.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'delivered'").get() as { n: number }).n,
    5,
  );
});

test('stop() gives an in-flight attempt back as pending without counting it', async (t) => {
  const rec = await receiver(t, () => 'hang');
  const r = await rig(t);
  r.service.createSubscription({ url: rec.url, eventTypes: ['*'] });
  r.service.start();
  r.bus.publish('test.meter.read-ed', { n: 1 });
  await rec.waitFor(1);
  await r.service.stop();
  const d = row(r.store, onlyDelivery(r.store))!;
  t.is(d.status, 'pending');
  t.is(d.attempts, 0);
  t.false(r.service.running);
  r.bus.publish('test.meter.read-ed', { n: 2 });
  t.is(
    (r.store.sqlite.prepare('SELECT count(*) AS n FROM webhook_deliveries').get() as { n: number }).n,
    1,
    'a stopped service queues nothing new',
  );
  t.is(r.clock.pendingTimers, 0);
});

test('deliveries of an inactive subscription wait; deleting it drops its queue', async (t) => {
  const rec = await receiver(t, () => ({ status: 200 }));
  const r = await rig(t);
  const sub = r.service.createSubscription({ url: rec.url, eventTypes: ['*'] });
  r.service.start();
  r.service.updateSubscription(sub.id, { active: false });
  r.bus.publish('test.meter.read-ed', { n: 1 });
  await r.service.settled();
  t.is(rec.requests.length, 0, 'an inactive subscription queues nothing');
  r.service.updateSubscription(sub.id, { active: true });
  r.bus.publish('test.meter.read-ed', { n: 2 });
  r.service.updateSubscription(sub.id, { active: false });
  await r.service.settled();
  t.is(rec.requests.length, 0, 'queued before deactivation, held while inactive');
  t.is(r.service.listDeliveries(sub.id)[0]?.status, 'pending');
  r.service.updateSubscription(sub.id, { active: true });
  await r.service.settled();
  t.is(rec.requests.length, 1);
  r.service.updateSubscription(sub.id, { active: false });
  r.bus.publish('test.outage.reported', { area: 'x' });
  r.service.deleteSubscription(sub.id);
  t.is((r.store.sqlite.prepare('SELECT count(*) AS n FROM webhook_deliveries').get() as { n: number }).n, 0);
});
