/**
 * `/ivr/flows…`: the REST face of the flow store (flow-store.ts) and the simulator
 * (simulator.ts), declared on the API route registry. Reading and simulating need scope
 * `ivr:read`; saving drafts, publishing and rolling back need `ivr:write`, and each is written
 * to the audit log (`ivr-flow.draft-saved`, `ivr-flow.published`, `ivr-flow.rolled-back`).
 *
 *   GET  /ivr/flows                                     one line per flow (published, else draft)
 *   GET  /ivr/flows/:flowId/versions                    every version, newest first
 *   GET  /ivr/flows/:flowId/versions/:version           one version with its definition
 *   POST /ivr/flows/validate                            check a flow; 200 with {valid, problems}
 *   PUT  /ivr/flows/:flowId/draft                       validate and save as the draft
 *                                                       (400: every problem as a field `nodes.<node>.<field>`)
 *   POST /ivr/flows/:flowId/versions/:version/publish   make it live (re-validated)
 *   POST /ivr/flows/:flowId/rollback                    republish an older version
 *   GET  /ivr/flows/:flowId/traffic                     visits and abandons per node, one day
 *   POST /ivr/flows/:flowId/simulate                    walk a version with typed keys
 *
 * An invalid flow is refused with node-level problems and the running version stays live.
 */
import { z } from 'zod';
import type { Actor } from '../api/api-keys.js';
import { queryInt, type RouteRegistry } from '../api/registry.js';
import type { Clock } from '../core/clock.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { AuditInput } from '../ops/audit.js';
import { FlowValidationError, ProblemCodes, type FlowProblem } from './errors.js';
import { FlowIdSchema } from './flow-schema.js';
import { FlowStatuses, type FlowStore, type FlowVersionInfo } from './flow-store.js';
import type { IvrDeps } from './runner.js';
import { SCRIPT, simulateFlow, type SimulateOptions } from './simulator.js';
import { checkFlow } from './validator.js';
import type { ValidationCatalogue } from './ports.js';

export interface IvrRoutesDeps {
  flows: FlowStore;
  catalogue: () => ValidationCatalogue;
  clock: Clock;
  /** Read-only ports the simulator may use (lookups, outages, calendar, sub-flows). */
  simulationDeps?: () => IvrDeps;
  promptText?: SimulateOptions['promptText'];
}

export interface IvrRoutesAudit {
  record(input: AuditInput): Promise<unknown>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const FlowVersionSchema = z.strictObject({
  flowId: z.string(),
  version: z.number().int(),
  name: z.string(),
  status: z.enum(FlowStatuses),
  createdAt: z.iso.datetime(),
  createdBy: z.string(),
  updatedAt: z.iso.datetime(),
  publishedAt: z.iso.datetime().nullable(),
  publishedBy: z.string().nullable(),
});

export const FlowProblemSchema = z.strictObject({
  node: z.string().nullable().describe('The node, or null for flow-level fields (start, vars)'),
  field: z.string().describe('Dotted field inside the node (options.1, prompt.0, onFail…)'),
  code: z.enum(ProblemCodes),
  message: z.string(),
});

const FlowParams = z.strictObject({ flowId: FlowIdSchema });
const VersionParams = z.strictObject({ flowId: FlowIdSchema, version: queryInt(1, 1_000_000) });
const FlowBody = z.record(z.string(), z.unknown()).describe('A flow definition (see the IVR flow schema)');

function versionOut(v: FlowVersionInfo): z.input<typeof FlowVersionSchema> {
  return { ...v, createdAt: iso(v.createdAt)!, updatedAt: iso(v.updatedAt)!, publishedAt: iso(v.publishedAt) };
}

function by(actor: Actor): Pick<AuditInput, 'actor' | 'ip'> {
  return { actor: actor.actor, ip: actor.ip };
}

/** FlowValidationError → the API's VALIDATION error, one field per problem. */
function asFieldErrors(err: FlowValidationError): ValidationError {
  return new ValidationError(
    err.message,
    err.problems.map((p) => ({ path: p.node ? `nodes.${p.node}${p.field ? `.${p.field}` : ''}` : p.field || '(flow)', message: `${p.code}: ${p.message}` })),
  );
}

export function registerIvrRoutes(registry: RouteRegistry, deps: IvrRoutesDeps, audit: IvrRoutesAudit): void {
  const { flows } = deps;

  registry.route({
    method: 'get',
    path: '/ivr/flows',
    summary: 'List IVR flows (each with its published version, or its draft when never published)',
    tags: ['ivr'],
    scope: 'ivr:read',
    response: { description: 'Flows', schema: z.strictObject({ items: z.array(FlowVersionSchema) }) },
    handler: async () => ({ items: (await flows.list()).map(versionOut) }),
  });

  registry.route({
    method: 'get',
    path: '/ivr/flows/:flowId/versions',
    summary: 'Every version of a flow, newest first',
    tags: ['ivr'],
    scope: 'ivr:read',
    params: FlowParams,
    errors: ['NOT_FOUND'],
    response: { description: 'Versions', schema: z.strictObject({ items: z.array(FlowVersionSchema) }) },
    handler: async ({ params }) => {
      const items = await flows.versions(params.flowId);
      if (items.length === 0) throw new NotFoundError('flow', params.flowId);
      return { items: items.map(versionOut) };
    },
  });

  registry.route({
    method: 'get',
    path: '/ivr/flows/:flowId/versions/:version',
    summary: 'One version of a flow with its definition',
    tags: ['ivr'],
    scope: 'ivr:read',
    params: VersionParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The version', schema: z.strictObject({ info: FlowVersionSchema, definition: z.record(z.string(), z.unknown()) }) },
    handler: async ({ params }) => {
      const definition = await flows.get(params.flowId, params.version);
      const info = (await flows.versions(params.flowId)).find((v) => v.version === params.version)!;
      return { info: versionOut(info), definition: definition as unknown as Record<string, unknown> };
    },
  });

  registry.route({
    method: 'post',
    path: '/ivr/flows/validate',
    summary: 'Check a flow without saving it: every problem with its node and field',
    tags: ['ivr'],
    scope: 'ivr:read',
    body: FlowBody,
    response: { description: 'Validation result', schema: z.strictObject({ valid: z.boolean(), problems: z.array(FlowProblemSchema) }) },
    handler: ({ body }) => {
      const { problems } = checkFlow(body, deps.catalogue());
      return { valid: problems.length === 0, problems: problems as FlowProblem[] };
    },
  });

  registry.route({
    method: 'put',
    path: '/ivr/flows/:flowId/draft',
    summary: 'Validate a flow and save it as the draft (replacing the draft, or opening the next version)',
    description: 'Refused with 400 and one field per problem (`nodes.<node>.<field>`) when the flow does not validate; nothing is saved then and the live version is untouched.',
    tags: ['ivr'],
    scope: 'ivr:write',
    params: FlowParams,
    body: FlowBody,
    errors: ['VALIDATION'],
    response: { description: 'The draft saved', schema: z.strictObject({ flowId: z.string(), version: z.number().int(), status: z.literal('draft') }) },
    handler: async ({ params, body, actor }) => {
      if (body['id'] !== params.flowId) throw new ValidationError('flow id mismatch', [{ path: 'id', message: `must be ${params.flowId}, the flow in the path` }]);
      let saved: { flowId: string; version: number };
      try {
        saved = await flows.saveDraft(body, actor.actor);
      } catch (err) {
        if (err instanceof FlowValidationError) throw asFieldErrors(err);
        throw err;
      }
      const nodes = typeof body['nodes'] === 'object' && body['nodes'] !== null ? Object.keys(body['nodes']).length : 0;
      await audit.record({ ...by(actor), action: 'ivr-flow.draft-saved', target: `${saved.flowId} v${saved.version}`, after: { name: body['name'], nodes } });
      return { ...saved, status: 'draft' as const };
    },
  });

  registry.route({
    method: 'post',
    path: '/ivr/flows/:flowId/versions/:version/publish',
    summary: 'Publish a version: it becomes the live flow, the previous one is retired',
    tags: ['ivr'],
    scope: 'ivr:write',
    params: VersionParams,
    errors: ['VALIDATION', 'NOT_FOUND', 'INVALID_TRANSITION'],
    response: { description: 'Published', schema: z.strictObject({ flowId: z.string(), version: z.number().int(), status: z.literal('published') }) },
    handler: async ({ params, actor }) => {
      const before = (await flows.list()).find((f) => f.flowId === params.flowId && f.status === 'published')?.version ?? null;
      try {
        await flows.publish(params.flowId, params.version, actor.actor);
      } catch (err) {
        if (err instanceof FlowValidationError) throw asFieldErrors(err);
        throw err;
      }
      await audit.record({ ...by(actor), action: 'ivr-flow.published', target: `${params.flowId} v${params.version}`, before: { published: before }, after: { published: params.version } });
      return { flowId: params.flowId, version: params.version, status: 'published' as const };
    },
  });

  registry.route({
    method: 'post',
    path: '/ivr/flows/:flowId/rollback',
    summary: 'Republish an older (retired) version',
    tags: ['ivr'],
    scope: 'ivr:write',
    params: FlowParams,
    body: z.strictObject({ version: z.number().int().min(1) }),
    errors: ['VALIDATION', 'NOT_FOUND', 'INVALID_TRANSITION'],
    response: { description: 'Rolled back', schema: z.strictObject({ flowId: z.string(), version: z.number().int(), status: z.literal('published') }) },
    handler: async ({ params, body, actor }) => {
      const before = (await flows.list()).find((f) => f.flowId === params.flowId && f.status === 'published')?.version ?? null;
      try {
        await flows.rollback(params.flowId, body.version, actor.actor);
      } catch (err) {
        if (err instanceof FlowValidationError) throw asFieldErrors(err);
        throw err;
      }
      await audit.record({ ...by(actor), action: 'ivr-flow.rolled-back', target: `${params.flowId} v${body.version}`, before: { published: before }, after: { published: body.version } });
      return { flowId: params.flowId, version: body.version, status: 'published' as const };
    },
  });

  registry.route({
    method: 'get',
    path: '/ivr/flows/:flowId/traffic',
    summary: 'Node traffic of one day: visits and abandons per node (where callers leave)',
    tags: ['ivr'],
    scope: 'ivr:read',
    params: FlowParams,
    query: z.strictObject({
      version: queryInt(1, 1_000_000).optional().describe('Default: the published version'),
      day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().describe('YYYY-MM-DD in appliance local time; default today'),
    }),
    errors: ['NOT_FOUND'],
    response: {
      description: 'Traffic per node, most visited first',
      schema: z.strictObject({
        flowId: z.string(),
        version: z.number().int(),
        day: z.string(),
        nodes: z.array(z.strictObject({ nodeId: z.string(), visits: z.number().int(), abandons: z.number().int(), abandonRate: z.number() })),
      }),
    },
    handler: async ({ params, query }) => {
      const version = query.version ?? (await flows.list()).find((f) => f.flowId === params.flowId)?.version;
      if (version === undefined) throw new NotFoundError('flow', params.flowId);
      const day = query.day ?? flows.day();
      const nodes = (await flows.traffic(params.flowId, version, day))
        .map((n) => ({ ...n, abandonRate: n.visits > 0 ? Math.round((n.abandons / n.visits) * 1000) / 1000 : 0 }))
        .sort((a, b) => b.visits - a.visits || a.nodeId.localeCompare(b.nodeId));
      return { flowId: params.flowId, version, day, nodes };
    },
  });

  registry.route({
    method: 'post',
    path: '/ivr/flows/:flowId/simulate',
    summary: 'Walk a flow version with typed keys on a simulated call (no real queue, transfer or message)',
    tags: ['ivr'],
    scope: 'ivr:read',
    params: FlowParams,
    body: z.strictObject({
      keys: z.string().regex(SCRIPT, '0-9 * # w (wait) and spaces, at most 200'),
      version: z.number().int().min(1).optional().describe('Default: the draft, else the published version'),
      caller: z.string().regex(/^[0-9+-]{3,20}$/).optional(),
    }),
    errors: ['NOT_FOUND'],
    response: {
      description: 'Path, variables and what the caller heard',
      schema: z.strictObject({
        outcome: z.string(),
        path: z.array(z.string()),
        vars: z.record(z.string(), z.string()),
        transcript: z.array(z.strictObject({ atMs: z.number(), kind: z.string(), value: z.string(), text: z.string().optional() })),
        unusedKeys: z.string(),
      }),
    },
    handler: async ({ params, body }) => {
      const versions = await flows.versions(params.flowId);
      const pickV = body.version ?? (versions.find((v) => v.status === 'draft') ?? versions.find((v) => v.status === 'published'))?.version;
      if (pickV === undefined) throw new NotFoundError('flow', params.flowId);
      const sim = await simulateFlow({
        flow: await flows.get(params.flowId, pickV),
        keys: body.keys,
        startAt: deps.clock.now(),
        ...(body.caller && { caller: body.caller }),
        ...(deps.simulationDeps && { deps: deps.simulationDeps() }),
        ...(deps.promptText && { promptText: deps.promptText }),
      });
      return { outcome: sim.result.outcome, path: sim.result.path, vars: sim.result.vars, transcript: sim.transcript, unusedKeys: sim.unusedKeys };
    },
  });
}
