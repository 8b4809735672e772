/**
 * The wallboard `/wallboard` (大屏; issue 9: "a full-screen page for the big display … live over
 * SSE, readable from across the room, thresholds coloured, formulas named in a tooltip"): one
 * tile per queue in the viewer's data scope with waiting callers, longest wait, today's service
 * level, ASA, abandonment and agents by state (views/board-views.ts). The full page is its own
 * document without navigation, for a TV in kiosk mode; an htmx request gets the tiles alone.
 * Longest-wait clocks tick in the browser between events (static/live.js, `data-tick-ms`).
 */
import { html, page } from '../html.js';
import { ctx, type PanelServices } from '../http/context.js';
import { HTMX_CONFIG } from '../layout.js';
import type { LivePanel } from '../live/live-panel.js';
import { visibleQueues } from '../live/scope.js';
import { wallTile } from '../views/board-views.js';
import type { PanelRoute } from './types.js';

export function wallboardRoutes(_s: PanelServices, live: LivePanel): PanelRoute[] {
  return [
    {
      method: 'get',
      path: '/wallboard',
      access: ['wallboard', 'view'],
      handler: (req, res) => {
        const c = ctx(res);
        const after = live.hub.lastId();
        const queues = visibleQueues(c.access, live.svc.directory);
        const board = html`<section class="wallboard" id="wallboard" sse-connect="${`/events/stream?view=wallboard${after ? `&after=${after}` : ''}`}">
<span hidden hx-get="/wallboard" hx-trigger="sse:reset from:body" hx-target="#wallboard" hx-swap="outerHTML"></span>
<h1>${c.t('wallboard.title')}</h1>
${queues.length === 0 ? html`<p class="empty">${c.t('wallboard.no-queues')}</p>` : ''}
<div class="tiles">${queues.map((q) => wallTile(c.t, q, live.queueFigures(q.id), live.thresholds))}</div>
</section>`;
        res.setHeader('Vary', 'HX-Request, Cookie');
        res.setHeader('Cache-Control', 'no-store');
        res.type('html');
        if (req.get('HX-Request') === 'true') {
          res.send(board.value);
          return;
        }
        res.send(
          page(html`<html lang="${c.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${JSON.stringify(HTMX_CONFIG)}">
<title>${c.t('wallboard.title')} · ${c.t('app.title')}</title>
<link rel="stylesheet" href="/static/panel.css">
<script src="/static/htmx.min.js" defer></script>
<script src="/static/live.js" defer></script>
</head>
<body class="wallboard-body" hx-headers="${JSON.stringify({ 'X-CSRF-Token': c.csrfToken })}">
<main id="main">${board}</main>
</body>
</html>`),
        );
      },
    },
  ];
}
