/**
 * The supervisor console `/supervisor` (issue 9 "Supervisor console"): live queue and agent
 * grids (ACD snapshots, then SSE updates), waiting calls with "why is this call still waiting"
 * (Acd.explain: eligible agents and the reasons the others are not), forcing an agent's status
 * (Acd.setStatus by 'supervisor') and moving a caller to another queue or its head
 * (Acd.moveCaller). Both actions are audited with before and after. Everything is limited to
 * the queues and agents in the user's data scope (live/scope.ts): out of scope answers 404,
 * as if it did not exist.
 */
import type { Request, Response } from 'express';
import { AgentStatuses, type AgentStatus } from '../../appliance/acd/model.js';
import { InvalidTransitionError, NotFoundError } from '../../appliance/core/errors.js';
import { html, type SafeHtml } from '../html.js';
import { actorOf, ctx, type PanelServices } from '../http/context.js';
import { render, renderError } from '../layout.js';
import type { LivePanel, Viewer } from '../live/live-panel.js';
import { inScope, visibleAgents, visibleQueues } from '../live/scope.js';
import { agentRow, agentTable, explanation, queueRow, queueTable, waitingCalls } from '../views/board-views.js';
import { field } from './desk.js';
import { viewerOf } from './live-stream.js';
import type { PanelRoute } from './types.js';

export function supervisorRoutes(s: PanelServices, live: LivePanel): PanelRoute[] {
  const dir = live.svc.directory;
  const canEdit = (res: Response): boolean => ctx(res).access?.permissions.can('supervisor', 'edit') ?? false;
  const queuesHtml = (v: Viewer): SafeHtml => queueTable(v.t, visibleQueues(v.access, dir).map((q) => queueRow(v.t, q, live.queueFigures(q.id))));
  const agentsHtml = (v: Viewer, res: Response): SafeHtml =>
    agentTable(v.t, visibleAgents(v.access, dir).map((a) => agentRow(v.t, a, live.agentView(a.id), { csrf: v.csrf, canEdit: canEdit(res), reasons: live.svc.breakReasons })));
  const waitingHtml = (v: Viewer, res: Response): SafeHtml => {
    const queues = visibleQueues(v.access, dir);
    const ids = new Set(queues.map((q) => q.id));
    return waitingCalls(v.t, live.tracker.waiting().filter((c) => c.queueId !== null && ids.has(c.queueId)), queues, live.now(), { csrf: v.csrf, canEdit: canEdit(res) });
  };
  const queueVisible = (v: Viewer, queueId: string | null): boolean => inScope(v.access, dir.queues().find((q) => q.id === queueId)?.departmentId ?? null) && queueId !== null && dir.queues().some((q) => q.id === queueId);

  return [
    {
      method: 'get',
      path: '/supervisor',
      access: ['supervisor', 'view'],
      handler: (req, res) => {
        const v = viewerOf(res);
        const after = live.hub.lastId();
        render(
          req,
          res,
          { title: 'supervisor.title' },
          html`<section class="supervisor" id="supervisor" sse-connect="${`/events/stream?view=supervisor${after ? `&after=${after}` : ''}`}">
<span hidden hx-get="/supervisor" hx-trigger="sse:reset from:body" hx-target="#supervisor" hx-swap="outerHTML"></span>
<h1>${v.t('supervisor.title')}</h1>
${live.svc.acd ? '' : html`<p class="notice-error">${v.t('desk.acd-absent')}</p>`}
<h2>${v.t('supervisor.queues')}</h2>${queuesHtml(v)}
<h2>${v.t('supervisor.agents')}</h2>${agentsHtml(v, res)}
<h2>${v.t('supervisor.waiting')}</h2>${waitingHtml(v, res)}
${explanation(v.t, null, '')}
</section>`,
        );
      },
    },
    { method: 'get', path: '/supervisor/queues', access: ['supervisor', 'view'], handler: (req, res) => render(req, res, { title: 'supervisor.queues' }, queuesHtml(viewerOf(res))) },
    { method: 'get', path: '/supervisor/agents', access: ['supervisor', 'view'], handler: (req, res) => render(req, res, { title: 'supervisor.agents' }, agentsHtml(viewerOf(res), res)) },
    { method: 'get', path: '/supervisor/calls', access: ['supervisor', 'view'], handler: (req, res) => render(req, res, { title: 'supervisor.waiting' }, waitingHtml(viewerOf(res), res)) },
    {
      method: 'get',
      path: '/supervisor/explain',
      access: ['supervisor', 'view'],
      handler: (req, res) => {
        const v = viewerOf(res);
        const callId = typeof req.query['callId'] === 'string' ? req.query['callId'].slice(0, 100) : '';
        let x = null;
        if (callId && live.svc.acd) {
          try {
            x = live.svc.acd.explain(callId);
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err;
          }
        }
        // Out of scope reads as "not waiting": a supervisor learns nothing of other departments.
        if (x && !queueVisible(v, x.queueId)) x = null;
        render(req, res, { title: 'live.explain' }, explanation(v.t, x, callId));
      },
    },
    {
      method: 'post',
      path: '/supervisor/agents/:id/status',
      access: ['supervisor', 'edit'],
      handler: async (req: Request, res: Response) => {
        const v = viewerOf(res);
        const agentId = String(req.params['id']);
        const agent = visibleAgents(v.access, dir).find((a) => a.id === agentId);
        if (!agent || !live.svc.acd) return renderError(req, res, 404, 'error.not-found');
        const status = field(req, 'status', 20) as AgentStatus;
        const reason = field(req, 'reason', 40);
        if (!AgentStatuses.includes(status) || (status === 'on-break' && !live.svc.breakReasons.some((r) => r.code === reason))) return renderError(req, res, 422, 'error.validation');
        const before = live.agentView(agentId);
        try {
          live.svc.acd.setStatus(agentId, status, status === 'on-break' ? reason : null, 'supervisor');
        } catch (err) {
          if (err instanceof InvalidTransitionError) return renderError(req, res, 409, 'desk.status-refused');
          if (err instanceof NotFoundError) return renderError(req, res, 404, 'error.not-found');
          throw err;
        }
        await s.audit.record({ ...actorOf(res), action: 'supervisor.agent.status-forced', target: `agent:${agentId}`, before, after: live.agentView(agentId) });
        if (req.get('HX-Request') === 'true')
          render(req, res, { title: 'supervisor.title' }, agentRow(v.t, agent, live.agentView(agentId), { csrf: v.csrf, canEdit: true, reasons: live.svc.breakReasons }));
        else res.redirect(303, '/supervisor');
      },
    },
    {
      method: 'post',
      path: '/supervisor/calls/:id/move',
      access: ['supervisor', 'edit'],
      handler: async (req: Request, res: Response) => {
        const v = viewerOf(res);
        const callId = String(req.params['id']);
        const to = field(req, 'queueId', 100);
        const toHead = field(req, 'toHead') === '1';
        if (!live.svc.acd) return renderError(req, res, 404, 'error.not-found');
        let from: string;
        try {
          from = live.svc.acd.explain(callId).queueId;
        } catch (err) {
          if (err instanceof NotFoundError) return renderError(req, res, 404, 'error.not-found');
          throw err;
        }
        if (!queueVisible(v, from)) return renderError(req, res, 404, 'error.not-found');
        if (!queueVisible(v, to)) return renderError(req, res, 422, 'error.validation');
        try {
          live.svc.acd.moveCaller(callId, to, { toHead, by: actorOf(res).actor });
        } catch (err) {
          if (err instanceof NotFoundError) return renderError(req, res, 404, 'error.not-found');
          throw err;
        }
        await s.audit.record({ ...actorOf(res), action: 'supervisor.caller.moved', target: `call:${callId}`, before: { queueId: from }, after: { queueId: to, toHead } });
        if (req.get('HX-Request') === 'true') render(req, res, { title: 'supervisor.waiting' }, waitingHtml(v, res));
        else res.redirect(303, '/supervisor');
      },
    },
  ];
}
