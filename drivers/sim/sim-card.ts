/**
 * SimulatedCard: a quad-E1 + 8-port analog card that exists only in memory, standing in for a
 * DAHDI card (TE420 + A800-style) in every test and in the demo. It implements the CardDriver
 * contract of drivers/types.ts; what a test can do beyond that (virtual cables, line model, fault
 * injection) is on this class and on SimCable.
 *
 * Time: one tick every 20 ms (FRAME_MS) on the injected Clock moves one block of every B channel,
 * the D-channel frames queued since the last tick, the CAS bits and the analog audio, and updates
 * the alarms. A ManualClock makes a test's line exactly repeatable; the system clock runs it in
 * real time for the demo.
 *
 * Ports: spans 1…N (4 by default); analog ports 1…4 are FXS and 5…8 FXO by default.
 */
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import type { Logger } from '../../appliance/core/log.js';
import { DriverError, E1_TIMESLOTS, FRAME_MS, type AnalogPortKind, type CardDriver, type CardInfo, type SpanConfig, type SpanStatus } from '../types.js';
import { SimAnalogPort } from './analog.js';
import { SimCable } from './cable.js';
import type { LineModelOptions } from './line-model.js';
import { SimSpan, type AlarmTiming } from './sim-span.js';

/** Ticks a late timer may make up at once (1 s of line time). */
const MAX_CATCH_UP_TICKS = 50;

export interface SimCardOptions {
  /** What probe() calls the card. */
  name?: string;
  /** Number of E1 spans (default 4). */
  spans?: number;
  /** FXS ports come first, then FXO (default 4 + 4). */
  fxsPorts?: number;
  fxoPorts?: number;
  alarmTiming?: Partial<AlarmTiming>;
}

export interface SimCardDeps {
  clock: Clock;
  log: Logger;
}

export const DEFAULT_ALARM_TIMING: AlarmTiming = { redAfterMs: 100, clearAfterMs: 100 };

export class SimulatedCard implements CardDriver {
  readonly kind = 'sim' as const;
  readonly name: string;
  readonly spanCount: number;
  private readonly portKinds: readonly AnalogPortKind[];
  private readonly timing: AlarmTiming;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly spans = new Map<number, SimSpan>();
  private readonly ports = new Map<number, SimAnalogPort>();
  private readonly cables = new Set<SimCable>();
  private readonly cords = new Map<number, number>();
  private ticker: TimerHandle | null = null;
  private ticks = 0;
  private closed = false;

  constructor(opts: SimCardOptions, deps: SimCardDeps) {
    this.spanCount = opts.spans ?? 4;
    const fxs = opts.fxsPorts ?? 4;
    const fxo = opts.fxoPorts ?? 4;
    this.name = opts.name ?? `sim ${this.spanCount === 4 ? 'quad' : this.spanCount}-E1 + ${fxs + fxo} analog`;
    this.portKinds = [...Array<AnalogPortKind>(fxs).fill('fxs'), ...Array<AnalogPortKind>(fxo).fill('fxo')];
    this.timing = { ...DEFAULT_ALARM_TIMING, ...opts.alarmTiming };
    this.clock = deps.clock;
    this.log = deps.log.child({ mod: 'drivers.sim' });
  }

  /** 20 ms ticks run so far. */
  get tickCount(): number {
    return this.ticks;
  }

  async probe(): Promise<CardInfo[]> {
    return [
      {
        name: this.name,
        kind: 'sim',
        spans: Array.from({ length: this.spanCount }, (_, i) => i + 1),
        analogPorts: this.portKinds.map((kind, i) => ({ portNo: i + 1, kind })),
      },
    ];
  }

  async openSpan(spanNo: number, config: SpanConfig): Promise<SimSpan> {
    this.assertOpen('openSpan');
    if (!Number.isInteger(spanNo) || spanNo < 1 || spanNo > this.spanCount)
      throw new DriverError('DAHDI_SPANCONFIG', null, `no span ${spanNo} on ${this.name} (spans 1–${this.spanCount})`);
    if (this.spans.has(spanNo)) throw new DriverError('DAHDI_SPANCONFIG', null, `span ${spanNo} is already open`);
    const span = new SimSpan(spanNo, { ...config }, this.timing, this.clock.monotonic(), (s) => this.spans.delete(s.spanNo));
    span.on('alarm', (s: SpanStatus) => this.log.info({ spanNo, alarms: s.alarms }, 'span alarms changed'));
    this.spans.set(spanNo, span);
    this.startTicking();
    return span;
  }

  async openAnalogPort(portNo: number): Promise<SimAnalogPort> {
    this.assertOpen('openAnalogPort');
    const kind = this.portKinds[portNo - 1];
    if (!kind) throw new DriverError('DAHDI_CHANCONFIG', null, `no analog port ${portNo} on ${this.name}`);
    if (this.ports.has(portNo)) throw new DriverError('DAHDI_CHANCONFIG', null, `analog port ${portNo} is already open`);
    const chanNo = this.spanCount * (E1_TIMESLOTS - 1) + portNo;
    const port = new SimAnalogPort(portNo, kind, chanNo, this.clock, (p) => {
      this.ports.delete(p.portNo);
      if (p.peer) p.peer.peer = null;
    });
    this.ports.set(portNo, port);
    this.linkCord(portNo);
    this.startTicking();
    return port;
  }

  /** The open span `spanNo`, or null. */
  span(spanNo: number): SimSpan | null {
    return this.spans.get(spanNo) ?? null;
  }

  /** Plug a crossover cable between two span ports (either may be opened before or after). */
  connect(a: number, b: number, lineModel?: LineModelOptions): SimCable {
    this.assertOpen('connect');
    for (const n of [a, b]) {
      if (!Number.isInteger(n) || n < 1 || n > this.spanCount) throw new DriverError('sim_connect', null, `no span ${n} on ${this.name}`);
      if (this.cableAt(n)) throw new DriverError('sim_connect', null, `span ${n} already has a cable`);
    }
    if (a === b) throw new DriverError('sim_connect', null, 'a crossover cable joins two different spans');
    const cable = new SimCable(a, b, (c) => this.cables.delete(c));
    if (lineModel) cable.setLineModel(lineModel);
    this.cables.add(cable);
    this.startTicking();
    return cable;
  }

  cableAt(spanNo: number): SimCable | null {
    for (const c of this.cables) if (c.a === spanNo || c.b === spanNo) return c;
    return null;
  }

  /** Wire an FXS port to an FXO port with a phone cord. */
  wireAnalog(fxsPort: number, fxoPort: number): void {
    this.assertOpen('wireAnalog');
    if (this.portKinds[fxsPort - 1] !== 'fxs') throw new DriverError('sim_wire', null, `port ${fxsPort} is not an FXS port`);
    if (this.portKinds[fxoPort - 1] !== 'fxo') throw new DriverError('sim_wire', null, `port ${fxoPort} is not an FXO port`);
    if (this.cords.has(fxsPort) || this.cords.has(fxoPort)) throw new DriverError('sim_wire', null, 'port already wired');
    this.cords.set(fxsPort, fxoPort);
    this.cords.set(fxoPort, fxsPort);
    this.linkCord(fxsPort);
  }

  /** Far-end alarm injection: span `spanNo` sends RAI, so the span it is cabled to shows YELLOW. */
  sendRemoteAlarm(spanNo: number, on: boolean): void {
    this.requireSpan(spanNo).forcedRai = on;
  }

  /** Span `spanNo` sends AIS (all ones), so the span it is cabled to shows BLUE. */
  sendAis(spanNo: number, on: boolean): void {
    this.requireSpan(spanNo).sendingAis = on;
  }

  /** One 20 ms step. Runs on the clock; public for benchmarks that drive the card directly. */
  tick(): void {
    this.ticks++;
    const now = this.clock.monotonic();
    const cabled = new Set<number>();
    for (const c of this.cables) {
      cabled.add(c.a).add(c.b);
      c.carry(this.spans.get(c.a) ?? null, this.spans.get(c.b) ?? null, now);
    }
    for (const span of this.spans.values()) {
      if (cabled.has(span.spanNo)) continue;
      span.receiveLine({ signal: false, ais: false, rai: false }, now);
      for (const ch of span.bChannels) ch.takeTx();
      span.dChannel?.takeTx();
    }
    this.carryAnalog();
    this.updateSyncSource();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.ticker?.cancel();
    this.ticker = null;
    for (const s of [...this.spans.values()]) await s.close();
    for (const p of [...this.ports.values()]) await p.close();
    this.cables.clear();
    this.closed = true;
  }

  private carryAnalog(): void {
    for (const [from, to] of this.cords) {
      const src = this.ports.get(from);
      const dst = this.ports.get(to);
      if (!src) continue;
      const block = src.audio.takeTx();
      if (dst?.audio.listening) dst.audio.deliver(block);
    }
  }

  /** DAHDI picks the in-service span with the best (lowest non-zero) timing priority. */
  private updateSyncSource(): void {
    let best: SimSpan | null = null;
    for (const s of this.spans.values()) {
      if (s.config.timing === 0 || !s.inService) continue;
      if (!best || s.config.timing < best.config.timing) best = s;
    }
    for (const s of this.spans.values()) s.syncSrc = best?.spanNo ?? 0;
  }

  private linkCord(portNo: number): void {
    const other = this.cords.get(portNo);
    const a = this.ports.get(portNo);
    const b = other === undefined ? undefined : this.ports.get(other);
    if (a && b) {
      a.peer = b;
      b.peer = a;
    }
  }

  /**
   * A card's frame clock is a crystal, not a timer: ticks fall due by elapsed time on the Clock,
   * and a timer that fires late is made up by running the ticks owed. (Node's setInterval drifts
   * by its own lateness: 20 ms intervals ran at 89 % of real time on a loaded 2-core box, so the
   * media engine's 50 frames/s piled up in the TDM rings and were slipped, a 20 ms hole every
   * ~10 frames of every prompt.) Over MAX_CATCH_UP_TICKS behind (a stalled process) the rest is
   * dropped, as a span slips. On a ManualClock every firing is exactly one tick, as before.
   */
  private startTicking(): void {
    if (this.ticker) return;
    const origin = this.clock.monotonic();
    let ran = 0;
    this.ticker = this.clock.setInterval(() => {
      const due = Math.floor((this.clock.monotonic() - origin) / FRAME_MS);
      if (due - ran > MAX_CATCH_UP_TICKS) ran = due - 1;
      while (ran < due) {
        ran++;
        this.tick();
      }
    }, FRAME_MS);
  }

  private requireSpan(spanNo: number): SimSpan {
    const s = this.spans.get(spanNo);
    if (!s) throw new DriverError('sim_fault', null, `span ${spanNo} is not open`);
    return s;
  }

  private assertOpen(call: string): void {
    if (this.closed) throw new DriverError(call, null, 'the simulated card is closed');
  }
}
