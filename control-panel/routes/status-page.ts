/**
 * The minimal `/` page until the control-panel issue replaces it: product name (zh-CN first),
 * lifecycle status, version and links to the health and API documents. Rendered with the
 * escaping `html` template (control-panel/html.ts); everything it shows comes from `deps`.
 */
import { Router, type Request, type Response } from 'express';
import { html, page } from '../html.js';

export interface StatusPageDeps {
  /** Appliance name from config (`name`). */
  name: string;
  version: string;
  /** Current lifecycle state: starting | ready | draining | stopped. */
  state: () => string;
  /** Wall-clock ms when the daemon started. */
  startedAt: number;
}

const stateLabels: Record<string, string> = {
  starting: '启动中 / starting',
  ready: '运行中 / ready',
  draining: '正在停机 / draining',
  stopped: '已停止 / stopped',
};

export function renderStatusPage(deps: StatusPageDeps): string {
  const state = deps.state();
  const label = stateLabels[state] ?? state;
  return page(html`<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>热线一体机 控制台 · ${deps.name}</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
dt{font-weight:600}dd{margin:0 0 .5rem 0}.state-ready{color:#176f2c}.state-draining,.state-starting{color:#9a6700}</style>
</head>
<body>
<h1>热线一体机 控制台</h1>
<p lang="en">Hotline appliance control panel</p>
<dl>
<dt>名称 / Name</dt><dd>${deps.name}</dd>
<dt>状态 / Status</dt><dd class="state-${state}" id="state">${label}</dd>
<dt>版本 / Version</dt><dd>${deps.version}</dd>
<dt>启动时间 / Started</dt><dd><time datetime="${new Date(deps.startedAt).toISOString()}">${new Date(deps.startedAt).toISOString()}</time></dd>
</dl>
<ul>
<li><a href="/healthz">/healthz</a> 健康检查 / health</li>
<li><a href="/readyz">/readyz</a> 就绪检查 / readiness</li>
<li><a href="/api/v1/openapi.json">/api/v1/openapi.json</a> 接口文档 / REST API (OpenAPI 3.1)</li>
<li><a href="/metrics">/metrics</a> 监控指标 / Prometheus metrics</li>
</ul>
</body>
</html>`);
}

export function createStatusPage(deps: StatusPageDeps): Router {
  const router = Router();
  router.get('/', (_req: Request, res: Response) => {
    res.type('html').set('Cache-Control', 'no-store').send(renderStatusPage(deps));
  });
  return router;
}
