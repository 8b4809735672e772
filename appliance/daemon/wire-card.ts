/**
 * Wiring of the voice card (issue 5, "the demo (`npm start`) uses it: the simulated exchange can
 * place calls into the appliance"). config.card.driver chooses the card:
 *
 *   sim   → a SimulatedCard on the daemon's clock, span 1 ↔ span 2 on a crossover cable:
 *
 *             SimExchange (PRI NET, span 2) ── cable ── span 1 (PRI CPE, libpri) →
 *             priTdmSignalling → TdmSpanLegs → TdmCallChannel → IvrRunner (published 95598 flow)
 *
 *           and `POST /api/v1/demo/calls` (scope demo:write) makes the exchange place a call,
 *           optionally keying DTMF in-band (spandsp generator, Q.23) once the IVR answers;
 *   dahdi → the real card when drivers/dahdi finds one (span 1 as PRI CPE, no exchange); when it
 *           does not, one line "no DAHDI card: …" and the daemon runs without TDM;
 *   auto  → dahdi when present, else sim.
 *
 * Each TDM leg is a Call of the call layer (calls/call.ts), so the bus carries call.leg.created /
 * answered / ended and a CDR is written, and the IVR publishes ivr.node.visited: the control
 * panel's live pages show a demo call like any other. Routing is fixed for now: every call
 * offered on the span runs the published 95598 flow.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RouteRegistry } from '../api/registry.js';
import { Call } from '../calls/call.js';
import type { CallStorePort } from '../calls/call-store.js';
import { HangupCauses } from '../channel/q850.js';
import { engineMedia } from '../channel/tdm/engine-media.js';
import type { PromptResolver } from '../channel/tdm/ports.js';
import { TdmSpanLegs } from '../channel/tdm/span-legs.js';
import type { TdmCallChannel } from '../channel/tdm-channel.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import { DEFAULT_PROMPTS_ZH } from '../ivr/flows/index.js';
import type { Flow } from '../ivr/flow-schema.js';
import { IvrRunner, type IvrDeps } from '../ivr/runner.js';
import { encode as g711encode } from '../media/codec/g711.js';
import type { MediaEngine } from '../media/engine/media-engine.js';
import { DahdiCard, type DahdiCardOptions } from '../../drivers/dahdi/dahdi-card.js';
import { priTdmSignalling } from '../../drivers/libpri/tdm-adapter.js';
import { SimExchange, type ExchangeCall } from '../../drivers/sim/exchange.js';
import { bindPri, type PriLink } from '../../drivers/sim/pri-link.js';
import { SimulatedCard } from '../../drivers/sim/sim-card.js';
import { DtmfGenerator, DtmfReceiver } from '../../drivers/spandsp/dtmf.js';
import type { CardDriver, SpanConfig } from '../../drivers/types.js';

/** E1, CCS, CRC-4, HDB3; the appliance takes its timing from the line (it is the CPE). */
export const PRI_CPE_SPAN: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'pri_cpe' };
export const PRI_NET_SPAN: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 0, signalling: 'pri_net' };
const APPLIANCE_SPAN = 1;
const EXCHANGE_SPAN = 2;

export interface CardWiringDeps {
  card: Config['card'];
  clock: Clock;
  log: Logger;
  bus: EventBus;
  engine: MediaEngine;
  /** Where each call's CDR goes. */
  calls: CallStorePort;
  /** The flow a TDM call runs (the published 95598 flow). */
  flow: () => Promise<Flow>;
  /** The IVR's ports (lookups, enqueuer, outage, tts…), asked per call. */
  ivr: () => IvrDeps;
  prompts: PromptResolver;
  /** The demo route goes here when given. */
  registry?: RouteRegistry;
  /** Where to look for DAHDI (tests point it at a temp dir). */
  dahdi?: DahdiCardOptions;
}

export interface DemoCallRequest {
  calling: string;
  called: string;
  /** Keyed in-band after the IVR answers. */
  digits?: string;
}

export type DemoCallResult =
  | { ok: true; timeslot: number; call: ExchangeCall }
  | { ok: false; reason: 'no-exchange' | 'dchan-down' | 'channel-busy' | 'no-channel' };

export interface CardWiring {
  /** Which card runs: `none` when DAHDI was asked for and is absent. */
  readonly kind: 'sim' | 'dahdi' | 'none';
  /** The appliance's span legs (null without TDM). */
  readonly legs: TdmSpanLegs | null;
  /** The simulated exchange (sim only). */
  readonly exchange: SimExchange | null;
  /** Make the simulated exchange place a call into the appliance. */
  placeDemoCall(req: DemoCallRequest): DemoCallResult;
  /** Clear the calls up (cause 16), stop signalling, close the card. */
  close(): Promise<void>;
}

export async function wireCard(deps: CardWiringDeps): Promise<CardWiring> {
  const log = deps.log.child({ mod: 'card' });
  const chosen = chooseCard(deps, log);
  if (!chosen) return noCard(deps);
  const { card, kind } = chosen;
  if (card instanceof SimulatedCard) card.connect(APPLIANCE_SPAN, EXCHANGE_SPAN);
  const appSpan = await card.openSpan(APPLIANCE_SPAN, PRI_CPE_SPAN);
  // libpri's timers poll on wall time (drivers/libpri/pri-span.ts).
  const cpe: PriLink = bindPri(appSpan, { side: 'cpe' }, { clock: systemClock, log });
  const exchange =
    card instanceof SimulatedCard
      ? new SimExchange({ span: await card.openSpan(EXCHANGE_SPAN, PRI_NET_SPAN) }, { clock: deps.clock, signallingClock: systemClock, log })
      : null;
  const legs = new TdmSpanLegs(priTdmSignalling(cpe.pri), appSpan.bChannels, {
    clock: deps.clock,
    log,
    media: engineMedia(deps.engine),
    prompts: deps.prompts,
    dtmf: (onDigit) => new DtmfReceiver(onDigit),
  });
  const runners = new Set<IvrRunner>();
  legs.on('incoming', (ch) => void runIvr(deps, ch, runners, log));
  const generators = new Set<DtmfGenerator>();
  log.info({ card: card.kind, span: APPLIANCE_SPAN, exchangeSpan: exchange ? EXCHANGE_SPAN : null }, 'card wired: PRI CPE on span 1');

  const wiring: CardWiring = {
    kind,
    legs,
    exchange,
    placeDemoCall: (req) => (exchange ? placeDemoCall(exchange, req, generators, log) : { ok: false, reason: 'no-exchange' }),
    async close() {
      for (const r of runners) r.cancel();
      await Promise.all([...legs.active.values()].map((ch) => ch.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined)));
      legs.close();
      exchange?.close();
      cpe.close();
      for (const g of generators) g.close();
      await card.close();
    },
  };
  if (deps.registry) registerDemoRoutes(deps.registry, wiring);
  return wiring;
}

function chooseCard(deps: CardWiringDeps, log: Logger): { card: CardDriver; kind: 'sim' | 'dahdi' } | null {
  const sim = (): { card: CardDriver; kind: 'sim' } => ({ card: new SimulatedCard({}, { clock: deps.clock, log }), kind: 'sim' });
  if (deps.card.driver === 'sim') return sim();
  const dahdi = new DahdiCard(deps.dahdi ?? {}, { clock: deps.clock, log });
  const presence = dahdi.presence();
  if (presence.kind === 'present') return { card: dahdi, kind: 'dahdi' };
  if (deps.card.driver === 'auto') {
    log.info({ reason: presence.reason }, 'no DAHDI card: using the simulated card');
    return sim();
  }
  log.warn(`${presence.reason}; running without TDM`);
  return null;
}

function noCard(deps: CardWiringDeps): CardWiring {
  const wiring: CardWiring = {
    kind: 'none',
    legs: null,
    exchange: null,
    placeDemoCall: () => ({ ok: false, reason: 'no-exchange' }),
    close: async () => undefined,
  };
  if (deps.registry) registerDemoRoutes(deps.registry, wiring);
  return wiring;
}

/** One TDM call: a Call of the call layer (events, CDR), the flow run, cleared with 16 after. */
async function runIvr(deps: CardWiringDeps, ch: TdmCallChannel, runners: Set<IvrRunner>, log: Logger): Promise<void> {
  const call = new Call(
    { id: newId('call', deps.clock), caller: ch.caller.number, called: ch.called.number, direction: 'inbound' },
    { clock: deps.clock, log, bus: deps.bus, store: deps.calls, engine: deps.engine },
  );
  call.addLeg(ch);
  try {
    const runner = new IvrRunner({
      clock: deps.clock,
      log,
      events: deps.bus,
      channel: ch,
      flow: await deps.flow(),
      callId: call.id,
      vars: { did: call.called, caller: call.caller },
      deps: deps.ivr(),
    });
    runners.add(runner);
    const result = await runner.run().finally(() => runners.delete(runner));
    if (result.outcome !== 'enqueued' && result.outcome !== 'transferred' && ch.level !== 'terminated') await ch.hangup(HangupCauses.NORMAL_CLEARING);
  } catch (err) {
    log.error({ err, channelId: ch.id }, 'TDM call failed');
    if (ch.level !== 'terminated') await ch.hangup(HangupCauses.TEMPORARY_FAILURE).catch(() => undefined);
  }
}

function placeDemoCall(exchange: SimExchange, req: DemoCallRequest, generators: Set<DtmfGenerator>, log: Logger): DemoCallResult {
  const placed = exchange.placeCall({ calling: req.calling, called: req.called, presentation: 'allowed', plan: 'national' });
  if (!placed.ok) return placed;
  const call = placed.call;
  log.info({ calling: req.calling, called: req.called, timeslot: call.channel }, 'simulated exchange placed a call');
  const digits = req.digits;
  if (digits) {
    const gen = new DtmfGenerator();
    generators.add(gen);
    const pcm = new Int16Array(160);
    call.play(() => {
      gen.generate(pcm);
      return g711encode('PCMA', pcm);
    });
    const done = (): void => {
      generators.delete(gen);
      gen.close();
    };
    call.waitFor('connected', 30_000).then(
      () => {
        gen.put(digits);
        void call.waitFor('released', 24 * 3_600_000).catch(() => undefined).finally(done);
      },
      done,
    );
  }
  return { ok: true, timeslot: call.channel, call };
}

const DemoCallBody = z.strictObject({
  calling: z.string().regex(/^\d{1,20}$/),
  called: z.string().regex(/^\d{1,20}$/),
  digits: z
    .string()
    .regex(/^[0-9*#A-D]{1,32}$/)
    .optional(),
});

function registerDemoRoutes(registry: RouteRegistry, wiring: CardWiring): void {
  registry.route({
    method: 'post',
    path: '/demo/calls',
    summary: 'Make the simulated exchange place a PRI call into the appliance',
    description: 'Demo only (card.driver sim): a Q.931 SETUP from the far end of span 1; `digits` are keyed in-band once the call is answered.',
    tags: ['demo'],
    scope: 'demo:write',
    body: DemoCallBody,
    errors: ['CONFLICT'],
    response: { status: 202, description: 'The call was offered', schema: z.object({ timeslot: z.number().int(), calling: z.string(), called: z.string() }) },
    handler: ({ body }) => {
      const r = wiring.placeDemoCall({ calling: body.calling, called: body.called, ...(body.digits ? { digits: body.digits } : {}) });
      if (!r.ok) throw new AppError('CONFLICT', demoRefusal[r.reason]);
      return { timeslot: r.timeslot, calling: body.calling, called: body.called };
    },
  });
}

const demoRefusal: Readonly<Record<Exclude<DemoCallResult, { ok: true }>['reason'], string>> = {
  'no-exchange': 'no simulated exchange (card.driver is not sim)',
  'dchan-down': 'the D channel between the exchange and the appliance is not up yet',
  'channel-busy': 'that B channel is busy',
  'no-channel': 'every B channel is busy',
};

/**
 * Prompt files for TDM calls: the prompt library (`<promptDir>/zh-CN|en/<name>.wav`), else the
 * TTS cache's rendering of the default flow's prompt text (see warmDefaultPrompts).
 */
export function promptFiles(promptDir: string, tts?: { pathFor(text: string, lang: 'zh' | 'en'): string }): PromptResolver {
  return {
    resolve(name, lang) {
      const file = path.join(promptDir, lang === 'en' ? 'en' : 'zh-CN', `${name}.wav`);
      if (existsSync(file)) return file;
      const text = DEFAULT_PROMPTS_ZH[name]?.replace(/\s+/g, ' ').trim();
      const cached = text !== undefined && tts ? tts.pathFor(text, 'zh') : null;
      return cached && existsSync(cached) ? cached : null;
    },
  };
}

/** Render the default flow's prompt texts into the TTS cache, one after another (demo). */
export async function warmDefaultPrompts(tts: { render(text: string, lang: 'zh', signal: AbortSignal): Promise<unknown> }, signal: AbortSignal, log: Logger): Promise<number> {
  let rendered = 0;
  for (const text of Object.values(DEFAULT_PROMPTS_ZH)) {
    if (signal.aborted) break;
    try {
      await tts.render(text, 'zh', signal);
      rendered++;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'default prompt not rendered');
    }
  }
  return rendered;
}
