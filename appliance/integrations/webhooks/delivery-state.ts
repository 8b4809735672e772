/**
 * The life of one webhook delivery (one event to one subscription), as a transition table:
 *
 *   pending ──claim──▶ delivering ──2xx──▶ delivered
 *      ▲                  │  │
 *      │  retry / release │  └──attempts = maxAttempts──▶ dead ──redeliver──▶ pending
 *      └──────────────────┘
 *
 * `delivering → pending` is both a failed attempt with attempts left (next_attempt_at moved by
 * the back-off) and the start-up recovery of rows a crashed process left mid-request. Each
 * store update also carries `WHERE status = <from>`, so the database enforces the same table.
 */
import { InvalidTransitionError } from '../../core/errors.js';
import type { WebhookDeliveryStatus } from '../../store/schema.js';

export const deliveryTransitions = {
  pending: ['delivering'],
  delivering: ['delivered', 'pending', 'dead'],
  delivered: [],
  dead: ['pending'],
} as const satisfies Record<WebhookDeliveryStatus, readonly WebhookDeliveryStatus[]>;

export function canTransition(from: WebhookDeliveryStatus, to: WebhookDeliveryStatus): boolean {
  return (deliveryTransitions[from] as readonly WebhookDeliveryStatus[]).includes(to);
}

export function assertTransition(from: WebhookDeliveryStatus, to: WebhookDeliveryStatus): void {
  if (!canTransition(from, to)) throw new InvalidTransitionError('webhook delivery', from, to);
}

/**
 * Delay before the next attempt after `attempts` failed ones (attempts ≥ 1):
 * min(maxBackoffMs, backoffMs · 2^(attempts−1)), i.e. backoff, 2·backoff, 4·backoff, …
 */
export function retryDelayMs(attempts: number, backoffMs: number, maxBackoffMs: number): number {
  return Math.min(maxBackoffMs, backoffMs * 2 ** Math.max(0, attempts - 1));
}
