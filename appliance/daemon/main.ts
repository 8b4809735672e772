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
import { createApi, type Api } from '../api/app.js';
import { SystemClock, type Clock } from '../core/clock.js';
import { formatIssues, loadConfig, type Config } from '../core/config.js';
import { AppError, ConfigError } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { ErrorLog, teedLogger } from '../ops/error-log.js';
import { upstreamSettings } from '../integrations/ivr-wiring.js';
import { registerWebhookRoutes } from '../integrations/webhooks/webhook-routes.js';
import { createWebhookService } from '../integrations/webhooks/webhook-service.js';
import { AlarmBoard } from '../ops/alarms.js';
import { createHealthRouter } from '../ops/health.js';
import { createMetrics } from '../ops/metrics.js';
import { Gauge } from 'prom-client';
import { issueSetupCodeOnFirstStart } from '../ops/setup-code.js';
import { DB_FILE_NAME, ensureWritableDir, openStore, type Store } from '../store/database.js';
import { WriteBehind } from '../store/write-behind.js';
import { createSipAccess, type SipAccess } from '../sip/registrar/index.js';
import { SipEndpoint, type RequestHandler } from '../sip/ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../sip/ua/user-agent.js';
import { CallHandler } from '../calls/call-handler.js';
import { SqliteCallStore } from '../calls/call-store.js';
import { WriteBehindCdrStore } from '../calls/cdr-write-behind.js';
import { defaultFlow } from '../ivr/flows/index.js';
import { routeFlows } from '../ivr/route-flows.js';
import { MediaEngine } from '../media/engine/media-engine.js';
import { wireEngineAlarms } from '../media/engine/engine-alarms.js';
import { registerRecordingRoutes } from '../calls/recording-api.js';
import { CallRecordings, policyFromConfig } from '../calls/recording-control.js';
import { WriteBehindRecordingLedger } from '../media/recorder/write-behind-ledger.js';
import { RecordingVolume } from '../media/recorder/recording-volume.js';
import { SqliteArchiveStore } from '../media/archive/archive-store.js';
import { OpusArchiver } from '../media/archive/opus-archive.js';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { createPanel } from '../../control-panel/panel.js';
import { panelTelephony } from './wire-panel-admin.js';
import type { AuditLog } from '../ops/audit.js';
import { listenHttp } from './http-server.js';
import { Lifecycle } from './lifecycle.js';
import { acquirePidLock } from './pid-lock.js';
import { wireBusiness, type BusinessServices } from './wire-business.js';
import { LateEnqueuer, wireContactCentre } from './wire-contact-centre.js';
import type { RouteRegistry } from '../api/registry.js';
import type { Enqueuer } from '../ivr/ports.js';
import type { IvrDeps } from '../ivr/runner.js';
import type { PromptResolver } from '../channel/tdm/ports.js';
import { applianceVersion } from './version.js';
import { promptFiles, wireCard, warmDefaultPrompts } from './wire-card.js';
import { wireTrunks, type Trunking } from './wire-trunks.js';

/** Exit codes: 0 clean stop, 1 could not start / stop failed, 2 invalid configuration. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CONFIG = 2;

interface Core {
  config: Config;
  clock: Clock;
  log: Logger;
  /** The warn/error records of `log`, for the audit page's error-log export. */
  errorLog: ErrorLog;
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
  // Warn/error records are also kept in a bounded ring for the audit page's export (ops/error-log.ts).
  const errorLog = new ErrorLog();
  const log = teedLogger(config.log.level, errorLog);
  const bus = new EventBus({ clock, log: log.child({ mod: 'events' }) });
  const lifecycle = new Lifecycle({
    clock,
    bus,
    log: log.child({ mod: 'lifecycle' }),
    drainLimitMs: config.lifecycle.drainLimitMs,
  });
  const core: Core = { config, clock, log, errorLog, bus, lifecycle, version: applianceVersion(), startedAt: clock.now() };

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
  // The call path's CDRs and recording rows are committed by their own thread (store/write-behind.ts);
  // closed after everything that writes through it (closers run last-first), before the database.
  const writer = new WriteBehind({ sqlite: store.sqlite, clock, log: log.child({ mod: 'write-behind' }) });
  await writer.start();
  lifecycle.onClose('write-behind', () => writer.close());

  const alarms = new AlarmBoard({ clock });
  const metrics = createMetrics({ clock });
  const integrations = wireIntegrations(core, store);
  // Stopped after the HTTP server and before the database (closers run last-first); also on a
  // failed boot, since the webhook service listens to the bus from creation.
  for (const s of integrations.services) lifecycle.onClose(s.name, () => s.stop());

  // Media engine and call layer, then the ACD and IVR on top of them (wire-contact-centre.ts).
  const enqueuer = new LateEnqueuer();
  // SIP trunks, outbound routes and their REST routes (wire-trunks.ts); started once SIP listens.
  const trunking = wireTrunks({ store, clock, log, bus: core.bus, registry: integrations.registry, audit: integrations.audit });
  const telephony = await wireTelephony(core, store, writer, enqueuer, trunking);
  // Media worker crashes and recording write failures on the alarm board (media/engine/engine-alarms.ts).
  lifecycle.onClose('media alarms', wireEngineAlarms(telephony.engine, alarms, clock));
  telephony.recordingVolume.registerMetrics(metrics.registry);
  lifecycle.onClose('recording volume', telephony.recordingVolume.start(alarms));
  registerRecordingRoutes(integrations.registry, { recordings: telephony.recordings, ledger: telephony.recordingLedger, archive: telephony.recordingArchive, audit: integrations.audit });
  const centre = await wireContactCentre({
    store,
    clock,
    bus: core.bus,
    log,
    registry: integrations.registry,
    audit: integrations.audit,
    business: integrations.business,
    calls: telephony.calls,
    enqueuer,
    engine: telephony.engine,
    recordings: telephony.recordings,
    promptDir: path.join(config.dataDir, 'prompts'),
    simulators: config.integrations.simulators,
    integrations: upstreamSettings(config.integrations),
    acd: config.acd,
  });
  for (const s of centre.background) lifecycle.onClose(s.name, () => s.stop());
  // The voice card (wire-card.ts): the simulated card and exchange in the demo.
  const card = await wireCard({
    card: config.card,
    clock,
    log,
    bus: core.bus,
    engine: telephony.engine,
    calls: telephony.callStore,
    flow: async () => (await centre.ivr.flows.published(defaultFlow().id)) ?? defaultFlow(),
    ivr: () => ({ ...centre.ivr.deps(), enqueuer }),
    prompts: promptFiles(path.join(config.dataDir, 'prompts'), centre.ivr.tts),
    registry: integrations.registry,
    inbound: telephony.calls,
    gateways: trunking.gateways,
  });
  lifecycle.onClose('card', () => card.close());
  lifecycle.register(card.drain);
  // SIP IVR calls get the same prompts (library, else the TTS cache) and IVR deps as the card's.
  telephony.useIvr({ ...centre.ivr.deps(), enqueuer }, promptFiles(path.join(config.dataDir, 'prompts'), centre.ivr.tts));
  // Rendered for SIP callers as well as the card's, whatever card.kind is.
  const warming = new AbortController();
  lifecycle.onClose('prompt warm-up', () => warming.abort());
  // Each rendering spawns espeak-ng from this process: the gauge lets an operator (and the benchmarks) see when boot's share is done.
  const warmup = { remaining: 0 };
  new Gauge({
    name: 'ivr_prompt_warmup_remaining',
    help: 'Default prompt texts still to be rendered into the TTS cache since start',
    registers: [metrics.registry],
    collect() {
      this.set(warmup.remaining);
    },
  });
  void warmDefaultPrompts(centre.ivr.tts, warming.signal, log, warmup);

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
  const panel = await createPanel({
      ...centre.panel,
      store,
      clock,
      log,
      bus: core.bus,
      audit: integrations.audit,
      name: config.name,
      state: () => lifecycle.state,
      managementNetworks: config.http.managementNetworks,
      allowedOrigins: config.http.publicUrl ? [new URL(config.http.publicUrl).origin] : [],
      telephony: panelTelephony({ store, clock, realm: config.sip.realm, trunks: trunking.trunks }),
      errorLog: core.errorLog,
  });
  app.use(panel);
  // Signed-in panel users may call /api/v1 under the same RBAC table (control-panel/http/api-session.ts).
  integrations.useSessionAuth(panel.apiSessionAuth);
  app.use(lastResortErrorHandler(log.child({ mod: 'http' })));

  const server = await listenHttp(app, { host: config.http.host, port: config.http.port, clock });
  lifecycle.onClose('http', (forced) => server.close(forced));
  // Runs before the HTTP close (closers run last-first): ends open SSE streams.
  lifecycle.onClose('panel streams', () => panel.close());

  for (const s of integrations.services) await s.start();
  for (const s of centre.background) await s.start();
  await wireSip(core, store, telephony.handlerFor);
  lifecycle.onClose('trunks', () => trunking.stop());
  telephony.started();

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
  /** Work orders, visits, messages, customers, knowledge (wire-business.ts). */
  business: BusinessServices;
  /** The API route registry, for modules wired later (ACD, IVR). */
  registry: RouteRegistry;
  /** Let panel sessions call the API (once the panel exists). */
  useSessionAuth: Api['useSessionAuth'];
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
  const business = wireBusiness({ store, clock, bus, log, registry: api.registry, audit: api.audit, integrations: config.integrations });
  return {
    api: api.router,
    audit: api.audit,
    registry: api.registry,
    useSessionAuth: (auth) => api.useSessionAuth(auth),
    business,
    services: [{ name: 'webhooks', start: () => webhooks.start(), stop: () => webhooks.stop() }, ...business.background],
  };
}

/**
 * SIP access (sip/registrar, sip/security, sip/auth) and the SIP listener on config.sip. Until call
 * control is wired, requests other than REGISTER are authenticated and answered 480
 * (registrarHandler). The B2BUA's UserAgent takes `access.registrar` (RegistrarPort via onRegister,
 * ContactLocator via locate) and `access.authenticator` (InviteGuard via check) instead.
 */
async function wireSip(
  core: Core,
  store: Store,
  callControl?: (access: SipAccess) => { handler: RequestHandler; attach(endpoint: SipEndpoint): void },
): Promise<{ access: SipAccess; endpoint: SipEndpoint }> {
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
  const control = callControl?.(access);
  const ep = await SipEndpoint.listen(config.sip, {
    clock,
    handler: control?.handler ?? access.handler,
    wrapTransport: (t) => access.firewall.wrap(t),
    ...(control ? { supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] } : {}),
  });
  endpoint = ep;
  control?.attach(ep);
  lifecycle.onClose('sip', () => ep.close());
  access.attach(ep);
  log.info({ transports: ep.transports.map((t) => `${t.protocol}:${t.localAddress().host}:${t.localAddress().port}`) }, 'sip listening');
  return { access, endpoint: ep };
}

// ---------------------------------------------------------------- telephony (issue 3: calls)

/**
 * Call control: the media engine (worker threads owning every RTP socket), the B2BUA's
 * UserAgent (INVITE → CallHandler, REGISTER → the registrar of wireSip, in-dialog → dialogs),
 * the dialplan and CDR store, and the Drainable that lets SIGTERM stop taking calls, wait for
 * the active ones and clear the rest at lifecycle.drainLimitMs. wireSip builds the endpoint
 * with `handlerFor(access)`, which ties the UA to the registrar (REGISTER, contact lookup) and
 * the Digest authenticator (INVITE guard).
 */
async function wireTelephony(core: Core, store: Store, writer: WriteBehind, enqueuer: Enqueuer, trunking: Trunking): Promise<{
  calls: CallHandler;
  engine: MediaEngine;
  callStore: SqliteCallStore;
  handlerFor: (access: SipAccess) => { handler: RequestHandler; attach(endpoint: SipEndpoint): void };
  /** The IVR's deps (lookups, outage, TTS) and prompt resolver, wired after the call layer. */
  useIvr(deps: IvrDeps, prompts: PromptResolver): void;
  recordings: CallRecordings;
  recordingLedger: WriteBehindRecordingLedger;
  recordingArchive: SqliteArchiveStore;
  recordingVolume: RecordingVolume;
  started(): void;
}> {
  const { config, clock, log, bus, lifecycle } = core;
  const mediaAddress = config.sip.advertisedAddress ?? advertisedAddress(config.sip.host);
  const recordingLedger = new WriteBehindRecordingLedger(store, clock, writer);
  const engine = new MediaEngine({
    workers: config.media.workers,
    rtpPortMin: config.media.rtpPortMin,
    rtpPortMax: config.media.rtpPortMax,
    bindAddress: config.sip.host,
    recordingsDir: config.recording.dir ?? path.join(config.dataDir, 'recordings'),
    clock,
    log: log.child({ mod: 'media' }),
    bus,
    ledger: recordingLedger,
  });
  // Calls bridged to agents are recorded by policy (calls/recording-control.ts).
  // Free space of the recordings volume: alarm, and `whenFull` gates new recordings (media/recorder/recording-volume.ts).
  // Opus archive copies in the background (media/archive/opus-archive.ts); under overwrite-oldest-archived
  // the volume deletes only WAVs that have one.
  const archiveStore = new SqliteArchiveStore(store, writer);
  const recordingVolume = new RecordingVolume(
    { clock, log: log.child({ mod: 'recording-volume' }), bus, archive: archiveStore },
    { ...config.recording, dir: config.recording.dir ?? path.join(config.dataDir, 'recordings') },
  );
  const archive = config.recording.archive;
  if (archive.enabled) {
    const archiver = new OpusArchiver(
      { clock, log: log.child({ mod: 'recording-archive' }), store: archiveStore },
      { afterMs: archive.afterMinutes * 60_000, bitrateKbps: archive.bitrateKbps, intervalMs: archive.intervalSeconds * 1000, batch: archive.batch },
    );
    archiver.start();
    lifecycle.onClose('recording archive', () => archiver.stop());
  }
  const recordings = new CallRecordings({ policy: policyFromConfig(config.recording), log: log.child({ mod: 'recording' }), gate: recordingVolume.gate });
  await engine.start();
  lifecycle.onClose('media engine', () => engine.stop());
  const flow = defaultFlow();
  const promptsDir = path.join(config.dataDir, 'prompts');
  let access: SipAccess | null = null;
  const callStore = new SqliteCallStore(store, () => clock.now());
  // SIP calls' CDRs are written behind (calls/cdr-write-behind.ts): committed together by the writer thread.
  const cdrs = new WriteBehindCdrStore(callStore, store.db, writer);
  // Filled by useIvr once the contact centre exists; the runner reads it per call.
  const ivr: IvrDeps = {};
  let prompts: PromptResolver = {
    resolve: (name, lang) => {
      const file = path.join(promptsDir, lang === 'en' ? 'en' : 'zh-CN', `${name}.wav`);
      return existsSync(file) ? file : null;
    },
  };
  const calls = new CallHandler({
    clock,
    log,
    bus,
    store: cdrs,
    engine,
    channel: {
      mediaAddress,
      codecs: ['PCMA', 'PCMU'],
      prompts: { resolve: (name, lang) => prompts.resolve(name, lang) },
    },
    contacts: {
      locate: (ext) =>
        (access?.registrar.lookup(ext) ?? []).map((c) => ({ uri: c.uri, hop: { host: c.destination.host, port: c.destination.port, protocol: c.destination.protocol } })),
    },
    guard: trunking.guard({ check: (req, source) => (access ? access.authenticator.check(req, source) : { ok: true }) }),
    outbound: trunking.outbound,
    // The route's PUBLISHED flow (flow store, once useIvr has wired it); the built-in default only before.
    flows: routeFlows(() => ivr.flows, flow),
    ivr,
    enqueuer,
    recordings,
  });
  lifecycle.register(calls);
  return {
    calls,
    engine,
    recordings,
    recordingLedger,
    recordingArchive: archiveStore,
    recordingVolume,
    callStore,
    handlerFor: (a) => {
      access = a;
      const ua = new UserAgent({
        clock,
        log,
        t1: config.sip.t1,
        t2: config.sip.t2,
        invites: calls,
        registrar: { onRegister: (req, tx, endpoint) => a.registrar.handleRegister(req, tx, endpoint) },
        sessionTimer: { expires: 1800, minSE: 90 },
        advertisedAddress: config.sip.advertisedAddress ?? null,
        // S10: out-of-dialog MESSAGE/REFER/SUBSCRIBE… and in-dialog requests from a foreign source are challenged like INVITEs.
        guard: trunking.guard({ check: (req, source) => a.authenticator.check(req, source) }),
      });
      calls.attach(ua);
      return {
        handler: ua,
        attach: (endpoint) => {
          ua.attach(endpoint);
          const channel = { mediaAddress, codecs: ['PCMA', 'PCMU'] as const, prompts: { resolve: (name: string, lang?: string) => prompts.resolve(name, lang) } };
          trunking.attach({ endpoint, ua, advertise: mediaAddress, channel: { ...channel, codecs: [...channel.codecs], engine, clock, log } });
        },
      };
    },
    useIvr: (deps, resolver) => {
      Object.assign(ivr, deps);
      prompts = resolver;
    },
    started: () => log.info({ mediaAddress, workers: engine.workerCount }, 'telephony ready'),
  };
}

/** The address peers send RTP to: the SIP host, or the first external IPv4 when bound to any. */
function advertisedAddress(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
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
