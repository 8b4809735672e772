import test from 'ava';
import { startReceiver } from '../integrations/webhooks/testing/receiver.js';
import { createWebhookService } from '../integrations/webhooks/webhook-service.js';
import { agent, cst, openAppointmentRig } from './testing/rig.js';

test('webhook subscribers to appointment.booking.* get the booked, rescheduled and cancelled events, signed', async (t) => {
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const rec = await startReceiver(() => ({ status: 204 }));
  t.teardown(() => rec.close());
  const hooks = createWebhookService({
    store: rig.store,
    bus: rig.bus,
    clock: rig.clock,
    log: rig.svc['deps'].log,
    config: { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 3000, timeoutMs: 2000, concurrency: 1 },
  });
  t.teardown(() => hooks.stop());
  hooks.createSubscription({ url: rec.url, eventTypes: ['appointment.booking.*'] });
  hooks.start();
  const b = rig.book.book({ serviceId: 'survey', start: cst(7, 9, 30), contactPhone: '13800138000' }, agent);
  const moved = rig.book.reschedule(b.id, { version: 1, start: cst(8, 9, 30) }, agent);
  rig.book.cancel(b.id, { version: moved.version, reason: '客户取消' }, agent);
  await hooks.settled();
  const got = rec.requests.map((r) => JSON.parse(r.body) as { type: string; payload: Record<string, unknown> });
  t.deepEqual(got.map((e) => e.type).sort(), ['appointment.booking.booked', 'appointment.booking.cancelled', 'appointment.booking.rescheduled']);
  const cancelled = got.find((e) => e.type === 'appointment.booking.cancelled')!;
  t.like(cancelled.payload, { bookingId: b.id, serviceId: 'survey', departmentId: 'marketing', status: 'cancelled', reason: '客户取消', start: cst(8, 9, 30), version: 3 });
  t.true(rec.requests.every((r) => typeof r.signature === 'string' && r.signature.length > 0));
});
