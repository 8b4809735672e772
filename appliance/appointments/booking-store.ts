/**
 * SQL of the appointment module (tables of store/migrations/0023-appointments.ts), built with
 * Kysely and run synchronously (store/sync-query.ts) so a booking — the capacity probe, the row
 * and its event — commits inside one IMMEDIATE transaction: IMMEDIATE takes the write lock
 * before the probe reads, so two connections booking the last place are serialised and the
 * second sees the first's row.
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Store } from '../store/database.js';
import type { AppointmentBookingsTable, AppointmentEventsTable, AppointmentServicesTable } from '../store/schema.js';
import { SyncQueries } from '../store/sync-query.js';

export type ServiceRow = Selectable<AppointmentServicesTable>;
export type BookingRow = Selectable<AppointmentBookingsTable>;
export type EventRow = Selectable<AppointmentEventsTable>;

export interface BookingFilter {
  serviceId?: string;
  orderId?: string;
  customerId?: string;
  contactPhone?: string;
  status?: BookingRow['status'];
  from?: number;
  to?: number;
  limit?: number;
}

export class BookingStore {
  private readonly q: SyncQueries;

  constructor(private readonly store: Pick<Store, 'sqlite' | 'db'>) {
    this.q = new SyncQueries(store.sqlite);
  }

  private get db(): Store['db'] {
    return this.store.db;
  }

  transaction<T>(fn: () => T): T {
    return this.q.transaction(fn);
  }

  // ---- services ----

  upsertService(row: Insertable<AppointmentServicesTable>): void {
    const { id: _id, created_at: _c, ...rest } = row;
    this.q.run(this.db.insertInto('appointment_services').values(row).onConflict((oc) => oc.column('id').doUpdateSet(rest)).compile());
  }

  getService(id: string): ServiceRow | undefined {
    return this.q.first(this.db.selectFrom('appointment_services').selectAll().where('id', '=', id).compile());
  }

  listServices(departmentId?: string): ServiceRow[] {
    let qb = this.db.selectFrom('appointment_services').selectAll();
    if (departmentId !== undefined) qb = qb.where('department_id', '=', departmentId);
    return this.q.all(qb.orderBy('id').compile());
  }

  setCapacity(serviceId: string, slotStart: number, capacity: number | null): void {
    if (capacity === null) {
      this.q.run(this.db.deleteFrom('appointment_capacity').where('service_id', '=', serviceId).where('slot_start', '=', slotStart).compile());
      return;
    }
    this.q.run(
      this.db
        .insertInto('appointment_capacity')
        .values({ service_id: serviceId, slot_start: slotStart, capacity })
        .onConflict((oc) => oc.columns(['service_id', 'slot_start']).doUpdateSet({ capacity }))
        .compile(),
    );
  }

  /** Capacity overrides of a service's slots starting in [from, to). */
  capacities(serviceId: string, from: number, to: number): Map<number, number> {
    const rows = this.q.all(
      this.db.selectFrom('appointment_capacity').select(['slot_start', 'capacity']).where('service_id', '=', serviceId).where('slot_start', '>=', from).where('slot_start', '<', to).compile(),
    );
    return new Map(rows.map((r) => [r.slot_start, r.capacity]));
  }

  // ---- bookings ----

  /** Places taken (status booked) per slot start in [from, to). */
  bookedCounts(serviceId: string, from: number, to: number): Map<number, number> {
    const rows = this.q.all(
      this.db
        .selectFrom('appointment_bookings')
        .select((eb) => ['slot_start', eb.fn.countAll<number>().as('n')])
        .where('service_id', '=', serviceId)
        .where('status', '=', 'booked')
        .where('slot_start', '>=', from)
        .where('slot_start', '<', to)
        .groupBy('slot_start')
        .compile(),
    );
    return new Map(rows.map((r) => [r.slot_start, Number(r.n)]));
  }

  insertBooking(row: Insertable<AppointmentBookingsTable>): void {
    this.q.run(this.db.insertInto('appointment_bookings').values(row).compile());
  }

  getBooking(id: string): BookingRow | undefined {
    return this.q.first(this.db.selectFrom('appointment_bookings').selectAll().where('id', '=', id).compile());
  }

  /** Optimistic update: applies only when the stored version is `version`; bumps it. */
  updateVersioned(id: string, version: number, patch: Updateable<AppointmentBookingsTable>): number {
    return this.q.run(
      this.db.updateTable('appointment_bookings').set({ ...patch, version: version + 1 }).where('id', '=', id).where('version', '=', version).compile(),
    );
  }

  /** Reminder bookkeeping (not a person's edit: no version bump). */
  updateReminder(id: string, patch: Pick<Updateable<AppointmentBookingsTable>, 'reminder_status' | 'reminded_at' | 'reminder_error'>, expect: BookingRow['reminder_status']): number {
    return this.q.run(this.db.updateTable('appointment_bookings').set(patch).where('id', '=', id).where('reminder_status', '=', expect).compile());
  }

  listBookings(f: BookingFilter): BookingRow[] {
    let qb = this.db.selectFrom('appointment_bookings').selectAll();
    if (f.serviceId !== undefined) qb = qb.where('service_id', '=', f.serviceId);
    if (f.orderId !== undefined) qb = qb.where('order_id', '=', f.orderId);
    if (f.customerId !== undefined) qb = qb.where('customer_id', '=', f.customerId);
    if (f.contactPhone !== undefined) qb = qb.where('contact_phone', '=', f.contactPhone);
    if (f.status !== undefined) qb = qb.where('status', '=', f.status);
    if (f.from !== undefined) qb = qb.where('slot_start', '>=', f.from);
    if (f.to !== undefined) qb = qb.where('slot_start', '<', f.to);
    return this.q.all(qb.orderBy('slot_start').orderBy('id').limit(f.limit ?? 500).compile());
  }

  /** Booked rows whose reminder is pending and due by `now`. */
  dueReminders(now: number, limit: number): BookingRow[] {
    return this.q.all(
      this.db
        .selectFrom('appointment_bookings')
        .selectAll()
        .where('reminder_status', '=', 'pending')
        .where('status', '=', 'booked')
        .where('remind_at', '<=', now)
        .orderBy('remind_at')
        .limit(limit)
        .compile(),
    );
  }

  /** The earliest pending reminder instant, or null. */
  nextReminderAt(): number | null {
    const r = this.q.first(
      this.db
        .selectFrom('appointment_bookings')
        .select((eb) => eb.fn.min<number | null>('remind_at').as('at'))
        .where('reminder_status', '=', 'pending')
        .where('status', '=', 'booked')
        .compile(),
    );
    return r?.at ?? null;
  }

  // ---- events ----

  insertEvent(row: Insertable<AppointmentEventsTable>): number {
    return this.q.first(this.db.insertInto('appointment_events').values(row).returning('id').compile())!.id;
  }

  events(bookingId: string): EventRow[] {
    return this.q.all(this.db.selectFrom('appointment_events').selectAll().where('booking_id', '=', bookingId).orderBy('id').compile());
  }
}
