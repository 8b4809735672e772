/**
 * The ways an appointment reminder (reminders.ts) travels, as ReminderChannel adapters over
 * what the appliance already has:
 *   - in-app: a message (messages/message-service.ts) to the person who booked, or to the
 *     service's department when the IVR or an integration booked, opening the work order;
 *   - SMS / e-mail / fax: any knowledge ArticleSender (knowledge/sending.ts: the SMS gateway,
 *     SMTP, the fax outbox) addressed to the booking's contact phone.
 */
import type { ArticleSender } from '../knowledge/sending.js';
import type { MessageService } from '../messages/message-service.js';
import type { ReminderChannel } from './reminders.js';

export function inAppReminders(messages: Pick<MessageService, 'send'>): ReminderChannel {
  return {
    name: 'in-app',
    send: async (m) => {
      const b = m.booking;
      const to = b.bookedBy.startsWith('user:') ? { kind: 'user' as const, id: b.bookedBy } : { kind: 'department' as const, id: m.service.departmentId };
      const sent = messages.send(
        { to, kind: 'note', priority: 'normal', title: m.title, body: `${m.text}（联系电话 ${b.contactPhone}）`, orderId: b.orderId },
        'system:appointments',
      );
      return { ok: true, ref: sent.id };
    },
  };
}

export function senderReminders(sender: ArticleSender): ReminderChannel {
  return {
    name: sender.channel,
    send: async (m) => {
      const r = sender.recipient(m.booking.contactPhone);
      if (!r.ok) return { ok: false, error: r.problem };
      const out = await sender.send({ deliveryId: `${m.booking.id}-reminder`, articleId: `appointment:${m.booking.serviceId}`, version: m.booking.version, title: m.title, body: m.text, to: r.to });
      return out.status === 'failed' ? { ok: false, error: out.error } : { ok: true, ref: out.providerRef };
    },
  };
}
