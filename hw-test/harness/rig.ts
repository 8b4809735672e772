/**
 * The hw-test rig: the card a spec runs on, chosen by select-card.ts, plus the means to let time
 * pass on it. On the simulated card time is a ManualClock moved 20 ms at a time (one tick of the
 * card), yielding to the event loop in between so libpri and the specs' listeners run; libpri's
 * own timers follow the wall clock (see drivers/libpri/pri-span.ts), so signalling is given the
 * system clock.
 *
 * `hwTest` is ava's `test` on a usable rig and `test.skip` otherwise, with the reason in the
 * title, so `HW_CARD=dahdi` on a machine without a card reports every spec as skipped, and why.
 */
import test, { type ExecutionContext } from 'ava';
import { systemClock, type Clock } from '../../appliance/core/clock.js';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { SimulatedCard, type SimCardOptions } from '../../drivers/sim/sim-card.js';
import { FRAME_MS, type SpanConfig } from '../../drivers/types.js';
import { selectCard, type CardSelection } from './select-card.js';

// lint-allow: env (test code: the only place HW_CARD/HW_RIG is read)
export const selection: CardSelection = selectCard(process.env.HW_CARD ?? process.env.HW_RIG);

export type HwSpec = (title: string, impl: (t: ExecutionContext) => Promise<void> | void) => void;

/** ava's test on a usable rig; test.skip with the reason in the title otherwise. */
export const hwTest: HwSpec =
  selection.kind === 'unavailable'
    ? (title, impl) => test.skip(`${title} [skipped: ${selection.kind === 'unavailable' ? selection.reason : ''}]`, impl)
    : (title, impl) => test(title, impl);

export const PRI_CPE: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'pri_cpe' };
export const PRI_NET: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 0, signalling: 'pri_net' };
export const CLEAR: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'none' };

export class SimRig {
  readonly clock = new ManualClock();
  readonly card: SimulatedCard;
  readonly log = silentLogger();
  /** The clock for libpri (wall time). */
  readonly signallingClock: Clock = systemClock;

  constructor(opts: SimCardOptions = {}) {
    this.card = new SimulatedCard(opts, { clock: this.clock, log: this.log });
  }

  /** Let `ms` of card time pass, one tick at a time. */
  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += FRAME_MS) await this.step();
  }

  /**
   * Run the card until `what` settles (a promise) or holds (a predicate). Fails after `maxMs` of
   * card time, or 10 s of real time (a stuck libpri exchange).
   */
  async until<T>(what: Promise<T> | (() => boolean), maxMs = 10_000, label = 'condition'): Promise<T | undefined> {
    const started = this.clock.monotonic();
    const realEnd = performance.now() + 10_000;
    if (typeof what === 'function') {
      while (!what()) {
        if (this.clock.monotonic() - started > maxMs || performance.now() > realEnd) throw new Error(`${label}: not reached within ${maxMs} ms of card time`);
        await this.step();
      }
      return undefined;
    }
    let settled = false;
    const watched = what.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    while (!settled) {
      if (this.clock.monotonic() - started > maxMs || performance.now() > realEnd) throw new Error(`${label}: not settled within ${maxMs} ms of card time`);
      await this.step();
    }
    return watched;
  }

  /** Card time in ms since the rig was made. */
  get now(): number {
    return this.clock.monotonic();
  }

  async close(): Promise<void> {
    await this.card.close();
  }

  private async step(): Promise<void> {
    this.clock.advance(FRAME_MS);
    await new Promise<void>((r) => setImmediate(r));
  }
}
