/**
 * `/trunks`: the REST face of the SIP trunks (issue 3 "Trunks"), declared on the API route
 * registry (api/registry.ts). Reading needs `trunks:read`, changing `trunks:write`. Bodies are
 * TrunkSchema (strict: an unknown field is a 400 naming it). The registration password is
 * write-only (read back as `********`) and never written to the audit log. Every change is
 * audited (`sip-trunk.created|updated|deleted`) with before/after; a saved trunk restarts its
 * registration and qualify at once.
 *
 *   GET    /trunks            every trunk with its live status
 *   POST   /trunks            create (201; 409 if the id exists)
 *   GET    /trunks/:id        one trunk with its live status
 *   PUT    /trunks/:id        replace its configuration
 *   DELETE /trunks/:id        remove (calls in progress keep their channel to the end)
 */
import { z } from 'zod';
import type { Actor } from '../../api/api-keys.js';
import type { RouteRegistry } from '../../api/registry.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { AuditInput } from '../../ops/audit.js';
import type { TrunkService } from './trunk-service.js';
import { publicTrunk, PublicTrunkSchema, TrunkSchema, type TrunkConfig } from './trunk-schema.js';

export interface TrunkRoutesAudit {
  record(input: AuditInput): Promise<unknown>;
}

const StatusSchema = z.object({
  up: z.boolean(),
  reason: z.string(),
  registration: z.enum(['idle', 'registering', 'registered', 'backoff', 'stopped']).nullable(),
  registrationExpiresAt: z.iso.datetime().nullable(),
  reachable: z.boolean().nullable(),
  lastQualifyMs: z.number().nullable(),
  channelsInUse: z.number().int(),
});
const TrunkView = PublicTrunkSchema.extend({ status: StatusSchema.nullable() });
type TrunkViewOut = z.input<typeof TrunkView>;
const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const TrunkBody = TrunkSchema.omit({ id: true });

function by(actor: Actor): Pick<AuditInput, 'actor' | 'ip'> {
  return { actor: actor.actor, ip: actor.ip };
}

export function registerTrunkRoutes(registry: RouteRegistry, trunks: TrunkService, audit: TrunkRoutesAudit): void {
  const view = (cfg: TrunkConfig): TrunkViewOut => {
    const s = trunks.status(cfg.id);
    return {
      ...publicTrunk(cfg),
      status: s
        ? {
            up: s.up,
            reason: s.reason,
            registration: s.registration,
            registrationExpiresAt: s.registrationExpiresAt === null ? null : new Date(s.registrationExpiresAt).toISOString(),
            reachable: s.reachable,
            lastQualifyMs: s.lastQualifyMs,
            channelsInUse: s.channelsInUse,
          }
        : null,
    };
  };
  const existing = (id: string): TrunkConfig => {
    const cfg = trunks.config(id);
    if (!cfg) throw new NotFoundError('trunk', id);
    return cfg;
  };

  registry.route({
    method: 'get',
    path: '/trunks',
    summary: 'List SIP trunks with their live status',
    tags: ['trunks'],
    scope: 'trunks:read',
    response: { description: 'Every trunk', schema: z.object({ items: z.array(TrunkView) }) },
    handler: () => ({ items: trunks.configs().map(view) }),
  });

  registry.route({
    method: 'post',
    path: '/trunks',
    summary: 'Create a SIP trunk',
    tags: ['trunks'],
    scope: 'trunks:write',
    body: TrunkSchema,
    errors: ['VALIDATION', 'CONFLICT'],
    response: { status: 201, description: 'The trunk', schema: TrunkView },
    handler: async ({ body, actor, res }) => {
      if (trunks.config(body.id)) throw new ConflictError(`trunk ${body.id} exists`);
      const cfg = await trunks.save(body);
      await audit.record({ ...by(actor), action: 'sip-trunk.created', target: cfg.id, after: publicTrunk(cfg) });
      res.setHeader('Location', `${res.req.baseUrl}/trunks/${cfg.id}`);
      return view(cfg);
    },
  });

  registry.route({
    method: 'get',
    path: '/trunks/:id',
    summary: 'One SIP trunk with its live status',
    tags: ['trunks'],
    scope: 'trunks:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The trunk', schema: TrunkView },
    handler: ({ params }) => view(existing(params.id)),
  });

  registry.route({
    method: 'put',
    path: '/trunks/:id',
    summary: "Replace a SIP trunk's configuration (re-registers)",
    tags: ['trunks'],
    scope: 'trunks:write',
    params: IdParams,
    body: TrunkBody,
    errors: ['NOT_FOUND', 'VALIDATION'],
    response: { description: 'The trunk', schema: TrunkView },
    handler: async ({ params, body, actor }) => {
      const before = existing(params.id);
      const cfg = await trunks.save({ ...body, id: params.id });
      await audit.record({ ...by(actor), action: 'sip-trunk.updated', target: cfg.id, before: publicTrunk(before), after: publicTrunk(cfg) });
      return view(cfg);
    },
  });

  registry.route({
    method: 'delete',
    path: '/trunks/:id',
    summary: 'Delete a SIP trunk',
    tags: ['trunks'],
    scope: 'trunks:write',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { status: 204, description: 'Deleted' },
    handler: async ({ params, actor }) => {
      const before = existing(params.id);
      await trunks.remove(params.id);
      await audit.record({ ...by(actor), action: 'sip-trunk.deleted', target: params.id, before: publicTrunk(before) });
    },
  });
}
