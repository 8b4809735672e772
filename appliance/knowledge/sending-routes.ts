/**
 * `POST /knowledge/articles/:id/send` and `GET /knowledge/articles/:id/deliveries`: sending a
 * published public article to a customer by SMS, e-mail or fax (sending.ts) and the delivery
 * records. Sending needs the `knowledge:send` scope AND `knowledge:read` on the same key (a
 * sender must be able to read what it sends); every send, delivered or not, is audited with the
 * channel, the recipient and the outcome.
 */
import { z } from 'zod';
import { ForbiddenError } from '../api/error-map.js';
import type { RouteRegistry } from '../api/registry.js';
import type { AuditInput } from '../ops/audit.js';
import { DeliveryStatuses, SendChannels, type ArticleDeliveries, type Delivery } from './sending.js';

export interface RoutesAudit {
  record(input: AuditInput): Promise<unknown>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export const DeliverySchema = z.strictObject({
  id: z.string(),
  articleId: z.string(),
  articleVersion: z.number().int().describe('The published version that was sent'),
  channel: z.enum(SendChannels),
  to: z.string().describe('The recipient as the sender normalised it'),
  customerId: z.string().nullable(),
  status: z.enum(DeliveryStatuses).describe('pending: accepted for later sending (a fax in the outbox)'),
  providerRef: z.string().nullable().describe("The gateway's message id, the SMTP queue reply, the fax job id"),
  parts: z.number().int().nullable().describe('SMS segments'),
  error: z.string().nullable(),
  requestedBy: z.string(),
  requestedAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
});

export function deliveryOut(d: Delivery): z.input<typeof DeliverySchema> {
  return { ...d, requestedAt: iso(d.requestedAt), completedAt: d.completedAt === null ? null : iso(d.completedAt) };
}

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

export function registerArticleSendingRoutes(registry: RouteRegistry, deliveries: ArticleDeliveries, audit: RoutesAudit): void {
  registry.route({
    method: 'post',
    path: '/knowledge/articles/:id/send',
    summary: 'Send a published public article to a customer by SMS, e-mail or fax',
    description:
      'Needs knowledge:send and knowledge:read. The delivery record is answered with its status: sent, failed (with the reason), or pending (a fax waiting in the outbox). SMS are cut to a few 70-character (UCS-2) segments.',
    tags: ['knowledge'],
    scope: 'knowledge:send',
    params: IdParams,
    body: z.strictObject({
      channel: z.enum(SendChannels),
      to: z.string().trim().min(1).max(254).describe('Mobile number (sms), e-mail address (email) or fax number (fax)'),
      customerId: z.string().min(1).max(64).optional().describe('The customer it is sent to, for their history'),
    }),
    errors: ['NOT_FOUND', 'VALIDATION', 'FORBIDDEN', 'INVALID_TRANSITION'],
    response: { status: 201, description: 'The delivery record (also when the channel failed: see status and error)', schema: DeliverySchema },
    handler: async ({ params, body, key, actor }) => {
      if (key && !key.scopes.includes('knowledge:read')) throw new ForbiddenError('sending an article needs the knowledge:read scope too');
      const d = await deliveries.send(params.id, { channel: body.channel, to: body.to, customerId: body.customerId ?? null }, { id: actor.actor });
      await audit.record({
        actor: actor.actor,
        ip: actor.ip,
        action: 'knowledge.article.sent',
        target: params.id,
        after: { deliveryId: d.id, channel: d.channel, to: d.to, customerId: d.customerId, status: d.status, error: d.error, version: d.articleVersion },
      });
      return deliveryOut(d);
    },
  });

  registry.route({
    method: 'get',
    path: '/knowledge/articles/:id/deliveries',
    summary: 'Where an article was sent, newest first',
    tags: ['knowledge'],
    scope: 'knowledge:read',
    params: IdParams,
    response: { description: 'Deliveries', schema: z.strictObject({ items: z.array(DeliverySchema), channels: z.array(z.enum(SendChannels)) }) },
    handler: ({ params }) => ({ items: deliveries.list(params.id).map(deliveryOut), channels: deliveries.channels }),
  });
}
