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
import type { AgentDialer, CallBridger, CallLiveness } from '../acd/ports.js';
import type { RouteRegistry } from '../api/registry.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { wireIvr, type IvrWiring } from '../integrations/ivr-wiring.js';
import { DEFAULT_FLOW_NEEDS, DEFAULT_PROMPTS_ZH } from '../ivr/flows/index.js';
import { sayPromptNames } from '../ivr/say/index.js';
import type { EnqueueRequest, Enqueuer, ValidationCatalogue } from '../ivr/ports.js';
import type { AuditLog } from '../ops/audit.js';
import type { Store } from '../store/database.js';
import { customerLookupFrom, type AcdDirectory } from '../../control-panel/live/ports.js';
import type { LiveDeps } from '../../control-panel/live/live-panel.js';
import { AcdEnqueuer } from './acd-enqueuer.js';
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
  calls: AgentDialer & CallBridger & CallLiveness;
  enqueuer: LateEnqueuer;
  promptDir: string;
  simulators: boolean;
}): Promise<ContactCentre> {
  const { store, clock, bus, log, registry, audit, business } = deps;
  const acd = new Acd({
    clock,
    bus,
    log: log.child({ mod: 'acd' }),
    store: new SqliteAcdStore(store, clock),
    dialer: deps.calls,
    bridger: deps.calls,
    liveness: deps.calls,
  });
  const restored = acd.restore();
  log.info({ restored }, 'acd restored');
  registerAcdRoutes(registry, acd, audit);
  const scheduler = new AcdScheduler({ clock, acd, log: log.child({ mod: 'acd.scheduler' }) }, { utcOffsetMinutes: CHINA_UTC_OFFSET_MINUTES });
  deps.enqueuer.bind(
    new AcdEnqueuer(acd, {
      log: log.child({ mod: 'acd.enqueue' }),
      tiers: { tierOf: (n) => business.customers.lookupByPhone(n).matches[0]?.tier ?? null },
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
    utcOffsetMinutes: CHINA_UTC_OFFSET_MINUTES,
  });
  ivr.registerRoutes(registry, audit);
  if (await ivr.seedDefaultFlow()) log.info('default 95598 flow published');
  const wired = ivr;

  const directory: AcdDirectory = {
    agentIdFor: (u) => (acd.agentConfigs().some((a) => a.id === u.login) ? u.login : null),
    queues: () => acd.queueConfigs().map((q) => ({ id: q.id, name: q.name, departmentId: null })),
    agents: () => acd.agentConfigs().map((a) => ({ id: a.id, name: a.name, departmentId: null })),
  };
  return {
    acd,
    ivr: wired,
    panel: {
      acd,
      workOrders: business.workOrders,
      customers: customerLookupFrom(business.customers),
      acdDirectory: directory,
      ivr: wired.panel,
    },
    background: [
      { name: 'acd', start: () => acd.start(), stop: () => acd.stop() },
      { name: 'acd-scheduler', start: () => scheduler.start(), stop: () => scheduler.stop() },
      { name: 'ivr-integrations', start: () => undefined, stop: () => wired.stop() },
    ],
  };
}
