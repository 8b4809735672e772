/**
 * The hw-test rig: the card a spec runs on, chosen by select-card.ts, plus the means to let time
 * pass on it and to reach the cable between span 1 and span 2. Every spec is written against the
 * `Rig` interface (`rigTest`) and runs on both rigs:
 *
 *  - SimRig: the simulated card. Time is a ManualClock moved 20 ms at a time (one tick of the
 *    card), yielding to the event loop in between so libpri and the specs' listeners run;
 *    libpri's own timers follow the wall clock (see drivers/libpri/pri-span.ts), so signalling is
 *    given the system clock. The crossover is a virtual cable the spec plugs and pulls.
 *  - DahdiRig: the real card (drivers/dahdi) with a physical crossover between span 1 and span 2,
 *    set up for each spec's SpanConfig by writing system.conf and running dahdi_cfg
 *    (dahdi-conf.ts) before the span is opened. Time is real time; `run` and
 *    `until` wait on the wall clock, and a spec's per-block writers run on each block read from
 *    the channel (the line is the clock). Nobody can pull a real cable from software, so a spec
 *    that needs it declares `needs: ['cable-pull']` and is skipped on this rig with that reason;
 *    likewise fault injection (bit errors, slips, AIS, RAI) and the simulated card's analog
 *    cords with their simulated phones and exchange lines.
 *
 * A real card asked for (HW_CARD/HW_RIG=dahdi) and absent fails every spec with the reason, so
 * a hardware run without hardware can never pass silently. Every declaration is also recorded in
 * `specRegistry` (title and needs), which harness/registry.test.ts reads to prove what a real
 * card would run and skip.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '../../appliance/core/clock.js';
import { silentLogger } from '../../appliance/core/log.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import type { Logger } from '../../appliance/core/log.js';
import { DahdiCard, type DahdiCardDeps, type DahdiCardOptions, type DahdiSpan } from '../../drivers/dahdi/dahdi-card.js';
import type { SimCable } from '../../drivers/sim/cable.js';
import { SimulatedCard, type SimCardOptions } from '../../drivers/sim/sim-card.js';
import { FRAME_MS, type CardDriver, type Span, type SpanConfig, type TdmChannel } from '../../drivers/types.js';
import { RigSpanSetup } from './dahdi-conf.js';
import { selectCard, type CardSelection } from './select-card.js';

// lint-allow: env (test code: the only place HW_CARD/HW_RIG is read)
export const selection: CardSelection = selectCard(process.env.HW_CARD ?? process.env.HW_RIG);

/** What a spec may need beyond a card with span 1 cabled to span 2. None of it exists on a real card. */
export const RIG_NEEDS = {
  'cable-pull': 'pulling and replugging the span 1–2 cable',
  'fault-injection': 'line fault injection (bit errors, slips, AIS, RAI, D-channel loss)',
  'analog-cord': 'the simulated card’s analog cords with simulated phones and exchange lines on them',
} as const;
export type RigNeed = keyof typeof RIG_NEEDS;
export const RigNeeds = Object.keys(RIG_NEEDS) as RigNeed[];
const DAHDI_CAN: ReadonlySet<RigNeed> = new Set();

/** What becomes of one spec on the selected rig. */
export type SpecPlan =
  | { readonly action: 'run'; readonly title: string }
  | { readonly action: 'skip'; readonly title: string; readonly reason: string }
  | { readonly action: 'fail'; readonly title: string; readonly reason: string };

/** Run, skip (with what is missing) or fail (no card where one was asked for): a pure function of the selection. */
export function planSpec(title: string, needs: readonly RigNeed[], sel: CardSelection): SpecPlan {
  if (sel.kind === 'unavailable') return { action: 'fail', title, reason: sel.reason };
  if (sel.kind === 'dahdi') {
    const missing = needs.filter((n) => !DAHDI_CAN.has(n));
    if (missing.length > 0) {
      const reason = `needs ${missing.map((n) => RIG_NEEDS[n]).join(', ')}: not on a real card`;
      return { action: 'skip', title: `${title} [skipped: ${reason}]`, reason };
    }
  }
  return { action: 'run', title: `${title} [${sel.kind}]` };
}

export interface SpecEntry {
  readonly title: string;
  readonly needs: readonly RigNeed[];
}

/** Every rigTest declared in this process, in order. */
export const specRegistry: SpecEntry[] = [];
let collecting = false;

/** From now on rigTest only records its declarations (the registry test imports every spec this way). */
export function collectSpecsOnly(): void {
  collecting = true;
}

type SimNeeds = readonly [RigNeed, ...RigNeed[]];

/**
 * A spec that runs on whichever rig was selected: it gets a fresh rig with span 1 cabled to
 * span 2, closed after the test. A spec with `needs` runs on the simulated rig only (and gets a
 * SimRig); elsewhere it is skipped with the reason.
 */
export function rigTest(title: string, opts: { needs: SimNeeds }, impl: (t: ExecutionContext, rig: SimRig) => Promise<void>): void;
export function rigTest(title: string, opts: { needs?: readonly [] }, impl: (t: ExecutionContext, rig: Rig) => Promise<void>): void;
export function rigTest(title: string, opts: { needs?: readonly RigNeed[] }, impl: (t: ExecutionContext, rig: SimRig) => Promise<void>): void {
  const needs = opts.needs ?? [];
  specRegistry.push({ title, needs: [...needs] });
  if (collecting) return;
  const plan = planSpec(title, needs, selection);
  if (plan.action === 'fail') {
    test(title, (t) => t.fail(plan.reason));
    return;
  }
  if (plan.action === 'skip') {
    test.skip(plan.title, async () => undefined);
    return;
  }
  test(plan.title, async (t) => {
    const rig: Rig = selection.kind === 'dahdi' ? new DahdiRig() : new SimRig();
    t.teardown(() => rig.close());
    rig.crossover(1, 2);
    if (needs.length > 0 && !(rig instanceof SimRig)) throw new Error(`${title}: needs ${needs.join(', ')}, which only the simulated rig has`);
    await impl(t, rig as SimRig);
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
  /**
   * Blocks a B channel's receive path may lag behind the far end's first written block: 3 on
   * the simulated card (the cable carries one block per tick each way), more on a real card
   * (the driver's receive and transmit buffers).
   */
  readonly settleBlocks: number;
  /** Span `a` cabled to span `b` (plugs the virtual cable; on a real card the cable must be there). */
  crossover(a: number, b: number): void;
  /** Let `ms` of card time pass. */
  run(ms: number): Promise<void>;
  /** Run until `what` settles (a promise) or holds (a predicate); fails after `maxMs` of card time. */
  until<T>(what: Promise<T> | (() => boolean), maxMs?: number, label?: string): Promise<T | undefined>;
  /** Like `until`, for waits on the signalling stacks' wall-clock timers; fails after `realMs` of wall time. */
  untilPaced<T>(what: Promise<T> | (() => boolean), realMs: number, label?: string, pauseMs?: number): Promise<T | undefined>;
  /**
   * Call `fn` once per 20 ms block of `ch`'s line, to write the next block: on the card clock on
   * the simulated card, after each block read from `ch` on a real one.
   */
  everyBlock(ch: TdmChannel, fn: () => void): TimerHandle;
  close(): Promise<void>;
}

export const PRI_CPE: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'pri_cpe' };
export const PRI_NET: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 0, signalling: 'pri_net' };
export const CLEAR: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'none' };
export const SS7_SPAN: SpanConfig = { framing: 'ccs', crc4: true, lineCode: 'hdb3', timing: 1, signalling: 'ss7' };
export const R2_SPAN: SpanConfig = { framing: 'cas', crc4: false, lineCode: 'hdb3', timing: 1, signalling: 'r2' };

/** Traffic flows: the receiver is framed and not in AIS (YELLOW is the far end's trouble). */
export function inService(span: Span): boolean {
  const a = span.status().alarms;
  return !a.includes('red') && !a.includes('los') && !a.includes('blue');
}

/** Wait until every span is in service: 1 s of card time on the simulated card, 10 s on a real one. */
export async function spansUp(rig: Rig, spans: readonly Span[]): Promise<void> {
  await rig.until(() => spans.every(inService), rig.kind === 'sim' ? 1000 : 10_000, 'spans up');
}

/** The bearer on `timeslot` of `span` (a spec error when there is none). */
export function bearer(span: Span, timeslot: number): TdmChannel {
  const ch = span.bChannels.find((b) => b.timeslot === timeslot);
  if (!ch) throw new Error(`no timeslot ${timeslot} on span ${span.spanNo}`);
  return ch;
}

export class SimRig implements Rig {
  readonly kind = 'sim' as const;
  readonly clock = new ManualClock();
  readonly card: SimulatedCard;
  readonly log = silentLogger();
  /** The clock for libpri (wall time). */
  readonly signallingClock: Clock = systemClock;
  readonly settleBlocks = 3;

  constructor(opts: SimCardOptions = {}) {
    this.card = new SimulatedCard(opts, { clock: this.clock, log: this.log });
  }

  /** The virtual cable on span 1 (plugged by rigTest): pull it, cut a pair, inject faults. */
  get cable(): SimCable {
    const c = this.card.cableAt(1);
    if (!c) throw new Error('no cable on span 1');
    return c;
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

  everyBlock(_ch: TdmChannel, fn: () => void): TimerHandle {
    return this.clock.setInterval(fn, FRAME_MS);
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

/**
 * A real card's wait allowance over a spec's card-time limit: kernel buffering, the poll loop
 * and garbage collection add latency the simulated card does not have.
 */
export function realLimit(maxMs: number): number {
  return Math.max(2 * maxMs, maxMs + 2000);
}

/** system.conf applied with `dahdi_cfg -c` (run as root on the rig machine). */
function dahdiCfg(conf: string): void {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'hw-dahdi-')), 'system.conf');
  writeFileSync(file, conf);
  try {
    execFileSync('dahdi_cfg', ['-c', file], { stdio: 'pipe' });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`dahdi_cfg -c ${file} failed: ${stderr || String(err)}`);
  }
}

/** A DahdiCard whose spans 1 and 2 are (re)configured for what a spec opens (dahdi-conf.ts). */
export class RigDahdiCard extends DahdiCard {
  constructor(
    opts: DahdiCardOptions,
    deps: DahdiCardDeps,
    readonly setup: RigSpanSetup,
  ) {
    super(opts, deps);
  }

  override async openSpan(spanNo: number, config: SpanConfig): Promise<DahdiSpan> {
    // No card: DahdiCard refuses with the reason; there is nothing to configure.
    if (this.presence().kind === 'present') this.setup.ensure(spanNo, config);
    return super.openSpan(spanNo, config);
  }
}

/** One setup per process: dahdi_cfg runs only when a spec needs a different line setup. */
let sharedSetup: RigSpanSetup | null = null;

/** The real card: DAHDI spans on real time, the crossover a physical cable. */
export class DahdiRig implements Rig {
  readonly kind = 'dahdi' as const;
  readonly clock: Clock = systemClock;
  readonly signallingClock: Clock = systemClock;
  readonly log = silentLogger();
  readonly card: RigDahdiCard;
  readonly settleBlocks = 10;
  private readonly started = performance.now();

  constructor(opts: DahdiCardOptions = {}, setup?: RigSpanSetup) {
    const deps = { clock: this.clock, log: this.log };
    const baseChanOf = (spanNo: number): number => {
      const p = this.card.presence();
      const info = p.kind === 'present' ? p.spans.find((s) => s.spanNo === spanNo) : undefined;
      return info?.baseChan ?? (spanNo - 1) * 31 + 1;
    };
    this.card = new RigDahdiCard(opts, deps, setup ?? (sharedSetup ??= new RigSpanSetup(baseChanOf, dahdiCfg)));
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
    return waitReal(what, realLimit(maxMs), label);
  }

  async untilPaced<T>(what: Promise<T> | (() => boolean), realMs: number, label = 'condition'): Promise<T | undefined> {
    return waitReal(what, realLimit(realMs), label);
  }

  /** The line is the clock: one call per block read from `ch`. */
  everyBlock(ch: TdmChannel, fn: () => void): TimerHandle {
    const onFrame = (): void => fn();
    ch.on('frame', onFrame);
    return { cancel: () => void ch.off('frame', onFrame) };
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
