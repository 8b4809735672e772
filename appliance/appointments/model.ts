/**
 * The appointment (预约服务) vocabulary of issue 8 "Appointments: bookable time slots per
 * department and service (e.g. installation survey, meter check), booked by an agent or from the
 * IVR, shown on the work order, with reminders". A service (装表勘查, 表计校验 …) belongs to a
 * department and has a slot template on a business calendar (workorders/calendar.ts): slot length,
 * capacity per slot, optional daily periods. A booking takes one place in one slot.
 *
 * Enums are `as const` arrays stored as TEXT with a CHECK in
 * store/migrations/0023-appointments.ts; the lists must stay equal. Booking status changes are
 * a transition table (BookingTransitions), as STYLE.md asks of every state machine.
 */
import { z } from 'zod';
import { InvalidTransitionError } from '../core/errors.js';
import { PeriodsSchema } from '../workorders/calendar.js';

export const BookingStatuses = ['booked', 'cancelled', 'done', 'no-show'] as const;
export type BookingStatus = (typeof BookingStatuses)[number];

export const ReminderStatuses = ['none', 'pending', 'sent', 'failed'] as const;
export type ReminderStatus = (typeof ReminderStatuses)[number];

/** Who booked: an agent at the desk, the IVR self-service, an integration over the API. */
export const BookingChannels = ['agent', 'ivr', 'api'] as const;
export type BookingChannel = (typeof BookingChannels)[number];

export const BookingActions = ['book', 'cancel', 'reschedule', 'remind', 'complete', 'no-show'] as const;
export type BookingAction = (typeof BookingActions)[number];

/** Booking state machine: action → (from → to). A missing entry is an invalid transition. */
export const BookingTransitions: Readonly<Record<Exclude<BookingAction, 'book' | 'remind'>, Partial<Record<BookingStatus, BookingStatus>>>> = {
  cancel: { booked: 'cancelled' },
  reschedule: { booked: 'booked' },
  complete: { booked: 'done' },
  'no-show': { booked: 'no-show' },
};

export function nextBookingStatus(action: keyof typeof BookingTransitions, from: BookingStatus): BookingStatus {
  const to = BookingTransitions[action][from];
  if (!to) throw new InvalidTransitionError('appointment booking', from, action);
  return to;
}

const Id = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'id must be lower-case letters, digits or -');
const Instant = z.number().int().min(0).max(253_402_300_799_999);

/** A bookable service and its slot template. */
export const ServiceSchema = z.strictObject({
  id: Id,
  name: z.string().trim().min(1).max(100),
  departmentId: z.string().min(1).max(64),
  /** The business calendar whose working days carry slots (holidays none, 调休 workdays yes). */
  calendarId: z.string().min(1).max(64),
  slotMinutes: z.number().int().min(5).max(1440),
  /** Places per slot (a per-slot override can change one slot). */
  capacity: z.number().int().min(0).max(10_000),
  /** Daily periods [startMinute, endMinute) cut into slots; null: the calendar's own working periods. */
  periods: PeriodsSchema.nullable().default(null),
  /** How far ahead a slot can be booked. */
  horizonDays: z.number().int().min(1).max(366).default(30),
  /** Minimum notice: slots starting sooner than this cannot be booked. */
  noticeMinutes: z.number().int().min(0).max(60 * 24 * 30).default(60),
  /** Reminder lead time before the slot; null sends none. */
  remindMinutes: z.number().int().min(1).max(60 * 24 * 14).nullable().default(1440),
  active: z.boolean().default(true),
});
export type ServiceInput = z.input<typeof ServiceSchema>;
export type ServiceDefinition = z.output<typeof ServiceSchema>;

export interface AppointmentService extends ServiceDefinition {
  createdAt: number;
  updatedAt: number;
}

export interface Slot {
  serviceId: string;
  start: number;
  end: number;
  capacity: number;
  booked: number;
  free: number;
}

const Phone = z.string().trim().regex(/^\+?[0-9][0-9 -]{2,38}$/, 'a phone number of digits');

export const BookSchema = z.strictObject({
  serviceId: z.string().min(1).max(64),
  start: Instant.describe('Slot start, ms since the epoch (one of the service slots)'),
  orderId: z.string().min(1).max(64).optional(),
  customerId: z.string().min(1).max(64).optional(),
  contactName: z.string().trim().max(100).optional(),
  /** Default: the work order's contact phone. */
  contactPhone: Phone.optional(),
  address: z.string().trim().max(500).optional(),
  note: z.string().max(2000).default(''),
});
export type BookInput = z.input<typeof BookSchema>;

export const CancelSchema = z.strictObject({
  version: z.number().int().positive(),
  reason: z.string().trim().min(1, 'a reason is required').max(2000),
});
export type CancelInput = z.input<typeof CancelSchema>;

export const RescheduleSchema = z.strictObject({
  version: z.number().int().positive(),
  start: Instant,
  note: z.string().trim().max(2000).optional(),
});
export type RescheduleInput = z.input<typeof RescheduleSchema>;

export const CompleteSchema = z.strictObject({
  version: z.number().int().positive(),
  outcome: z.enum(['done', 'no-show']),
  note: z.string().trim().max(2000).optional(),
});
export type CompleteInput = z.input<typeof CompleteSchema>;

export interface Booking {
  id: string;
  serviceId: string;
  start: number;
  end: number;
  status: BookingStatus;
  orderId: string | null;
  customerId: string | null;
  contactName: string | null;
  contactPhone: string;
  address: string | null;
  note: string;
  channel: BookingChannel;
  bookedBy: string;
  remindAt: number | null;
  reminderStatus: ReminderStatus;
  remindedAt: number | null;
  cancelReason: string | null;
  createdAt: number;
  updatedAt: number;
  version: number;
}

export interface BookingEvent {
  id: number;
  bookingId: string;
  at: number;
  actor: string;
  actorIp: string | null;
  channel: string;
  action: BookingAction;
  fromStart: number | null;
  toStart: number | null;
  note: string | null;
}

/** Who acts on a booking (recorded on every event row). */
export interface BookingActor {
  id: string;
  ip?: string | null;
  channel: BookingChannel;
}
