/**
 * The agent desktop `/desk` (issue 9 "Agent desktop"): status control with break reasons
 * (Acd.setStatus), the screen pop pushed over SSE (views/desk-views.ts, live/live-panel.ts),
 * call controls through the CallControl port, wrap-up codes, a work order created inline with
 * the call linked (WorkOrderService.create), and the to-do list (WorkOrderService.todo).
 * Forms keep method and action (303 back to /desk without htmx); htmx gets the fragment.
 * Every change is audited.
 */
import type { Request, Response } from 'express';
import { AgentStatuses, type AgentStatus } from '../../appliance/acd/model.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../../appliance/core/errors.js';
import type { Actor } from '../../appliance/workorders/model.js';
import { html } from '../html.js';
import { actorOf, ctx, type PanelServices } from '../http/context.js';
import { render, renderError } from '../layout.js';
import type { LivePanel } from '../live/live-panel.js';
import { CallActions, type CallAction } from '../live/ports.js';
import { orderForm, todoList, wrapUpForm, type OrderDraft } from '../views/desk-views.js';
import { viewerOf } from './live-stream.js';
import type { PanelRoute } from './types.js';

declare module '../../appliance/core/events.js' {
  interface EventMap {
    /** An agent's wrap-up code for a call (话后小结), recorded on the desk. */
    'panel.wrap-up.recorded': { callId: string; agentId: string | null; userId: string; code: string; note: string };
  }
}

export function field(req: Request, name: string, max = 1000): string {
  const v = ((req.body as Record<string, unknown> | undefined) ?? {})[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

const isHx = (req: Request): boolean => req.get('HX-Request') === 'true';

export function workOrderActor(res: Response): Actor {
  const c = ctx(res);
  return { id: `user:${c.user!.id}`, roles: c.user!.roles, departmentIds: c.user!.departmentId ? [c.user!.departmentId] : [], ip: c.ip, channel: 'web' };
}

export function deskRoutes(s: PanelServices, live: LivePanel): PanelRoute[] {
  const agentOf = (res: Response): string | null => live.svc.directory.agentIdFor(ctx(res).user!);
  const todo = (res: Response) => (live.svc.workOrders ? live.svc.workOrders.todo(workOrderActor(res), 50) : null);

  return [
    {
      method: 'get',
      path: '/desk',
      access: ['agent-desktop', 'view'],
      handler: (req, res) => {
        const c = ctx(res);
        const v = viewerOf(res);
        const agentId = agentOf(res);
        const after = live.hub.lastId();
        render(
          req,
          res,
          { title: 'desk.title' },
          html`<section class="desk" id="desk" sse-connect="${`/events/stream?view=desk${after ? `&after=${after}` : ''}`}">
<span hidden hx-get="/desk" hx-trigger="sse:reset from:body" hx-target="#desk" hx-swap="outerHTML"></span>
<h1>${c.t('desk.title')}${agentId ? html` <small class="agent-id">${agentId}</small>` : ''}</h1>
${live.svc.acd ? '' : html`<p class="notice-error">${c.t('desk.acd-absent')}</p>`}
${live.deskStatus(v, agentId)}
<div class="desk-main">${live.currentPop(v, agentId)}
${c.access?.permissions.can('workorders', 'view') ? todoList(c.t, todo(res)) : ''}</div>
</section>`,
        );
      },
    },
    {
      method: 'post',
      path: '/desk/status',
      access: ['agent-desktop', 'edit'],
      handler: async (req, res) => {
        const c = ctx(res);
        const v = viewerOf(res);
        const agentId = agentOf(res);
        const status = field(req, 'status', 20) as AgentStatus;
        const reason = field(req, 'reason', 40);
        if (!live.svc.acd || !agentId) return renderError(req, res, 409, 'desk.no-agent');
        if (!AgentStatuses.includes(status) || (status === 'on-break' && !live.svc.breakReasons.some((r) => r.code === reason))) {
          render(req, res, { title: 'desk.title', status: 422 }, live.deskStatus(v, agentId, c.t('error.validation')));
          return;
        }
        const before = live.agentView(agentId);
        try {
          live.svc.acd.setStatus(agentId, status, status === 'on-break' ? reason : null, 'agent');
        } catch (err) {
          if (err instanceof InvalidTransitionError) {
            render(req, res, { title: 'desk.title', status: 409 }, live.deskStatus(v, agentId, c.t('desk.status-refused')));
            return;
          }
          if (err instanceof NotFoundError) return renderError(req, res, 409, 'desk.no-agent');
          throw err;
        }
        await s.audit.record({ ...actorOf(res), action: 'agent.status-set', target: `agent:${agentId}`, before, after: { status, reason: status === 'on-break' ? reason : null } });
        if (isHx(req)) render(req, res, { title: 'desk.title' }, live.deskStatus(v, agentId));
        else res.redirect(303, '/desk');
      },
    },
    {
      method: 'get',
      path: '/desk/todo',
      access: ['workorders', 'view'],
      handler: (req, res) => render(req, res, { title: 'desk.todo' }, todoList(ctx(res).t, todo(res))),
    },
    {
      method: 'get',
      path: '/desk/workorder-form',
      access: ['workorders', 'create'],
      handler: (req, res) => {
        const v = viewerOf(res);
        if (!live.svc.workOrders) return render(req, res, { title: 'desk.new-order' }, html`<div id="wo-form"><p>${v.t('desk.workorders-absent')}</p></div>`);
        const q = (k: string): string => (typeof req.query[k] === 'string' ? (req.query[k] as string).slice(0, 200) : '');
        const draft = live.orderDraft(v.t, q('callId'), q('typeId'));
        render(req, res, { title: 'desk.new-order' }, orderForm(v.t, live.svc.workOrders.listTypes(), draft, { csrf: v.csrf }));
      },
    },
    {
      method: 'post',
      path: '/desk/workorders',
      access: ['workorders', 'create'],
      handler: async (req, res) => {
        const v = viewerOf(res);
        const wo = live.svc.workOrders;
        if (!wo) return renderError(req, res, 404, 'desk.workorders-absent');
        const body = (req.body as Record<string, unknown> | undefined) ?? {};
        const type = wo.listTypes().find((x) => x.id === field(req, 'typeId', 100));
        const fields: Record<string, string> = {};
        for (const [k, val] of Object.entries(body)) if (k.startsWith('fields.') && typeof val === 'string') fields[k.slice(7)] = val.slice(0, 2000);
        const draft: OrderDraft = {
          callId: field(req, 'callId', 100),
          typeId: type?.id ?? field(req, 'typeId', 100),
          title: field(req, 'title', 200),
          description: field(req, 'description', 20_000),
          customerId: field(req, 'customerId', 100),
          contactPhone: field(req, 'contactPhone', 40),
          fields,
        };
        const typed: Record<string, unknown> = {};
        for (const f of type?.form.fields ?? []) {
          const raw = fields[f.key] ?? '';
          if (raw === '') continue;
          typed[f.key] = f.type === 'number' || f.type === 'integer' ? Number(raw) : f.type === 'boolean' ? raw === '1' || raw === 'true' : raw;
        }
        try {
          const order = wo.create(
            {
              typeId: draft.typeId,
              source: 'call',
              title: draft.title,
              description: draft.description,
              fields: typed,
              ...(draft.customerId && { customerId: draft.customerId }),
              ...(draft.contactPhone && { contactPhone: draft.contactPhone }),
              callIds: draft.callId ? [draft.callId] : [],
            },
            workOrderActor(res),
          );
          await s.audit.record({ ...actorOf(res), action: 'workorder.created', target: order.id, after: { number: order.number, callId: draft.callId || null } });
          if (!isHx(req)) return res.redirect(303, '/desk');
          render(req, res, { title: 'desk.new-order' }, orderForm(v.t, wo.listTypes(), live.orderDraft(v.t, draft.callId, draft.typeId), { csrf: v.csrf, notice: v.t('desk.order-created', { number: order.number }) }));
        } catch (err) {
          // An unknown type (or customer) named by the form is the form's fault: mark the field.
          const issues = err instanceof ValidationError ? err.issues : err instanceof NotFoundError ? [{ path: /^customer/.test(err.message) ? 'customerId' : 'typeId', message: 'field.invalid' }] : null;
          if (!issues) throw err;
          render(req, res, { title: 'desk.new-order', status: 422 }, orderForm(v.t, wo.listTypes(), draft, { csrf: v.csrf, issues }));
        }
      },
    },
    {
      method: 'post',
      path: '/desk/wrap-up',
      access: ['agent-desktop', 'edit'],
      handler: async (req, res) => {
        const c = ctx(res);
        const v = viewerOf(res);
        const agentId = agentOf(res);
        const callId = field(req, 'callId', 100);
        const code = field(req, 'code', 40);
        const note = field(req, 'note', 500);
        if (!callId || !live.svc.wrapUpCodes.some((x) => x.code === code)) {
          render(req, res, { title: 'desk.wrap-up', status: 422 }, wrapUpForm(c.t, callId, v.csrf, live.svc.wrapUpCodes, c.t('error.validation')));
          return;
        }
        await s.audit.record({ ...actorOf(res), action: 'call.wrap-up', target: `call:${callId}`, after: { code, note, agentId } });
        s.bus.publish('panel.wrap-up.recorded', { callId, agentId, userId: c.user!.id, code, note });
        if (field(req, 'ready') === '1' && agentId && live.svc.acd) live.svc.acd.endWrapUp(agentId);
        if (isHx(req)) render(req, res, { title: 'desk.wrap-up' }, wrapUpForm(c.t, callId, v.csrf, live.svc.wrapUpCodes, c.t('desk.saved')));
        else res.redirect(303, '/desk');
      },
    },
    {
      method: 'post',
      path: '/desk/call',
      access: ['agent-desktop', 'edit'],
      handler: async (req, res) => {
        const c = ctx(res);
        const agentId = agentOf(res);
        const action = field(req, 'action', 20) as CallAction;
        const callId = field(req, 'callId', 100);
        const cc = live.svc.callControl;
        const reply = (status: number, text: string): void => {
          res.status(status).type('html').setHeader('Cache-Control', 'no-store');
          if (isHx(req)) res.send(html`<span id="call-result" role="status">${text}</span>`.value);
          else render(req, res, { title: 'desk.title', status }, html`<p id="call-result">${text}</p>`);
        };
        if (!cc) return reply(503, c.t('desk.call-control-absent'));
        if (!agentId || !callId || !CallActions.includes(action)) return reply(422, c.t('error.validation'));
        const kind = field(req, 'toKind', 10);
        const target = field(req, 'to', 70).trim();
        const to = kind === 'agent' || kind === 'queue' ? `${kind}:${target}` : target;
        const r = await cc.act({ agentId, callId, action, ...((action === 'transfer' || action === 'consult') && { to }), ...(action === 'dtmf' && { digits: field(req, 'digits', 32) }) });
        await s.audit.record({ ...actorOf(res), action: `call.${action}`, target: `call:${callId}`, after: r });
        reply(r.ok ? 200 : 409, r.ok ? c.t(`desk.cc.done`) : c.t(`desk.cc.${r.reason}`));
      },
    },
  ];
}
