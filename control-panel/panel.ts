/**
 * The control panel (issue 9): server-rendered htmx pages under `/`, for the daemon to mount.
 *
 *   const panel = await createPanel({ store, clock, log, bus, audit, name: config.name,
 *                                     state: () => lifecycle.state });
 *   app.use(panel);                  // after /healthz, /metrics and /api/v1
 *
 * Order of the middleware on every request: security headers → static files (htmx from
 * node_modules/htmx.org, panel.css) → urlencoded body (64 KiB) → context (language, session,
 * user, permissions) → CSRF guard for POST/PUT/PATCH/DELETE → per-route guard (public, signed
 * in, or function × operation) → handler. The route list is data (`panel.routes`), so the
 * tests enumerate it for the CSRF and authorisation matrices.
 *
 * First start: createPanel seeds the built-in roles; the daemon's setup code
 * (ops/setup-code.ts, printed once) is what /setup asks for. There is no default password.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Clock } from '../appliance/core/clock.js';
import type { EventBus } from '../appliance/core/events.js';
import type { Logger } from '../appliance/core/log.js';
import { AuditLog } from '../appliance/ops/audit.js';
import type { Store } from '../appliance/store/database.js';
import { parseCidrList } from './auth/cidr.js';
import type { ScryptCost } from './auth/passwords.js';
import { Sessions } from './auth/sessions.js';
import { LoginThrottle } from './auth/throttle.js';
import { Users } from './auth/users.js';
import type { SessionAuthenticate } from '../appliance/api/session-auth.js';
import { apiSessionAuth } from './http/api-session.js';
import { loadContext, type PanelServices } from './http/context.js';
import { csrfGuard, requirePermission, requireUser } from './http/guards.js';
import { securityHeaders } from './http/security-headers.js';
import { renderError } from './layout.js';
import { authRoutes } from './routes/auth-pages.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { ivrRoutes, type IvrPanelDeps } from './routes/ivr-pages.js';
import { reportRoutes } from './routes/reports.js';
import { customReportRoutes } from './routes/reports-custom.js';
import type { PanelRoute, RouteAccess } from './routes/types.js';
import { usersAdminRoutes } from './routes/users-admin.js';
import { rolesAdminRoutes } from './routes/roles-admin.js';
import { auditRoutes } from './routes/audit-pages.js';
import { telephonyRoutes } from './routes/telephony-admin.js';
import type { TelephonyPanelDeps } from './routes/telephony-ports.js';
import { RolesAdmin } from './auth/roles-admin.js';
import { LivePanel, type LiveDeps } from './live/live-panel.js';
import type { ErrorLogSource } from '../appliance/ops/error-log.js';
import { errorLogRoutes } from './routes/error-log-pages.js';
import { deskRoutes } from './routes/desk.js';
import { liveStreamRoutes } from './routes/live-stream.js';
import { supervisorRoutes } from './routes/supervisor.js';
import { wallboardRoutes } from './routes/wallboard.js';

/**
 * LiveDeps (live/live-panel.ts) adds the domain services of the agent desktop, supervisor
 * console and wallboard: `acd`, `workOrders`, `customers`, `callControl`, `callHistory`,
 * `acdDirectory`, `breakReasons`, `wrapUpCodes`, `wallboardThresholds`, `sse`. All optional.
 */
export interface PanelDeps extends LiveDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  /** The shared audit log; one is made on the store when absent. */
  audit?: AuditLog;
  /** Appliance name (config `name`). */
  name?: string;
  /** Daemon lifecycle state, shown on the dashboard. */
  state?: () => string;
  /**
   * Management networks (CIDR): never IP-banned by login throttling and counted apart for the
   * per-account delay, so the real administrator can sign in during an attack (W5).
   */
  managementNetworks?: readonly string[];
  /** Origins besides the request's own accepted on state-changing requests (e.g. config.http.publicUrl's). */
  allowedOrigins?: readonly string[];
  /** Use non-Secure `sid` cookies over plain HTTP from anywhere (development only). Default false. */
  insecureCookies?: boolean;
  /** The IVR flow editor (/ivr): flow store, validation catalogue, simulator ports. */
  ivr?: IvrPanelDeps;
  /** Extensions, inbound routes (and read-only outbound routes, trunks) pages. */
  telephony?: TelephonyPanelDeps;
  /** scrypt cost for new password hashes; tests lower it. */
  passwordCost?: ScryptCost;
  /** The daemon's warn/error log records (appliance/ops/error-log.ts), exported from the audit page. */
  errorLog?: ErrorLogSource;
}

export interface RouteInfo {
  method: 'get' | 'post';
  path: string;
  access: RouteAccess;
}

export type Panel = Router & {
  /** Every panel route with the access it requires (for the authorisation matrix tests). */
  readonly routes: readonly RouteInfo[];
  readonly services: PanelServices;
  /** SSE hub, call read model and ports of the live pages. */
  readonly live: LivePanel;
  /** The API's session port (appliance/api/session-auth.ts): `api.useSessionAuth(panel.apiSessionAuth)`. */
  readonly apiSessionAuth: SessionAuthenticate;
  /** End open event streams and stop the heartbeat timer (daemon shutdown). */
  close(): void;
};

const here = path.dirname(fileURLToPath(import.meta.url));
const requireFromHere = createRequire(import.meta.url);

export function htmxPath(): string {
  return path.join(path.dirname(requireFromHere.resolve('htmx.org/package.json')), 'dist', 'htmx.min.js');
}

export async function createPanel(deps: PanelDeps): Promise<Panel> {
  const log = deps.log.child({ mod: 'panel' });
  const audit = deps.audit ?? new AuditLog({ db: deps.store.db, clock: deps.clock });
  const mgmt = parseCidrList(deps.managementNetworks ?? []);
  if (mgmt.invalid.length) throw new Error(`invalid management network(s): ${mgmt.invalid.join(', ')}`);
  const users = new Users({ db: deps.store.db, clock: deps.clock, audit, ...(deps.passwordCost && { passwordCost: deps.passwordCost }) });
  await users.ensureBuiltinRoles();
  const services: PanelServices = {
    store: deps.store,
    clock: deps.clock,
    log,
    bus: deps.bus,
    audit,
    users,
    roles: new RolesAdmin({ db: deps.store.db, clock: deps.clock, audit }),
    sessions: new Sessions({ db: deps.store.db, clock: deps.clock, audit }),
    throttle: new LoginThrottle({ db: deps.store.db, clock: deps.clock, managementNetworks: mgmt.blocks }),
    insecureCookies: deps.insecureCookies ?? false,
    allowedOrigins: deps.allowedOrigins ?? [],
    appName: deps.name ?? '',
    mountedPaths: new Set<string>(),
    ...(deps.state && { state: deps.state }),
  };

  const router = Router();
  router.use(securityHeaders());
  const staticOpts = { maxAge: '1h', immutable: false, dotfiles: 'deny' as const, index: false as const };
  router.get('/favicon.ico', (_req, res) => void res.status(204).end());
  router.get('/static/htmx.min.js', (_req, res) => res.sendFile(htmxPath(), staticOpts));
  router.use('/static', express.static(path.join(here, 'static'), { ...staticOpts, fallthrough: false }));
  router.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));
  router.use(loadContext(services));
  router.use(csrfGuard(services));

  const live = new LivePanel({ bus: deps.bus, clock: deps.clock, log }, deps);
  const routes: PanelRoute[] = [
    ...authRoutes(services),
    ...dashboardRoutes(services),
    ...usersAdminRoutes(services),
    ...rolesAdminRoutes(services),
    ...auditRoutes(services, deps.errorLog),
    ...errorLogRoutes(services, deps.errorLog),
    ...reportRoutes(services),
    ...customReportRoutes(services),
    ...deskRoutes(services, live),
    ...supervisorRoutes(services, live),
    ...wallboardRoutes(services, live),
    ...liveStreamRoutes(services, live),
    ...(deps.ivr ? ivrRoutes(services, deps.ivr) : []),
    ...(deps.telephony ? telephonyRoutes(services, deps.telephony) : []),
  ];
  for (const r of routes) if (r.method === 'get') services.mountedPaths.add(r.path);
  for (const r of routes) router[r.method](r.path, ...guardsFor(services, r.access), r.handler);
  router.use((req, res) => renderError(req, res, 404, 'error.not-found'));
  router.use(panelErrorHandler(services));

  return Object.assign(router, {
    routes: routes.map(({ method, path: p, access }) => ({ method, path: p, access })),
    services,
    live,
    apiSessionAuth: apiSessionAuth(services),
    close: () => live.close(),
  }) as Panel;
}

function guardsFor(s: PanelServices, access: RouteAccess): RequestHandler[] {
  if (access === 'public') return [];
  if (access === 'user') return [requireUser()];
  return [requireUser(), requirePermission(s, access[0], access[1])];
}

function panelErrorHandler(s: PanelServices): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // body-parser (413, 400) and static (404) errors: the client's fault, no stack trace.
      res.status(status).type('text/plain').send(status === 404 ? 'not found\n' : 'bad request\n');
      return;
    }
    s.log.error({ err, method: req.method, url: req.originalUrl }, 'panel request failed');
    if (res.locals['panel']) renderError(req, res, 500, 'error.internal');
    else res.status(500).type('text/plain').send('internal error\n');
  };
}
