/**
 * `wireIvr`: everything issue 7's self-service needs, built from settings, for the daemon
 * (daemon/main.ts is the composition root; it calls this and merges in what other modules own:
 * the ACD enqueuer, transfer, calendar, voicemail, fax and survey ports).
 *
 *   const ivr = await wireIvr({ store, clock, log, bus, customers, promptDir, catalogue,
 *                               integrations: config.integrations, simulators: demo });
 *   ivr.registerRoutes(api.registry, api.audit);        // /api/v1/ivr/…
 *   createPanel({ …, ivr: ivr.panel });                 // /ivr editor
 *   new IvrRunner({ …, deps: { ...ivr.deps(), enqueuer, transferer, calendar, voicemail } });
 *   await ivr.seedDefaultFlow();                        // 95598 flow published on first start
 *   …  await ivr.stop();
 *
 * With `simulators: true` (the demo config) the billing, GIS and installation SIMULATORS are
 * started on 127.0.0.1 and the adapters pointed at them; real sites give base URLs and tokens.
 */
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { BillingSimulator } from '../customers/testing/billing-simulator.js';
import { DEFAULT_FLOW_JSON, DEFAULT_PROMPTS_ZH } from '../ivr/flows/index.js';
import { IvrCallRecords } from '../ivr/call-records.js';
import { VoicemailBox } from '../ivr/voicemail-box.js';
import { FlowStore } from '../ivr/flow-store.js';
import { registerIvrRoutes, type IvrRoutesAudit } from '../ivr/ivr-routes.js';
import type { FaxPort, LookupAdapter, MessageRecorder, ValidationCatalogue } from '../ivr/ports.js';
import type { IvrDeps } from '../ivr/runner.js';
import { sayText, type Lang } from '../ivr/say/index.js';
import type { RouteRegistry } from '../api/registry.js';
import type { Store } from '../store/database.js';
import { billingLookup } from './lookup/billing-lookup.js';
import { GisLookupAdapter } from './lookup/gis-lookup.js';
import type { UpstreamAuth } from './lookup/http-client.js';
import { installationLookup } from './lookup/installation-lookup.js';
import { OutageNotifyStore } from './outage-notify-store.js';
import { OutageService, type CustomerDirectory } from './outage-service.js';
import { GisSimulator } from './testing/gis-simulator.js';
import { InstallationSimulator } from './testing/installation-simulator.js';
import { EspeakTts } from './tts/espeak-tts.js';
import { listenVoicemailOrders, type VoicemailOrderService } from './voicemail-orders.js';

/** One upstream system (the config section the lead adds: integrations.billing|gis|installation). */
export interface AdapterSettings {
  baseUrl: string;
  auth?: UpstreamAuth;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  breakerThreshold?: number;
  breakerOpenMs?: number;
  cacheTtlMs?: number;
  fieldMap?: Record<string, Record<string, string>>;
}

/** config.integrations' upstream systems (base URL, bearer token, timeout) as adapter settings. */
export function upstreamSettings(cfg: Partial<Record<'billing' | 'gis' | 'installation', { baseUrl: string; token?: string | undefined; timeoutMs?: number | undefined } | undefined>>): {
  billing?: AdapterSettings;
  gis?: AdapterSettings;
  installation?: AdapterSettings;
} {
  const out: { billing?: AdapterSettings; gis?: AdapterSettings; installation?: AdapterSettings } = {};
  for (const name of ['billing', 'gis', 'installation'] as const) {
    const c = cfg[name];
    if (!c) continue;
    out[name] = { baseUrl: c.baseUrl, ...(c.token ? { auth: { kind: 'bearer', token: c.token } } : {}), ...(c.timeoutMs ? { timeoutMs: c.timeoutMs } : {}) };
  }
  return out;
}

export interface WireIvrOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  customers?: CustomerDirectory;
  /** The prompt library's directory; TTS caches under its tts/. */
  promptDir: string;
  /** Prompts, queues, adapters, calendars the validator checks names against. */
  catalogue: () => ValidationCatalogue;
  integrations?: { billing?: AdapterSettings; gis?: AdapterSettings; installation?: AdapterSettings };
  /** Telephone area code → supply-area prefix for callers without a customer record. */
  areaCodeMap?: Record<string, string>;
  /** Start the upstream simulators and use them (demo). */
  simulators?: boolean;
  utcOffsetMinutes?: number;
  /** Records callers' messages (calls/message-recorder.ts on the media engine): enables voicemail. */
  recorder?: MessageRecorder;
  /** Where messages become work orders (source 'voicemail'). */
  workOrders?: VoicemailOrderService;
  /** Fax-on-demand (calls/fax-on-demand.ts): library documents sent on the call. */
  fax?: FaxPort;
}

export interface IvrWiring {
  flows: FlowStore;
  lookups: Record<string, LookupAdapter>;
  outage: OutageService | null;
  notify: OutageNotifyStore;
  tts: EspeakTts;
  /** IVR runs (path, variables, queue) and survey scores, stored with the call. */
  records: IvrCallRecords;
  /** 留言: messages callers left (null without a recorder). */
  voicemail: VoicemailBox | null;
  /** The IVR ports this module provides (lookups, outage, tts, sub-flows). */
  deps(): IvrDeps;
  registerRoutes(registry: RouteRegistry, audit: IvrRoutesAudit): void;
  /** For createPanel({ ivr }). */
  panel: { flows: FlowStore; catalogue: () => ValidationCatalogue; simulationDeps: () => IvrDeps; promptText: (name: string, lang: Lang) => string | undefined };
  /** Save and publish the default 95598 flow when no version of it exists yet. */
  seedDefaultFlow(actor?: string): Promise<boolean>;
  /** Base URLs of the running simulators (demo), for logs. */
  simulatorUrls: Record<string, string>;
  stop(): Promise<void>;
}

export function promptText(name: string, lang: Lang): string | undefined {
  if (lang === 'zh' && DEFAULT_PROMPTS_ZH[name]) return DEFAULT_PROMPTS_ZH[name];
  const said = sayText([name], lang);
  return said.startsWith('<') ? undefined : said;
}

export async function wireIvr(o: WireIvrOptions): Promise<IvrWiring> {
  const log = o.log.child({ mod: 'integrations' });
  const stops: Array<() => Promise<void>> = [];
  const simulatorUrls: Record<string, string> = {};
  const settings = { ...o.integrations };
  if (o.simulators) {
    const billing = new BillingSimulator({ clock: o.clock });
    const gis = new GisSimulator({ clock: o.clock });
    const installation = new InstallationSimulator({ clock: o.clock });
    for (const s of [billing, gis, installation]) {
      await s.start();
      stops.push(() => s.stop());
    }
    billing.seed(200, o.clock.now());
    gis.seed();
    installation.seed(24);
    simulatorUrls.billing = billing.url;
    simulatorUrls.gis = gis.url;
    simulatorUrls.installation = installation.url;
    settings.billing ??= { baseUrl: billing.url, auth: { kind: 'bearer', token: billing.token } };
    settings.gis ??= { baseUrl: gis.url, auth: { kind: 'bearer', token: gis.token } };
    settings.installation ??= { baseUrl: installation.url, auth: { kind: 'bearer', token: installation.token } };
    log.info({ simulatorUrls }, 'upstream SIMULATORS started (demo)');
  }
  const common = (name: string, s: AdapterSettings) => ({
    ...s,
    clock: o.clock,
    log,
    onBreaker: (from: string, to: string) => log.warn({ upstream: name, from, to }, 'upstream circuit breaker'),
  });
  const lookups: Record<string, LookupAdapter> = {};
  if (settings.billing) lookups.billing = billingLookup(common('billing', settings.billing));
  const gis = settings.gis ? new GisLookupAdapter(common('gis', settings.gis)) : null;
  if (gis) lookups.gis = gis;
  if (settings.installation) lookups.installation = installationLookup(common('installation', settings.installation));

  const notify = new OutageNotifyStore({ db: o.store.db, clock: o.clock, events: o.bus });
  const outage = gis
    ? new OutageService({ gis, notify, log, ...(o.customers && { customers: o.customers }), ...(o.areaCodeMap && { areaCodeMap: o.areaCodeMap }) })
    : null;
  const tts = new EspeakTts({ promptDir: o.promptDir });
  const flows = new FlowStore({ db: o.store.db, clock: o.clock, catalogue: o.catalogue, utcOffsetMinutes: o.utcOffsetMinutes ?? 480 });
  const offTraffic = flows.recordTraffic(o.bus);
  const records = new IvrCallRecords({ db: o.store.db, clock: o.clock });
  const offRecords = records.listen(o.bus);
  const readOnly = (): IvrDeps => ({ lookups, flows, ...(outage && { outage }) });
  const voicemail = o.recorder ? new VoicemailBox({ db: o.store.db, clock: o.clock, bus: o.bus, recorder: o.recorder }) : null;
  const offVoicemail =
    voicemail && o.workOrders
      ? listenVoicemailOrders({ bus: o.bus, orders: o.workOrders, box: voicemail, log, ...(o.customers && { customers: o.customers }) })
      : () => undefined;

  return {
    flows,
    lookups,
    outage,
    notify,
    tts,
    records,
    voicemail,
    deps: () => ({ ...readOnly(), tts, survey: records, ...(voicemail && { voicemail }), ...(o.fax && { fax: o.fax }) }),
    registerRoutes: (registry, audit) => registerIvrRoutes(registry, { flows, catalogue: o.catalogue, clock: o.clock, simulationDeps: readOnly, promptText }, audit),
    panel: { flows, catalogue: o.catalogue, simulationDeps: readOnly, promptText },
    seedDefaultFlow: async (actor = 'system') => {
      const id = (DEFAULT_FLOW_JSON as { id: string }).id;
      if ((await flows.versions(id)).length > 0) return false;
      const { version } = await flows.saveDraft(DEFAULT_FLOW_JSON, actor);
      await flows.publish(id, version, actor);
      return true;
    },
    simulatorUrls,
    stop: async () => {
      offTraffic();
      offRecords();
      offVoicemail();
      await flows.flushTraffic();
      await records.flush();
      await voicemail?.flush();
      for (const s of stops.reverse()) await s();
    },
  };
}
