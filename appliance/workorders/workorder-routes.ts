/**
 * `/workorders`: the REST face of the work-order service (workorder-service.ts), declared on
 * the API route registry (api/registry.ts). Reading needs `workorders:read`, creating and acting
 * `workorders:write`. Actions carry the `version` the caller saw: a stale one is 409 CONFLICT and
 * nothing is written (optimistic locking). A key with `workorders:act-as` names the person it
 * acts for in X-Acting-User / -Roles / -Departments (api/acting-user.ts); the order's event row
 * names that person and the audit row names the key. Times are RFC 3339.
 *
 *   GET  /workorders/todo          to-do list (待办工作) of a person
 *   GET  /workorders               list with filters, newest first, keyset-paged
 *   POST /workorders               create (201, Location)
 *   GET  /workorders/:id           one order (id or number GDyyyymmdd-NNNNNN)
 *   POST /workorders/:id/actions   accept / dispatch / transfer / return / reply / … (version!)
 *   GET  /workorders/:id/history   the flow history, oldest first
 *   GET  /workorders/:id/flow.svg  the same history drawn as SVG (flow-svg.ts), overdue in red
 */
import { z } from 'zod';
import { actingUser, type ActingUser } from '../api/acting-user.js';
import { queryInt, type RouteRegistry } from '../api/registry.js';
import type { AuditInput } from '../ops/audit.js';
import { ActionChannels, OrderActions, OrderSources, OrderStatuses, Priorities, SlaStates, type Actor, type OrderEvent, type WorkOrder } from './model.js';
import { ActionCommandSchema, CreateOrderSchema } from './schemas.js';
import type { WorkOrderService } from './workorder-service.js';
import { renderFlowSvg } from './flow-svg.js';

export interface RoutesAudit {
  record(input: AuditInput): Promise<unknown>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export const WorkOrderSchema = z.strictObject({
  id: z.string(),
  number: z.string().describe('GDyyyymmdd-NNNNNN, local day'),
  typeId: z.string(),
  categoryId: z.string().nullable(),
  source: z.enum(OrderSources),
  priority: z.enum(Priorities),
  areaClass: z.string().nullable(),
  status: z.enum(OrderStatuses),
  title: z.string(),
  description: z.string(),
  fields: z.record(z.string(), z.unknown()),
  customerId: z.string().nullable(),
  contactName: z.string().nullable(),
  contactPhone: z.string().nullable(),
  address: z.string().nullable(),
  createdBy: z.string(),
  acceptorId: z.string().nullable(),
  currentStep: z.string().nullable(),
  stepRound: z.number().int(),
  resumeStatus: z.string().nullable(),
  urgeCount: z.number().int(),
  reopenCount: z.number().int(),
  visitResult: z.string().nullable(),
  slaState: z.enum(SlaStates),
  dueAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  acceptedAt: z.iso.datetime().nullable(),
  closedAt: z.iso.datetime().nullable(),
  version: z.number().int().describe('Send it back with the next action; a stale version is 409'),
  callIds: z.array(z.string()),
  recordingIds: z.array(z.string()),
});

export const OrderEventSchema = z.strictObject({
  id: z.number().int(),
  at: z.iso.datetime(),
  actor: z.string(),
  actorIp: z.string().nullable(),
  channel: z.enum(ActionChannels),
  action: z.enum(OrderActions),
  fromStatus: z.enum(OrderStatuses).nullable(),
  toStatus: z.enum(OrderStatuses),
  stepId: z.string().nullable(),
  note: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
  version: z.number().int(),
});

const TodoSchema = z.strictObject({
  orderId: z.string(),
  number: z.string(),
  title: z.string(),
  status: z.string(),
  dueAt: z.iso.datetime().nullable(),
  reason: z.enum(['assigned', 'to-dispatch', 'to-close']),
  stepId: z.string().nullable(),
});

export function orderOut(o: WorkOrder): z.input<typeof WorkOrderSchema> {
  return { ...o, dueAt: isoOrNull(o.dueAt), createdAt: iso(o.createdAt), updatedAt: iso(o.updatedAt), acceptedAt: isoOrNull(o.acceptedAt), closedAt: isoOrNull(o.closedAt) };
}

function eventOut(e: OrderEvent): z.input<typeof OrderEventSchema> {
  const { orderId: _o, ...rest } = e;
  return { ...rest, at: iso(e.at) };
}

function toActor(u: ActingUser): Actor {
  return { id: u.id, roles: u.roles, departmentIds: u.departmentIds, ip: u.ip, channel: 'api' };
}

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const statusList = z.preprocess((v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v), z.array(z.enum(OrderStatuses)).min(1));
const names = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.string().regex(/^[\w.-]{1,64}$/)).max(50));

export function registerWorkOrderRoutes(registry: RouteRegistry, svc: WorkOrderService, audit: RoutesAudit): void {
  const find = (id: string): WorkOrder => (/^GD\d{8}-\d+$/.test(id) ? svc.getByNumber(id) : svc.get(id));

  registry.route({
    method: 'get',
    path: '/workorders/todo',
    summary: 'The to-do list (待办工作) of one person: assignments to handle, orders to dispatch or close',
    tags: ['workorders'],
    scope: 'workorders:read',
    query: z.strictObject({
      user: z.string().regex(/^[a-z][a-z0-9-]{0,15}:[\w.@-]{1,64}$/, 'expected kind:id, e.g. user:42'),
      roles: names.optional(),
      departments: names.optional(),
      limit: queryInt(1, 500).optional(),
    }),
    response: { description: 'To-do items', schema: z.strictObject({ items: z.array(TodoSchema) }) },
    handler: ({ query }) => ({
      items: svc
        .todo({ id: query.user, roles: query.roles ?? [], departmentIds: query.departments ?? [] }, query.limit ?? 200)
        .map((i) => ({ ...i, dueAt: isoOrNull(i.dueAt) })),
    }),
  });

  registry.route({
    method: 'get',
    path: '/workorders',
    summary: 'List work orders, newest first, with filters',
    tags: ['workorders'],
    scope: 'workorders:read',
    query: z.strictObject({
      status: statusList.optional().describe('Comma-separated statuses'),
      typeId: z.string().min(1).max(64).optional(),
      customerId: z.string().min(1).max(64).optional(),
      source: z.enum(OrderSources).optional(),
      slaState: z.enum(SlaStates).optional(),
      createdFrom: z.iso.datetime().optional(),
      createdTo: z.iso.datetime().optional(),
      text: z.string().min(1).max(100).optional().describe('Order number, or words of the title'),
      limit: queryInt(1, 500).optional(),
      cursor: z.string().min(1).max(200).optional(),
    }),
    response: { description: 'One page', schema: z.strictObject({ items: z.array(WorkOrderSchema), nextCursor: z.string().nullable() }) },
    handler: ({ query }) => {
      const page = svc.list({
        ...(query.status && { status: query.status }),
        ...(query.typeId && { typeId: query.typeId }),
        ...(query.customerId && { customerId: query.customerId }),
        ...(query.source && { source: query.source }),
        ...(query.slaState && { slaState: query.slaState }),
        ...(query.createdFrom && { createdFrom: Date.parse(query.createdFrom) }),
        ...(query.createdTo && { createdTo: Date.parse(query.createdTo) }),
        ...(query.text && { text: query.text }),
        ...(query.limit !== undefined && { limit: query.limit }),
        ...(query.cursor && { cursor: query.cursor }),
      });
      return { items: page.items.map(orderOut), nextCursor: page.nextCursor };
    },
  });

  registry.route({
    method: 'post',
    path: '/workorders',
    summary: 'Register a work order (status new)',
    tags: ['workorders'],
    scope: 'workorders:write',
    body: z.strictObject(CreateOrderSchema.shape),
    errors: ['VALIDATION', 'FORBIDDEN'],
    response: { status: 201, description: 'The new order', schema: WorkOrderSchema },
    handler: async ({ body, key, req, res, actor }) => {
      const who = actingUser(req, key);
      const o = await svc.createQueued(body, toActor(who));
      await audit.record({ actor: actor.actor, ip: actor.ip, action: 'workorder.order.created', target: o.id, after: { number: o.number, typeId: o.typeId, actingAs: who.id } });
      res.setHeader('Location', `${res.req.baseUrl}/workorders/${o.id}`);
      return orderOut(o);
    },
  });

  registry.route({
    method: 'get',
    path: '/workorders/:id',
    summary: 'One work order, by id or number',
    tags: ['workorders'],
    scope: 'workorders:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The order', schema: WorkOrderSchema },
    handler: ({ params }) => orderOut(find(params.id)),
  });

  registry.route({
    method: 'post',
    path: '/workorders/:id/actions',
    summary: 'Take one workflow action (accept, dispatch, transfer, return, reply, urge, close, visit, …)',
    description:
      '`version` must be the version of the order the caller saw: if the order changed since, the answer is 409 CONFLICT ' +
      'and nothing is written. An action not allowed in the current status is 409 INVALID_TRANSITION; one the acting ' +
      'person may not take is 403 FORBIDDEN with the reason.',
    tags: ['workorders'],
    scope: 'workorders:write',
    params: IdParams,
    body: ActionCommandSchema,
    errors: ['NOT_FOUND', 'CONFLICT', 'INVALID_TRANSITION', 'FORBIDDEN', 'VALIDATION'],
    response: { description: 'The order after the action', schema: WorkOrderSchema },
    handler: async ({ params, body, key, req, actor }) => {
      const who = actingUser(req, key);
      const id = find(params.id).id;
      const o = svc.act(id, body, toActor(who));
      await audit.record({
        actor: actor.actor,
        ip: actor.ip,
        action: `workorder.order.${body.action}`,
        target: o.id,
        before: { version: body.version },
        after: { status: o.status, version: o.version, actingAs: who.id },
      });
      return orderOut(o);
    },
  });

  registry.route({
    method: 'get',
    path: '/workorders/:id/history',
    summary: 'The flow history of an order, oldest first (who, when, from where, what)',
    tags: ['workorders'],
    scope: 'workorders:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'Every event', schema: z.strictObject({ items: z.array(OrderEventSchema) }) },
    handler: ({ params }) => ({ items: svc.history(find(params.id).id).map(eventOut) }),
  });

  registry.route({
    method: 'get',
    path: '/workorders/:id/flow.svg',
    summary: 'The flow history drawn as SVG: steps, who, when, durations; overdue steps red',
    tags: ['workorders'],
    scope: 'workorders:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'An SVG document', contentType: 'image/svg+xml', schema: z.string() },
    handler: ({ params }) => {
      const o = find(params.id);
      return renderFlowSvg(svc.history(o.id), { title: `${o.number} ${o.title}` });
    },
  });
}
