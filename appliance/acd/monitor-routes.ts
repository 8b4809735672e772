/**
 * `/acd/monitor`: supervisors listen to, whisper to or barge into an agent's call (issue 6
 * "Supervision … every monitoring session is audited"). The supervisor's own phone (an
 * extension) is called and, once answered, attached as a tap to the agent's bridge; the mode can
 * be switched mid-call. The work is the call layer's (calls/monitor.ts, wired by the daemon:
 * acd does not import calls, so the target is described here as a port). Every start, switch
 * and stop is written to the audit log (`acd-monitor.*`). Scope `acd:supervise`.
 *
 *   POST   /acd/monitor            { supervisor, agentId, mode } → 201 session (ringing)
 *   GET    /acd/monitor            sessions (running and recently ended)
 *   GET    /acd/monitor/:id        one session
 *   PUT    /acd/monitor/:id/mode   { mode } switch listen / whisper / barge
 *   DELETE /acd/monitor/:id        stop (the supervisor's leg is cleared; the call goes on)
 */
import { z } from 'zod';
import type { Actor } from '../api/api-keys.js';
import type { RouteRegistry } from '../api/registry.js';
import type { AcdRoutesAudit } from './acd-routes.js';

export const MonitorModes = ['listen', 'whisper', 'barge'] as const;
export type MonitorModeName = (typeof MonitorModes)[number];

export interface MonitorSessionView {
  id: string;
  supervisor: string;
  agentId: string;
  agentExtension: string;
  callId: string;
  mode: MonitorModeName;
  state: 'ringing' | 'active' | 'ended';
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  endReason: string | null;
}

/** calls/monitor.ts Monitor, structurally. */
export interface MonitorTarget {
  start(o: { supervisor: string; agentId: string; mode: MonitorModeName }): MonitorSessionView;
  setMode(id: string, mode: MonitorModeName): Promise<MonitorSessionView>;
  stop(id: string): Promise<MonitorSessionView>;
  get(id: string): MonitorSessionView;
  list(): MonitorSessionView[];
}

const Extension = z.string().regex(/^[0-9A-Za-z*#+._-]{1,32}$/);
const Mode = z.enum(MonitorModes);
const IdParams = z.strictObject({ id: z.string().min(1).max(80) });
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const SessionSchema = z.object({
  id: z.string(),
  supervisor: z.string().describe("The supervisor's extension (their phone is called)"),
  agentId: z.string(),
  agentExtension: z.string(),
  callId: z.string(),
  mode: Mode,
  state: z.enum(['ringing', 'active', 'ended']),
  startedAt: z.string(),
  answeredAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  endReason: z.string().nullable().describe('stopped | supervisor-hung-up | call-ended | no-answer | failed'),
});

function out(s: MonitorSessionView): z.input<typeof SessionSchema> {
  return { ...s, startedAt: iso(s.startedAt)!, answeredAt: iso(s.answeredAt), endedAt: iso(s.endedAt) };
}

function by(actor: Actor): { actor: string; ip: string | null } {
  return { actor: actor.actor, ip: actor.ip };
}

export function registerMonitorRoutes(registry: RouteRegistry, monitor: MonitorTarget, audit: AcdRoutesAudit): void {
  registry.route({
    method: 'post',
    path: '/acd/monitor',
    summary: "Monitor an agent's current call: the supervisor's phone is called and tapped in (listen, whisper or barge)",
    tags: ['acd'],
    scope: 'acd:supervise',
    body: z.strictObject({ supervisor: Extension, agentId: z.string().min(1).max(64), mode: Mode.default('listen') }),
    errors: ['VALIDATION', 'NOT_FOUND', 'CONFLICT'],
    response: { status: 201, description: 'The session (ringing the supervisor)', schema: SessionSchema },
    handler: async ({ body, actor, res }) => {
      const s = monitor.start(body);
      await audit.record({ ...by(actor), action: 'acd-monitor.started', target: s.id, after: { supervisor: s.supervisor, agentId: s.agentId, callId: s.callId, mode: s.mode } });
      res.setHeader('Location', `${res.req.baseUrl}/acd/monitor/${s.id}`);
      return out(s);
    },
  });

  registry.route({
    method: 'get',
    path: '/acd/monitor',
    summary: 'Monitoring sessions, running and recently ended',
    tags: ['acd'],
    scope: 'acd:supervise',
    response: { description: 'The sessions', schema: z.object({ items: z.array(SessionSchema) }) },
    handler: () => ({ items: monitor.list().map(out) }),
  });

  registry.route({
    method: 'get',
    path: '/acd/monitor/:id',
    summary: 'One monitoring session',
    tags: ['acd'],
    scope: 'acd:supervise',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The session', schema: SessionSchema },
    handler: ({ params }) => out(monitor.get(params.id)),
  });

  registry.route({
    method: 'put',
    path: '/acd/monitor/:id/mode',
    summary: 'Switch a monitoring session between listen, whisper and barge',
    tags: ['acd'],
    scope: 'acd:supervise',
    params: IdParams,
    body: z.strictObject({ mode: Mode }),
    errors: ['VALIDATION', 'NOT_FOUND', 'INVALID_TRANSITION'],
    response: { description: 'The session after the switch', schema: SessionSchema },
    handler: async ({ params, body, actor }) => {
      const before = monitor.get(params.id);
      const s = await monitor.setMode(params.id, body.mode);
      await audit.record({ ...by(actor), action: 'acd-monitor.mode-changed', target: s.id, before: { mode: before.mode }, after: { mode: s.mode } });
      return out(s);
    },
  });

  registry.route({
    method: 'delete',
    path: '/acd/monitor/:id',
    summary: "Stop monitoring (the supervisor's leg is cleared; the call goes on)",
    tags: ['acd'],
    scope: 'acd:supervise',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The ended session', schema: SessionSchema },
    handler: async ({ params, actor }) => {
      const s = await monitor.stop(params.id);
      await audit.record({ ...by(actor), action: 'acd-monitor.stopped', target: s.id, before: { mode: s.mode } });
      return out(s);
    },
  });
}
