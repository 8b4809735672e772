/**
 * Appointment reminders (issue 8 "Appointments … with reminders"): each booking of a service
 * with a reminder lead time gets `remind_at = slot start − lead`; this scheduler sleeps on the
 * injected Clock until the earliest pending reminder, sends every due one through the
 * configured ReminderChannels (reminder-channels.ts: in-app message to the booker, SMS to the
 * customer) and records the outcome on the booking (sent / failed with the error) and as an
 * `appointment.booking.reminded` event. A booking made, moved or cancelled wakes it
 * (bus events), so a rescheduled booking is reminded at its new time and a cancelled one never.
 *
 * A reminder is marked only `pending → sent|failed` (a conditional update), so a booking
 * cancelled while its reminder was in flight keeps its cancelled state; a crash mid-send leaves
 * it pending and it goes out after the restart (at-least-once).
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { bookingOf, type AppointmentBook } from './appointment-service.js';
import type { AppointmentService, Booking } from './model.js';
import { localDayStart } from './slots.js';

export interface ReminderMessage {
  booking: Booking;
  service: AppointmentService;
  title: string;
  /** The text for the customer or the booker, with the local date and time of the slot. */
  text: string;
}

export type ReminderOutcome = { ok: true; ref: string | null } | { ok: false; error: string };

/** One way a reminder travels (in-app message, SMS …). */
export interface ReminderChannel {
  readonly name: string;
  send(m: ReminderMessage): Promise<ReminderOutcome>;
}

export interface ReminderDeps {
  book: AppointmentBook;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  channels: readonly ReminderChannel[];
  /** Longest sleep between looks at the table (default 5 min). */
  maxSleepMs?: number;
  /** Reminders sent per pass (default 100). */
  batch?: number;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-01-08 09:30` in the calendar's local time. */
export function localTimeText(at: number, utcOffsetMinutes: number): string {
  const d = new Date(at + utcOffsetMinutes * 60_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

export function reminderMessage(booking: Booking, service: AppointmentService, utcOffsetMinutes: number): ReminderMessage {
  const when = localTimeText(booking.start, utcOffsetMinutes);
  const until = localTimeText(booking.end, utcOffsetMinutes).slice(11);
  const sameDay = localDayStart(booking.start, utcOffsetMinutes) === localDayStart(booking.end - 1, utcOffsetMinutes);
  const span = sameDay ? `${when}–${until}` : when;
  return {
    booking,
    service,
    title: `预约提醒：${service.name}`,
    text: `您预约的${service.name}时间为 ${span}，工作人员将按时上门/办理，请保持电话畅通。如需改约请致电客服热线。`,
  };
}

export class ReminderScheduler {
  private timer: TimerHandle | null = null;
  private running = false;
  private again = false;
  private stopped = true;
  private offBus: Array<() => void> = [];
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ReminderDeps) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const wake = (): void => this.wake();
    this.offBus = [
      this.deps.bus.on('appointment.booking.booked', wake),
      this.deps.bus.on('appointment.booking.rescheduled', wake),
      this.deps.bus.on('appointment.booking.cancelled', wake),
    ];
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    for (const off of this.offBus) off();
    this.offBus = [];
  }

  /** Resolves when the pass in progress (if any) has finished. */
  settled(): Promise<void> {
    return this.idle;
  }

  /** Re-plan now: send what is due, then sleep until the next reminder. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.timer = null;
    this.idle = this.pass().catch((err: unknown) => this.deps.log.error({ err }, 'appointment reminder pass failed'));
  }

  private async pass(): Promise<void> {
    this.running = true;
    try {
      const dueNow = (): boolean => {
        const next = this.deps.book.bs.nextReminderAt();
        return next !== null && next <= this.deps.clock.now();
      };
      do {
        this.again = false;
        await this.sendDue();
      } while ((this.again || dueNow()) && !this.stopped);
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    const next = this.deps.book.bs.nextReminderAt();
    const now = this.deps.clock.now();
    const max = this.deps.maxSleepMs ?? 300_000;
    const delay = next === null ? max : Math.min(Math.max(0, next - now), max);
    this.timer = this.deps.clock.setTimeout(() => this.wake(), delay);
  }

  /** Send every reminder due now; returns how many were handled. */
  async sendDue(): Promise<number> {
    const { book, clock } = this.deps;
    const started = clock.now();
    const rows = book.bs.dueReminders(started, this.deps.batch ?? 100);
    for (const row of rows) {
      const booking = bookingOf(row);
      const service = book.service(booking.serviceId);
      const offset = book.calendarOf(service).definition.utcOffsetMinutes;
      const msg = reminderMessage(booking, service, offset);
      const outcomes = await Promise.all(
        this.deps.channels.map(async (ch) => {
          try {
            return { ch: ch.name, r: await ch.send(msg) };
          } catch (err) {
            return { ch: ch.name, r: { ok: false as const, error: err instanceof Error ? err.message : String(err) } };
          }
        }),
      );
      const sent = outcomes.filter((o) => o.r.ok).map((o) => o.ch);
      const errors = outcomes.flatMap((o) => (o.r.ok ? [] : [`${o.ch}: ${o.r.error}`]));
      const ok = sent.length > 0;
      const error = ok ? null : errors.join('; ') || 'no reminder channel';
      const changed = book.bs.updateReminder(booking.id, { reminder_status: ok ? 'sent' : 'failed', reminded_at: started, reminder_error: error }, 'pending');
      if (changed === 0) continue;
      book.recordReminderEvent(booking.id, ok ? `sent by ${sent.join(', ')}${errors.length ? `; ${errors.join('; ')}` : ''}` : `failed: ${error}`);
      this.deps.bus.publish('appointment.booking.reminded', {
        ...book.payload(booking, service, { id: 'system:reminders' }),
        reminderStatus: ok ? 'sent' : 'failed',
        error,
      });
    }
    return rows.length;
  }
}
