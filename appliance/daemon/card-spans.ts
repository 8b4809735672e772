/**
 * The appliance's E1 spans from config (`card.spans`, issue 5 "Span management from config:
 * framing, signalling type, channel groups and routing targets"): each span is opened with the
 * framing its signalling needs (G.704 CCS for PRI and SS7, CAS for China No.1 R2), its stack is
 * started (libpri CPE or NET on the D channel, libss7 on the timeslot-16 link, our R2 state
 * machine on the ABCD bits), and its calls become TDM legs (channel/tdm/span-legs.ts) under a
 * span guard (alarms clear them with cause 38). Spans with the same `group` are one outbound
 * gateway (calls/tdm-gateway.ts), hunted in config order.
 *
 * On the simulated card every configured span gets a far end on the lowest spare span, cabled
 * to it: the simulated PRI NET exchange facing a CPE span, a libpri CPE facing a NET span, the
 * simulated SS7 exchange (point codes swapped) and the simulated R2 exchange. A span with no
 * spare partner left runs without one (its link stays down), logged.
 */
import { TdmSpanGroupGateway } from '../calls/tdm-gateway.js';
import { SpanGuard } from '../channel/tdm/span-guard.js';
import { TdmSpanLegs } from '../channel/tdm/span-legs.js';
import type { TdmChannelDeps } from '../channel/tdm-channel.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { priTdmSignalling } from '../../drivers/libpri/tdm-adapter.js';
import { R2Signalling } from '../../drivers/r2/r2-span.js';
import { r2TdmSignalling } from '../../drivers/r2/tdm-adapter.js';
import { SimExchange } from '../../drivers/sim/exchange.js';
import { bindPri } from '../../drivers/sim/pri-link.js';
import { SimR2Exchange } from '../../drivers/sim/r2-exchange.js';
import { SimulatedCard } from '../../drivers/sim/sim-card.js';
import { SimSs7Exchange } from '../../drivers/sim/ss7-exchange.js';
import { bindIsup } from '../../drivers/sim/ss7-link.js';
import { isupTdmSignalling } from '../../drivers/ss7/tdm-adapter.js';
import type { CardDriver, Span, SpanConfig, TdmSignalling } from '../../drivers/types.js';

export type SpanStack = 'pri_cpe' | 'pri_net' | 'ss7' | 'r2';

/** One `card.spans` entry (core/config.ts). */
export interface SpanPlan {
  readonly span: number;
  readonly signalling: SpanStack;
  readonly group: string;
  readonly crc4: boolean;
  readonly timing: number;
}

export const DEFAULT_SPANS: readonly SpanPlan[] = [{ span: 1, signalling: 'pri_cpe', group: 'e1', crc4: true, timing: 1 }];

/** SS7 point codes of the appliance and of the adjacent exchange (ITU 14-bit). */
const OWN_PC = 1;
const ADJACENT_PC = 2;
/** China No.1: the called number (DNIS) the appliance expects, in digits. */
const R2_DNIS_LENGTH = 5;

export function spanConfigOf(p: Pick<SpanPlan, 'signalling' | 'crc4' | 'timing'>): SpanConfig {
  return { framing: p.signalling === 'r2' ? 'cas' : 'ccs', crc4: p.crc4, lineCode: 'hdb3', timing: p.timing, signalling: p.signalling };
}

export interface OpenSpan {
  readonly plan: SpanPlan;
  readonly span: Span;
  readonly signalling: TdmSignalling;
  readonly legs: TdmSpanLegs;
  readonly guard: SpanGuard;
  /** The signalling link is up (D channel, MTP3 linkset; always true on R2). */
  linkUp(): boolean;
  /** The simulated PRI exchange facing this span (sim, pri_cpe only). */
  readonly exchange: SimExchange | null;
  /** The simulated carrier side of this span (sim only). */
  readonly farEnd: SimFarEnd | null;
  close(): Promise<void>;
}

export type SimFarEnd =
  | { readonly kind: 'pri_net'; readonly spanNo: number; readonly exchange: SimExchange }
  | { readonly kind: 'pri_cpe'; readonly spanNo: number }
  | { readonly kind: 'ss7'; readonly spanNo: number; readonly exchange: SimSs7Exchange }
  | { readonly kind: 'r2'; readonly spanNo: number; readonly exchange: SimR2Exchange };

export interface CardSpans {
  readonly spans: readonly OpenSpan[];
  /** One gateway per group, in first-appearance order. */
  readonly gateways: readonly TdmSpanGroupGateway[];
  close(): Promise<void>;
}

export interface CardSpansDeps {
  clock: Clock;
  log: Logger;
  channel: TdmChannelDeps;
}

export async function openCardSpans(card: CardDriver, plans: readonly SpanPlan[], deps: CardSpansDeps): Promise<CardSpans> {
  const log = deps.log.child({ mod: 'card.spans' });
  const sim = card instanceof SimulatedCard ? card : null;
  const spare = sim ? Array.from({ length: sim.spanCount }, (_, i) => i + 1).filter((n) => !plans.some((p) => p.span === n)) : [];
  const opened: OpenSpan[] = [];
  try {
    for (const plan of plans) {
      const partner = sim ? (spare.shift() ?? null) : null;
      if (sim && partner === null) log.warn({ span: plan.span }, 'no spare simulated span for a far end');
      if (sim && partner !== null) sim.connect(plan.span, partner);
      const span = await card.openSpan(plan.span, spanConfigOf(plan));
      const stack = startStack(span, plan, deps);
      const farEnd = sim && partner !== null ? await simFarEnd(sim, partner, plan, deps) : null;
      const legs = new TdmSpanLegs(stack.signalling, span.bChannels, deps.channel);
      const guard = new SpanGuard(span, legs, { log });
      opened.push({
        plan,
        span,
        signalling: stack.signalling,
        legs,
        guard,
        linkUp: stack.linkUp,
        exchange: farEnd?.end.kind === 'pri_net' ? farEnd.end.exchange : null,
        farEnd: farEnd?.end ?? null,
        async close() {
          guard.close();
          legs.close();
          farEnd?.close();
          stack.close();
        },
      });
      log.info({ span: plan.span, signalling: plan.signalling, group: plan.group, farEnd: partner }, 'span opened');
    }
  } catch (err) {
    for (const s of opened) await s.close();
    throw err;
  }
  const groups = new Map<string, OpenSpan[]>();
  for (const s of opened) groups.set(s.plan.group, [...(groups.get(s.plan.group) ?? []), s]);
  const gateways = [...groups].map(
    ([id, members]) =>
      new TdmSpanGroupGateway(
        id,
        members.map((s) => ({ spanNo: s.plan.span, legs: s.legs, available: () => s.guard.inService && s.linkUp() })),
        { clock: deps.clock, log },
      ),
  );
  return {
    spans: opened,
    gateways,
    async close() {
      for (const s of opened) await s.close();
    },
  };
}

/** The span's own stack. libpri's and libss7's timers poll on wall time (drivers/libpri/pri-span.ts). */
function startStack(span: Span, plan: SpanPlan, deps: CardSpansDeps): { signalling: TdmSignalling; linkUp: () => boolean; close: () => void } {
  const log = deps.log;
  switch (plan.signalling) {
    case 'pri_cpe':
    case 'pri_net': {
      const link = bindPri(span, { side: plan.signalling === 'pri_cpe' ? 'cpe' : 'net' }, { clock: systemClock, log });
      return { signalling: priTdmSignalling(link.pri), linkUp: () => link.pri.dchanUp, close: () => link.close() };
    }
    case 'ss7': {
      const link = bindIsup(span, { pc: OWN_PC, adjPc: ADJACENT_PC }, { clock: systemClock, log });
      return {
        signalling: isupTdmSignalling(link.isup, { spanNo: span.spanNo, timeslots: span.bChannels.map((b) => b.timeslot) }),
        linkUp: () => link.isup.linkUp,
        close: () => link.close(),
      };
    }
    case 'r2': {
      const r2 = new R2Signalling({ spanNo: span.spanNo, channels: span.bChannels, incoming: { dnisLength: R2_DNIS_LENGTH } }, { clock: deps.clock, log });
      return { signalling: r2TdmSignalling(r2), linkUp: () => true, close: () => r2.close() };
    }
  }
}

/** The carrier's side of a simulated span: the mirror stack on the partner span (it gives the clock: timing 0). */
async function simFarEnd(card: SimulatedCard, partner: number, plan: SpanPlan, deps: CardSpansDeps): Promise<{ end: SimFarEnd; close: () => void }> {
  const mirror: SpanStack = plan.signalling === 'pri_cpe' ? 'pri_net' : plan.signalling === 'pri_net' ? 'pri_cpe' : plan.signalling;
  const span = await card.openSpan(partner, spanConfigOf({ signalling: mirror, crc4: plan.crc4, timing: 0 }));
  const x = { clock: deps.clock, signallingClock: systemClock, log: deps.log };
  switch (plan.signalling) {
    case 'pri_cpe': {
      const exchange = new SimExchange({ span }, x);
      return { end: { kind: 'pri_net', spanNo: partner, exchange }, close: () => exchange.close() };
    }
    case 'pri_net': {
      const link = bindPri(span, { side: 'cpe' }, { clock: systemClock, log: deps.log });
      return { end: { kind: 'pri_cpe', spanNo: partner }, close: () => link.close() };
    }
    case 'ss7': {
      const exchange = new SimSs7Exchange({ span, pc: ADJACENT_PC, adjPc: OWN_PC }, x);
      return { end: { kind: 'ss7', spanNo: partner, exchange }, close: () => exchange.close() };
    }
    case 'r2': {
      const exchange = new SimR2Exchange({ span }, { clock: deps.clock, log: deps.log });
      return { end: { kind: 'r2', spanNo: partner, exchange }, close: () => exchange.close() };
    }
  }
}
