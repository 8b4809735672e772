import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { actors, repairInput, seedOrg } from '../workorders/testing/fixtures.js';
import { WorkOrderService } from '../workorders/workorder-service.js';
import { AppointmentBook } from './appointment-service.js';
import { registerAppointmentRoutes } from './appointment-routes.js';
import { cst } from './testing/rig.js';

type Json = Record<string, unknown>;
const iso = (ms: number): string => new Date(ms).toISOString();

async function rig() {
  const h = await startApiHarness();
  const log = silentLogger();
  const svc = new WorkOrderService({ store: h.store, clock: h.clock, bus: h.bus, log });
  seedOrg(svc);
  const book = new AppointmentBook({ store: h.store, clock: h.clock, bus: h.bus, log, orders: svc });
  registerAppointmentRoutes(h.api.registry, book, h.api.audit);
  return { h, svc, book };
}

test('appointments over REST: service, slots, book for an order, shown on the order, reschedule, cancel with versions', async (t) => {
  const { h, svc } = await rig();
  t.teardown(() => h.close());
  const put = await h.call('PUT', '/appointments/services/survey', {
    body: { name: '装表勘查', departmentId: 'marketing', calendarId: 'office', slotMinutes: 60, capacity: 1, remindMinutes: 1440 },
  });
  t.is(put.status, 200);
  t.like((await put.json()) as Json, { id: 'survey', capacity: 1, periods: null, horizonDays: 30 });

  const slots = (await (await h.call('GET', `/appointments/services/survey/slots?from=${iso(cst(6, 0))}&to=${iso(cst(7, 0))}`)).json()) as { items: Json[] };
  t.is(slots.items.length, 7);
  t.like(slots.items[0], { start: iso(cst(6, 8, 30)), end: iso(cst(6, 9, 30)), capacity: 1, booked: 0, free: 1 });

  const order = svc.create(repairInput(), actors.agent);
  const res = await h.call('POST', '/appointments/bookings', { body: { serviceId: 'survey', start: iso(cst(6, 8, 30)), orderId: order.id, note: '带梯子' } });
  t.is(res.status, 201);
  const b = (await res.json()) as Json;
  t.like(b, { serviceId: 'survey', orderId: order.id, contactPhone: '13800138000', status: 'booked', channel: 'api', version: 1, remindAt: null, reminderStatus: 'none' }, 'the 24 h lead time has already passed');
  t.regex(res.headers.get('location') ?? '', new RegExp(`/appointments/bookings/${String(b['id'])}$`));

  const full = await h.call('POST', '/appointments/bookings', { body: { serviceId: 'survey', start: iso(cst(6, 8, 30)), contactPhone: '13900000000' } });
  t.is(full.status, 409);
  t.regex(((await full.json()) as { error: { message: string } }).error.message, /full/);

  const onOrder = (await (await h.call('GET', `/workorders/${order.id}/appointments`)).json()) as { items: Json[] };
  t.deepEqual(onOrder.items.map((x) => x['id']), [b['id']]);

  const moved = await h.call('POST', `/appointments/bookings/${String(b['id'])}/reschedule`, { body: { version: 1, start: iso(cst(7, 9, 30)) } });
  t.is(moved.status, 200);
  t.like((await moved.json()) as Json, { start: iso(cst(7, 9, 30)), version: 2 });
  const stale = await h.call('POST', `/appointments/bookings/${String(b['id'])}/cancel`, { body: { version: 1, reason: '客户取消' } });
  t.is(stale.status, 409);
  const cancel = await h.call('POST', `/appointments/bookings/${String(b['id'])}/cancel`, { body: { version: 2, reason: '客户取消' } });
  t.like((await cancel.json()) as Json, { status: 'cancelled', version: 3 });
  const again = await h.call('POST', `/appointments/bookings/${String(b['id'])}/cancel`, { body: { version: 3, reason: '再取消' } });
  t.is(again.status, 409);
  t.is(((await again.json()) as { error: { code: string } }).error.code, 'INVALID_TRANSITION');

  const one = (await (await h.call('GET', `/appointments/bookings/${String(b['id'])}`)).json()) as { history: Json[] };
  t.deepEqual(one.history.map((e) => e['action']), ['book', 'reschedule', 'cancel']);
  t.like(one.history[1], { fromStart: iso(cst(6, 8, 30)), toStart: iso(cst(7, 9, 30)), actor: `apikey:${h.adminKeyId}` });
});

test('bad bookings name their fields; scopes are enforced', async (t) => {
  const { h, book } = await rig();
  t.teardown(() => h.close());
  book.saveService({ id: 'meter-check', name: '表计校验', departmentId: 'metering', calendarId: 'office', slotMinutes: 30, capacity: 1, periods: [[540, 720]] });
  const bad = await h.call('POST', '/appointments/bookings', { body: { serviceId: 'meter-check', start: iso(cst(6, 9, 10)), orderId: 'wo_none', contactPhone: '1' } });
  t.is(bad.status, 400);
  const fields = ((await bad.json()) as { error: { fields: Array<{ path: string }> } }).error.fields.map((f) => f.path);
  t.true(fields.includes('contactPhone'), JSON.stringify(fields));
  const noSlot = await h.call('POST', '/appointments/bookings', { body: { serviceId: 'meter-check', start: iso(cst(6, 9, 10)), contactPhone: '13800138000' } });
  t.is(noSlot.status, 400);
  t.deepEqual(((await noSlot.json()) as { error: { fields: Array<{ path: string }> } }).error.fields.map((f) => f.path), ['start']);
  const reader = await h.keyWith(['appointments:read']);
  const denied = await h.call('POST', '/appointments/bookings', { key: reader.secret, body: { serviceId: 'meter-check', start: iso(cst(6, 9)), contactPhone: '13800138000' } });
  t.is(denied.status, 403);
  const writer = await h.keyWith(['appointments:write']);
  t.is((await h.call('PUT', '/appointments/services/x', { key: writer.secret, body: { name: 'x', departmentId: 'csc', calendarId: 'office', slotMinutes: 30, capacity: 1 } })).status, 403);
});

test('twelve parallel POSTs for the last three places: exactly three 201, the others 409', async (t) => {
  const { h, book } = await rig();
  t.teardown(() => h.close());
  book.saveService({ id: 'survey', name: '装表勘查', departmentId: 'marketing', calendarId: 'office', slotMinutes: 60, capacity: 5 });
  const start = iso(cst(8, 14, 30));
  await h.call('POST', '/appointments/bookings', { body: { serviceId: 'survey', start, contactPhone: '13700000001' } });
  await h.call('POST', '/appointments/bookings', { body: { serviceId: 'survey', start, contactPhone: '13700000002' } });
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, i) => h.call('POST', '/appointments/bookings', { body: { serviceId: 'survey', start, contactPhone: `1380000${String(i).padStart(4, '0')}` } })),
  );
  const statuses = answers.map((r) => r.status).sort();
  t.deepEqual(statuses, [201, 201, 201, ...Array<number>(9).fill(409)]);
  const slot = (await (await h.call('GET', `/appointments/services/survey/slots?from=${start}&to=${iso(cst(8, 14, 31))}`)).json()) as { items: Json[] };
  t.like(slot.items[0], { capacity: 5, booked: 5, free: 0 });
});
