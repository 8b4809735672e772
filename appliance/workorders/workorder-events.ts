/**
 * Events the work-order module publishes on the core bus (core/events.ts, by declaration
 * merging), after the action's transaction has committed. Messages, to-do lists, SSE boards and
 * webhooks subscribe to them. `workorder.order.urged` carries the urged assignees so the
 * messages module can notify them at once [W 2: 催办 "with reminders to the urged person"].
 */
import type { Assignee, OrderAction, OrderStatus, SlaMetric } from './model.js';

export interface OrderEventPayload {
  orderId: string;
  number: string;
  typeId: string;
  action: OrderAction;
  fromStatus: OrderStatus | null;
  toStatus: OrderStatus;
  /** The order's version after the action. */
  version: number;
  actor: string;
  stepId: string | null;
  note: string | null;
  /** workorder_events row id. */
  eventId: number;
}

export interface OrderDispatchedPayload extends OrderEventPayload {
  assignees: Assignee[];
}

export interface OrderTransferredPayload extends OrderEventPayload {
  from: Assignee;
  to: Assignee;
}

export interface OrderUrgedPayload extends OrderEventPayload {
  /** Who should be told right now. */
  urged: Assignee[];
  urgeCount: number;
}

export interface SlaEventPayload {
  orderId: string;
  number: string;
  metric: SlaMetric;
  stepId: string | null;
  targetMs: number;
  elapsedMs: number;
  dueAt: number | null;
  /** The threshold for a warning; 100 for a breach and its escalations. */
  percent: number;
  /** Escalation level for `workorder.sla.escalated` (2, 3, …; the breach itself is level 1). */
  level?: number;
  /** Pending assignees and the acceptor, to notify. */
  notify: Assignee[];
}

declare module '../core/events.js' {
  interface EventMap {
    'workorder.order.created': OrderEventPayload;
    'workorder.order.accepted': OrderEventPayload;
    'workorder.order.dispatched': OrderDispatchedPayload;
    'workorder.order.transferred': OrderTransferredPayload;
    'workorder.order.returned': OrderEventPayload;
    'workorder.order.replied': OrderEventPayload & { stepComplete: boolean };
    'workorder.order.arrived': OrderEventPayload;
    'workorder.order.urged': OrderUrgedPayload;
    'workorder.order.suspended': OrderEventPayload & { waitingOn: 'customer' | 'other' };
    'workorder.order.resumed': OrderEventPayload;
    'workorder.order.closed': OrderEventPayload;
    'workorder.order.reopened': OrderEventPayload;
    'workorder.order.visited': OrderEventPayload & { result: string };
    'workorder.order.cancelled': OrderEventPayload;
    'workorder.sla.warned': SlaEventPayload;
    'workorder.sla.breached': SlaEventPayload;
    'workorder.sla.escalated': SlaEventPayload;
  }
}

export const workorderEventTypes = [
  'workorder.order.created',
  'workorder.order.accepted',
  'workorder.order.dispatched',
  'workorder.order.transferred',
  'workorder.order.returned',
  'workorder.order.replied',
  'workorder.order.arrived',
  'workorder.order.urged',
  'workorder.order.suspended',
  'workorder.order.resumed',
  'workorder.order.closed',
  'workorder.order.reopened',
  'workorder.order.visited',
  'workorder.order.cancelled',
  'workorder.sla.warned',
  'workorder.sla.breached',
  'workorder.sla.escalated',
] as const;
