import test from 'ava';
import { startApiHarness, type ApiHarness } from '../../api/testing.js';
import { silentLogger } from '../../core/log.js';
import { verifySignature } from './signature.js';
import { startReceiver, type Receiver, type Reply } from './testing/receiver.js';
import { registerWebhookRoutes } from './webhook-routes.js';
import { createWebhookService, type WebhookService } from './webhook-service.js';

declare module '../../core/events.js' {
  interface EventMap {
    'test.bill.issued': { account: string };
  }
}

interface Rig {
  h: ApiHarness;
  service: WebhookService;
  rec: Receiver;
}

async function rig(t: { teardown(fn: () => unknown): void }, respond: () => Reply = () => ({ status: 200 })): Promise<Rig> {
  const h = await startApiHarness();
  const rec = await startReceiver(respond);
  const service = createWebhookService({
    store: h.store,
    bus: h.bus,
    clock: h.clock,
    log: silentLogger(),
    config: { maxAttempts: 2, backoffMs: 1000, maxBackoffMs: 5000, timeoutMs: 2000, concurrency: 2 },
    knownEventTypes: ['test.bill.issued'],
  });
  registerWebhookRoutes(h.api.registry, service, h.api.audit);
  t.teardown(async () => {
    await service.stop();
    await rec.close();
    await h.close();
  });
  return { h, service, rec };
}

type Json = Record<string, unknown>;
const json = async (res: Response): Promise<Json> => (await res.json()) as Json;

test('POST /webhooks with bad input answers 400 naming every field and writes nothing', async (t) => {
  const { h } = await rig(t);
  const res = await h.call('POST', '/webhooks', {
    body: { url: 'ftp://x.example/', eventTypes: 'all', colour: 'red' },
  });
  t.is(res.status, 400);
  const body = (await json(res))['error'] as { code: string; fields: { path: string }[] };
  t.is(body.code, 'VALIDATION');
  t.deepEqual(body.fields.map((f) => f.path).sort(), ['colour', 'eventTypes', 'url']);

  const res2 = await h.call('POST', '/webhooks', {
    body: { url: 'https://x.example/', eventTypes: ['test.bill.issued', 'test.bill.typo-ed', 'webhook.*'] },
  });
  t.is(res2.status, 400);
  const body2 = (await json(res2))['error'] as { fields: { path: string; message: string }[] };
  t.deepEqual(
    body2.fields.map((f) => f.path),
    ['eventTypes.1', 'eventTypes.2'],
  );
  const list = await json(await h.call('GET', '/webhooks'));
  t.deepEqual(list['items'], []);
});

test('scopes: webhooks:read may list but not subscribe; no key is 401', async (t) => {
  const { h } = await rig(t);
  const reader = await h.keyWith(['webhooks:read']);
  t.is((await h.call('GET', '/webhooks', { key: reader.secret })).status, 200);
  const denied = await h.call('POST', '/webhooks', {
    key: reader.secret,
    body: { url: 'https://x.example/', eventTypes: ['*'] },
  });
  t.is(denied.status, 403);
  t.is((await h.call('GET', '/webhooks', { key: null })).status, 401);
  const other = await h.keyWith(['system:read']);
  t.is((await h.call('GET', '/webhook-dead-letters', { key: other.secret })).status, 403);
});

test('subscribe, receive a signed delivery, read the log, rotate, delete — over HTTP and audited', async (t) => {
  const { h, service, rec } = await rig(t);
  const res = await h.call('POST', '/webhooks', {
    body: { url: rec.url, eventTypes: ['test.*'], description: 'billing' },
  });
  t.is(res.status, 201);
  const created = await json(res);
  const id = created['id'] as string;
  const secret = created['secret'] as string;
  t.regex(secret, /^whsec_/);
  t.is(res.headers.get('location'), `/api/v1/webhooks/${id}`);
  t.is(created['createdAt'], new Date(h.clock.now()).toISOString());

  const got = await json(await h.call('GET', `/webhooks/${id}`));
  t.false('secret' in got);
  t.is(got['description'], 'billing');

  service.start();
  const ev = h.bus.publish('test.bill.issued', { account: 'A-1' });
  await service.settled();
  t.is(rec.requests.length, 1);
  const req = rec.requests[0]!;
  t.true(verifySignature({ secret, header: req.signature, body: req.body, now: h.clock.now() }).ok);

  const log = await json(await h.call('GET', `/webhooks/${id}/deliveries?limit=10`));
  const items = log['items'] as Json[];
  t.is(items.length, 1);
  t.is(items[0]?.['status'], 'delivered');
  t.is(items[0]?.['eventId'], ev.id);
  t.is(items[0]?.['id'], req.deliveryId);
  t.is(log['nextCursor'], null);
  const detail = await json(await h.call('GET', `/webhook-deliveries/${req.deliveryId}`));
  t.is(detail['body'], req.body);
  t.is((await h.call('GET', `/webhooks/${id}/deliveries?limit=0`)).status, 400);

  const rotated = await json(await h.call('PATCH', `/webhooks/${id}`, { body: { rotateSecret: true } }));
  t.truthy(rotated['secret']);
  t.not(rotated['secret'], secret);
  const renamed = await json(await h.call('PATCH', `/webhooks/${id}`, { body: { description: 'billing v2' } }));
  t.false('secret' in renamed);
  t.is(renamed['description'], 'billing v2');

  t.is((await h.call('DELETE', `/webhooks/${id}`)).status, 204);
  t.is((await h.call('GET', `/webhooks/${id}`)).status, 404);
  t.is((await h.call('GET', `/webhook-deliveries/${req.deliveryId}`)).status, 404);

  const audit = await json(await h.call('GET', '/audit?action=webhook-subscription.*'));
  const actions = (audit['items'] as Json[]).map((e) => e['action']).reverse();
  t.deepEqual(actions, [
    'webhook-subscription.created',
    'webhook-subscription.updated',
    'webhook-subscription.updated',
    'webhook-subscription.deleted',
  ]);
  t.false(JSON.stringify(audit).includes(secret), 'the secret never reaches the audit log');
  t.false(JSON.stringify(audit).includes(rotated['secret'] as string));
});

test('dead letters are listed and redelivered over HTTP; redelivering twice is 409', async (t) => {
  let healthy = false;
  const { h, service, rec } = await rig(t, () => (healthy ? { status: 200 } : { status: 500 }));
  const created = await json(await h.call('POST', '/webhooks', { body: { url: rec.url, eventTypes: ['*'] } }));
  service.start();
  h.bus.publish('test.bill.issued', { account: 'A-2' });
  await service.settled();
  h.clock.advance(1000);
  await service.settled();
  t.is(rec.requests.length, 2);

  const dead = await json(await h.call('GET', '/webhook-dead-letters'));
  const items = dead['items'] as Json[];
  t.is(items.length, 1);
  t.is(items[0]?.['status'], 'dead');
  t.is(items[0]?.['subscriptionId'], created['id']);
  t.is(items[0]?.['lastStatus'], 500);
  const deliveryId = items[0]?.['id'] as string;

  healthy = true;
  const res = await h.call('POST', `/webhook-deliveries/${deliveryId}/redeliver`);
  t.is(res.status, 202);
  t.is((await json(res))['status'], 'pending');
  await service.settled();
  t.is(rec.requests.length, 3);
  t.is((await json(await h.call('GET', `/webhook-deliveries/${deliveryId}`)))['status'], 'delivered');
  const again = await h.call('POST', `/webhook-deliveries/${deliveryId}/redeliver`);
  t.is(again.status, 409);
  t.is(((await json(again))['error'] as Json)['code'], 'CONFLICT');
  t.is((await h.call('POST', '/webhook-deliveries/whd_missing/redeliver')).status, 404);
  t.deepEqual((await json(await h.call('GET', '/webhook-dead-letters')))['items'], []);
});

test('the OpenAPI document lists every webhook operation with its scope', async (t) => {
  const { h } = await rig(t);
  const doc = await json(await h.call('GET', '/openapi.json', { key: null }));
  const paths = doc['paths'] as Record<string, Record<string, unknown>>;
  t.deepEqual(Object.keys(paths['/webhooks'] ?? {}).sort(), ['get', 'post']);
  t.deepEqual(Object.keys(paths['/webhooks/{id}'] ?? {}).sort(), ['delete', 'get', 'patch']);
  t.truthy(paths['/webhooks/{id}/deliveries']?.['get']);
  t.truthy(paths['/webhook-deliveries/{id}']?.['get']);
  t.truthy(paths['/webhook-dead-letters']?.['get']);
  t.truthy(paths['/webhook-deliveries/{id}/redeliver']?.['post']);
  t.regex(JSON.stringify(paths['/webhooks']?.['post']), /webhooks:write/);
});
