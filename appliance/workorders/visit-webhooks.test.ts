import test from 'ava';
import { signatureHeader, verifySignature } from '../integrations/webhooks/signature.js';
import { startReceiver } from '../integrations/webhooks/testing/receiver.js';
import { createWebhookService } from '../integrations/webhooks/webhook-service.js';
import type { WorkOrder } from './model.js';
import { actors, openRig, repairInput, type Rig } from './testing/fixtures.js';
import { VisitService } from './visit-service.js';

function closedRepair(rig: Rig): WorkOrder {
  const { svc } = rig;
  let o = svc.create(repairInput({ title: '回访测试' }), actors.agent);
  o = svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
  o = svc.act(o.id, { action: 'reply', version: o.version, reply: '已修复' }, actors.lineman);
  return svc.act(o.id, { action: 'close', version: o.version }, actors.agent);
}

test('a subscription to workorder.visit.recorded gets one signed delivery of the recorded outcome, and nothing else', async (t) => {
  const rig = openRig();
  t.teardown(() => rig.close());
  const rec = await startReceiver(() => ({ status: 204 }));
  t.teardown(() => rec.close());
  const hooks = createWebhookService({
    store: rig.store,
    bus: rig.bus,
    clock: rig.clock,
    log: rig.svc['deps'].log,
    config: { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 3000, timeoutMs: 2000, concurrency: 2 },
  });
  t.teardown(() => hooks.stop());
  const sub = hooks.createSubscription({ url: rec.url, eventTypes: ['workorder.visit.recorded'] });
  const other = hooks.createSubscription({ url: rec.url, eventTypes: ['workorder.sla.escalated', 'workorder.visit.selected', 'customer.*'] });
  hooks.start();

  const visits = new VisitService({ store: rig.store, clock: rig.clock, bus: rig.bus, log: rig.svc['deps'].log, orders: rig.svc });
  visits.start();
  t.teardown(() => visits.stop());
  visits.saveRule({ id: 'all', name: '全部', samplePercent: 100 });
  const order = closedRepair(rig);
  const [visit] = visits.autoAssign(['user:visitor'], actors.supervisor);
  if (!visit) return t.fail('the closed order was selected and assigned');
  visits.record(visit.id, { outcome: 'satisfied', version: visit.version }, actors.visitor);
  await hooks.settled();

  const mine = rec.requests.filter((r) => r.eventType === 'workorder.visit.recorded');
  t.is(mine.length, 1, 'exactly one delivery of the recorded event');
  const req = mine[0]!;
  const body = JSON.parse(req.body) as { type: string; payload: Record<string, unknown> };
  t.is(body.type, 'workorder.visit.recorded');
  t.like(body.payload, { visitId: visit.id, orderId: order.id, outcome: 'satisfied', status: 'done', result: 'satisfied', reopened: false, attempts: 1 });
  const ts = Number(req.timestamp);
  t.is(req.signature, signatureHeader(sub.secret, ts, req.body));
  t.deepEqual(verifySignature({ secret: sub.secret, header: req.signature, body: req.body, now: rig.clock.now() }), { ok: true, timestamp: ts });
  t.false(verifySignature({ secret: other.secret, header: req.signature, body: req.body, now: rig.clock.now() }).ok, 'signed with its own subscription secret');
  // The other subscription got the visit selection, not the recording.
  const types = rec.requests.map((r) => r.eventType).sort();
  t.deepEqual(types, ['workorder.visit.recorded', 'workorder.visit.selected']);
});
