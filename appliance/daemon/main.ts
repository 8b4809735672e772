/**
 * The composition root (DESIGN.md: "daemon/ main.ts: the only place that wires modules
 * together"). Boot order, each step undone by a Lifecycle closer if a later one fails, so a
 * failed boot leaves nothing half started:
 *
 *   config (bad → every `path: message` on stderr, exit 2) → logger, clock, event bus →
 *   data dir writable → pid lock (one daemon per data dir) → database (migrations; corrupt or
 *   newer schema → exit 1) → REST API and webhook service → HTTP on config.http (port in use
 *   → exit 1) → webhook sending started → ready:
 *   print the control-panel URL and, on the first start only, a one-time setup code.
 *
 * SIGTERM/SIGINT drain gracefully (lifecycle.ts); a second signal forces the stop. Exit 0 after
 * a clean stop. SIP (config.sip) opens after the database: extensions, registrar, bans and the firewall
 * (wireSip); the listener's transports sit behind the firewall.
 */
import path from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import { createApi } from '../api/app.js';
import { SystemClock, type Clock } from '../core/clock.js';
import { formatIssues, loadConfig, type Config } from '../core/config.js';
import { AppError, ConfigError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { createLogger, type Logger } from '../core/log.js';
import { CustomerService } from '../customers/customer-service.js';
import { registerCustomerRoutes } from '../customers/customer-routes.js';
import { registerWebhookRoutes } from '../integrations/webhooks/webhook-routes.js';
import { KnowledgeService } from '../knowledge/knowledge-service.js';
import { registerKnowledgeRoutes } from '../knowledge/knowledge-routes.js';
import { WorkOrderService } from '../workorders/workorder-service.js';
import { registerWorkOrderRoutes } from '../workorders/workorder-routes.js';
import { createWebhookService } from '../integrations/webhooks/webhook-service.js';
import { AlarmBoard } from '../ops/alarms.js';
import { createHealthRouter } from '../ops/health.js';
import { createMetrics } from '../ops/metrics.js';
import { issueSetupCodeOnFirstStart } from '../ops/setup-code.js';
import { DB_FILE_NAME, ensureWritableDir, openStore, type Store } from '../store/database.js';
import { createSipAccess, type SipAccess } from '../sip/registrar/index.js';
import { SipEndpoint } from '../sip/ua/endpoint.js';
import { createPanel } from '../../control-panel/panel.js';
import type { AuditLog } from '../ops/audit.js';
import { listenHttp } from './http-server.js';
import { Lifecycle } from './lifecycle.js';
import { acquirePidLock } from './pid-lock.js';
import { applianceVersion } from './version.js';

/** Exit codes: 0 clean stop, 1 could not start / stop failed, 2 invalid configuration. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CONFIG = 2;

interface Core {
  config: Config;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  lifecycle: Lifecycle;
  version: string;
  startedAt: number;
}

async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`appliance: invalid configuration: ${err.message}\n${formatIssues(err.issues)}\n`);
    return EXIT_CONFIG;
  }

  const clock = new SystemClock();
  const log = createLogger(config.log.level);
  const bus = new EventBus({ clock, log: log.child({ mod: 'events' }) });
  const lifecycle = new Lifecycle({
    clock,
    bus,
    log: log.child({ mod: 'lifecycle' }),
    drainLimitMs: config.lifecycle.drainLimitMs,
  });
  const core: Core = { config, clock, log, bus, lifecycle, version: applianceVersion(), startedAt: clock.now() };

  // Signals before `ready` wait for the boot to finish, then stop it the normal way.
  let pendingSignal: string | null = null;
  let stopped: ((code: number) => void) | null = null;
  const exited = new Promise<number>((resolve) => (stopped = resolve));
  const onSignal = (name: string): void => {
    if (lifecycle.state === 'starting') {
      pendingSignal ??= name;
      return;
    }
    void lifecycle.signal(name).then((r) => stopped?.(r.closeErrors.length === 0 ? EXIT_OK : EXIT_FAILED));
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  try {
    await boot(core);
  } catch (err) {
    await lifecycle.abortStart('boot failed');
    const e = err instanceof AppError ? err : null;
    process.stderr.write(`appliance: cannot start: ${e ? `${e.message} [${e.code}]` : String(err)}\n`);
    if (!e) log.fatal({ err }, 'boot failed');
    return EXIT_FAILED;
  }
  if (pendingSignal) onSignal(pendingSignal);
  return exited;
}

async function boot(core: Core): Promise<void> {
  const { config, clock, log, lifecycle, version } = core;
  log.info({ version, dataDir: config.dataDir, pid: process.pid }, 'starting');

  ensureWritableDir(config.dataDir);
  const lock = acquirePidLock(config.dataDir);
  lifecycle.onClose('pid lock', () => lock.release());

  const store = openStore({ file: path.join(config.dataDir, DB_FILE_NAME), clock, log: log.child({ mod: 'store' }) });
  lifecycle.onClose('database', () => store.close());
  log.info({ file: store.file, schemaVersion: store.schemaVersion() }, 'database open');

  const alarms = new AlarmBoard({ clock });
  const metrics = createMetrics({ clock });
  const integrations = wireIntegrations(core, store);
  // Stopped after the HTTP server and before the database (closers run last-first); also on a
  // failed boot, since the webhook service listens to the bus from creation.
  for (const s of integrations.services) lifecycle.onClose(s.name, () => s.stop());

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);
  app.use(metrics.middleware);
  app.use(
    createHealthRouter({
      pingDatabase: () => void store.sqlite.prepare('SELECT 1').get(),
      state: () => lifecycle.state,
      criticalAlarms: () => alarms.critical(),
    }),
  );
  app.get('/metrics', metrics.handler);
  app.use('/api/v1', integrations.api);
  // The control panel answers everything else (it owns `/`), so it is mounted last.
  app.use(
    await createPanel({
      store,
      clock,
      log,
      bus: core.bus,
      audit: integrations.audit,
      name: config.name,
      state: () => lifecycle.state,
      managementNetworks: config.http.managementNetworks,
      allowedOrigins: config.http.publicUrl ? [new URL(config.http.publicUrl).origin] : [],
    }),
  );
  app.use(lastResortErrorHandler(log.child({ mod: 'http' })));

  const server = await listenHttp(app, { host: config.http.host, port: config.http.port, clock });
  lifecycle.onClose('http', (forced) => server.close(forced));

  for (const s of integrations.services) await s.start();
  await wireSip(core, store);

  const setupCode = issueSetupCodeOnFirstStart(store, clock);
  lifecycle.markReady(version);
  const url = panelUrl(config, server.port);
  log.info({ url, http: `${server.host}:${server.port}` }, 'ready');
  printReady(config, url, setupCode);
}

/** A service that runs in the background between ready and stop (webhook dispatcher, …). */
interface BackgroundService {
  name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

interface Integrations {
  /** The REST API router, mounted at /api/v1. */
  api: express.Router;
  /** The one audit log, shared by the API and the control panel. */
  audit: AuditLog;
  services: BackgroundService[];
}

/**
 * The REST API (appliance/api: router for /api/v1, API keys, audit log) and the webhook
 * service (appliance/integrations/webhooks: queues matching bus events from creation on,
 * sends between start and stop), with the webhook routes added to the API registry.
 */
function wireIntegrations(core: Core, store: Store): Integrations {
  const { config, clock, log, bus, version } = core;
  const api = createApi({ store, clock, log, bus, version });
  const webhooks = createWebhookService({
    store,
    bus,
    clock,
    log,
    config: config.webhooks,
    userAgent: `hotline-appliance/${version}`,
  });
  registerWebhookRoutes(api.registry, webhooks, api.audit);
  return {
    api: api.router,
    audit: api.audit,
    services: [{ name: 'webhooks', start: () => webhooks.start(), stop: () => webhooks.stop() }],
  };
}

/**
 * SIP access (sip/registrar, sip/security, sip/auth) and the SIP listener on config.sip. Until call
 * control is wired, requests other than REGISTER are authenticated and answered 480
 * (registrarHandler). The B2BUA's UserAgent takes `access.registrar` (RegistrarPort via onRegister,
 * ContactLocator via locate) and `access.authenticator` (InviteGuard via check) instead.
 */
async function wireSip(core: Core, store: Store): Promise<{ access: SipAccess; endpoint: SipEndpoint }> {
  const { config, clock, log, bus, lifecycle } = core;
  const sec = config.sip.security;
  const reg = config.sip.registrar;
  let endpoint: SipEndpoint | null = null;
  const access = createSipAccess(
    { store, clock, log, bus },
    {
      realm: config.sip.realm,
      userAgent: config.sip.userAgent,
      algorithms: config.sip.digestAlgorithms,
      whitelist: sec.trustedNetworks,
      registrar: { minExpires: reg.minExpires, maxExpires: reg.maxExpires, defaultExpires: reg.defaultExpires },
      qualifyIntervalMs: reg.qualifySeconds * 1000,
      guard: { ipMaxFailures: sec.authMaxFailures, ipWindowMs: sec.authWindowSeconds * 1000, ipBanMs: sec.authBanSeconds * 1000 },
      firewall: { rateLimit: sec.rateLimit, rateWindowMs: sec.rateWindowMs, floodBanMs: sec.floodBanSeconds * 1000, dropScanners: sec.dropScanners },
      admission: { load: () => endpoint?.layer.serverCount ?? 0, limit: sec.maxServerTransactions, retryAfterSeconds: sec.retryAfterSeconds },
    },
  );
  lifecycle.onClose('sip access', () => access.close());
  const ep = await SipEndpoint.listen(config.sip, { clock, handler: access.handler, wrapTransport: (t) => access.firewall.wrap(t) });
  endpoint = ep;
  lifecycle.onClose('sip', () => ep.close());
  access.attach(ep);
  log.info({ transports: ep.transports.map((t) => `${t.protocol}:${t.localAddress().host}:${t.localAddress().port}`) }, 'sip listening');
  return { access, endpoint: ep };
}

function lastResortErrorHandler(log: Logger): ErrorRequestHandler {
  return (err, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    log.error({ err }, 'unhandled http error');
    res.status(500).type('text/plain').send('internal error\n');
  };
}

export function panelUrl(config: Config, port: number): string {
  if (config.http.publicUrl) return config.http.publicUrl;
  const host = ['0.0.0.0', '::'].includes(config.http.host) ? '127.0.0.1' : config.http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

function printReady(config: Config, url: string, setupCode: string | null): void {
  const lines = [
    '',
    `  热线一体机 ${config.name} 已就绪 / ready`,
    `  控制台 / control panel:  ${url}`,
    `  健康检查 / health:        ${url}healthz`,
  ];
  if (setupCode) {
    lines.push(
      '',
      `  首次启动设置码 / first-start setup code:  ${setupCode}`,
      '  (只显示这一次 / shown only this once: the admin setup page asks for it)',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`appliance: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(EXIT_FAILED);
  },
);
