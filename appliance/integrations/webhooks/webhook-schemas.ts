/**
 * The zod schemas of webhook inputs and outputs: the service validates with them and the REST
 * routes use the same ones for request validation and the OpenAPI document.
 * URL rules: http or https only (WHATWG URL parsing), at most 2048 characters, no user:password
 * part (credentials in a URL end up in logs; use the signature to authenticate the sender).
 * Event-type rules are in event-filter.ts.
 */
import { z } from 'zod';
import { WebhookDeliveryStatuses } from '../../store/schema.js';

export const WebhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2048)
  .refine((u) => {
    // Refinements run even after a failed format check, so guard the parse.
    const parsed = URL.canParse(u) ? new URL(u) : null;
    return parsed === null || (parsed.username === '' && parsed.password === '');
  }, 'must not contain a user name or password');

export const EventPatterns = z
  .array(z.string().min(1).max(200))
  .min(1, 'at least one event type (or "*")')
  .max(100)
  .refine((list) => new Set(list).size === list.length, 'event types must not repeat');

export const CreateSubscriptionInput = z
  .object({
    url: WebhookUrl.describe('Endpoint that receives the POSTs (http or https)'),
    eventTypes: EventPatterns.describe(
      'Event names (queue.caller.joined), prefixes (queue.* or queue.caller.*) or * for all; webhook.* is not deliverable',
    ),
    description: z.string().max(200).default('').describe('What the subscription is for'),
    active: z.boolean().default(true).describe('Inactive subscriptions queue nothing and send nothing'),
  })
  .strict();
export type CreateSubscriptionInput = z.input<typeof CreateSubscriptionInput>;

export const UpdateSubscriptionInput = z
  .object({
    url: WebhookUrl.optional(),
    eventTypes: EventPatterns.optional(),
    description: z.string().max(200).optional(),
    active: z.boolean().optional(),
    /** Replace the signing secret; the new one is returned once, in this response. */
    rotateSecret: z.boolean().optional().describe('Replace the signing secret; the new one is in this answer only'),
  })
  .strict()
  .refine((o) => Object.keys(o).length > 0, 'nothing to change');
export type UpdateSubscriptionInput = z.input<typeof UpdateSubscriptionInput>;

export const DeliveryListQuery = z
  .object({
    status: z.enum(WebhookDeliveryStatuses).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    /** Cursor: only deliveries with an id (time-ordered) below this one. */
    before: z.string().min(1).max(64).optional(),
  })
  .strict();
export type DeliveryListQuery = z.input<typeof DeliveryListQuery>;

export const Subscription = z.object({
  id: z.string(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  description: z.string(),
  active: z.boolean(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type Subscription = z.infer<typeof Subscription>;

export const SubscriptionWithSecret = Subscription.extend({
  /** HMAC key for X-Hotline-Signature; shown only when created or rotated. */
  secret: z.string(),
});
export type SubscriptionWithSecret = z.infer<typeof SubscriptionWithSecret>;

export const Delivery = z.object({
  id: z.string(),
  subscriptionId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(WebhookDeliveryStatuses),
  attempts: z.number().int(),
  nextAttemptAt: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.number().int(),
  deliveredAt: z.number().int().nullable(),
});
export type Delivery = z.infer<typeof Delivery>;

export const DeliveryDetail = Delivery.extend({
  /** The exact JSON body that is signed and POSTed: `{id,type,at,payload}`. */
  body: z.string(),
});
export type DeliveryDetail = z.infer<typeof DeliveryDetail>;
