/**
 * Events the appointment module publishes on the core bus (core/events.ts, by declaration
 * merging) after each change has committed. Webhook subscribers (integrations/webhooks) see them
 * as `appointment.booking.*`; the reminder scheduler (reminders.ts) re-plans on them.
 */
import type { BookingChannel, BookingStatus, ReminderStatus } from './model.js';

export interface BookingEventPayload {
  bookingId: string;
  serviceId: string;
  departmentId: string;
  /** Slot start and end, ms since the epoch. */
  start: number;
  end: number;
  status: BookingStatus;
  orderId: string | null;
  customerId: string | null;
  channel: BookingChannel;
  actor: string;
  /** The booking's version after the change. */
  version: number;
}

declare module '../core/events.js' {
  interface EventMap {
    'appointment.booking.booked': BookingEventPayload;
    'appointment.booking.cancelled': BookingEventPayload & { reason: string };
    'appointment.booking.rescheduled': BookingEventPayload & { fromStart: number };
    'appointment.booking.completed': BookingEventPayload;
    'appointment.booking.reminded': BookingEventPayload & { reminderStatus: Exclude<ReminderStatus, 'none' | 'pending'>; error: string | null };
  }
}

export const appointmentEventTypes = [
  'appointment.booking.booked',
  'appointment.booking.cancelled',
  'appointment.booking.rescheduled',
  'appointment.booking.completed',
  'appointment.booking.reminded',
] as const;
