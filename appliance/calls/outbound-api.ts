/**
 * `/outbound-routes` and `/class-of-service`: the REST face of outbound routing and its
 * toll-fraud guards (outbound-routes.ts), declared on the API route registry. Reading needs
 * `trunks:read`, changing `trunks:write`. Bodies are OutboundRouteSchema (strict). Every change
 * is audited (`outbound-route.*`, `class-of-service.*`) with before/after.
 *
 *   GET    /outbound-routes             every route, by priority
 *   POST   /outbound-routes             create (201; 409 if the id exists)
 *   GET    /outbound-routes/:id         one route
 *   PUT    /outbound-routes/:id         replace
 *   DELETE /outbound-routes/:id         delete
 *   GET    /class-of-service            extensions with a class (the rest are `internal`)
 *   PUT    /class-of-service/:extension set an extension's class
 *   DELETE /class-of-service/:extension back to `internal`
 */
import { z } from 'zod';
import type { Actor } from '../api/api-keys.js';
import type { RouteRegistry } from '../api/registry.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { AuditInput } from '../ops/audit.js';
import type { OutboundStorePort } from './outbound-store.js';
import { ClassesOfService, OutboundRouteSchema, type OutboundRoute } from './outbound-routes.js';

export interface OutboundRoutesAudit {
  record(input: AuditInput): Promise<unknown>;
}

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const ExtParams = z.strictObject({ extension: z.string().regex(/^[0-9]{2,16}$/, 'an extension number') });
const RouteBody = OutboundRouteSchema.omit({ id: true });
const CosSchema = z.object({ extension: z.string(), class: z.enum(ClassesOfService) });

function by(actor: Actor): Pick<AuditInput, 'actor' | 'ip'> {
  return { actor: actor.actor, ip: actor.ip };
}

export function registerOutboundRoutes(registry: RouteRegistry, store: OutboundStorePort, audit: OutboundRoutesAudit): void {
  const existing = (id: string): OutboundRoute => {
    const r = store.route(id);
    if (!r) throw new NotFoundError('outbound route', id);
    return r;
  };

  registry.route({
    method: 'get',
    path: '/outbound-routes',
    summary: 'List outbound routes (pattern → gateways, toll-fraud guards)',
    tags: ['trunks'],
    scope: 'trunks:read',
    response: { description: 'Every outbound route', schema: z.object({ items: z.array(OutboundRouteSchema) }) },
    handler: () => ({ items: store.routes() }),
  });

  registry.route({
    method: 'post',
    path: '/outbound-routes',
    summary: 'Create an outbound route',
    tags: ['trunks'],
    scope: 'trunks:write',
    body: OutboundRouteSchema,
    errors: ['VALIDATION', 'CONFLICT'],
    response: { status: 201, description: 'The route', schema: OutboundRouteSchema },
    handler: async ({ body, actor, res }) => {
      if (store.route(body.id)) throw new ConflictError(`outbound route ${body.id} exists`);
      const r = store.saveRoute(body);
      await audit.record({ ...by(actor), action: 'outbound-route.created', target: r.id, after: r });
      res.setHeader('Location', `${res.req.baseUrl}/outbound-routes/${r.id}`);
      return r;
    },
  });

  registry.route({
    method: 'get',
    path: '/outbound-routes/:id',
    summary: 'One outbound route',
    tags: ['trunks'],
    scope: 'trunks:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The route', schema: OutboundRouteSchema },
    handler: ({ params }) => existing(params.id),
  });

  registry.route({
    method: 'put',
    path: '/outbound-routes/:id',
    summary: 'Replace an outbound route',
    tags: ['trunks'],
    scope: 'trunks:write',
    params: IdParams,
    body: RouteBody,
    errors: ['NOT_FOUND', 'VALIDATION'],
    response: { description: 'The route', schema: OutboundRouteSchema },
    handler: async ({ params, body, actor }) => {
      const before = existing(params.id);
      const r = store.saveRoute({ ...body, id: params.id });
      await audit.record({ ...by(actor), action: 'outbound-route.updated', target: r.id, before, after: r });
      return r;
    },
  });

  registry.route({
    method: 'delete',
    path: '/outbound-routes/:id',
    summary: 'Delete an outbound route',
    tags: ['trunks'],
    scope: 'trunks:write',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { status: 204, description: 'Deleted' },
    handler: async ({ params, actor }) => {
      const before = existing(params.id);
      store.removeRoute(params.id);
      await audit.record({ ...by(actor), action: 'outbound-route.deleted', target: params.id, before });
    },
  });

  registry.route({
    method: 'get',
    path: '/class-of-service',
    summary: 'Extensions with a class of service (every other extension is internal: no outbound calls)',
    tags: ['trunks'],
    scope: 'trunks:read',
    response: { description: 'Classes by extension', schema: z.object({ items: z.array(CosSchema) }) },
    handler: () => ({ items: store.classes() }),
  });

  registry.route({
    method: 'put',
    path: '/class-of-service/:extension',
    summary: "Set an extension's class of service",
    tags: ['trunks'],
    scope: 'trunks:write',
    params: ExtParams,
    body: z.strictObject({ class: z.enum(ClassesOfService) }),
    errors: ['VALIDATION'],
    response: { description: 'The class', schema: CosSchema },
    handler: async ({ params, body, actor }) => {
      const before = store.classOf(params.extension);
      store.setClass(params.extension, body.class);
      await audit.record({ ...by(actor), action: 'class-of-service.updated', target: params.extension, before: { class: before }, after: { class: body.class } });
      return { extension: params.extension, class: body.class };
    },
  });

  registry.route({
    method: 'delete',
    path: '/class-of-service/:extension',
    summary: "Reset an extension's class of service to internal",
    tags: ['trunks'],
    scope: 'trunks:write',
    params: ExtParams,
    response: { status: 204, description: 'Reset' },
    handler: async ({ params, actor }) => {
      const before = store.classOf(params.extension);
      store.clearClass(params.extension);
      await audit.record({ ...by(actor), action: 'class-of-service.deleted', target: params.extension, before: { class: before } });
    },
  });
}
