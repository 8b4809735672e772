import test from 'ava';
import { MessageService } from '../messages/message-service.js';
import { ReminderScheduler, localTimeText, type ReminderChannel, type ReminderMessage } from './reminders.js';
import { inAppReminders } from './reminder-channels.js';
import { agent, cst, ivr, openAppointmentRig } from './testing/rig.js';

const HOUR = 3_600_000;

function recorder(fail = false): ReminderChannel & { sent: ReminderMessage[] } {
  const sent: ReminderMessage[] = [];
  return { name: 'sms', sent, send: async (m) => (sent.push(m), fail ? { ok: false, error: 'gateway 503' } : { ok: true, ref: `sms-${sent.length}` }) };
}

test('reminders go out at the lead time on the manual clock, through every channel, once', async (t) => {
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const messages = new MessageService({ store: rig.store, clock: rig.clock, bus: rig.bus, log: rig.svc['deps'].log });
  const sms = recorder();
  const sched = new ReminderScheduler({ book: rig.book, clock: rig.clock, bus: rig.bus, log: rig.svc['deps'].log, channels: [sms, inAppReminders(messages)] });
  sched.start();
  t.teardown(() => sched.stop());
  // Tuesday 14:30 survey (24 h lead → Monday 14:30) and Monday 13:30 meter check (2 h lead → 11:30).
  const survey = rig.book.book({ serviceId: 'survey', start: cst(6, 14, 30), contactPhone: '13800138000' }, agent);
  const check = rig.book.book({ serviceId: 'meter-check', start: cst(5, 11, 30), contactPhone: '13900139000' }, ivr);
  await sched.settled();
  t.is(sms.sent.length, 0, 'nothing due yet');

  await rig.clock.advanceAsync(30 * 60_000 - 1); // 09:29:59.999
  await sched.settled();
  t.is(sms.sent.length, 0, 'one millisecond early');
  await rig.clock.advanceAsync(1); // 09:30 = 11:30 − 2 h
  await sched.settled();
  t.deepEqual(sms.sent.map((m) => m.booking.id), [check.id]);
  t.regex(sms.sent[0]!.text, /表计校验时间为 2026-01-05 11:30–12:00/);
  t.like(rig.book.get(check.id), { reminderStatus: 'sent', remindedAt: cst(5, 9, 30) });
  const dept = messages.inbox({ id: 'user:mt', roles: [], departmentIds: ['metering'] });
  t.deepEqual(dept.map((m) => m.title), ['预约提醒：表计校验'], 'an IVR booking reminds the department in-app');

  await rig.clock.advanceAsync(5 * HOUR, 15 * 60_000); // to 14:30
  await sched.settled();
  t.deepEqual(sms.sent.map((m) => m.booking.id), [check.id, survey.id]);
  t.is(messages.inbox({ id: 'user:agent1', roles: [], departmentIds: [] }).length, 1, 'the agent who booked gets the survey reminder');
  await rig.clock.advanceAsync(48 * HOUR, HOUR);
  await sched.settled();
  t.is(sms.sent.length, 2, 'each reminder once');
  const reminded = rig.events.filter((e) => e.type === 'appointment.booking.reminded').map((e) => e.payload as { bookingId: string; reminderStatus: string });
  t.deepEqual(reminded.map((p) => [p.bookingId, p.reminderStatus]), [[check.id, 'sent'], [survey.id, 'sent']]);
  t.deepEqual(rig.book.history(check.id).map((e) => e.action), ['book', 'remind']);
});

test('a rescheduled booking is reminded at its new time, a cancelled one never; a failing channel is recorded', async (t) => {
  const rig = openAppointmentRig();
  t.teardown(() => rig.close());
  const sms = recorder(true);
  const sched = new ReminderScheduler({ book: rig.book, clock: rig.clock, bus: rig.bus, log: rig.svc['deps'].log, channels: [sms] });
  sched.start();
  t.teardown(() => sched.stop());
  const a = rig.book.book({ serviceId: 'meter-check', start: cst(5, 11, 30), contactPhone: '13800000001' }, agent);
  const b = rig.book.book({ serviceId: 'meter-check', start: cst(5, 11, 0), contactPhone: '13800000002' }, agent);
  rig.book.reschedule(a.id, { version: 1, start: cst(6, 11, 30) }, agent);
  rig.book.cancel(b.id, { version: 1, reason: '客户取消' }, agent);
  await rig.clock.advanceAsync(6 * HOUR, 30 * 60_000);
  await sched.settled();
  t.is(sms.sent.length, 0, 'the old time passed silently; the cancelled booking never reminded');
  await rig.clock.advanceAsync(20 * HOUR, 30 * 60_000); // Tuesday 11:00 → past 09:30
  await sched.settled();
  t.deepEqual(sms.sent.map((m) => m.booking.id), [a.id]);
  t.like(rig.book.get(a.id), { reminderStatus: 'failed', remindedAt: cst(6, 9, 30) });
  t.is(rig.book.bs.getBooking(a.id)?.reminder_error, 'sms: gateway 503');
});

test('localTimeText renders the local wall time', (t) => {
  t.is(localTimeText(cst(8, 9, 5), 480), '2026-01-08 09:05');
});
