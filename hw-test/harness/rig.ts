/**
 * The hw-test rig: the card a spec runs on, chosen by select-card.ts, plus the means to let time
 * pass on it and to reach the cable between span 1 and span 2. Specs written against the `Rig`
 * interface (`rigTest`) run on both rigs:
 *
 *  - SimRig: the simulated card. Time is a ManualClock moved 20 ms at a time (one tick of the
 *    card), yielding to the event loop in between so libpri and the specs' listeners run;
 *    libpri's own timers follow the wall clock (see drivers/libpri/pri-span.ts), so signalling is
 *    given the system clock. The crossover is a virtual cable the spec plugs and pulls.
 *  - DahdiRig: the real card (drivers/dahdi) with a physical crossover between span 1 and span 2,
 *    configured by dahdi_cfg to match the spec's SpanConfig. Time is real time; `run` and
 *    `until` wait on the wall clock. Nobody can pull a real cable from software, so a spec that
 *    needs it declares `needs: ['cable-pull']` and is skipped on this rig with that reason;
 *    likewise fault injection (bit errors, slips, AIS) and the simulated card's analog cords.
 *
 * `hwTest` is ava's `test` on the simulated rig and `test.skip` otherwise, with the reason in
 * the title: it is for specs that still drive SimRig directly. So `HW_CARD=dahdi` (or HW_RIG)
 * on a machine without a card reports every spec as skipped, and why; with a card the `rigTest`
 * specs run on it and the SimRig-only ones are skipped, naming what they need.
 */
import test, { type ExecutionContext } from 'ava';
import { systemClock, type Clock } from '../../appliance/core/clock.js';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import type { Logger } from '../../appliance/core/log.js';
import { DahdiCard, type DahdiCardOptions } from '../../drivers/dahdi/dahdi-card.js';
import { SimulatedCard, type SimCardOptions } from '../../drivers/sim/sim-card.js';
import { FRAME_MS, type CardDriver, type SpanConfig } from '../../drivers/types.js';
import { selectCard, type CardSelection } from './select-card.js';

// lint-allow: env (test code: the only place HW_CARD/HW_RIG is read)
export const selection: CardSelection = selectCard(process.env.HW_CARD ?? process.env.HW_RIG);

export type HwSpec = (title: string, impl: (t: ExecutionContext) => Promise<void> | void) => void;

/**
 * A real card was asked for (HW_CARD/HW_RIG=dahdi) and is not there: every spec fails with the
 * reason instead of being skipped, so a hardware run without hardware can never pass silently.
 */
function failUnavailable(title: string): boolean {
  if (selection.kind !== 'unavailable') return false;
  const reason = selection.reason;
  test(title, (t) => t.fail(reason));
  return true;
}

/** Why a spec cannot run on the selected real card, or null. */
function skipReason(needs: readonly RigNeed[]): string | null {
  if (selection.kind === 'dahdi') {
    const missing = needs.filter((n) => !DAHDI_CAN.has(n));
    if (missing.length > 0) return `needs ${missing.map((n) => RIG_NEEDS[n]).join(', ')}: not on a real card`;
  }
  return null;
}

/** ava's test on the simulated rig (specs that drive SimRig directly); test.skip with the reason in the title otherwise. */
export const hwTest: HwSpec = (title, impl) => {
  if (failUnavailable(title)) return;
  const why = skipReason(['simulated-card']);
  if (why) test.skip(`${title} [skipped: ${why}]`, impl);
  else test(title, impl);
};

/** What a spec may need beyond a card with span 1 cabled to span 2. */
export const RIG_NEEDS = {
  'cable-pull': 'pulling and replugging the span 1–2 cable',
  'fault-injection': 'line fault injection (bit errors, slips, AIS, RAI)',
  'simulated-card': 'the simulated card itself (its clock, cables and cords)',
} as const;
export type RigNeed = keyof typeof RIG_NEEDS;
const DAHDI_CAN: ReadonlySet<RigNeed> = new Set();

/**
 * A spec that runs on whichever rig was selected: it gets a fresh rig with span 1 cabled to
 * span 2, closed after the test. Skipped with the reason when the rig lacks one of `needs`.
 */
export function rigTest(title: string, opts: { needs?: readonly RigNeed[] }, impl: (t: ExecutionContext, rig: Rig) => Promise<void>): void {
  if (failUnavailable(title)) return;
  const why = skipReason(opts.needs ?? []);
  if (why) {
    test.skip(`${title} [skipped: ${why}]`, async () => undefined);
    return;
  }
  test(`${title} [${selection.kind}]`, async (t) => {
    const rig: Rig = selection.kind === 'dahdi' ? new DahdiRig() : new SimRig();
    t.teardown(() => rig.close());
    rig.crossover(1, 2);
    await impl(t, rig);
  });
}

/** What a spec sees of a rig, simulated or real. */
export interface Rig {
  readonly kind: 'sim' | 'dahdi';
  readonly card: CardDriver;
  /** Card time: a ManualClock on the simulated card, the system clock on a real one. */
  readonly clock: Clock;
  /** The clock for libpri and libss7 (wall time on both rigs). */
  readonly signallingClock: Clock;
  readonly log: Logger;
  /** Card time in ms since the rig was made. */
  readonly now: number;
  /** Span `a` cabled to span `b` (plugs the virtual cable; on a real card the cable must be there). */
  crossover(a: number, b: number): void;
  /** Let `ms` of card time pass. */
  run(ms: number): Promise<void>;
  /** Run until `what` settles (a promise) or holds (a predicate); fails after `maxMs` of card time. */
  until<T>(what: Promise<T> | (() => boolean), maxMs?: number, label?: string): Promise<T | undefined>;
  /** Like `until`, for waits on the signalling stacks' wall-clock timers; fails after `realMs` of wall time. */
  untilPaced<T>(what: Promise<T> | (() => boolean), realMs: number, label?: string): Promise<T | undefined>;
  close(): Promise<void>;
}

export const PRI_CPE: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'pri_cpe' };
export const PRI_NET: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 0, signalling: 'pri_net' };
export const CLEAR: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'none' };

export class SimRig implements Rig {
  readonly kind = 'sim' as const;
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

  /**
   * Like `until`, but steps the card at a pace (20 ms of card time, then `pauseMs` of wall time),
   * for waits that hang on the signalling stacks' wall-clock timers (libpri T200, MTP2
   * alignment). Fails after `realMs` of wall time.
   */
  async untilPaced<T>(what: Promise<T> | (() => boolean), realMs: number, label = 'condition', pauseMs = 5): Promise<T | undefined> {
    const end = performance.now() + realMs;
    let settled = false;
    let failure: unknown = null;
    let value: T | undefined;
    if (typeof what !== 'function') {
      what.then(
        (v) => {
          value = v;
          settled = true;
        },
        (err: unknown) => {
          failure = err ?? new Error(label);
          settled = true;
        },
      );
    }
    const done = (): boolean => (typeof what === 'function' ? what() : settled);
    while (!done()) {
      if (performance.now() > end) throw new Error(`${label}: not reached within ${realMs} ms of wall time`);
      await this.step();
      await new Promise<void>((r) => setTimeout(r, pauseMs)); // lint-allow: timers (wall-time pacing for libpri)
    }
    if (failure !== null) throw failure;
    return value;
  }

  /** Card time in ms since the rig was made. */
  get now(): number {
    return this.clock.monotonic();
  }

  crossover(a: number, b: number): void {
    this.card.connect(a, b);
  }

  async close(): Promise<void> {
    await this.card.close();
  }

  private async step(): Promise<void> {
    this.clock.advance(FRAME_MS);
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** The real card: DAHDI spans on real time, the crossover a physical cable. */
export class DahdiRig implements Rig {
  readonly kind = 'dahdi' as const;
  readonly clock: Clock = systemClock;
  readonly signallingClock: Clock = systemClock;
  readonly log = silentLogger();
  readonly card: DahdiCard;
  private readonly started = performance.now();

  constructor(opts: DahdiCardOptions = {}) {
    this.card = new DahdiCard(opts, { clock: this.clock, log: this.log });
  }

  get now(): number {
    return performance.now() - this.started;
  }

  crossover(a: number, b: number): void {
    const p = this.card.presence();
    if (p.kind === 'absent') throw new Error(p.reason);
    const present = new Set(p.spans.map((s) => s.spanNo));
    if (!present.has(a) || !present.has(b)) throw new Error(`the rig needs spans ${a} and ${b} cabled together; DAHDI has ${[...present].join(', ') || 'none'}`);
  }

  async run(ms: number): Promise<void> {
    await sleepReal(ms);
  }

  async until<T>(what: Promise<T> | (() => boolean), maxMs = 10_000, label = 'condition'): Promise<T | undefined> {
    return waitReal(what, maxMs, label);
  }

  async untilPaced<T>(what: Promise<T> | (() => boolean), realMs: number, label = 'condition'): Promise<T | undefined> {
    return waitReal(what, realMs, label);
  }

  async close(): Promise<void> {
    await this.card.close();
  }
}

function sleepReal(ms: number): Promise<void> {
  return new Promise<void>((r) => setTimeout(r, ms)); // lint-allow: timers (a real card runs on real time)
}

/** Poll `what` every 20 ms of real time until it holds or settles; fails after `maxMs`. */
export async function waitReal<T>(what: Promise<T> | (() => boolean), maxMs: number, label: string): Promise<T | undefined> {
  const end = performance.now() + maxMs;
  if (typeof what === 'function') {
    while (!what()) {
      if (performance.now() > end) throw new Error(`${label}: not reached within ${maxMs} ms`);
      await sleepReal(20);
    }
    return undefined;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: not settled within ${maxMs} ms`)), maxMs); // lint-allow: timers (real-time deadline)
  });
  try {
    return await Promise.race([what, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
