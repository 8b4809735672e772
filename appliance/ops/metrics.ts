/**
 * Prometheus metrics at `/metrics` (text exposition format 0.0.4) with prom-client:
 *   - the default process metrics (CPU, memory, fds, GC, handles) and event-loop lag
 *     (`nodejs_eventloop_lag_seconds`, `nodejs_eventloop_lag_p99_seconds`, …), prefixed as
 *     prom-client names them;
 *   - `http_request_duration_seconds`: a histogram by route (the express route pattern, never
 *     the raw URL, so ids do not explode the label set), method and status.
 * One Registry per daemon (no global registry), so tests and several instances do not collide.
 * Later issues register telephony metrics on `registry`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../core/clock.js';

export interface Metrics {
  readonly registry: Registry;
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;
  /** Times every request; mount before the routes. */
  readonly middleware: RequestHandler;
  /** Serves the exposition document. */
  readonly handler: RequestHandler;
}

export const UNMATCHED_ROUTE = '(unmatched)';

export function createMetrics(deps: { clock: Clock; defaultLabels?: Record<string, string> }): Metrics {
  const registry = new Registry();
  if (deps.defaultLabels) registry.setDefaultLabels(deps.defaultLabels);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const middleware: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const started = deps.clock.monotonic();
    res.once('finish', () => {
      httpDuration.observe(
        { route: routeOf(req), method: req.method, status: String(res.statusCode) },
        (deps.clock.monotonic() - started) / 1000,
      );
    });
    next();
  };

  const handler: RequestHandler = (_req, res, next) => {
    registry
      .metrics()
      .then((text) => {
        res.set('Content-Type', registry.contentType).set('Cache-Control', 'no-store').send(text);
      })
      .catch(next);
  };

  return { registry, httpDuration, middleware, handler };
}

/** The matched express route pattern (`/api/v1/keys/:id`), or UNMATCHED_ROUTE. */
function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (!route || typeof route.path !== 'string') return UNMATCHED_ROUTE;
  return `${req.baseUrl}${route.path}` || '/';
}
