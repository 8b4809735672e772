/**
 * What the IVR self-service may do with appointments, as one small port (DESIGN.md: the IVR
 * reaches the rest of the appliance through ports the daemon passes in; nothing here imports
 * IVR code). A flow offers the caller the next free slots of a service ("press 1 for Tuesday
 * 09:30 …"), books the chosen one for the calling number (optionally for the work order the
 * caller keyed in), and cancels the caller's next booking. Outcomes are values the flow can
 * branch on, never exceptions: a place taken by someone else meanwhile is `full`.
 */
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import { AlreadyBookedError, SlotFullError, type AppointmentBook } from './appointment-service.js';
import { localTimeText } from './reminders.js';

export interface OfferedSlot {
  start: number;
  end: number;
  /** Local `YYYY-MM-DD HH:MM`, for say-date/say-time. */
  local: string;
}

export type IvrBookOutcome =
  | { outcome: 'booked'; bookingId: string; start: number; local: string }
  | { outcome: 'full' | 'unavailable' | 'unknown-order' | 'already-booked' };

export interface AppointmentIvrPort {
  offer(serviceId: string, count: number): Promise<OfferedSlot[]>;
  book(req: { serviceId: string; start: number; caller: string; callId: string; orderNumber?: string }): Promise<IvrBookOutcome>;
  /** Cancel the caller's next booked appointment (of one service, or any). */
  cancelNext(req: { caller: string; callId: string; serviceId?: string }): Promise<{ outcome: 'cancelled'; bookingId: string; start: number } | { outcome: 'none' }>;
}

export interface IvrPortDeps {
  book: AppointmentBook;
  clock: Pick<Clock, 'now'>;
  /** Work order id by its number (GD…), or null. */
  orderIdByNumber?: (number: string) => string | null;
}

export function appointmentIvrPort(deps: IvrPortDeps): AppointmentIvrPort {
  const { book } = deps;
  const local = (serviceId: string, at: number): string => localTimeText(at, book.calendarOf(book.service(serviceId)).definition.utcOffsetMinutes);
  const actor = (callId: string) => ({ id: `ivr:${callId}`, channel: 'ivr' as const });
  return {
    offer: async (serviceId, count) =>
      book.nextFree(serviceId, Math.max(1, Math.min(count, 9))).map((s) => ({ start: s.start, end: s.end, local: local(serviceId, s.start) })),
    book: async (req) => {
      let orderId: string | undefined;
      if (req.orderNumber !== undefined) {
        const id = deps.orderIdByNumber?.(req.orderNumber) ?? null;
        if (id === null) return { outcome: 'unknown-order' };
        orderId = id;
      }
      try {
        const b = book.book({ serviceId: req.serviceId, start: req.start, contactPhone: req.caller, ...(orderId !== undefined && { orderId }) }, actor(req.callId));
        return { outcome: 'booked', bookingId: b.id, start: b.start, local: local(b.serviceId, b.start) };
      } catch (err) {
        if (err instanceof AlreadyBookedError) return { outcome: 'already-booked' };
        if (err instanceof SlotFullError) return { outcome: 'full' };
        if (!(err instanceof AppError)) throw err;
        if (err.code === 'VALIDATION' || err.code === 'NOT_FOUND') return { outcome: 'unavailable' };
        throw err;
      }
    },
    cancelNext: async (req) => {
      const now = deps.clock.now();
      const next = book.list({ contactPhone: req.caller, status: 'booked', from: now, limit: 50, ...(req.serviceId !== undefined && { serviceId: req.serviceId }) })[0];
      if (!next) return { outcome: 'none' };
      book.cancel(next.id, { version: next.version, reason: '客户通过自助语音取消' }, actor(req.callId));
      return { outcome: 'cancelled', bookingId: next.id, start: next.start };
    },
  };
}
