/**
 * Prometheus metrics at `/metrics` (text exposition format 0.0.4) with prom-client:
 *   - the default process metrics (CPU, memory, fds, GC, handles) and event-loop lag
 *     (`nodejs_eventloop_lag_seconds`, `nodejs_eventloop_lag_p99_seconds`, …), prefixed as
 *     prom-client names them;
 *   - `appliance_eventloop_lag_p99_seconds` / `…_max_seconds`: how late the main thread ran a
 *     10 ms timer since the last scrape. prom-client's `nodejs_eventloop_lag_p99_seconds` is
 *     monitorEventLoopDelay's raw interval, which includes the sampling resolution (an idle
 *     process reports 20 ms at precision 20): ours subtract it, so 0 means "never late";
 *   - `http_request_duration_seconds`: a histogram by route (the express route pattern, never
 *     the raw URL, so ids do not explode the label set), method and status.
 * One Registry per daemon (no global registry), so tests and several instances do not collide.
 * Later issues register telephony metrics on `registry`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
  registerEventLoopLag(registry);
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

/** monitorEventLoopDelay's sampling period; every recorded interval is at least this long. */
const LAG_RESOLUTION_MS = 10;

function registerEventLoopLag(registry: Registry): void {
  const delay = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  delay.enable();
  const lateBy = (ns: number): number => Math.max(0, ns / 1e9 - LAG_RESOLUTION_MS / 1000);
  // prom-client collects in registration order: the p99 gauge reads the window and resets it,
  // the max gauge (registered after) reports what that read saw.
  let windowMax = 0;
  new Gauge({
    name: 'appliance_eventloop_lag_p99_seconds',
    help: 'Main-thread event-loop lag since the last scrape, 99th percentile (monitorEventLoopDelay minus its 10 ms resolution)',
    registers: [registry],
    collect() {
      const seen = delay.count > 0;
      this.set(seen ? lateBy(delay.percentile(99)) : 0);
      windowMax = seen ? lateBy(delay.max) : 0;
      delay.reset();
    },
  });
  new Gauge({
    name: 'appliance_eventloop_lag_max_seconds',
    help: 'Longest main-thread event-loop lag since the last scrape (a 10 ms timer fired this much late)',
    registers: [registry],
    collect() {
      this.set(windowMax);
    },
  });
}

/** The matched express route pattern (`/api/v1/keys/:id`), or UNMATCHED_ROUTE. */
function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (!route || typeof route.path !== 'string') return UNMATCHED_ROUTE;
  return `${req.baseUrl}${route.path}` || '/';
}
