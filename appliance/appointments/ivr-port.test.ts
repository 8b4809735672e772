import test from 'ava';
import { actors, repairInput } from '../workorders/testing/fixtures.js';
import { appointmentIvrPort } from './ivr-port.js';
import { cst, openAppointmentRig } from './testing/rig.js';

test('the IVR port offers free slots, books for the caller and an order number, and answers full / unknown as outcomes', async (t) => {
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const port = appointmentIvrPort({ book: rig.book, clock: rig.clock, orderIdByNumber: (n) => { try { return rig.svc.getByNumber(n).id; } catch { return null; } } });
  const offered = await port.offer('meter-check', 3);
  t.deepEqual(offered.map((s) => s.local), ['2026-01-05 09:00', '2026-01-05 09:30', '2026-01-05 10:00']);

  const order = rig.svc.create(repairInput(), actors.agent);
  const r = await port.book({ serviceId: 'meter-check', start: offered[0]!.start, caller: '13912345678', callId: 'call_1', orderNumber: order.number });
  t.like(r, { outcome: 'booked', start: cst(5, 9), local: '2026-01-05 09:00' });
  if (r.outcome !== 'booked') return;
  t.like(rig.book.get(r.bookingId), { orderId: order.id, contactPhone: '13912345678', channel: 'ivr', bookedBy: 'ivr:call_1' });

  t.deepEqual(await port.book({ serviceId: 'meter-check', start: offered[0]!.start, caller: '13900000000', callId: 'call_2' }), { outcome: 'full' });
  t.deepEqual(await port.book({ serviceId: 'meter-check', start: offered[1]!.start, caller: '13900000000', callId: 'call_2', orderNumber: 'GD19990101-000001' }), { outcome: 'unknown-order' });
  t.deepEqual(await port.book({ serviceId: 'meter-check', start: cst(5, 9, 10), caller: '13900000000', callId: 'call_2' }), { outcome: 'unavailable' });
  t.deepEqual((await port.offer('meter-check', 1)).map((s) => s.local), ['2026-01-05 09:30'], 'the booked slot is no longer offered');

  t.like(await port.cancelNext({ caller: '13912345678', callId: 'call_3' }), { outcome: 'cancelled', bookingId: r.bookingId });
  t.deepEqual(await port.cancelNext({ caller: '13912345678', callId: 'call_3' }), { outcome: 'none' });
  t.is(rig.book.get(r.bookingId).status, 'cancelled');
});
