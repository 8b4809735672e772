import type { Migration } from './index.js';

/**
 * Appointments (预约服务, issue 8 "Appointments: bookable time slots per department and service
 * (e.g. installation survey, meter check), booked by an agent or from the IVR, shown on the
 * work order, with reminders"; appliance/appointments):
 *   appointment_services   a bookable service of a department (装表勘查, 表计校验 …) with its slot
 *                          template: slot length, capacity per slot, optional daily periods, on a
 *                          business calendar (holidays have no slots, 调休 workdays do), booking
 *                          horizon and notice, and the reminder lead time.
 *   appointment_capacity   per-slot capacity overrides (0 closes a slot).
 *   appointment_bookings   one booking of one place in one slot, linked to a work order and/or a
 *                          customer; status equals BookingStatuses and reminder_status
 *                          ReminderStatuses in appointments/model.ts. `version` is the
 *                          optimistic lock of cancel / reschedule.
 *   appointment_events     append-only history of every booking action (who, when, from where).
 * "Exactly capacity" is enforced by counting the slot's bookings inside the IMMEDIATE
 * transaction that inserts (appointments/booking-store.ts); the partial index keeps that probe
 * to the slot's rows.
 */
export const m0023_appointments: Migration = {
  version: 23,
  name: 'appointments: services, capacity overrides, bookings, booking events',
  up: `
CREATE TABLE appointment_services (
  id               TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  department_id    TEXT NOT NULL REFERENCES departments(id),
  calendar_id      TEXT REFERENCES business_calendars(id),
  slot_minutes     INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 1440),
  capacity         INTEGER NOT NULL CHECK (capacity BETWEEN 0 AND 10000),
  periods          TEXT,
  horizon_days     INTEGER NOT NULL CHECK (horizon_days BETWEEN 1 AND 366),
  notice_minutes   INTEGER NOT NULL CHECK (notice_minutes >= 0),
  remind_minutes   INTEGER CHECK (remind_minutes IS NULL OR remind_minutes > 0),
  active           INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX appointment_services_department ON appointment_services(department_id);

CREATE TABLE appointment_capacity (
  service_id  TEXT NOT NULL REFERENCES appointment_services(id),
  slot_start  INTEGER NOT NULL,
  capacity    INTEGER NOT NULL CHECK (capacity BETWEEN 0 AND 10000),
  PRIMARY KEY (service_id, slot_start)
) STRICT;

CREATE TABLE appointment_bookings (
  id               TEXT PRIMARY KEY,
  service_id       TEXT NOT NULL REFERENCES appointment_services(id),
  slot_start       INTEGER NOT NULL,
  slot_end         INTEGER NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'done', 'no-show')),
  order_id         TEXT REFERENCES workorders(id),
  customer_id      TEXT,
  contact_name     TEXT,
  contact_phone    TEXT NOT NULL,
  address          TEXT,
  note             TEXT NOT NULL DEFAULT '',
  channel          TEXT NOT NULL CHECK (channel IN ('agent', 'ivr', 'api')),
  booked_by        TEXT NOT NULL,
  remind_at        INTEGER,
  reminder_status  TEXT NOT NULL CHECK (reminder_status IN ('none', 'pending', 'sent', 'failed')),
  reminded_at      INTEGER,
  reminder_error   TEXT,
  cancel_reason    TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  version          INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX appointment_bookings_slot ON appointment_bookings(service_id, slot_start) WHERE status = 'booked';
CREATE INDEX appointment_bookings_order ON appointment_bookings(order_id) WHERE order_id IS NOT NULL;
CREATE INDEX appointment_bookings_phone ON appointment_bookings(contact_phone, slot_start);
CREATE INDEX appointment_bookings_remind ON appointment_bookings(remind_at) WHERE reminder_status = 'pending';

CREATE TABLE appointment_events (
  id          INTEGER PRIMARY KEY,
  booking_id  TEXT NOT NULL REFERENCES appointment_bookings(id),
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  actor_ip    TEXT,
  channel     TEXT NOT NULL,
  action      TEXT NOT NULL CHECK (action IN ('book', 'cancel', 'reschedule', 'remind', 'complete', 'no-show')),
  from_start  INTEGER,
  to_start    INTEGER,
  note        TEXT
) STRICT;
CREATE INDEX appointment_events_booking ON appointment_events(booking_id, id);
`,
};
