/**
 * Wiring of the voice card (issue 5, "the demo (`npm start`) uses it: the simulated exchange can
 * place calls into the appliance"). config.card.driver chooses the card:
 *
 *   sim   → a SimulatedCard on the daemon's clock; by default span 1 ↔ span 2 on a crossover cable:
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
 * panel's live pages show a demo call like any other.
 *
 * Spans and analog ports come from `card.spans` / `card.analog` (card-spans.ts: PRI CPE/NET, SS7,
 * R2 per span, grouped into outbound gateways by `group`; card-analog.ts: FXO lines with their
 * DID, FXS phones with their extension, rung by the call handler through `useLocalPhones`).
 *
 * Routing: a call whose DID matches a dialplan route goes to the call handler
 * (`inbound.acceptInbound`), exactly like an INVITE, so a route to an extension bridges the B
 * channel to that SIP phone; a DID with no route runs the published 95598 flow (the demo's
 * default). The span's alarms are supervised (channel/tdm/span-guard.ts: RED/BLUE/LOS clear
 * the span's calls with cause 38), and each span group is offered to outbound routes as a
 * gateway named by the group (`e1` by default; calls/tdm-gateway.ts) when a GatewayRegistry is
 * given. An FXO line's call is routed the same way. `drain` lets SIGTERM stop new
 * TDM calls (cause 42), wait for the active ones and clear the rest, like SIP calls.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RouteRegistry } from '../api/registry.js';
import { Call } from '../calls/call.js';
import type { CallStorePort } from '../calls/call-store.js';
import { matchRoute } from '../calls/dialplan.js';
import type { GatewayRegistry } from '../calls/gateway.js';
import type { Channel } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import { engineMedia } from '../channel/tdm/engine-media.js';
import type { PromptResolver } from '../channel/tdm/ports.js';
import { TdmSpanLegs } from '../channel/tdm/span-legs.js';
import type { TdmCallChannel } from '../channel/tdm-channel.js';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import { promptTextsZh, promptTextZh } from '../ivr/flows/index.js';
import type { Flow } from '../ivr/flow-schema.js';
import { IvrRunner, type IvrDeps } from '../ivr/runner.js';
import { encode as g711encode } from '../media/codec/g711.js';
import type { MediaEngine } from '../media/engine/media-engine.js';
import type { LocalPhones } from '../channel/tdm/analog-extensions.js';
import { openCardAnalog, type CardAnalog } from './card-analog.js';
import { DEFAULT_SPANS, openCardSpans, type CardSpans } from './card-spans.js';
import type { Drainable } from './lifecycle.js';
import { DahdiCard, type DahdiCardOptions } from '../../drivers/dahdi/dahdi-card.js';
import { SimExchange, type ExchangeCall } from '../../drivers/sim/exchange.js';
import { SimulatedCard } from '../../drivers/sim/sim-card.js';
import { DtmfGenerator, DtmfReceiver } from '../../drivers/spandsp/dtmf.js';
import { DtmfScriptSchema, runDtmfScript, type DtmfStep } from './demo-dtmf.js';
import { DemoCallMedia, registerDemoCallMediaRoutes } from './demo-call-media.js';
import type { CardDriver, SpanConfig } from '../../drivers/types.js';

/** E1, CCS, CRC-4, HDB3; the appliance takes its timing from the line (it is the CPE). */
export const PRI_CPE_SPAN: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'pri_cpe' };
export const PRI_NET_SPAN: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 0, signalling: 'pri_net' };

export interface CardWiringDeps {
  /** `spans`/`analog` default to span 1 PRI CPE (group `e1`) and no analog ports. */
  card: Pick<Config['card'], 'driver'> & Partial<Config['card']>;
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
  /** The call handler: calls whose DID has a dialplan route are handed to it. */
  inbound?: { acceptInbound(ch: Channel, o: { callId?: string }): Promise<void>; useLocalPhones?(phones: LocalPhones | null): void };
  /** Each span group is registered here as an outbound gateway named by the group (default TDM_GATEWAY_ID). */
  gateways?: GatewayRegistry;
}

/** The default span group's gateway id (calls/tdm-gateway.ts); `card.spans[].group` names others. */
export const TDM_GATEWAY_ID = 'e1';

export interface DemoCallRequest {
  calling: string;
  called: string;
  /** Keyed in-band after the IVR answers. */
  digits?: string;
  /** Timed digits (demo-dtmf.ts): keyed in-band at their times after the answer. */
  dtmf?: DtmfStep[];
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
  /** Every configured span with its stack, legs and guard, and the gateway of each group (none without TDM). */
  readonly spans: CardSpans | null;
  /** The analog ports (null when none are configured). */
  readonly analog: CardAnalog | null;
  /** Make the simulated exchange place a call into the appliance. */
  placeDemoCall(req: DemoCallRequest): DemoCallResult;
  /** SIGTERM drain (daemon/lifecycle.ts Drainable): refuse new TDM calls, count and clear the live ones. */
  readonly drain: Drainable;
  /** Clear the calls up (cause 16), stop signalling, close the card. */
  close(): Promise<void>;
}

export async function wireCard(deps: CardWiringDeps): Promise<CardWiring> {
  const log = deps.log.child({ mod: 'card' });
  const chosen = chooseCard(deps, log);
  if (!chosen) return noCard(deps);
  const { card, kind } = chosen;
  const channel = {
    clock: deps.clock,
    log,
    media: engineMedia(deps.engine),
    prompts: deps.prompts,
    dtmf: (onDigit: (d: string) => void) => new DtmfReceiver(onDigit),
  };
  // Spans and analog ports from config (card-spans.ts, card-analog.ts); span 1 PRI CPE, group e1, by default.
  const opened = await openCardSpans(card, deps.card.spans ?? DEFAULT_SPANS, { clock: deps.clock, log, channel });
  const analog = await openCardAnalog(card, deps.card.analog ?? { fxs: [], fxo: [] }, { clock: deps.clock, log, channel });
  const allLegs = [...opened.spans.map((s) => s.legs), ...(analog ? [analog.legs] : [])];
  const legs = opened.spans[0]?.legs ?? null;
  const exchange = opened.spans.find((s) => s.exchange)?.exchange ?? null;
  const runners = new Set<IvrRunner>();
  let accepting = true;
  const incoming = (ch: TdmCallChannel): void => {
    if (!accepting) {
      void ch.hangup(HangupCauses.SWITCH_CONGESTION);
      return;
    }
    const inbound = deps.inbound;
    if (inbound && matchRoute(deps.calls.routes(), ch.called.number, ch.caller.number)) {
      const callId = newId('call', deps.clock);
      ch.affinity = callId;
      void inbound.acceptInbound(ch, { callId });
      return;
    }
    void runIvr(deps, ch, runners, log);
  };
  for (const l of allLegs) l.on('incoming', incoming);
  for (const g of opened.gateways) deps.gateways?.add(g);
  if (analog) deps.inbound?.useLocalPhones?.(analog.extensions);
  const generators = new Set<DtmfGenerator>();
  const live = (): TdmCallChannel[] => allLegs.flatMap((l) => [...l.active.values()]);
  log.info({ card: card.kind, spans: opened.spans.map((s) => `${s.plan.span}:${s.plan.signalling}:${s.plan.group}`), analog: analog !== null }, 'card wired');

  const wiring: CardWiring = {
    kind,
    legs,
    exchange,
    spans: opened,
    analog,
    placeDemoCall: (req) => (exchange ? placeDemoCall(exchange, req, generators, log, deps.clock) : { ok: false, reason: 'no-exchange' }),
    drain: {
      name: 'tdm calls',
      stopAccepting: () => void (accepting = false),
      active: () => live().length,
      forceClose: async () => {
        await Promise.all(live().map((ch) => ch.hangup(HangupCauses.NORMAL_UNSPECIFIED).catch(() => undefined)));
      },
    },
    async close() {
      for (const g of opened.gateways) deps.gateways?.remove(g.id);
      if (analog) deps.inbound?.useLocalPhones?.(null);
      for (const r of runners) r.cancel();
      await Promise.all(live().map((ch) => ch.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined)));
      await analog?.close();
      await opened.close();
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
    spans: null,
    analog: null,
    placeDemoCall: () => ({ ok: false, reason: 'no-exchange' }),
    drain: { name: 'tdm calls', stopAccepting: () => undefined, active: () => 0, forceClose: () => undefined },
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

function placeDemoCall(exchange: SimExchange, req: DemoCallRequest, generators: Set<DtmfGenerator>, log: Logger, clock: Clock): DemoCallResult {
  const placed = exchange.placeCall({ calling: req.calling, called: req.called, presentation: 'allowed', plan: 'national' });
  if (!placed.ok) return placed;
  const call = placed.call;
  log.info({ calling: req.calling, called: req.called, timeslot: call.channel }, 'simulated exchange placed a call');
  const digits = req.digits;
  if (digits || req.dtmf) {
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
        const released = new AbortController();
        if (digits) gen.put(digits);
        const put = (d: string): void => {
          try {
            gen.put(d);
          } catch (err) {
            log.warn({ err: (err as Error).message, timeslot: call.channel }, 'demo dtmf not keyed');
          }
        };
        if (req.dtmf) runDtmfScript(clock, req.dtmf, put, released.signal);
        void call.waitFor('released', 24 * 3_600_000).catch(() => undefined).finally(() => {
          released.abort();
          done();
        });
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
  dtmf: DtmfScriptSchema.optional().describe("Timed digits: [{ after: 'answer+3s' | '+1.5s', digits }]"),
  record: z.boolean().optional().describe('Record what the exchange hears (GET /demo/calls/{timeslot}/recording)'),
});

function registerDemoRoutes(registry: RouteRegistry, wiring: CardWiring): void {
  const media = new DemoCallMedia();
  registerDemoCallMediaRoutes(registry, media);
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
      const r = wiring.placeDemoCall({ calling: body.calling, called: body.called, ...(body.digits ? { digits: body.digits } : {}), ...(body.dtmf ? { dtmf: body.dtmf } : {}) });
      if (!r.ok) throw new AppError('CONFLICT', demoRefusal[r.reason]);
      media.adopt(r.call, { record: body.record === true });
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
 * TTS cache's rendering of the prompt's text: the default flow's prompts and the say module's
 * pieces, so a balance is read out too (ivr/flows promptTextZh; see warmDefaultPrompts).
 */
export function promptFiles(promptDir: string, tts?: { pathFor(text: string, lang: 'zh' | 'en'): string }): PromptResolver {
  return {
    resolve(name, lang) {
      const file = path.join(promptDir, lang === 'en' ? 'en' : 'zh-CN', `${name}.wav`);
      if (existsSync(file)) return file;
      const text = promptTextZh(name)?.replace(/\s+/g, ' ').trim();
      const cached = text !== undefined && tts ? tts.pathFor(text, 'zh') : null;
      return cached && existsSync(cached) ? cached : null;
    },
  };
}

/** Render the default flow's prompt texts, then the say pieces, into the TTS cache, one after another (demo). */
export async function warmDefaultPrompts(
  tts: { render(text: string, lang: 'zh', signal: AbortSignal): Promise<unknown> },
  signal: AbortSignal,
  log: Logger,
  /** Texts still to render, kept current (the `ivr_prompt_warmup_remaining` gauge). */
  progress: { remaining: number } = { remaining: 0 },
): Promise<number> {
  let rendered = 0;
  const texts = promptTextsZh();
  progress.remaining = texts.length;
  for (const text of texts) {
    if (signal.aborted) break;
    try {
      await tts.render(text, 'zh', signal);
      rendered++;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'default prompt not rendered');
    }
    progress.remaining--;
  }
  return rendered;
}
