/**
 * The card's analog ports from config (`card.analog`, issue 5 "Analog: FXS … and FXO …"):
 *
 *  - each FXO port is a line from the exchange: its calls (caller-ID decoded from the line
 *    audio, the configured DID as called number) become inbound TDM legs of tech `analog`,
 *    handed to `incoming` (the daemon routes them through the call handler's dialplan);
 *  - each FXS port carries a phone with an extension number: call control rings it, with the
 *    caller's number and name as caller-ID, through AnalogExtensions (channel/tdm/analog-extensions.ts).
 *
 * All ports share one AnalogSignalling (drivers/analog/signalling.ts) and one TdmSpanLegs.
 * On the simulated card a phone or an exchange line stands at the other end of each configured
 * port's cord: FXS port n is corded to a spare FXO port (the phone) and FXO port n to a spare
 * FXS port (the exchange), so the demo can ring the appliance's lines and answer its phones
 * (`farEnd`).
 */
import { AnalogExtensions } from '../channel/tdm/analog-extensions.js';
import { TdmSpanLegs } from '../channel/tdm/span-legs.js';
import type { TdmChannelDeps } from '../channel/tdm-channel.js';
import type { Logger } from '../core/log.js';
import type { Clock } from '../core/clock.js';
import { spandspCallerId } from '../../drivers/analog/caller-id.js';
import { FxoLine, FxsLine } from '../../drivers/analog/lines.js';
import { AnalogSignalling, type AnalogLineSpec } from '../../drivers/analog/signalling.js';
import { SimulatedCard } from '../../drivers/sim/sim-card.js';
import type { CallerId, CardDriver } from '../../drivers/types.js';

export interface AnalogPlan {
  readonly fxs: readonly { readonly port: number; readonly extension: string; readonly callerId: CallerId['method'] }[];
  readonly fxo: readonly { readonly port: number; readonly did: string }[];
}

/** The simulated far end of a configured port (sim card only). */
export type AnalogFarEnd = { readonly kind: 'phone'; readonly port: number; readonly line: FxoLine } | { readonly kind: 'exchange'; readonly port: number; readonly line: FxsLine };

export interface CardAnalog {
  readonly signalling: AnalogSignalling;
  readonly legs: TdmSpanLegs;
  readonly extensions: AnalogExtensions;
  /** Configured port → its simulated far end (phone on an FXS port, exchange line on an FXO port). */
  readonly farEnd: ReadonlyMap<number, AnalogFarEnd>;
  close(): Promise<void>;
}

export async function openCardAnalog(card: CardDriver, plan: AnalogPlan, deps: { clock: Clock; log: Logger; channel: TdmChannelDeps }): Promise<CardAnalog | null> {
  if (plan.fxs.length === 0 && plan.fxo.length === 0) return null;
  const log = deps.log.child({ mod: 'card.analog' });
  const lineDeps = { clock: deps.clock, callerId: spandspCallerId };
  const lines: AnalogLineSpec[] = [];
  const closers: Array<() => Promise<void> | void> = [];
  const farEnd = new Map<number, AnalogFarEnd>();
  const sim = card instanceof SimulatedCard ? card : null;
  const kinds = new Map((await card.probe()).flatMap((c) => c.analogPorts.map((p) => [p.portNo, p.kind] as const)));
  const configured = new Set([...plan.fxs, ...plan.fxo].map((p) => p.port));
  const spare = (kind: 'fxs' | 'fxo'): number | null => {
    for (const [portNo, k] of kinds) if (k === kind && !configured.has(portNo)) return configured.add(portNo), portNo;
    return null;
  };
  try {
    for (const p of plan.fxs) {
      const port = await card.openAnalogPort(p.port);
      const line = new FxsLine(port, lineDeps);
      closers.push(() => line.close(), () => port.close());
      lines.push({ kind: 'fxs', line, callerIdMethod: p.callerId });
      const phonePort = sim ? spare('fxo') : null;
      if (sim && phonePort !== null) {
        sim.wireAnalog(p.port, phonePort);
        const ph = await sim.openAnalogPort(phonePort);
        // The simulated phone is picked up by whoever drives the demo (answer()), never by itself.
        const phone = new FxoLine(ph, lineDeps, { answerAfterRings: Infinity, callerIdMethods: [p.callerId] });
        closers.push(() => phone.close(), () => ph.close());
        farEnd.set(p.port, { kind: 'phone', port: phonePort, line: phone });
      }
    }
    for (const p of plan.fxo) {
      const port = await card.openAnalogPort(p.port);
      // Answered when the appliance says so (AnalogSignalling.answer), not after a ring count.
      const line = new FxoLine(port, lineDeps, { answerAfterRings: Infinity });
      closers.push(() => line.close(), () => port.close());
      lines.push({ kind: 'fxo', line, did: p.did });
      const exchangePort = sim ? spare('fxs') : null;
      if (sim && exchangePort !== null) {
        sim.wireAnalog(exchangePort, p.port);
        const ex = await sim.openAnalogPort(exchangePort);
        const exchange = new FxsLine(ex, lineDeps);
        closers.push(() => exchange.close(), () => ex.close());
        farEnd.set(p.port, { kind: 'exchange', port: exchangePort, line: exchange });
      }
    }
  } catch (err) {
    for (const c of closers.reverse()) await c();
    throw err;
  }
  const signalling = new AnalogSignalling(lines, { clock: deps.clock, log });
  const legs = new TdmSpanLegs(
    signalling,
    lines.map((l) => l.line.port.audio),
    deps.channel,
  );
  const extensions = new AnalogExtensions(legs, plan.fxs);
  log.info({ fxs: plan.fxs.map((p) => `${p.port}:${p.extension}`), fxo: plan.fxo.map((p) => `${p.port}:${p.did}`) }, 'analog ports wired');
  return {
    signalling,
    legs,
    extensions,
    farEnd,
    async close() {
      legs.close();
      signalling.close();
      for (const c of closers.reverse()) await c();
    },
  };
}
