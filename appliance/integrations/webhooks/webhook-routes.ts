/**
 * `/webhooks`, `/webhook-deliveries`, `/webhook-dead-letters`: the REST face of the webhook
 * service (webhook-service.ts), declared on the API route registry (api/registry.ts).
 * Reading needs scope `webhooks:read`; subscribing, changing, deleting and redelivering need
 * `webhooks:write`. The signing secret appears only in the 201 answer to POST /webhooks and in
 * the answer to a PATCH with `rotateSecret: true`. Times are RFC 3339 date-times, as in the
 * rest of the API. Every change is written to the audit log (actions `webhook-subscription.*`,
 * `webhook-delivery.redelivered`), never with the secret.
 *
 *   GET    /webhooks                           list subscriptions
 *   POST   /webhooks                           subscribe (201, Location, secret once)
 *   GET    /webhooks/:id                       one subscription
 *   PATCH  /webhooks/:id                       change url / eventTypes / description / active, rotate secret
 *   DELETE /webhooks/:id                       unsubscribe (its delivery log goes with it)
 *   GET    /webhooks/:id/deliveries            delivery log of a subscription, newest first
 *   GET    /webhook-deliveries/:id             one delivery with the exact body sent
 *   GET    /webhook-dead-letters               dead deliveries of every subscription
 *   POST   /webhook-deliveries/:id/redeliver   queue a dead delivery again (202)
 */
import { z } from 'zod';
import type { Actor } from '../../api/api-keys.js';
import { queryInt, type RouteRegistry } from '../../api/registry.js';
import type { AuditInput } from '../../ops/audit.js';
import { WebhookDeliveryStatuses } from '../../store/schema.js';
import {
  CreateSubscriptionInput,
  UpdateSubscriptionInput,
  type Delivery,
  type Subscription,
} from './webhook-schemas.js';
import type { WebhookService } from './webhook-service.js';

export interface WebhookRoutesAudit {
  record(input: AuditInput): Promise<unknown>;
}

const MAX_PAGE = 500;
const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const SubscriptionSchema = z.strictObject({
  id: z.string(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  description: z.string(),
  active: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const SubscriptionWithSecretSchema = SubscriptionSchema.extend({
  secret: z
    .string()
    .describe('HMAC-SHA256 key for X-Hotline-Signature (t=<unix s>,v1=<hex of HMAC(secret, "<t>.<body>")>); shown once'),
});

export const DeliverySchema = z.strictObject({
  id: z.string().describe('Also sent as X-Hotline-Delivery; the same on every retry'),
  subscriptionId: z.string(),
  eventId: z.string().describe('The event id, also `id` in the body'),
  eventType: z.string(),
  status: z.enum(WebhookDeliveryStatuses),
  attempts: z.number().int().describe('Failed attempts so far'),
  nextAttemptAt: z.iso.datetime(),
  lastStatus: z.number().int().nullable().describe('HTTP status of the last attempt; null for a timeout or network error'),
  lastError: z.string().nullable(),
  createdAt: z.iso.datetime(),
  deliveredAt: z.iso.datetime().nullable(),
});

export const DeliveryDetailSchema = DeliverySchema.extend({
  body: z.string().describe('The exact JSON body signed and POSTed: {id,type,at,payload}'),
});

const DeliveryPage = z.strictObject({
  items: z.array(DeliverySchema),
  nextCursor: z.string().nullable().describe('Pass as `before` for the next (older) page'),
});

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const pageQuery = {
  limit: queryInt(1, MAX_PAGE).optional().describe(`Page size (default 50, at most ${MAX_PAGE})`),
  before: z.string().min(1).max(64).optional().describe('nextCursor of the previous page'),
};

function subscriptionOut(s: Subscription): z.input<typeof SubscriptionSchema> {
  return { ...s, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) };
}

function deliveryOut(d: Delivery): z.input<typeof DeliverySchema> {
  return {
    id: d.id,
    subscriptionId: d.subscriptionId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: iso(d.nextAttemptAt),
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: iso(d.createdAt),
    deliveredAt: isoOrNull(d.deliveredAt),
  };
}

function page(items: Delivery[], limit: number): z.input<typeof DeliveryPage> {
  return { items: items.map(deliveryOut), nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null };
}

function auditBy(actor: Actor): Pick<AuditInput, 'actor' | 'ip'> {
  return { actor: actor.actor, ip: actor.ip };
}

export function registerWebhookRoutes(registry: RouteRegistry, service: WebhookService, audit: WebhookRoutesAudit): void {
  registry.route({
    method: 'get',
    path: '/webhooks',
    summary: 'List webhook subscriptions (never their secrets)',
    tags: ['webhooks'],
    scope: 'webhooks:read',
    response: { description: 'Every subscription', schema: z.strictObject({ items: z.array(SubscriptionSchema) }) },
    handler: () => ({ items: service.listSubscriptions().map(subscriptionOut) }),
  });

  registry.route({
    method: 'post',
    path: '/webhooks',
    summary: 'Subscribe an endpoint to events; the signing secret is in this answer only',
    description:
      'Each matching event is POSTed as JSON {id,type,at,payload} with headers X-Hotline-Event, X-Hotline-Delivery, ' +
      'X-Hotline-Timestamp and X-Hotline-Signature. Any 2xx acknowledges; anything else, a timeout or a network error ' +
      'is retried with exponential back-off until the attempt limit, then the delivery is dead-lettered.',
    tags: ['webhooks'],
    scope: 'webhooks:write',
    body: CreateSubscriptionInput,
    errors: ['VALIDATION'],
    response: { status: 201, description: 'The subscription and its secret', schema: SubscriptionWithSecretSchema },
    handler: async ({ body, actor, res }) => {
      const created = service.createSubscription(body);
      const { secret, ...snapshot } = created;
      await audit.record({ ...auditBy(actor), action: 'webhook-subscription.created', target: created.id, after: snapshot });
      res.setHeader('Location', `${res.req.baseUrl}/webhooks/${created.id}`);
      return { ...subscriptionOut(snapshot), secret };
    },
  });

  registry.route({
    method: 'get',
    path: '/webhooks/:id',
    summary: 'One webhook subscription (never its secret)',
    tags: ['webhooks'],
    scope: 'webhooks:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The subscription', schema: SubscriptionSchema },
    handler: ({ params }) => subscriptionOut(service.getSubscription(params.id)),
  });

  registry.route({
    method: 'patch',
    path: '/webhooks/:id',
    summary: 'Change a subscription or rotate its secret',
    tags: ['webhooks'],
    scope: 'webhooks:write',
    params: IdParams,
    body: UpdateSubscriptionInput,
    errors: ['NOT_FOUND', 'VALIDATION'],
    response: {
      description: 'The subscription; `secret` only when rotateSecret was true',
      schema: SubscriptionSchema.extend({ secret: z.string().optional() }),
    },
    handler: async ({ params, body, actor }) => {
      const before = service.getSubscription(params.id);
      const updated = service.updateSubscription(params.id, body);
      const { secret, ...after } = updated;
      await audit.record({
        ...auditBy(actor),
        action: 'webhook-subscription.updated',
        target: params.id,
        before,
        after: secret === undefined ? after : { ...after, secretRotated: true },
      });
      return secret === undefined ? subscriptionOut(after) : { ...subscriptionOut(after), secret };
    },
  });

  registry.route({
    method: 'delete',
    path: '/webhooks/:id',
    summary: 'Delete a subscription together with its delivery log and queued deliveries',
    tags: ['webhooks'],
    scope: 'webhooks:write',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { status: 204, description: 'Deleted' },
    handler: async ({ params, actor }) => {
      const before = service.getSubscription(params.id);
      service.deleteSubscription(params.id);
      await audit.record({ ...auditBy(actor), action: 'webhook-subscription.deleted', target: params.id, before });
    },
  });

  registry.route({
    method: 'get',
    path: '/webhooks/:id/deliveries',
    summary: 'Delivery log of a subscription, newest first',
    tags: ['webhooks'],
    scope: 'webhooks:read',
    params: IdParams,
    query: z.strictObject({ status: z.enum(WebhookDeliveryStatuses).optional(), ...pageQuery }),
    errors: ['NOT_FOUND'],
    response: { description: 'One page of deliveries', schema: DeliveryPage },
    handler: ({ params, query }) => {
      const limit = query.limit ?? 50;
      const items = service.listDeliveries(params.id, {
        limit,
        ...(query.status !== undefined && { status: query.status }),
        ...(query.before !== undefined && { before: query.before }),
      });
      return page(items, limit);
    },
  });

  registry.route({
    method: 'get',
    path: '/webhook-deliveries/:id',
    summary: 'One delivery, with the exact body that is signed and sent',
    tags: ['webhooks'],
    scope: 'webhooks:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The delivery', schema: DeliveryDetailSchema },
    handler: ({ params }) => {
      const d = service.getDelivery(params.id);
      return { ...deliveryOut(d), body: d.body };
    },
  });

  registry.route({
    method: 'get',
    path: '/webhook-dead-letters',
    summary: 'Dead-lettered deliveries of every subscription, newest first',
    tags: ['webhooks'],
    scope: 'webhooks:read',
    query: z.strictObject(pageQuery),
    response: { description: 'One page of dead deliveries', schema: DeliveryPage },
    handler: ({ query }) => {
      const limit = query.limit ?? 50;
      return page(service.listDeadLetters({ limit, ...(query.before !== undefined && { before: query.before }) }), limit);
    },
  });

  registry.route({
    method: 'post',
    path: '/webhook-deliveries/:id/redeliver',
    summary: 'Queue a dead delivery again, due now, with a fresh attempt budget',
    tags: ['webhooks'],
    scope: 'webhooks:write',
    params: IdParams,
    errors: ['NOT_FOUND', 'CONFLICT'],
    response: { status: 202, description: 'Queued; the delivery as it now stands', schema: DeliverySchema },
    handler: async ({ params, actor }) => {
      const d = service.redeliver(params.id);
      await audit.record({ ...auditBy(actor), action: 'webhook-delivery.redelivered', target: d.id });
      return deliveryOut(d);
    },
  });
}
