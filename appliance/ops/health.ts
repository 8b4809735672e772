/**
 * Liveness and readiness probes, in the Kubernetes / load-balancer sense:
 *   GET /healthz  200 when the process is alive and the database answers `SELECT 1`, else 503.
 *                 A supervisor (systemd watchdog, pm2, an external monitor) restarts on 503.
 *   GET /readyz   200 when the daemon is `ready` and no critical alarm is raised, else 503
 *                 (starting, draining, or e.g. every span in red alarm). A dispatcher in front
 *                 stops sending new work on 503 without restarting anything.
 * Bodies are small JSON documents; nothing is cached.
 */
import { Router, type Response } from 'express';
import type { Alarm } from './alarms.js';

export interface HealthDeps {
  /** Throws when the database does not answer. */
  pingDatabase: () => void;
  /** Lifecycle state name; ready only when it is `ready`. */
  state: () => string;
  criticalAlarms: () => readonly Alarm[];
}

export interface HealthReport {
  status: 'ok' | 'fail';
  checks: { process: 'ok'; database: 'ok' | string };
}

export interface ReadyReport {
  status: 'ready' | 'not-ready';
  state: string;
  alarms: { id: string; message: string }[];
}

export function checkHealth(deps: HealthDeps): HealthReport {
  let database = 'ok';
  try {
    deps.pingDatabase();
  } catch (err) {
    database = `error: ${err instanceof Error ? err.message : String(err)}`;
  }
  return { status: database === 'ok' ? 'ok' : 'fail', checks: { process: 'ok', database } };
}

export function checkReady(deps: HealthDeps): ReadyReport {
  const state = deps.state();
  const alarms = deps.criticalAlarms().map((a) => ({ id: a.id, message: a.message }));
  return { status: state === 'ready' && alarms.length === 0 ? 'ready' : 'not-ready', state, alarms };
}

function send(res: Response, ok: boolean, body: unknown): void {
  res.status(ok ? 200 : 503).set('Cache-Control', 'no-store').json(body);
}

export function createHealthRouter(deps: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    const report = checkHealth(deps);
    send(res, report.status === 'ok', report);
  });
  router.get('/readyz', (_req, res) => {
    const report = checkReady(deps);
    send(res, report.status === 'ready', report);
  });
  return router;
}
