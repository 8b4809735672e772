/**
 * Wiring of appointments (预约服务, appliance/appointments) beside wire-business.ts: the
 * appointment book on the work-order calendars, departments and orders; its REST routes; the
 * IVR port the flows can be given; and the reminder scheduler on the Clock, which reminds the
 * booker in-app (messages) and the customer by SMS when an SMS gateway is configured.
 */
import type { RouteRegistry } from '../api/registry.js';
import { AppointmentBook } from '../appointments/appointment-service.js';
import { registerAppointmentRoutes } from '../appointments/appointment-routes.js';
import { appointmentIvrPort, type AppointmentIvrPort } from '../appointments/ivr-port.js';
import { inAppReminders, senderReminders } from '../appointments/reminder-channels.js';
import { ReminderScheduler } from '../appointments/reminders.js';
import type { Clock } from '../core/clock.js';
import { NotFoundError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { ArticleSender } from '../knowledge/sending.js';
import type { MessageService } from '../messages/message-service.js';
import type { AuditLog } from '../ops/audit.js';
import type { Store } from '../store/database.js';
import type { WorkOrderService } from '../workorders/workorder-service.js';
import type { BackgroundService } from './wire-business.js';

export interface AppointmentServices {
  book: AppointmentBook;
  /** For IVR flows that offer and book appointments (pass it in the IVR deps). */
  ivr: AppointmentIvrPort;
  reminders: ReminderScheduler;
  background: BackgroundService[];
}

export function wireAppointments(d: {
  store: Store;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  registry: RouteRegistry;
  audit: AuditLog;
  workOrders: WorkOrderService;
  messages: MessageService;
  /** Article senders; the SMS one (if any) also sends customer reminders. */
  senders?: readonly ArticleSender[];
}): AppointmentServices {
  const log = d.log.child({ mod: 'appointments' });
  const book = new AppointmentBook({ store: d.store, clock: d.clock, bus: d.bus, log, orders: d.workOrders });
  registerAppointmentRoutes(d.registry, book, d.audit);
  const orderIdByNumber = (n: string): string | null => {
    try {
      return d.workOrders.getByNumber(n).id;
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  };
  const ivr = appointmentIvrPort({ book, clock: d.clock, orderIdByNumber });
  const channels = [inAppReminders(d.messages), ...(d.senders ?? []).filter((s) => s.channel === 'sms').map(senderReminders)];
  const reminders = new ReminderScheduler({ book, clock: d.clock, bus: d.bus, log: log.child({ mod: 'appointment-reminders' }), channels });
  return { book, ivr, reminders, background: [{ name: 'appointment-reminders', start: () => reminders.start(), stop: () => reminders.stop() }] };
}
