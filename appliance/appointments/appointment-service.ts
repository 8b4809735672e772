/**
 * The appointment service (预约服务, issue 8 "Appointments"): what the REST routes, the agent
 * desk and the IVR (through ivr-port.ts) call.
 *
 *   - Services and their slot templates are saved by administrators; slots are computed from
 *     the template and the service's business calendar (slots.ts), with per-slot capacity
 *     overrides.
 *   - `book` takes one place in one slot. Double booking is impossible: the capacity probe and
 *     the insert run in ONE IMMEDIATE transaction (booking-store.ts), so of N parallel
 *     bookings of the last K places exactly K succeed and the others get a ConflictError, also
 *     across connections and processes on the same file.
 *   - `cancel`, `reschedule` and `complete` carry the version the caller saw (stale →
 *     ConflictError) and follow the transition table of model.ts.
 *   - A booking may link a work order (it is then listed on the order) and a customer; every
 *     action is an appointment_events row (who, when, from where); bus events
 *     (appointment-events.ts) go out after the commit, for webhooks and the reminder scheduler.
 *
 * Time comes only from the injected Clock; this module never imports telephony or IVR code.
 */
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { zodIssues } from '../core/config.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import type { Store } from '../store/database.js';
import type { BusinessCalendar } from '../workorders/calendar.js';
import type { WorkOrder } from '../workorders/model.js';
import type { BookingEventPayload } from './appointment-events.js';
import './appointment-events.js';
import { BookingStore, type BookingFilter, type BookingRow, type ServiceRow } from './booking-store.js';
import {
  BookSchema,
  CancelSchema,
  CompleteSchema,
  RescheduleSchema,
  ServiceSchema,
  nextBookingStatus,
  type AppointmentService as ServiceView,
  type BookInput,
  type Booking,
  type BookingActor,
  type BookingEvent,
  type BookingStatus,
  type CancelInput,
  type CompleteInput,
  type RescheduleInput,
  type ServiceInput,
  type Slot,
} from './model.js';
import { slotAt, slotTimes } from './slots.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Longest range one availability query may cover. */
const MAX_RANGE_DAYS = 92;

/** What the appointment module needs from work orders: calendars, departments, orders. */
export interface WorkOrderLookup {
  calendar(id: string): BusinessCalendar;
  department(id: string): unknown;
  get(orderId: string): Pick<WorkOrder, 'id' | 'customerId' | 'contactName' | 'contactPhone' | 'address'>;
}

export interface AppointmentDeps {
  store: Pick<Store, 'sqlite' | 'db'>;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  orders: WorkOrderLookup;
}

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(`invalid ${what}`, zodIssues(r.error));
  return r.data;
}

function serviceOf(r: ServiceRow): ServiceView {
  return {
    id: r.id,
    name: r.name,
    departmentId: r.department_id,
    calendarId: r.calendar_id ?? '',
    slotMinutes: r.slot_minutes,
    capacity: r.capacity,
    periods: r.periods === null ? null : (JSON.parse(r.periods) as Array<[number, number]>),
    horizonDays: r.horizon_days,
    noticeMinutes: r.notice_minutes,
    remindMinutes: r.remind_minutes,
    active: r.active === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function bookingOf(r: BookingRow): Booking {
  return {
    id: r.id,
    serviceId: r.service_id,
    start: r.slot_start,
    end: r.slot_end,
    status: r.status,
    orderId: r.order_id,
    customerId: r.customer_id,
    contactName: r.contact_name,
    contactPhone: r.contact_phone,
    address: r.address,
    note: r.note,
    channel: r.channel,
    bookedBy: r.booked_by,
    remindAt: r.remind_at,
    reminderStatus: r.reminder_status,
    remindedAt: r.reminded_at,
    cancelReason: r.cancel_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    version: r.version,
  };
}

export class AppointmentBook {
  readonly bs: BookingStore;

  constructor(private readonly deps: AppointmentDeps) {
    this.bs = new BookingStore(deps.store);
  }

  // ------------------------------------------------------------------ services

  /** Create or replace a service and its slot template. */
  saveService(input: ServiceInput): ServiceView {
    const s = parse(ServiceSchema, input, 'appointment service');
    const issues = [];
    try {
      this.deps.orders.department(s.departmentId);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      issues.push({ path: 'departmentId', message: `no department ${s.departmentId}` });
    }
    try {
      this.deps.orders.calendar(s.calendarId);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      issues.push({ path: 'calendarId', message: `no business calendar ${s.calendarId}` });
    }
    if (issues.length > 0) throw new ValidationError('invalid appointment service', issues);
    const now = this.deps.clock.now();
    this.bs.upsertService({
      id: s.id,
      name: s.name,
      department_id: s.departmentId,
      calendar_id: s.calendarId,
      slot_minutes: s.slotMinutes,
      capacity: s.capacity,
      periods: s.periods === null ? null : JSON.stringify(s.periods),
      horizon_days: s.horizonDays,
      notice_minutes: s.noticeMinutes,
      remind_minutes: s.remindMinutes,
      active: s.active ? 1 : 0,
      created_at: now,
      updated_at: now,
    });
    return this.service(s.id);
  }

  service(id: string): ServiceView {
    const r = this.bs.getService(id);
    if (!r) throw new NotFoundError('appointment service', id);
    return serviceOf(r);
  }

  services(departmentId?: string): ServiceView[] {
    return this.bs.listServices(departmentId).map(serviceOf);
  }

  /** Change one slot's capacity (0 closes it); null goes back to the template's. */
  setSlotCapacity(serviceId: string, start: number, capacity: number | null): Slot {
    const svc = this.service(serviceId);
    if (!slotAt(svc, this.calendarOf(svc), start))
      throw new ValidationError('no such slot', [{ path: 'start', message: `service ${serviceId} has no slot starting at ${new Date(start).toISOString()}` }]);
    if (capacity !== null && (!Number.isInteger(capacity) || capacity < 0 || capacity > 10_000))
      throw new ValidationError('invalid capacity', [{ path: 'capacity', message: 'capacity is an integer 0–10000' }]);
    this.bs.setCapacity(serviceId, start, capacity);
    return this.slots(serviceId, start, start + 1)[0]!;
  }

  // ------------------------------------------------------------------ availability

  /** Every slot of the service starting in [from, to) with capacity, places taken and free. */
  slots(serviceId: string, from: number, to: number): Slot[] {
    if (to - from > MAX_RANGE_DAYS * DAY)
      throw new ValidationError('range too long', [{ path: 'to', message: `at most ${MAX_RANGE_DAYS} days per query` }]);
    const svc = this.service(serviceId);
    const times = slotTimes(svc, this.calendarOf(svc), from, to);
    if (times.length === 0) return [];
    const caps = this.bs.capacities(serviceId, from, to);
    const taken = this.bs.bookedCounts(serviceId, from, to);
    return times.map((t) => {
      const capacity = caps.get(t.start) ?? svc.capacity;
      const booked = taken.get(t.start) ?? 0;
      return { serviceId, start: t.start, end: t.end, capacity, booked, free: Math.max(0, capacity - booked) };
    });
  }

  /** The first `count` slots with a free place that can still be booked now (IVR, agent desk). */
  nextFree(serviceId: string, count: number, after = this.deps.clock.now()): Slot[] {
    const svc = this.service(serviceId);
    const { earliest, latest } = this.window(svc);
    const out: Slot[] = [];
    for (let from = Math.max(after, earliest); from < latest && out.length < count; from += 7 * DAY) {
      const to = Math.min(from + 7 * DAY, latest);
      for (const s of this.slots(serviceId, from, to)) if (s.free > 0 && out.length < count) out.push(s);
    }
    return out;
  }

  // ------------------------------------------------------------------ bookings

  book(input: BookInput, actor: BookingActor): Booking {
    const b = parse(BookSchema, input, 'booking');
    const svc = this.service(b.serviceId);
    let order: ReturnType<WorkOrderLookup['get']> | null = null;
    if (b.orderId !== undefined) {
      try {
        order = this.deps.orders.get(b.orderId);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        throw new ValidationError('invalid booking', [{ path: 'orderId', message: `no work order ${b.orderId}` }]);
      }
    }
    const contactPhone = b.contactPhone ?? order?.contactPhone ?? null;
    if (contactPhone === null)
      throw new ValidationError('invalid booking', [{ path: 'contactPhone', message: 'required (no work order with a contact phone given)' }]);
    const slot = this.bookableSlot(svc, b.start, 'start');
    const { clock } = this.deps;
    const id = newId('apt', clock);
    let row!: BookingRow;
    this.bs.transaction(() => {
      this.assertPlace(svc, slot.start, null);
      if (order) {
        const dup = this.bs.listBookings({ orderId: order.id, serviceId: svc.id, status: 'booked', limit: 1 })[0];
        if (dup) throw new AlreadyBookedError(`work order ${order.id} already has booking ${dup.id} for ${svc.name}; reschedule it instead`);
      }
      if (this.bs.listBookings({ serviceId: svc.id, contactPhone, status: 'booked', from: slot.start, to: slot.start + 1, limit: 1 }).length > 0)
        throw new AlreadyBookedError(`${contactPhone} already has a place in this slot`);
      const now = clock.now();
      const remindAt = this.remindAt(svc, slot.start, now);
      row = {
        id,
        service_id: svc.id,
        slot_start: slot.start,
        slot_end: slot.end,
        status: 'booked',
        order_id: order?.id ?? null,
        customer_id: b.customerId ?? order?.customerId ?? null,
        contact_name: b.contactName ?? order?.contactName ?? null,
        contact_phone: contactPhone,
        address: b.address ?? order?.address ?? null,
        note: b.note,
        channel: actor.channel,
        booked_by: actor.id,
        remind_at: remindAt,
        reminder_status: remindAt === null ? 'none' : 'pending',
        reminded_at: null,
        reminder_error: null,
        cancel_reason: null,
        created_at: now,
        updated_at: now,
        version: 1,
      };
      this.bs.insertBooking(row);
      this.event(row.id, actor, 'book', null, slot.start, b.note || null, now);
    });
    const booking = bookingOf(row);
    this.deps.bus.publish('appointment.booking.booked', this.payload(booking, svc, actor));
    return booking;
  }

  cancel(id: string, input: CancelInput, actor: BookingActor): Booking {
    const c = parse(CancelSchema, input, 'cancellation');
    const { booking, svc } = this.change(id, c.version, (row, now) => {
      const status = nextBookingStatus('cancel', row.status);
      this.event(id, actor, 'cancel', row.slot_start, null, c.reason, now);
      return { status, cancel_reason: c.reason, reminder_status: row.reminder_status === 'pending' ? 'none' : row.reminder_status };
    });
    this.deps.bus.publish('appointment.booking.cancelled', { ...this.payload(booking, svc, actor), reason: c.reason });
    return booking;
  }

  reschedule(id: string, input: RescheduleInput, actor: BookingActor): Booking {
    const r = parse(RescheduleSchema, input, 'reschedule');
    const current = this.get(id);
    const svc = this.service(current.serviceId);
    const slot = this.bookableSlot(svc, r.start, 'start');
    if (slot.start === current.start) throw new ValidationError('same slot', [{ path: 'start', message: 'the booking is already in this slot' }]);
    const { booking } = this.change(id, r.version, (row, now) => {
      const status = nextBookingStatus('reschedule', row.status);
      this.assertPlace(svc, slot.start, row.id);
      this.event(id, actor, 'reschedule', row.slot_start, slot.start, r.note ?? null, now);
      const remindAt = this.remindAt(svc, slot.start, now);
      return { status, slot_start: slot.start, slot_end: slot.end, remind_at: remindAt, reminder_status: remindAt === null ? 'none' : 'pending', reminded_at: null, reminder_error: null };
    });
    this.deps.bus.publish('appointment.booking.rescheduled', { ...this.payload(booking, svc, actor), fromStart: current.start });
    return booking;
  }

  /** The visit took place (`done`) or the customer was not there (`no-show`). */
  complete(id: string, input: CompleteInput, actor: BookingActor): Booking {
    const c = parse(CompleteSchema, input, 'completion');
    const { booking, svc } = this.change(id, c.version, (row, now) => {
      const status = nextBookingStatus(c.outcome === 'done' ? 'complete' : 'no-show', row.status);
      this.event(id, actor, c.outcome === 'done' ? 'complete' : 'no-show', row.slot_start, null, c.note ?? null, now);
      return { status, reminder_status: row.reminder_status === 'pending' ? 'none' : row.reminder_status };
    });
    this.deps.bus.publish('appointment.booking.completed', this.payload(booking, svc, actor));
    return booking;
  }

  get(id: string): Booking {
    const r = this.bs.getBooking(id);
    if (!r) throw new NotFoundError('appointment booking', id);
    return bookingOf(r);
  }

  list(filter: BookingFilter = {}): Booking[] {
    return this.bs.listBookings(filter).map(bookingOf);
  }

  /** Bookings of a work order, in slot order (what the order shows). */
  forOrder(orderId: string): Booking[] {
    return this.bs.listBookings({ orderId, limit: 100 }).map(bookingOf);
  }

  history(id: string): BookingEvent[] {
    this.get(id);
    return this.bs.events(id).map((e) => ({
      id: e.id,
      bookingId: e.booking_id,
      at: e.at,
      actor: e.actor,
      actorIp: e.actor_ip,
      channel: e.channel,
      action: e.action,
      fromStart: e.from_start,
      toStart: e.to_start,
      note: e.note,
    }));
  }

  /** The event payload of a booking (also used by the reminder scheduler). */
  payload(b: Booking, svc: Pick<ServiceView, 'departmentId'>, actor: Pick<BookingActor, 'id'>): BookingEventPayload {
    return {
      bookingId: b.id,
      serviceId: b.serviceId,
      departmentId: svc.departmentId,
      start: b.start,
      end: b.end,
      status: b.status,
      orderId: b.orderId,
      customerId: b.customerId,
      channel: b.channel,
      actor: actor.id,
      version: b.version,
    };
  }

  /** Record a reminder row event (reminders.ts), outside any person's version. */
  recordReminderEvent(bookingId: string, note: string): void {
    this.event(bookingId, { id: 'system:reminders', channel: 'api' }, 'remind', null, null, note, this.deps.clock.now());
  }

  // ------------------------------------------------------------------ internals

  calendarOf(svc: Pick<ServiceView, 'calendarId'>): BusinessCalendar {
    return this.deps.orders.calendar(svc.calendarId);
  }

  private window(svc: ServiceView): { earliest: number; latest: number } {
    const now = this.deps.clock.now();
    return { earliest: now + svc.noticeMinutes * MINUTE, latest: now + svc.horizonDays * DAY };
  }

  /** The slot starting at `start`, checked against the template, the notice and the horizon. */
  private bookableSlot(svc: ServiceView, start: number, path: string): { start: number; end: number } {
    if (!svc.active) throw new ValidationError('inactive service', [{ path: 'serviceId', message: `service ${svc.id} is not taking bookings` }]);
    const slot = slotAt(svc, this.calendarOf(svc), start);
    if (!slot) throw new ValidationError('no such slot', [{ path, message: `service ${svc.id} has no slot starting at ${new Date(start).toISOString()}` }]);
    const { earliest, latest } = this.window(svc);
    if (start < earliest) throw new ValidationError('too late to book', [{ path, message: `slots need ${svc.noticeMinutes} minutes notice` }]);
    if (start >= latest) throw new ValidationError('too far ahead', [{ path, message: `slots can be booked at most ${svc.horizonDays} days ahead` }]);
    return slot;
  }

  /** Inside the booking transaction: is there a free place in the slot (not counting `except`)? */
  private assertPlace(svc: ServiceView, start: number, except: string | null): void {
    const capacity = this.bs.capacities(svc.id, start, start + 1).get(start) ?? svc.capacity;
    let taken = this.bs.bookedCounts(svc.id, start, start + 1).get(start) ?? 0;
    if (except !== null && this.bs.getBooking(except)?.slot_start === start) taken--;
    if (taken >= capacity) throw new SlotFullError(`the ${svc.name} slot at ${new Date(start).toISOString()} is full (${taken} of ${capacity} places taken)`);
  }

  private remindAt(svc: ServiceView, start: number, now: number): number | null {
    if (svc.remindMinutes === null) return null;
    const at = start - svc.remindMinutes * MINUTE;
    return at > now ? at : null;
  }

  private event(bookingId: string, actor: Pick<BookingActor, 'id' | 'ip' | 'channel'>, action: BookingEvent['action'], fromStart: number | null, toStart: number | null, note: string | null, at: number): void {
    this.bs.insertEvent({ booking_id: bookingId, at, actor: actor.id, actor_ip: actor.ip ?? null, channel: actor.channel, action, from_start: fromStart, to_start: toStart, note });
  }

  /** A versioned change in one transaction: re-read, check the version, apply, bump. */
  private change(
    id: string,
    version: number,
    apply: (row: BookingRow, now: number) => Partial<Omit<BookingRow, 'id' | 'version'>> & { status: BookingStatus },
  ): { booking: Booking; svc: ServiceView } {
    let after!: BookingRow;
    let svc!: ServiceView;
    this.bs.transaction(() => {
      const row = this.bs.getBooking(id);
      if (!row) throw new NotFoundError('appointment booking', id);
      if (row.version !== version) throw new ConflictError(`booking ${id} has changed (version ${row.version}, you saw ${version}); reload it`);
      svc = this.service(row.service_id);
      const now = this.deps.clock.now();
      const patch = { ...apply(row, now), updated_at: now };
      if (this.bs.updateVersioned(id, version, patch) !== 1) throw new ConflictError(`booking ${id} has changed; reload it`);
      after = { ...row, ...patch, version: version + 1 };
    });
    return { booking: bookingOf(after), svc };
  }
}

/** The slot has no free place (409): the caller should pick another slot. */
export class SlotFullError extends ConflictError {}

/** The order (or the phone, in this slot) already holds a booking of the service (409): reschedule it instead. */
export class AlreadyBookedError extends ConflictError {}
