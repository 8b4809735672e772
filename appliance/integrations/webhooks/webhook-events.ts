/**
 * Events the webhook module publishes on the bus (added to core/events.ts EventMap by
 * declaration merging). They are for the log, SSE boards and metrics; they are never themselves
 * delivered to webhooks (event-filter.ts excludes `webhook.*`), so a failing receiver cannot
 * cause an endless chain of deliveries about deliveries.
 */
export interface WebhookDeliveryFailedPayload {
  deliveryId: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  /** Attempts made so far, this one included. */
  attempts: number;
  /** HTTP status of this attempt, null for a timeout or network error. */
  status: number | null;
  error: string;
  /** When the next attempt is due (ms since epoch); null when the delivery was dead-lettered. */
  nextAttemptAt: number | null;
}

export interface WebhookDeliveryDeadLetteredPayload {
  deliveryId: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  attempts: number;
}

declare module '../../core/events.js' {
  interface EventMap {
    'webhook.delivery.failed': WebhookDeliveryFailedPayload;
    'webhook.delivery.dead-lettered': WebhookDeliveryDeadLetteredPayload;
  }
}

export const webhookEventTypes = ['webhook.delivery.failed', 'webhook.delivery.dead-lettered'] as const;
