/**
 * `/acd/...`: the REST face of the ACD (issue 6), declared on the API route registry
 * (api/registry.ts). Reading queues, agents, snapshots and explanations needs `queues:read`;
 * changing queues, agents and memberships needs `queues:write`; changing an agent's status on
 * their behalf needs `acd:supervise`; interval statistics need `reports:read`. Request bodies
 * are the schemas of acd-schemas.ts (strict: an unknown field is a 400 naming it); the ACD's
 * own cross-reference checks (unknown queue in a membership or overflow, step order, unknown
 * skill, unknown work-order department in `departmentId`) also answer 400 with field paths.
 * Times are RFC 3339 date-times. Every change is written to the audit log (actions
 * `acd-queue.*`, `acd-agent.*`) with before/after.
 *
 *   GET    /acd/queues                      list queue configurations
 *   POST   /acd/queues                      create a queue (201; 409 if the id exists)
 *   GET    /acd/queues/:id                  one queue's configuration
 *   PUT    /acd/queues/:id                  replace a queue's configuration
 *   DELETE /acd/queues/:id[?fallback=q]     delete; waiting callers move to `fallback` or overflow
 *   GET    /acd/queues/:id/snapshot         real-time: waiting, longest wait, agents by state, counts
 *   GET    /acd/queues/:id/intervals        stored 15/30-min aggregates with the METRICS.md formulas
 *   GET    /acd/agents                      list agent configurations
 *   POST   /acd/agents                      create an agent (201; 409 if the id exists)
 *   GET    /acd/agents/:id                  one agent's configuration
 *   PUT    /acd/agents/:id                  replace skills and memberships (status and state kept)
 *   DELETE /acd/agents/:id                  remove (one on a call keeps it to the end)
 *   GET    /acd/agents/:id/snapshot         status, break reason, state, current call
 *   PUT    /acd/agents/:id/status           log in / available / break (reason) / log out
 *   GET    /acd/calls/:callId/explain       eligible agents now, why others are not, next relaxation
 */
import { z } from 'zod';
import type { Actor } from '../api/api-keys.js';
import { queryInt, type RouteRegistry } from '../api/registry.js';
import { AppError, ValidationError } from '../core/errors.js';
import type { AuditInput } from '../ops/audit.js';
import type { Acd, Explanation, QueueSnapshot } from './acd.js';
import { AgentConfigSchema, AgentStatusInput, QueueConfigSchema } from './acd-schemas.js';
import { abandonRate, averageHandleTime, averageSpeedOfAnswer, serviceLevel } from './metrics.js';
import { AgentStates, AgentStatuses, CustomerTiers, type AgentConfig, type QueueConfig } from './model.js';
import type { IntervalStatsRecord } from './store-port.js';

export interface AcdRoutesAudit {
  record(input: AuditInput): Promise<unknown>;
}

/** What the routes need of the ACD (the Acd class, or a fake in tests). */
export type AcdRoutesTarget = Pick<
  Acd,
  | 'queueConfigs'
  | 'queueConfig'
  | 'upsertQueue'
  | 'deleteQueue'
  | 'queueSnapshot'
  | 'agentConfigs'
  | 'agentConfig'
  | 'upsertAgent'
  | 'removeAgent'
  | 'agentSnapshot'
  | 'setStatus'
  | 'explain'
  | 'intervalStats'
>;

const iso = (ms: number): string => new Date(ms).toISOString();
const Id = z.string().min(1).max(64);
const IdParams = z.strictObject({ id: Id });

const QueueBody = QueueConfigSchema.omit({ id: true });
const AgentBody = AgentConfigSchema.omit({ id: true });

const Counts = z.object({
  offered: z.number(),
  answered: z.number(),
  answeredWithin: z.number(),
  abandoned: z.number(),
  abandonedWithin: z.number(),
  abandonedShort: z.number(),
  callbacks: z.number(),
  callbacksWithin: z.number(),
  overflowed: z.number(),
  sumAnswerWaitMs: z.number(),
  maxAnswerWaitMs: z.number(),
  handled: z.number(),
  talkMs: z.number(),
  holdMs: z.number(),
  acwMs: z.number(),
});

const Metric = z.object({ value: z.number().nullable(), formula: z.string() });

const Metrics = z.object({
  serviceLevel: Metric.describe('Recommended: Ans≤T / (Ans + Ab − Ab_short) × 100'),
  serviceLevelAnsweredOnly: Metric,
  serviceLevel2: Metric,
  asaMs: Metric,
  abandonRate: Metric.describe('(Ab − Ab_short) / (Q − Ab_short) × 100'),
  handle: z.object({ formula: z.string(), talkMs: z.number().nullable(), holdMs: z.number().nullable(), acwMs: z.number().nullable(), ahtMs: z.number().nullable() }),
});

function metricsOf(c: z.input<typeof Counts>): z.input<typeof Metrics> {
  return {
    serviceLevel: serviceLevel(c, 'recommended'),
    serviceLevelAnsweredOnly: serviceLevel(c, 'answered-only'),
    serviceLevel2: serviceLevel(c, 'sl2'),
    asaMs: averageSpeedOfAnswer(c),
    abandonRate: abandonRate(c).headline,
    handle: averageHandleTime(c),
  };
}

const QueueSnapshotSchema = z.object({
  queueId: z.string(),
  waiting: z.number().int(),
  callbacksWaiting: z.number().int(),
  longestWaitMs: z.number(),
  staffed: z.number().int(),
  agents: z.record(z.enum([...AgentStates, 'on-break', 'logged-out']), z.number().int()),
  estimatedWaitMs: z.number().nullable(),
  counts: Counts.describe('Since the last local-midnight reset'),
  metrics: Metrics,
});

const AgentSnapshotSchema = z.object({
  agentId: z.string(),
  status: z.enum(AgentStatuses),
  breakReason: z.string().nullable(),
  state: z.enum(AgentStates),
  callId: z.string().nullable(),
  queues: z.array(z.string()),
});

const Requirement = z.object({ skill: z.string(), minProficiency: z.number() });

const ExplanationSchema = z.object({
  callId: z.string(),
  queueId: z.string(),
  kind: z.enum(['inbound', 'callback']),
  state: z.enum(['waiting', 'offering']),
  strategy: z.string(),
  tier: z.enum(CustomerTiers),
  priority: z.number(),
  position: z.number().int(),
  ahead: z.number().int(),
  waitedMs: z.number(),
  activeStep: z.object({ index: z.number().int(), requirements: z.array(Requirement) }).nullable(),
  nextRelaxation: z.object({ at: z.iso.datetime(), inMs: z.number(), stepIndex: z.number().int(), requirements: z.array(Requirement) }).nullable(),
  eligible: z.array(z.object({ agentId: z.string(), name: z.string(), penalty: z.number(), skillScore: z.number() })),
  ineligible: z.array(z.object({ agentId: z.string(), name: z.string(), reasons: z.array(z.string()) })),
  offeredTo: z.array(z.string()),
  callback: z.object({ readyAt: z.iso.datetime(), attempts: z.number().int(), expiresAt: z.iso.datetime(), reasons: z.array(z.string()) }).nullable(),
});

const IntervalRow = Counts.extend({
  queueId: z.string(),
  intervalStart: z.iso.datetime(),
  intervalMs: z.number().int(),
  serviceLevelMs: z.number().int(),
  shortAbandonMs: z.number().int(),
  agentsRequired: z.number().int().nullable().describe('Erlang C agents for 80 % within T at this interval’s load'),
  metrics: Metrics,
});

function explanationOut(e: Explanation): z.input<typeof ExplanationSchema> {
  return {
    ...e,
    activeStep: e.activeStep ? { index: e.activeStep.index, requirements: [...e.activeStep.requirements] } : null,
    nextRelaxation: e.nextRelaxation ? { ...e.nextRelaxation, at: iso(e.nextRelaxation.at), requirements: [...e.nextRelaxation.requirements] } : null,
    callback: e.callback ? { ...e.callback, readyAt: iso(e.callback.readyAt), expiresAt: iso(e.callback.expiresAt) } : null,
  };
}

function snapshotOut(s: QueueSnapshot): z.input<typeof QueueSnapshotSchema> {
  return { ...s, metrics: metricsOf(s.counts) };
}

function intervalOut(r: IntervalStatsRecord): z.input<typeof IntervalRow> {
  return { ...r, intervalStart: iso(r.intervalStart), metrics: metricsOf(r) };
}

/** QueueConfig has readonly arrays; the schema's input type has mutable ones (same shape). */
function queueOut(cfg: QueueConfig): z.input<typeof QueueConfigSchema> {
  return cfg as z.input<typeof QueueConfigSchema>;
}

function by(actor: Actor): Pick<AuditInput, 'actor' | 'ip'> {
  return { actor: actor.actor, ip: actor.ip };
}

function exists(get: () => unknown): boolean {
  try {
    get();
    return true;
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND') return false;
    throw err;
  }
}

export function registerAcdRoutes(registry: RouteRegistry, acd: AcdRoutesTarget, audit: AcdRoutesAudit): void {
  // ------------------------------------------------------------------ queues

  registry.route({
    method: 'get',
    path: '/acd/queues',
    summary: 'List ACD queue configurations',
    tags: ['acd'],
    scope: 'queues:read',
    response: { description: 'Every queue', schema: z.object({ items: z.array(QueueConfigSchema) }) },
    handler: () => ({ items: acd.queueConfigs().map(queueOut) }),
  });

  registry.route({
    method: 'post',
    path: '/acd/queues',
    summary: 'Create an ACD queue',
    tags: ['acd'],
    scope: 'queues:write',
    body: QueueConfigSchema,
    errors: ['VALIDATION', 'CONFLICT'],
    response: { status: 201, description: 'The queue', schema: QueueConfigSchema },
    handler: async ({ body, actor, res }) => {
      if (exists(() => acd.queueConfig(body.id))) throw new AppError('CONFLICT', `queue ${body.id} exists`);
      const cfg = body as QueueConfig;
      acd.upsertQueue(cfg);
      await audit.record({ ...by(actor), action: 'acd-queue.created', target: cfg.id, after: cfg });
      res.setHeader('Location', `${res.req.baseUrl}/acd/queues/${cfg.id}`);
      return queueOut(cfg);
    },
  });

  registry.route({
    method: 'get',
    path: '/acd/queues/:id',
    summary: "One ACD queue's configuration",
    tags: ['acd'],
    scope: 'queues:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The queue', schema: QueueConfigSchema },
    handler: ({ params }) => queueOut(acd.queueConfig(params.id)),
  });

  registry.route({
    method: 'put',
    path: '/acd/queues/:id',
    summary: "Replace an ACD queue's configuration (callers keep waiting)",
    tags: ['acd'],
    scope: 'queues:write',
    params: IdParams,
    body: QueueBody,
    errors: ['NOT_FOUND', 'VALIDATION'],
    response: { description: 'The queue', schema: QueueConfigSchema },
    handler: async ({ params, body, actor }) => {
      const before = acd.queueConfig(params.id);
      const cfg = { id: params.id, ...body } as QueueConfig;
      acd.upsertQueue(cfg);
      await audit.record({ ...by(actor), action: 'acd-queue.updated', target: params.id, before, after: cfg });
      return queueOut(cfg);
    },
  });

  registry.route({
    method: 'delete',
    path: '/acd/queues/:id',
    summary: 'Delete an ACD queue; waiting callers move to `fallback` (or take the overflow), never lost',
    tags: ['acd'],
    scope: 'queues:write',
    params: IdParams,
    query: z.strictObject({ fallback: Id.optional().describe('Queue that takes the waiting callers') }),
    errors: ['NOT_FOUND', 'VALIDATION'],
    response: { status: 204, description: 'Deleted' },
    handler: async ({ params, query, actor }) => {
      const before = acd.queueConfig(params.id);
      if (query.fallback !== undefined && (query.fallback === params.id || !exists(() => acd.queueConfig(query.fallback!))))
        throw new ValidationError('invalid fallback queue', [{ path: 'fallback', message: `must be another existing queue, not ${query.fallback}` }]);
      const waiting = acd.queueSnapshot(params.id);
      acd.deleteQueue(params.id, query.fallback);
      await audit.record({
        ...by(actor),
        action: 'acd-queue.deleted',
        target: params.id,
        before,
        after: { fallback: query.fallback ?? null, callersMoved: waiting.waiting + waiting.callbacksWaiting },
      });
    },
  });

  registry.route({
    method: 'get',
    path: '/acd/queues/:id/snapshot',
    summary: 'Real-time view of a queue: callers waiting, longest wait, agents by state, counts and metrics since midnight',
    tags: ['acd'],
    scope: 'queues:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The snapshot', schema: QueueSnapshotSchema },
    handler: ({ params }) => snapshotOut(acd.queueSnapshot(params.id)),
  });

  registry.route({
    method: 'get',
    path: '/acd/queues/:id/intervals',
    summary: 'Stored interval aggregates (recomputed from the raw event log) with the METRICS.md formulas named',
    tags: ['acd', 'reports'],
    scope: 'reports:read',
    params: IdParams,
    query: z.strictObject({
      from: z.iso.datetime().describe('Inclusive: intervals starting at or after'),
      to: z.iso.datetime().describe('Exclusive: intervals starting before'),
      intervalMs: queryInt(60_000, 86_400_000).optional().describe('Interval length (default 900000 = 15 min)'),
    }),
    errors: ['NOT_FOUND', 'VALIDATION'],
    response: { description: 'Intervals in time order', schema: z.object({ items: z.array(IntervalRow) }) },
    handler: ({ params, query }) => {
      acd.queueConfig(params.id);
      const from = Date.parse(query.from);
      const to = Date.parse(query.to);
      if (to <= from) throw new ValidationError('empty range', [{ path: 'to', message: 'must be after from' }]);
      const len = query.intervalMs ?? 900_000;
      return { items: acd.intervalStats(params.id, from, to).filter((r) => r.intervalMs === len).map(intervalOut) };
    },
  });

  // ------------------------------------------------------------------ agents

  registry.route({
    method: 'get',
    path: '/acd/agents',
    summary: 'List ACD agent configurations',
    tags: ['acd'],
    scope: 'queues:read',
    response: { description: 'Every agent', schema: z.object({ items: z.array(AgentConfigSchema) }) },
    handler: () => ({ items: acd.agentConfigs() as z.input<typeof AgentConfigSchema>[] }),
  });

  registry.route({
    method: 'post',
    path: '/acd/agents',
    summary: 'Create an ACD agent (logged out until they log in)',
    tags: ['acd'],
    scope: 'queues:write',
    body: AgentConfigSchema,
    errors: ['VALIDATION', 'CONFLICT'],
    response: { status: 201, description: 'The agent', schema: AgentConfigSchema },
    handler: async ({ body, actor, res }) => {
      if (exists(() => acd.agentConfig(body.id))) throw new AppError('CONFLICT', `agent ${body.id} exists`);
      const cfg = body as AgentConfig;
      acd.upsertAgent(cfg);
      await audit.record({ ...by(actor), action: 'acd-agent.created', target: cfg.id, after: cfg });
      res.setHeader('Location', `${res.req.baseUrl}/acd/agents/${cfg.id}`);
      return body;
    },
  });

  registry.route({
    method: 'get',
    path: '/acd/agents/:id',
    summary: "One ACD agent's configuration",
    tags: ['acd'],
    scope: 'queues:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The agent', schema: AgentConfigSchema },
    handler: ({ params }) => acd.agentConfig(params.id) as z.input<typeof AgentConfigSchema>,
  });

  registry.route({
    method: 'put',
    path: '/acd/agents/:id',
    summary: "Replace an agent's skills and queue memberships (status and state are kept)",
    tags: ['acd'],
    scope: 'queues:write',
    params: IdParams,
    body: AgentBody,
    errors: ['NOT_FOUND', 'VALIDATION'],
    response: { description: 'The agent', schema: AgentConfigSchema },
    handler: async ({ params, body, actor }) => {
      const before = acd.agentConfig(params.id);
      const cfg = { id: params.id, ...body } as AgentConfig;
      acd.upsertAgent(cfg);
      await audit.record({ ...by(actor), action: 'acd-agent.updated', target: params.id, before, after: cfg });
      return { id: params.id, ...body };
    },
  });

  registry.route({
    method: 'delete',
    path: '/acd/agents/:id',
    summary: 'Remove an agent; one on a call keeps it (and its wrap-up) to the end',
    tags: ['acd'],
    scope: 'queues:write',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { status: 204, description: 'Removed' },
    handler: async ({ params, actor }) => {
      const before = acd.agentConfig(params.id);
      acd.removeAgent(params.id);
      await audit.record({ ...by(actor), action: 'acd-agent.deleted', target: params.id, before });
    },
  });

  registry.route({
    method: 'get',
    path: '/acd/agents/:id/snapshot',
    summary: "An agent's status (the person's), state (the ACD's) and current call",
    tags: ['acd'],
    scope: 'queues:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The snapshot', schema: AgentSnapshotSchema },
    handler: ({ params }) => {
      acd.agentConfig(params.id);
      return acd.agentSnapshot(params.id);
    },
  });

  registry.route({
    method: 'put',
    path: '/acd/agents/:id/status',
    summary: "Set an agent's status on their behalf: available, on-break (with reason) or logged-out",
    description: 'Moves follow the status table (agent-state.ts); a move it does not allow (e.g. available → available) is 409 INVALID_TRANSITION.',
    tags: ['acd'],
    scope: 'acd:supervise',
    params: IdParams,
    body: AgentStatusInput,
    errors: ['NOT_FOUND', 'VALIDATION', 'INVALID_TRANSITION'],
    response: { description: 'The agent after the change', schema: AgentSnapshotSchema },
    handler: async ({ params, body, actor }) => {
      if (body.reason !== undefined && body.status !== 'on-break')
        throw new ValidationError('a reason is only for on-break', [{ path: 'reason', message: 'only allowed with status on-break' }]);
      acd.agentConfig(params.id);
      const before = acd.agentSnapshot(params.id);
      acd.setStatus(params.id, body.status, body.reason ?? null, 'supervisor');
      const after = acd.agentSnapshot(params.id);
      await audit.record({
        ...by(actor),
        action: 'acd-agent.status-changed',
        target: params.id,
        before: { status: before.status, breakReason: before.breakReason },
        after: { status: after.status, breakReason: after.breakReason },
      });
      return after;
    },
  });

  // ------------------------------------------------------------------ calls

  registry.route({
    method: 'get',
    path: '/acd/calls/:callId/explain',
    summary: 'For a waiting call: which agents are eligible now, why the others are not, and when the next relaxation step happens',
    tags: ['acd'],
    scope: 'queues:read',
    params: z.strictObject({ callId: Id }),
    errors: ['NOT_FOUND'],
    response: { description: 'The explanation', schema: ExplanationSchema },
    handler: ({ params }) => explanationOut(acd.explain(params.callId)),
  });
}
