import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { seedOrg } from '../workorders/testing/fixtures.js';
import { wireBusiness } from './wire-business.js';

test('the daemon wiring mounts appointments and imports, runs reminders as a background service, and gives the IVR its port', async (t) => {
  const h = await startApiHarness();
  t.teardown(() => h.close());
  const business = wireBusiness({ store: h.store, clock: h.clock, bus: h.bus, log: silentLogger(), registry: h.api.registry, audit: h.api.audit });
  const paths = Object.keys(h.api.registry.openapi().paths);
  for (const p of ['/appointments/bookings', '/appointments/services/{id}/slots', '/workorders/{id}/appointments', '/customers/import', '/workorders/import', '/workorders/admin/calendars/{id}/ics'])
    t.true(paths.includes(p), p);
  const bg = business.background.find((b) => b.name === 'appointment-reminders');
  t.truthy(bg);
  seedOrg(business.workOrders);
  business.appointments.book.saveService({ id: 'survey', name: '装表勘查', departmentId: 'marketing', calendarId: 'office', slotMinutes: 60, capacity: 1, remindMinutes: 60, noticeMinutes: 0 });
  await bg!.start();
  t.teardown(() => bg!.stop());
  const [slot] = await business.appointments.ivr.offer('survey', 1);
  const booked = await business.appointments.ivr.book({ serviceId: 'survey', start: slot!.start, caller: '13800138000', callId: 'call_9' });
  t.is(booked.outcome, 'booked');
  // Monday 09:00: the 09:30 slot's reminder (60 min ahead) is already due → none; book the 10:30 one too.
  const later = business.appointments.book.nextFree('survey', 1)[0]!;
  const b = business.appointments.book.book({ serviceId: 'survey', start: later.start, contactPhone: '13900139000' }, { id: 'user:agent1', channel: 'agent' });
  await h.clock.advanceAsync(later.start - 60 * 60_000 - h.clock.now(), 15 * 60_000);
  await business.appointments.reminders.settled();
  t.is(business.appointments.book.get(b.id).reminderStatus, 'sent');
  const inbox = business.messages.inbox({ id: 'user:agent1', roles: [], departmentIds: [] });
  t.deepEqual(inbox.map((m) => m.title), ['预约提醒：装表勘查'], 'the in-app reminder reached the booking agent');
});
