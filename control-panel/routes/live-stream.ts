/**
 * `GET /events/stream?view=desk|supervisor|wallboard[&after=<event id>]`: the panel's SSE
 * endpoint (WHATWG HTML §9.2, live/sse.ts), fed by the bus through live/live-hub.ts. Each view
 * needs its function's `view` permission (403, audited, otherwise) and is filtered by the
 * user's data scope (live/live-panel.ts). Resume point: the `Last-Event-ID` header the browser
 * sends on reconnect, else `after` (the page's render point, so nothing between rendering
 * and connecting is lost).
 *
 * Content negotiation: only a request that accepts `text/event-stream` gets the stream; any
 * other GET (a person typing the URL, a crawler) gets a short page naming the views this user
 * may open — a plain GET never hangs.
 */
import type { Request, Response } from 'express';
import type { PanelFunction } from '../auth/permissions.js';
import { html } from '../html.js';
import { ctx, type PanelServices } from '../http/context.js';
import { deny } from '../http/guards.js';
import { csrfField, render } from '../layout.js';
import type { LivePanel, Viewer } from '../live/live-panel.js';
import type { Projector } from '../live/live-hub.js';
import type { PanelRoute } from './types.js';

export const LiveViews = ['desk', 'supervisor', 'wallboard'] as const;
export type LiveView = (typeof LiveViews)[number];

const VIEW_FUNCTION: Record<LiveView, PanelFunction> = { desk: 'agent-desktop', supervisor: 'supervisor', wallboard: 'wallboard' };

export function viewerOf(res: Response): Viewer {
  const c = ctx(res);
  return { lang: c.lang, t: c.t, access: c.access, csrf: csrfField(c) };
}

function projectorFor(live: LivePanel, view: LiveView, res: Response): Projector {
  const c = ctx(res);
  const v = viewerOf(res);
  switch (view) {
    case 'desk':
      return live.deskProjector(v, live.svc.directory.agentIdFor(c.user!));
    case 'supervisor':
      return live.supervisorProjector(v, c.access?.permissions.can('supervisor', 'edit') ?? false);
    case 'wallboard':
      return live.wallboardProjector(v);
  }
}

export function liveStreamRoutes(s: PanelServices, live: LivePanel): PanelRoute[] {
  return [
    {
      method: 'get',
      path: '/events/stream',
      access: 'user',
      handler: async (req: Request, res: Response) => {
        const c = ctx(res);
        const view = LiveViews.find((x) => x === req.query['view']);
        const wantsStream = (req.get('accept') ?? '').includes('text/event-stream');
        if (!wantsStream || !view) {
          const allowed = LiveViews.filter((x) => c.access?.permissions.can(VIEW_FUNCTION[x], 'view'));
          render(req, res, { title: 'live.stream-title', status: view || !wantsStream ? 200 : 400 }, html`<section class="stream-info"><h1>${c.t('live.stream-title')}</h1>
<p>${c.t('live.stream-help')}</p><ul id="stream-views">${allowed.map((x) => html`<li><code>/events/stream?view=${x}</code></li>`)}</ul></section>`);
          return;
        }
        if (!c.access?.permissions.can(VIEW_FUNCTION[view], 'view')) {
          await deny(req, res, s, 403, `permission:${VIEW_FUNCTION[view]}:view`);
          return;
        }
        res.status(200);
        res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
        res.setHeader('Cache-Control', 'no-store, no-transform');
        res.setHeader('Connection', 'keep-alive');
        res.setHeader('X-Accel-Buffering', 'no');
        res.flushHeaders();
        req.socket.setNoDelay(true);
        const header = req.get('last-event-id');
        const after = typeof req.query['after'] === 'string' ? req.query['after'] : null;
        const sub = live.hub.subscribe(res, projectorFor(live, view, res), { lastEventId: header ?? after, label: `${view}:${c.user!.login}` });
        req.on('close', () => sub.close());
        res.on('close', () => sub.close());
      },
    },
  ];
}
