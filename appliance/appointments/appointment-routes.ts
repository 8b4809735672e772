/**
 * `/appointments/*` and `/workorders/:id/appointments`: the REST face of the appointment book
 * (appointment-service.ts, 预约服务 of issue 8) on the API route registry. Reading needs
 * `appointments:read`, booking and changing bookings `appointments:write`, saving services and
 * slot capacities `admin:workorders` (with departments and calendars). Cancel, reschedule and
 * complete carry the `version` the caller saw (stale → 409); a full slot is 409 CONFLICT with
 * the places taken. Times are RFC 3339; every change is in the audit log.
 *
 *   GET  /appointments/services                      services (by department)
 *   PUT  /appointments/services/:id                  create or replace a service and its slot template
 *   GET  /appointments/services/:id/slots            slots with capacity / booked / free
 *   PUT  /appointments/services/:id/capacity         one slot's capacity (0 closes it; null resets)
 *   POST /appointments/bookings                      book a place (201)
 *   GET  /appointments/bookings                      list (service, order, customer, phone, status, range)
 *   GET  /appointments/bookings/:id                  one booking with its history
 *   POST /appointments/bookings/:id/cancel|reschedule|complete
 *   GET  /workorders/:id/appointments                the bookings shown on a work order
 */
import { z } from 'zod';
import { queryBool, queryInt, type RouteContext, type RouteRegistry } from '../api/registry.js';
import { PeriodsSchema } from '../workorders/calendar.js';
import type { RoutesAudit } from '../workorders/workorder-routes.js';
import type { AppointmentBook } from './appointment-service.js';
import { BookingActions, BookingChannels, BookingStatuses, ReminderStatuses, type AppointmentService, type Booking, type BookingActor, type BookingEvent, type Slot } from './model.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
const Id = z.strictObject({ id: z.string().min(1).max(64) });

export const ServiceOutSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  departmentId: z.string(),
  calendarId: z.string(),
  slotMinutes: z.number().int(),
  capacity: z.number().int(),
  periods: z.array(z.tuple([z.number().int(), z.number().int()])).nullable(),
  horizonDays: z.number().int(),
  noticeMinutes: z.number().int(),
  remindMinutes: z.number().int().nullable(),
  active: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const SlotOutSchema = z.strictObject({ start: z.iso.datetime(), end: z.iso.datetime(), capacity: z.number().int(), booked: z.number().int(), free: z.number().int() });

export const BookingOutSchema = z.strictObject({
  id: z.string(),
  serviceId: z.string(),
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  status: z.enum(BookingStatuses),
  orderId: z.string().nullable(),
  customerId: z.string().nullable(),
  contactName: z.string().nullable(),
  contactPhone: z.string(),
  address: z.string().nullable(),
  note: z.string(),
  channel: z.enum(BookingChannels),
  bookedBy: z.string(),
  remindAt: z.iso.datetime().nullable(),
  reminderStatus: z.enum(ReminderStatuses),
  remindedAt: z.iso.datetime().nullable(),
  cancelReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  version: z.number().int().describe('Send it back with cancel / reschedule / complete; a stale version is 409'),
});

const EventOutSchema = z.strictObject({
  at: z.iso.datetime(),
  actor: z.string(),
  actorIp: z.string().nullable(),
  channel: z.string(),
  action: z.enum(BookingActions),
  fromStart: z.iso.datetime().nullable(),
  toStart: z.iso.datetime().nullable(),
  note: z.string().nullable(),
});

const serviceOut = (s: AppointmentService): z.input<typeof ServiceOutSchema> => ({ ...s, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) });
const slotOut = (s: Slot): z.input<typeof SlotOutSchema> => ({ start: iso(s.start), end: iso(s.end), capacity: s.capacity, booked: s.booked, free: s.free });
export const bookingOut = (b: Booking): z.input<typeof BookingOutSchema> => ({
  ...b,
  start: iso(b.start),
  end: iso(b.end),
  remindAt: isoOrNull(b.remindAt),
  remindedAt: isoOrNull(b.remindedAt),
  createdAt: iso(b.createdAt),
  updatedAt: iso(b.updatedAt),
});
const eventOut = (e: BookingEvent): z.input<typeof EventOutSchema> => ({
  at: iso(e.at),
  actor: e.actor,
  actorIp: e.actorIp,
  channel: e.channel,
  action: e.action,
  fromStart: isoOrNull(e.fromStart),
  toStart: isoOrNull(e.toStart),
  note: e.note,
});

/** A panel session books as the agent at the desk; an API key as an integration. */
function bookingActor(ctx: Pick<RouteContext, 'actor' | 'key'>): BookingActor {
  return { id: ctx.actor.actor, ip: ctx.actor.ip, channel: ctx.key?.session ? 'agent' : 'api' };
}

export function registerAppointmentRoutes(registry: RouteRegistry, book: AppointmentBook, audit: RoutesAudit): void {
  const tags = ['appointments'];
  const record = (actor: { actor: string; ip: string | null }, action: string, target: string, after: Record<string, unknown>): Promise<unknown> =>
    audit.record({ actor: actor.actor, ip: actor.ip, action, target, after });

  registry.route({
    method: 'get',
    path: '/appointments/services',
    summary: 'Bookable appointment services (装表勘查, 表计校验 …) with their slot templates',
    tags,
    scope: 'appointments:read',
    query: z.strictObject({ department: z.string().min(1).max(64).optional() }),
    response: { description: 'Services', schema: z.strictObject({ items: z.array(ServiceOutSchema) }) },
    handler: ({ query }) => ({ items: book.services(query.department).map(serviceOut) }),
  });

  registry.route({
    method: 'put',
    path: '/appointments/services/:id',
    summary: 'Create or replace an appointment service and its slot template',
    description: 'Slots are cut from `periods` (minutes of the local day) or, when null, from the business calendar periods of each working day; holidays have none, make-up workdays (调休) do.',
    tags,
    scope: 'admin:workorders',
    params: Id,
    body: z.strictObject({
      name: z.string().trim().min(1).max(100),
      departmentId: z.string().min(1).max(64),
      calendarId: z.string().min(1).max(64),
      slotMinutes: z.number().int().min(5).max(1440),
      capacity: z.number().int().min(0).max(10_000),
      periods: PeriodsSchema.nullable().optional(),
      horizonDays: z.number().int().min(1).max(366).optional(),
      noticeMinutes: z.number().int().min(0).max(43_200).optional(),
      remindMinutes: z.number().int().min(1).max(20_160).nullable().optional(),
      active: z.boolean().optional(),
    }),
    errors: ['VALIDATION'],
    response: { description: 'The service', schema: ServiceOutSchema },
    handler: async ({ params, body, actor }) => {
      const input = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as typeof body;
      const s = book.saveService({ ...input, id: params.id });
      await record(actor, 'appointment.service.saved', s.id, { ...input });
      return serviceOut(s);
    },
  });

  registry.route({
    method: 'get',
    path: '/appointments/services/:id/slots',
    summary: 'Slots of a service in a range with capacity, places booked and free',
    tags,
    scope: 'appointments:read',
    params: Id,
    query: z.strictObject({ from: z.iso.datetime(), to: z.iso.datetime(), freeOnly: queryBool().optional() }),
    errors: ['NOT_FOUND', 'VALIDATION'],
    response: { description: 'Slots, earliest first', schema: z.strictObject({ items: z.array(SlotOutSchema) }) },
    handler: ({ params, query }) => ({
      items: book
        .slots(params.id, Date.parse(query.from), Date.parse(query.to))
        .filter((s) => !query.freeOnly || s.free > 0)
        .map(slotOut),
    }),
  });

  registry.route({
    method: 'put',
    path: '/appointments/services/:id/capacity',
    summary: "Change one slot's capacity (0 closes it, null returns to the template's)",
    tags,
    scope: 'admin:workorders',
    params: Id,
    body: z.strictObject({ start: z.iso.datetime(), capacity: z.number().int().min(0).max(10_000).nullable() }),
    errors: ['NOT_FOUND', 'VALIDATION'],
    response: { description: 'The slot', schema: SlotOutSchema },
    handler: async ({ params, body, actor }) => {
      const s = book.setSlotCapacity(params.id, Date.parse(body.start), body.capacity);
      await record(actor, 'appointment.capacity.set', params.id, { start: body.start, capacity: body.capacity });
      return slotOut(s);
    },
  });

  registry.route({
    method: 'post',
    path: '/appointments/bookings',
    summary: 'Book a place in a slot (409 when the slot is full or the order already has a booking of the service)',
    tags,
    scope: 'appointments:write',
    body: z.strictObject({
      serviceId: z.string().min(1).max(64),
      start: z.iso.datetime().describe('The slot start, as listed by /slots'),
      orderId: z.string().min(1).max(64).optional(),
      customerId: z.string().min(1).max(64).optional(),
      contactName: z.string().trim().max(100).optional(),
      contactPhone: z.string().trim().max(40).optional().describe("Default: the work order's contact phone"),
      address: z.string().trim().max(500).optional(),
      note: z.string().max(2000).optional(),
    }),
    errors: ['VALIDATION', 'NOT_FOUND', 'CONFLICT'],
    response: { status: 201, description: 'The booking', schema: BookingOutSchema },
    handler: async ({ body, actor, key, res }) => {
      const input = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as typeof body;
      const b = book.book({ ...input, start: Date.parse(body.start) }, bookingActor({ actor, key }));
      await record(actor, 'appointment.booking.booked', b.id, { serviceId: b.serviceId, start: body.start, orderId: b.orderId });
      res.setHeader('Location', `${res.req.baseUrl}/appointments/bookings/${b.id}`);
      return bookingOut(b);
    },
  });

  registry.route({
    method: 'get',
    path: '/appointments/bookings',
    summary: 'Bookings by service, work order, customer, phone, status and slot range',
    tags,
    scope: 'appointments:read',
    query: z.strictObject({
      serviceId: z.string().min(1).max(64).optional(),
      orderId: z.string().min(1).max(64).optional(),
      customerId: z.string().min(1).max(64).optional(),
      phone: z.string().min(1).max(40).optional(),
      status: z.enum(BookingStatuses).optional(),
      from: z.iso.datetime().optional(),
      to: z.iso.datetime().optional(),
      limit: queryInt(1, 500).optional(),
    }),
    response: { description: 'Bookings in slot order', schema: z.strictObject({ items: z.array(BookingOutSchema) }) },
    handler: ({ query }) => ({
      items: book
        .list({
          ...(query.serviceId && { serviceId: query.serviceId }),
          ...(query.orderId && { orderId: query.orderId }),
          ...(query.customerId && { customerId: query.customerId }),
          ...(query.phone && { contactPhone: query.phone }),
          ...(query.status && { status: query.status }),
          ...(query.from && { from: Date.parse(query.from) }),
          ...(query.to && { to: Date.parse(query.to) }),
          ...(query.limit !== undefined && { limit: query.limit }),
        })
        .map(bookingOut),
    }),
  });

  registry.route({
    method: 'get',
    path: '/appointments/bookings/:id',
    summary: 'One booking with every action taken on it',
    tags,
    scope: 'appointments:read',
    params: Id,
    errors: ['NOT_FOUND'],
    response: { description: 'The booking', schema: z.strictObject({ booking: BookingOutSchema, history: z.array(EventOutSchema) }) },
    handler: ({ params }) => ({ booking: bookingOut(book.get(params.id)), history: book.history(params.id).map(eventOut) }),
  });

  registry.route({
    method: 'post',
    path: '/appointments/bookings/:id/cancel',
    summary: 'Cancel a booking (frees the place)',
    tags,
    scope: 'appointments:write',
    params: Id,
    body: z.strictObject({ version: z.number().int().positive(), reason: z.string().trim().min(1).max(2000) }),
    errors: ['NOT_FOUND', 'CONFLICT', 'INVALID_TRANSITION', 'VALIDATION'],
    response: { description: 'The booking', schema: BookingOutSchema },
    handler: async ({ params, body, actor, key }) => {
      const b = book.cancel(params.id, body, bookingActor({ actor, key }));
      await record(actor, 'appointment.booking.cancelled', b.id, { reason: body.reason, version: b.version });
      return bookingOut(b);
    },
  });

  registry.route({
    method: 'post',
    path: '/appointments/bookings/:id/reschedule',
    summary: 'Move a booking to another slot of its service (409 when that slot is full)',
    tags,
    scope: 'appointments:write',
    params: Id,
    body: z.strictObject({ version: z.number().int().positive(), start: z.iso.datetime(), note: z.string().trim().max(2000).optional() }),
    errors: ['NOT_FOUND', 'CONFLICT', 'INVALID_TRANSITION', 'VALIDATION'],
    response: { description: 'The booking', schema: BookingOutSchema },
    handler: async ({ params, body, actor, key }) => {
      const b = book.reschedule(params.id, { version: body.version, start: Date.parse(body.start), ...(body.note !== undefined && { note: body.note }) }, bookingActor({ actor, key }));
      await record(actor, 'appointment.booking.rescheduled', b.id, { start: body.start, version: b.version });
      return bookingOut(b);
    },
  });

  registry.route({
    method: 'post',
    path: '/appointments/bookings/:id/complete',
    summary: 'Record that the appointment took place (done) or the customer was absent (no-show)',
    tags,
    scope: 'appointments:write',
    params: Id,
    body: z.strictObject({ version: z.number().int().positive(), outcome: z.enum(['done', 'no-show']), note: z.string().trim().max(2000).optional() }),
    errors: ['NOT_FOUND', 'CONFLICT', 'INVALID_TRANSITION', 'VALIDATION'],
    response: { description: 'The booking', schema: BookingOutSchema },
    handler: async ({ params, body, actor, key }) => {
      const b = book.complete(params.id, { version: body.version, outcome: body.outcome, ...(body.note !== undefined && { note: body.note }) }, bookingActor({ actor, key }));
      await record(actor, 'appointment.booking.completed', b.id, { outcome: body.outcome, version: b.version });
      return bookingOut(b);
    },
  });

  registry.route({
    method: 'get',
    path: '/workorders/:id/appointments',
    summary: 'Appointments booked for a work order',
    tags: ['appointments', 'workorders'],
    scope: 'appointments:read',
    params: Id,
    response: { description: 'Bookings in slot order', schema: z.strictObject({ items: z.array(BookingOutSchema) }) },
    handler: ({ params }) => ({ items: book.forOrder(params.id).map(bookingOut) }),
  });
}
