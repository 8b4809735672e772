/**
 * `/visits`: the REST face of callback visits (回访, visit-service.ts) for the utility's own
 * quality systems and field apps. Reading needs `workorders:read`, assigning and recording
 * `workorders:write`. Like work-order actions, recording an outcome carries the `version` the
 * caller saw (409 CONFLICT when stale) and is taken as the person named by X-Acting-User
 * (api/acting-user.ts) — the visit must be assigned to that person. Times are RFC 3339.
 *
 *   GET  /visits                 list (status, agent, order)
 *   GET  /visits/queue           one agent's work list, due first
 *   GET  /visits/stats           satisfaction by type / kind / department / agent
 *   GET  /visits/:id             one visit with its attempts
 *   POST /visits/assign          hand visits to an agent
 *   POST /visits/:id/dial        click-to-dial: telephony calls the customer for the agent
 *   POST /visits/:id/outcome     satisfied / dissatisfied (reopens the order) / unreachable
 */
import { z } from 'zod';
import { actingUser, type ActingUser } from '../api/acting-user.js';
import { queryInt, type RouteRegistry } from '../api/registry.js';
import { VisitResults, type Actor } from './model.js';
import { VisitOutcomeSchema, VisitStatuses, type Visit, type VisitAttempt, type VisitService } from './visit-service.js';
import type { RoutesAudit } from './workorder-routes.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));
const Person = z.string().regex(/^[a-z][a-z0-9-]{0,15}:[\w.@-]{1,64}$/, 'expected kind:id, e.g. user:42');

export const VisitSchema = z.strictObject({
  id: z.string(),
  orderId: z.string(),
  ruleId: z.string().nullable(),
  round: z.number().int(),
  typeId: z.string(),
  kind: z.string(),
  departmentId: z.string().nullable(),
  status: z.enum(VisitStatuses),
  agentId: z.string().nullable(),
  contactPhone: z.string().nullable(),
  nextAttemptAt: z.iso.datetime(),
  dueAt: z.iso.datetime(),
  attempts: z.number().int(),
  result: z.enum(VisitResults).nullable(),
  reason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
  version: z.number().int().describe('Send it back with the outcome; a stale version is 409'),
});

const AttemptSchema = z.strictObject({
  at: z.iso.datetime(),
  agentId: z.string(),
  outcome: z.enum(VisitResults),
  reason: z.string().nullable(),
  callId: z.string().nullable(),
});

const StatsRowSchema = z.strictObject({
  key: z.string().nullable(),
  visits: z.number().int(),
  satisfied: z.number().int(),
  dissatisfied: z.number().int(),
  unreachable: z.number().int(),
  satisfactionRate: z.number().nullable(),
});

export function visitOut(v: Visit): z.input<typeof VisitSchema> {
  return { ...v, nextAttemptAt: iso(v.nextAttemptAt), dueAt: iso(v.dueAt), createdAt: iso(v.createdAt), completedAt: isoOrNull(v.completedAt) };
}

const attemptOut = (a: VisitAttempt): z.input<typeof AttemptSchema> => ({ ...a, at: iso(a.at) });

function toActor(u: ActingUser): Actor {
  return { id: u.id, roles: u.roles, departmentIds: u.departmentIds, ip: u.ip, channel: 'api' };
}

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });

export function registerVisitRoutes(registry: RouteRegistry, visits: VisitService, audit: RoutesAudit): void {
  registry.route({
    method: 'get',
    path: '/visits',
    summary: 'List callback visits (回访), newest first',
    tags: ['visits'],
    scope: 'workorders:read',
    query: z.strictObject({
      status: z.enum(VisitStatuses).optional(),
      agent: Person.optional(),
      orderId: z.string().min(1).max(64).optional(),
      limit: queryInt(1, 500).optional(),
    }),
    response: { description: 'Visits', schema: z.strictObject({ items: z.array(VisitSchema) }) },
    handler: ({ query }) => ({
      items: visits
        .list({
          ...(query.status && { status: query.status }),
          ...(query.agent && { agentId: query.agent }),
          ...(query.orderId && { orderId: query.orderId }),
          ...(query.limit !== undefined && { limit: query.limit }),
        })
        .map(visitOut),
    }),
  });

  registry.route({
    method: 'get',
    path: '/visits/queue',
    summary: "One agent's visit work list: assigned visits whose next attempt is due, earliest first",
    tags: ['visits'],
    scope: 'workorders:read',
    query: z.strictObject({ agent: Person, limit: queryInt(1, 500).optional() }),
    response: { description: 'Visits to call', schema: z.strictObject({ items: z.array(VisitSchema) }) },
    handler: ({ query }) => ({ items: visits.queue(query.agent, query.limit ?? 100).map(visitOut) }),
  });

  registry.route({
    method: 'get',
    path: '/visits/stats',
    summary: 'Visit results and satisfaction rate (satisfied ÷ reached) grouped by type, kind, department or agent',
    tags: ['visits'],
    scope: 'workorders:read',
    query: z.strictObject({
      by: z.enum(['type', 'kind', 'department', 'agent']),
      from: z.iso.datetime().optional(),
      to: z.iso.datetime().optional(),
    }),
    response: { description: 'One row per group', schema: z.strictObject({ items: z.array(StatsRowSchema) }) },
    handler: ({ query }) => ({
      items: visits.stats(query.by, { ...(query.from && { from: Date.parse(query.from) }), ...(query.to && { to: Date.parse(query.to) }) }),
    }),
  });

  registry.route({
    method: 'get',
    path: '/visits/:id',
    summary: 'One visit with every call attempt',
    tags: ['visits'],
    scope: 'workorders:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The visit', schema: z.strictObject({ visit: VisitSchema, attempts: z.array(AttemptSchema) }) },
    handler: ({ params }) => ({ visit: visitOut(visits.get(params.id)), attempts: visits.attempts(params.id).map(attemptOut) }),
  });

  registry.route({
    method: 'post',
    path: '/visits/assign',
    summary: 'Assign visits to an agent',
    tags: ['visits'],
    scope: 'workorders:write',
    body: z.strictObject({ visitIds: z.array(z.string().min(1).max(64)).min(1).max(500), agent: Person }),
    errors: ['NOT_FOUND', 'CONFLICT', 'VALIDATION', 'FORBIDDEN'],
    response: { description: 'The visits after assignment', schema: z.strictObject({ items: z.array(VisitSchema) }) },
    handler: async ({ body, key, req, actor }) => {
      const who = actingUser(req, key);
      const out = visits.assign(body.visitIds, body.agent, toActor(who));
      await audit.record({ actor: actor.actor, ip: actor.ip, action: 'workorder.visit.assigned', target: body.agent, after: { visitIds: body.visitIds, actingAs: who.id } });
      return { items: out.map(visitOut) };
    },
  });

  registry.route({
    method: 'post',
    path: '/visits/:id/dial',
    summary: 'Click-to-dial: the appliance calls the customer for the assigned agent',
    tags: ['visits'],
    scope: 'workorders:write',
    params: IdParams,
    body: z.strictObject({}).optional(),
    errors: ['NOT_FOUND', 'FORBIDDEN', 'VALIDATION'],
    response: { status: 202, description: 'The number being dialled', schema: z.strictObject({ number: z.string() }) },
    handler: ({ params, key, req }) => visits.dial(params.id, toActor(actingUser(req, key))),
  });

  registry.route({
    method: 'post',
    path: '/visits/:id/outcome',
    summary: 'Record a visit attempt: satisfied, dissatisfied (reopens the order) or unreachable (retried in calling hours)',
    tags: ['visits'],
    scope: 'workorders:write',
    params: IdParams,
    body: VisitOutcomeSchema,
    errors: ['NOT_FOUND', 'CONFLICT', 'FORBIDDEN', 'VALIDATION'],
    response: { description: 'The visit after the attempt', schema: VisitSchema },
    handler: async ({ params, body, key, req, actor }) => {
      const who = actingUser(req, key);
      const v = visits.record(params.id, body, toActor(who));
      await audit.record({
        actor: actor.actor,
        ip: actor.ip,
        action: 'workorder.visit.recorded',
        target: v.id,
        before: { version: body.version },
        after: { outcome: body.outcome, status: v.status, version: v.version, actingAs: who.id },
      });
      return visitOut(v);
    },
  });
}
