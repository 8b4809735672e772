import test from 'ava';
import { Worker } from 'node:worker_threads';
import { ConflictError, InvalidTransitionError, ValidationError } from '../core/errors.js';
import { actors, repairInput } from '../workorders/testing/fixtures.js';
import { agent, cst, ivr, openAppointmentRig } from './testing/rig.js';

test('slots show capacity, places taken and free; a per-slot override closes one', async (t) => {
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const { book } = rig;
  book.book({ serviceId: 'survey', start: cst(6, 9, 30), contactPhone: '13800138000' }, agent);
  book.setSlotCapacity('survey', cst(6, 10, 30), 0);
  const day = book.slots('survey', cst(6, 0), cst(7, 0));
  t.is(day.length, 7);
  t.like(day[1], { start: cst(6, 9, 30), capacity: 2, booked: 1, free: 1 });
  t.like(day[2], { start: cst(6, 10, 30), capacity: 0, booked: 0, free: 0 });
  t.throws(() => book.setSlotCapacity('survey', cst(6, 10, 45), 3), { instanceOf: ValidationError });
  const next = book.nextFree('survey', 3);
  t.deepEqual(next.map((s) => s.start), [cst(5, 10, 30), cst(5, 13, 30), cst(5, 14, 30)], 'after the 60-minute notice from Monday 09:00');
});

test('book: a real slot inside notice and horizon, a work order linked and its contact used', async (t) => {
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const { book, svc } = rig;
  const order = svc.create({ ...repairInput(), contactName: '王先生', address: '和平路12号' }, actors.agent);
  const b = book.book({ serviceId: 'survey', start: cst(6, 14, 30), orderId: order.id }, agent);
  t.like(b, { status: 'booked', orderId: order.id, contactPhone: '13800138000', contactName: '王先生', address: '和平路12号', customerId: 'cust_1', channel: 'agent', version: 1 });
  t.is(b.end, cst(6, 15, 30));
  t.is(b.remindAt, cst(5, 14, 30), '24 h before');
  t.is(b.reminderStatus, 'pending');
  t.deepEqual(book.forOrder(order.id).map((x) => x.id), [b.id]);
  const ev = rig.events.find((e) => e.type === 'appointment.booking.booked');
  t.like(ev?.payload, { bookingId: b.id, orderId: order.id, departmentId: 'marketing', start: cst(6, 14, 30) });

  const refuse = (input: Record<string, unknown>, path: string): void => {
    const err = t.throws(() => book.book({ serviceId: 'survey', contactPhone: '13900000000', start: cst(6, 14, 30), ...input }, agent), { instanceOf: ValidationError });
    t.deepEqual(err?.issues.map((i) => i.path), [path]);
  };
  refuse({ start: cst(6, 14, 45) }, 'start');
  refuse({ start: cst(5, 9, 30) }, 'start');
  refuse({ start: cst(7, 9, 30) + 40 * 86_400_000 }, 'start');
  refuse({ orderId: 'wo_nope' }, 'orderId');
  refuse({ contactPhone: 'abc' }, 'contactPhone');
  t.throws(() => book.book({ serviceId: 'survey', start: cst(7, 9, 30), orderId: order.id }, agent), { instanceOf: ConflictError, message: /already has booking/ });
});

test('the last place: the slot refuses the booking after capacity with a conflict', async (t) => {
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const { book } = rig;
  const start = cst(8, 9, 0);
  t.truthy(book.book({ serviceId: 'meter-check', start, contactPhone: '13800000001' }, ivr));
  const err = t.throws(() => book.book({ serviceId: 'meter-check', start, contactPhone: '13800000002' }, agent), { instanceOf: ConflictError });
  t.regex(err!.message, /full \(1 of 1/);
  t.is(book.list({ serviceId: 'meter-check' }).length, 1);
});

test('cancel and reschedule are versioned, follow the transition table and free/take places', async (t) => {
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const { book } = rig;
  const a = book.book({ serviceId: 'meter-check', start: cst(8, 9, 0), contactPhone: '13800000001' }, agent);
  const other = book.book({ serviceId: 'meter-check', start: cst(8, 9, 30), contactPhone: '13800000002' }, agent);
  t.throws(() => book.reschedule(a.id, { version: a.version, start: other.start }, agent), { instanceOf: ConflictError, message: /full/ });
  const moved = book.reschedule(a.id, { version: a.version, start: cst(8, 10, 0), note: '客户改约' }, agent);
  t.like(moved, { start: cst(8, 10, 0), end: cst(8, 10, 30), version: 2, remindAt: cst(8, 8, 0), reminderStatus: 'pending' });
  t.throws(() => book.cancel(a.id, { version: 1, reason: '客户取消' }, agent), { instanceOf: ConflictError, message: /has changed/ });
  const cancelled = book.cancel(a.id, { version: 2, reason: '客户取消' }, agent);
  t.like(cancelled, { status: 'cancelled', cancelReason: '客户取消', reminderStatus: 'none', version: 3 });
  t.throws(() => book.cancel(a.id, { version: 3, reason: 'again' }, agent), { instanceOf: InvalidTransitionError });
  t.throws(() => book.reschedule(a.id, { version: 3, start: cst(8, 11, 0) }, agent), { instanceOf: InvalidTransitionError });
  t.truthy(book.book({ serviceId: 'meter-check', start: cst(8, 10, 0), contactPhone: '13800000003' }, agent), 'the freed place can be taken');
  t.deepEqual(book.history(a.id).map((e) => [e.action, e.fromStart, e.toStart, e.actor]), [
    ['book', null, cst(8, 9, 0), 'user:agent1'],
    ['reschedule', cst(8, 9, 0), cst(8, 10, 0), 'user:agent1'],
    ['cancel', cst(8, 10, 0), null, 'user:agent1'],
  ]);
  const done = book.complete(other.id, { version: 1, outcome: 'no-show' }, agent);
  t.is(done.status, 'no-show');
  t.deepEqual(rig.events.filter((e) => e.type.startsWith('appointment.')).map((e) => e.type), [
    'appointment.booking.booked',
    'appointment.booking.booked',
    'appointment.booking.rescheduled',
    'appointment.booking.cancelled',
    'appointment.booking.booked',
    'appointment.booking.completed',
  ]);
});

test('a service must name an existing department and calendar; every bad field is named', async (t) => {
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const err = t.throws(() => rig.book.saveService({ id: 'x', name: '换表', departmentId: 'nope', calendarId: 'none', slotMinutes: 30, capacity: 1 }), { instanceOf: ValidationError });
  t.deepEqual(err?.issues.map((i) => i.path), ['departmentId', 'calendarId']);
  const bad = t.throws(() => rig.book.saveService({ id: 'X!', name: '', departmentId: 'csc', calendarId: 'office', slotMinutes: 1, capacity: -1 }), { instanceOf: ValidationError });
  t.deepEqual(bad?.issues.map((i) => i.path).sort(), ['capacity', 'id', 'name', 'slotMinutes']);
});

function bookInWorker(data: Record<string, unknown>): Promise<string> {
  return new Promise((resolve, reject) => {
    const entry = new URL('./testing/booking-worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    const w = new Worker(boot, { eval: true, workerData: data });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

test('parallel bookings of the last places from four connections: exactly capacity succeed, the rest conflict', async (t) => {
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const start = cst(9, 14, 30);
  rig.book.book({ serviceId: 'survey', start, contactPhone: '13700000000' }, agent);
  rig.book.setSlotCapacity('survey', start, 3);
  const barrier = new SharedArrayBuffer(8);
  const flag = new Int32Array(barrier);
  const n = 4;
  const runs = Array.from({ length: n }, (_, i) => bookInWorker({ file: rig.file, start, now: rig.clock.now(), phone: `1380000010${i}`, barrier }));
  while (Atomics.load(flag, 1) < n) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const results = await Promise.all(runs);
  const booked = results.filter((r) => r.startsWith('apt_'));
  t.deepEqual(results.filter((r) => !r.startsWith('apt_') && r !== 'conflict'), []);
  t.is(booked.length, 2, 'the two free places');
  t.is(results.filter((r) => r === 'conflict').length, n - 2);
  const slot = rig.book.slots('survey', start, start + 1)[0]!;
  t.like(slot, { capacity: 3, booked: 3, free: 0 });
  t.deepEqual(rig.book.list({ serviceId: 'survey', status: 'booked' }).map((b) => b.id).filter((id) => booked.includes(id)).sort(), [...booked].sort());
});

test('the enums of model.ts equal the CHECK lists of migration 0023', async (t) => {
  const { BookingActions, BookingChannels, BookingStatuses, ReminderStatuses } = await import('./model.js');
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const base = { service_id: 'survey', slot_start: 1, slot_end: 2, contact_phone: '1', booked_by: 'x', remind_at: null, reminded_at: null, reminder_error: null, cancel_reason: null, order_id: null, customer_id: null, contact_name: null, address: null, created_at: 1, updated_at: 1 };
  let n = 0;
  const insert = (patch: Record<string, unknown>): void =>
    rig.book.bs.insertBooking({ ...base, id: `b${n++}`, status: 'booked', channel: 'api', reminder_status: 'none', ...patch } as Parameters<typeof rig.book.bs.insertBooking>[0]);
  for (const status of BookingStatuses) t.notThrows(() => insert({ status }));
  for (const channel of BookingChannels) t.notThrows(() => insert({ channel }));
  for (const reminder_status of ReminderStatuses) t.notThrows(() => insert({ reminder_status }));
  for (const action of BookingActions) t.notThrows(() => rig.book.bs.insertEvent({ booking_id: 'b0', at: 1, actor: 'x', actor_ip: null, channel: 'api', action, from_start: null, to_start: null, note: null }));
  t.throws(() => insert({ status: 'lost' }), { any: true, code: 'SQLITE_CONSTRAINT_CHECK' });
  t.throws(() => insert({ channel: 'fax' }), { any: true, code: 'SQLITE_CONSTRAINT_CHECK' });
});
