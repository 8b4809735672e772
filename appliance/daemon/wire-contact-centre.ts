/**
 * Wiring of the contact-centre core: the ACD (queues, agents, callbacks, interval scheduler,
 * REST routes) on top of the call layer's AgentDialer / CallBridger / CallLiveness, the IVR's
 * integrations (billing, GIS, installation lookups with simulators in the demo, outage
 * announcements, TTS, flow store with the default 95598 flow) and what the control panel needs
 * to show them (desk, supervisor, wallboard, IVR editor).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Acd } from '../acd/acd.js';
import { AcdScheduler } from '../acd/acd-scheduler.js';
import { SqliteAcdStore } from '../acd/acd-store.js';
import { registerAcdRoutes } from '../acd/acd-routes.js';
import type { AgentDialer, CallBridger, CallLiveness, CustomerDialer } from '../acd/ports.js';
import { registerMonitorRoutes } from '../acd/monitor-routes.js';
import { DEFAULT_FEATURE_CODES, FeatureCodes, type FeatureCodeMap, type FeatureCodeService } from '../calls/feature-codes.js';
import { DEFAULT_MONITOR_CODES, MonitorCodes, PhoneCodes, validatePhoneCodes, type MonitorCodeMap } from '../calls/monitor-codes.js';
import { Users } from '../../control-panel/auth/users.js';
import { Monitor, type MonitorCalls } from '../calls/monitor.js';
import { AgentCallControl } from '../calls/agent-call-control.js';
import { keepsTransferredCaller, type CallsByLeg } from '../calls/acd-transfer-handover.js';
import type { CallRecordings } from '../calls/recording-control.js';
import { EngineMessageRecorder } from '../calls/message-recorder.js';
import { EngineFaxPort } from '../calls/fax-on-demand.js';
import type { MediaEngine } from '../media/engine/media-engine.js';
import { ConfigError } from '../core/errors.js';
import type { RouteRegistry } from '../api/registry.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { wireIvr, type IvrWiring, type WireIvrOptions } from '../integrations/ivr-wiring.js';
import { DEFAULT_FLOW_NEEDS, DEFAULT_PROMPTS_ZH } from '../ivr/flows/index.js';
import { sayPromptNames } from '../ivr/say/index.js';
import { PostCallSurveys } from '../ivr/postcall-survey.js';
import { registerPostCallRoutes } from '../ivr/postcall-routes.js';
import type { EnqueueRequest, Enqueuer, ValidationCatalogue } from '../ivr/ports.js';
import type { AuditLog } from '../ops/audit.js';
import type { Store } from '../store/database.js';
import { customerLookupFrom } from '../../control-panel/live/ports.js';
import { acdDirectory, panelUserDepartments } from '../../control-panel/live/acd-directory.js';
import type { LiveDeps } from '../../control-panel/live/live-panel.js';
import { AcdEnqueuer, type OverflowFlows } from './acd-enqueuer.js';
import type { BackgroundService, BusinessServices } from './wire-business.js';

const CHINA_UTC_OFFSET_MINUTES = 480;

/**
 * The call layer needs an Enqueuer when it is built, and the ACD needs the call layer: this
 * forwards to the ACD once it exists (calls before that are refused as `closed`).
 */
export class LateEnqueuer implements Enqueuer {
  private target: Enqueuer | null = null;

  bind(target: Enqueuer): void {
    this.target = target;
  }

  enqueue(req: EnqueueRequest): ReturnType<Enqueuer['enqueue']> {
    return this.target ? this.target.enqueue(req) : Promise.resolve({ outcome: 'closed' });
  }
}

export interface ContactCentre {
  acd: Acd;
  ivr: IvrWiring;
  /** createPanel deps for the live pages and the IVR editor. */
  panel: LiveDeps & { ivr: IvrWiring['panel'] };
  background: BackgroundService[];
}

export async function wireContactCentre(deps: {
  store: Store;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  registry: RouteRegistry;
  audit: AuditLog;
  business: BusinessServices;
  calls: AgentDialer & CallBridger & CallLiveness & CustomerDialer & MonitorCalls & OverflowFlows & { useFeatureCodes(f: FeatureCodeService): void; useLegPolicy?(p: PostCallSurveys['onLegEnded']): void } & Partial<CallsByLeg>;
  /** config.acd: agents' feature codes, reconciliation period. */
  acd?: { featureCodes?: FeatureCodeMap; monitorCodes?: MonitorCodeMap; reconcileIntervalMs?: number; /** Group commit of the ACD's event log (acd.ts AcdOptions), default 50 ms (as the CDR batch). */ persistWindowMs?: number };
  enqueuer: LateEnqueuer;
  /** The media engine: callers' voicemail messages are recorded on it (calls/message-recorder.ts). */
  engine?: Pick<MediaEngine, 'createBridge' | 'startFax' | 'play'>;
  /** The call recordings, paused / resumed from the agent desk (calls/agent-call-control.ts). */
  recordings?: Pick<CallRecordings, 'pause' | 'resume'>;
  promptDir: string;
  simulators: boolean;
  /** Real upstream systems (config.integrations), each replacing its simulator. */
  integrations?: WireIvrOptions['integrations'];
}): Promise<ContactCentre> {
  const { store, clock, bus, log, registry, audit, business } = deps;
  // Post-call survey per queue (ivr/postcall-survey.ts): asked by the ACD and the call layer when the agent hangs up first.
  const surveys = new PostCallSurveys({ db: store.db, clock, log, runner: deps.calls });
  await surveys.load();
  const offSurveys = surveys.listen(bus);
  deps.calls.useLegPolicy?.(surveys.onLegEnded);
  // The desk's call controls on the agent's real call (hold, transfer, consult, DTMF, recording).
  const callControl = deps.engine
    ? new AgentCallControl({ clock, log, bus, calls: deps.calls, engine: deps.engine, enqueuer: deps.enqueuer, ...(deps.recordings && { recordings: deps.recordings }) })
    : null;
  const acd = new Acd({
    clock,
    bus,
    log: log.child({ mod: 'acd' }),
    store: new SqliteAcdStore(store, clock),
    dialer: deps.calls,
    bridger: deps.calls,
    liveness: deps.calls,
    customerDialer: deps.calls,
    // A queue's or agent's departmentId must name a work-order department (400 naming the field).
    departments: { has: (id) => business.workOrders.listDepartments().some((d) => d.id === id) },
    // The desk handed the caller over, the agent's phone transferred it (REFER), or the post-call survey keeps it.
    keepCaller: (e) => (callControl?.keepsCaller(e.caller) ?? false) || keepsTransferredCaller(deps.calls, e) || surveys.keepCaller(e),
  }, { reconcileIntervalMs: deps.acd?.reconcileIntervalMs ?? 10_000, persistWindowMs: deps.acd?.persistWindowMs ?? 50 });
  const restored = acd.restore();
  log.info({ restored }, 'acd restored');
  registerAcdRoutes(registry, acd, audit);
  wireAgentPhones(deps, acd);
  const scheduler = new AcdScheduler({ clock, acd, log: log.child({ mod: 'acd.scheduler' }) }, { utcOffsetMinutes: CHINA_UTC_OFFSET_MINUTES });
  deps.enqueuer.bind(
    new AcdEnqueuer(acd, {
      log: log.child({ mod: 'acd.enqueue' }),
      tiers: { tierOf: (n) => business.customers.lookupByPhone(n).matches[0]?.tier ?? null },
      flows: deps.calls,
    }),
  );

  let ivr: IvrWiring | null = null;
  const catalogue = (): ValidationCatalogue => ({
    // A prompt is playable when recorded in the library or when its text is known (rendered by TTS).
    prompts: {
      has: (name, lang) =>
        DEFAULT_PROMPTS_ZH[name] !== undefined ||
        sayPromptNames(lang).includes(name) ||
        existsSync(path.join(deps.promptDir, lang === 'en' ? 'en' : 'zh-CN', `${name}.wav`)),
    },
    queues: { has: (q) => acd.queueConfigs().some((c) => c.id === q) || (DEFAULT_FLOW_NEEDS.queues as readonly string[]).includes(q) },
    adapters: { has: (a) => Boolean(ivr?.lookups[a]) },
    calendars: { has: (c) => (DEFAULT_FLOW_NEEDS.calendars as readonly string[]).includes(c) },
  });
  ivr = await wireIvr({
    store,
    clock,
    log,
    bus,
    customers: business.customers,
    promptDir: deps.promptDir,
    catalogue,
    simulators: deps.simulators,
    ...(deps.integrations ? { integrations: deps.integrations } : {}),
    utcOffsetMinutes: CHINA_UTC_OFFSET_MINUTES,
    ...(deps.engine && {
      recorder: new EngineMessageRecorder({ engine: deps.engine, clock, log }),
      workOrders: business.workOrders,
      // The fax library: <dataDir>/fax-documents/<document>.tif (next to the prompt library).
      fax: new EngineFaxPort({ engine: deps.engine, log, dir: path.join(path.dirname(deps.promptDir), 'fax-documents') }),
    }),
  });
  ivr.registerRoutes(registry, audit);
  registerPostCallRoutes(registry, { surveys, flows: ivr.flows }, audit);
  if (await ivr.seedDefaultFlow()) log.info('default 95598 flow published');
  const wired = ivr;

  // Queues and agents with their departments (agents: their own, else their panel user's): the live boards' data scope.
  const directory = acdDirectory({ acd, clock, userDepartments: panelUserDepartments(store) });
  return {
    acd,
    ivr: wired,
    panel: {
      acd,
      workOrders: business.workOrders,
      customers: customerLookupFrom(business.customers),
      acdDirectory: directory,
      ivr: wired.panel,
      ...(callControl && { callControl }),
    },
    background: [
      { name: 'acd', start: () => acd.start(), stop: () => acd.stop() },
      { name: 'acd-scheduler', start: () => scheduler.start(), stop: () => scheduler.stop() },
      { name: 'ivr-integrations', start: () => undefined, stop: () => (offSurveys(), wired.stop()) },
    ],
  };
}

/** Agents' phones: feature codes (login, break, …) and supervisor monitoring of their calls (REST and *90/*91/*92). */
function wireAgentPhones(deps: Parameters<typeof wireContactCentre>[0], acd: Acd): void {
  const codes = deps.acd?.featureCodes ?? DEFAULT_FEATURE_CODES;
  const monitorCodes = deps.acd?.monitorCodes ?? DEFAULT_MONITOR_CODES;
  const issues = validatePhoneCodes(codes, monitorCodes);
  if (issues.length > 0) throw new ConfigError('invalid acd.featureCodes / acd.monitorCodes', issues);
  // The agent id is the extension its calls ring (CallHandler's default agentExtension).
  const agentForExtension = (ext: string): string | null => (acd.agentConfigs().some((a) => a.id === ext) ? ext : null);
  const monitor = new Monitor({ clock: deps.clock, bus: deps.bus, log: deps.log, calls: deps.calls });
  const agentCodes = new FeatureCodes(codes, {
    log: deps.log,
    agents: {
      agentForExtension,
      statusOf: (id) => acd.agentSnapshot(id).status,
      setStatus: (id, to, reason) => acd.setStatus(id, to, reason, 'agent'),
    },
  });
  // Least privilege: the phone's extension is a panel user's login whose roles grant supervisor × monitor.
  const users = new Users({ db: deps.store.db, clock: deps.clock, audit: deps.audit });
  const permission = {
    mayMonitor: async (ext: string): Promise<boolean> => {
      const user = await users.findByLogin(ext);
      return !!user && !user.disabled && (await users.access(user.id)).permissions.can('supervisor', 'monitor');
    },
  };
  deps.calls.useFeatureCodes(new PhoneCodes(agentCodes, new MonitorCodes(monitorCodes, { log: deps.log, monitor, permission, audit: deps.audit, agentForExtension })));
  registerMonitorRoutes(deps.registry, monitor, deps.audit);
}
