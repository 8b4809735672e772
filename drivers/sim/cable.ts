/**
 * A virtual E1 crossover cable between two span ports of the simulated card: what one span
 * transmits the other receives, B-channel blocks, D-channel HDLC frames and CAS bits alike, each
 * direction through its own line model (line-model.ts). Fault injection lives here: pull the cable
 * (both directions lose signal), cut one direction, add bit errors or slips, lose the D channel.
 *
 * The card calls `carry()` for both directions every 20 ms tick; nothing here keeps time itself.
 */
import { DriverError, E1_TIMESLOTS } from '../types.js';
import { isIdleBlock } from './channels.js';
import { ElasticStore, LineModel, tallyBitErrors, type BitError, type LineModelOptions, type SlipKind } from './line-model.js';
import type { SimSpan } from './sim-span.js';

export interface DirectionStats {
  /** B-channel blocks handed to a reader at the receiving end. */
  readonly blocksCarried: number;
  readonly blocksDropped: number;
  readonly blocksCorrupted: number;
  readonly bitErrors: number;
  readonly dFramesCarried: number;
  /** D-channel frames lost to D-channel loss, a down line or a bit error (bad FCS). */
  readonly dFramesLost: number;
}

class Direction {
  readonly model = new LineModel();
  cut = false;
  dLoss = false;
  store: ElasticStore | null = null;
  stats = { blocksCarried: 0, blocksDropped: 0, blocksCorrupted: 0, bitErrors: 0, dFramesCarried: 0, dFramesLost: 0 };

  carry(src: SimSpan | null, dst: SimSpan | null, now: number): void {
    const signal = !this.cut && src !== null;
    dst?.receiveLine({ signal, ais: src?.sendingAis ?? false, rai: src?.sendingRai ?? false }, now);
    if (!src) return;
    if (!dst || !signal || !dst.inService) {
      this.drain(src);
      return;
    }
    const block = this.model.nextBlock();
    this.countErrors(src, dst, block.errors);
    for (const kind of block.slips) {
      dst.slips++;
      (this.store ??= new ElasticStore()).slip(kind);
    }
    const flips = new Map<number, BitError[]>();
    let dCorrupt = false;
    for (const e of block.errors) {
      if (e.timeslot === 16 && dst.dChannel) dCorrupt = true;
      else if (e.timeslot !== 0) flips.set(e.timeslot, [...(flips.get(e.timeslot) ?? []), e]);
    }
    this.carryBearers(src, dst, flips);
    this.carryCas(src, dst);
    this.carryD(src, dst, dCorrupt);
  }

  private carryBearers(src: SimSpan, dst: SimSpan, flips: Map<number, BitError[]>): void {
    const clean = this.model.clean && this.store === null;
    for (let ts = 1; ts < E1_TIMESLOTS; ts++) {
      const tx = src.byTimeslot[ts];
      const rx = dst.byTimeslot[ts];
      let frame = tx ? tx.takeTx() : null;
      if (!rx || !frame) continue;
      if (clean) {
        if (rx.listening) {
          rx.deliver(frame);
          this.stats.blocksCarried++;
        }
        continue;
      }
      const errs = flips.get(ts);
      if (!rx.listening && !errs && this.store === null) continue;
      if (this.model.dropFrame()) {
        this.stats.blocksDropped++;
        continue;
      }
      if (isIdleBlock(frame)) frame = frame.slice();
      if (this.model.maybeCorrupt(frame)) this.stats.blocksCorrupted++;
      for (const e of errs ?? []) frame[e.frame] = (frame[e.frame] as number) ^ (1 << e.bit);
      if (this.store) frame = this.store.read(ts, frame);
      rx.deliver(frame);
      this.stats.blocksCarried++;
    }
  }

  private carryCas(src: SimSpan, dst: SimSpan): void {
    if (src.config.framing !== 'cas' || dst.config.framing !== 'cas') return;
    for (let ts = 1; ts < E1_TIMESLOTS; ts++) {
      const bits = src.byTimeslot[ts]?.cas?.tx;
      if (bits !== undefined) dst.byTimeslot[ts]?.cas?.receive(bits);
    }
  }

  private carryD(src: SimSpan, dst: SimSpan, corrupt: boolean): void {
    const frames = src.dChannel?.takeTx() ?? [];
    if (frames.length === 0) return;
    if (!dst.dChannel || this.dLoss) {
      this.stats.dFramesLost += frames.length;
      return;
    }
    frames.forEach((f, i) => {
      if (corrupt && i === 0) {
        // Q.921 §2.10: a frame with a bad FCS is discarded; DAHDI reports DAHDI_EVENT_BADFCS.
        this.stats.dFramesLost++;
        dst.dChannel?.fault('bad-fcs');
        return;
      }
      this.stats.dFramesCarried++;
      dst.dChannel?.deliver(f);
    });
  }

  private countErrors(src: SimSpan, dst: SimSpan, errors: readonly BitError[]): void {
    if (errors.length === 0) return;
    const t = tallyBitErrors(errors);
    this.stats.bitErrors += errors.length;
    dst.bpvCount += t.bpv;
    dst.fasCount += t.fas;
    if (dst.config.crc4) {
      dst.crc4Count += t.crc4;
      // G.704 §2.3.3.4: the receiver reports each errored sub-multiframe back in an E bit.
      if (src.config.crc4) src.ebitCount += t.crc4;
    }
  }

  private drain(src: SimSpan): void {
    for (const ch of src.bChannels) ch.takeTx();
    this.stats.dFramesLost += src.dChannel?.takeTx().length ?? 0;
  }
}

export class SimCable {
  /** Index 0 carries a → b, index 1 carries b → a. */
  private readonly dirs: readonly [Direction, Direction] = [new Direction(), new Direction()];
  private unplugged = false;

  constructor(
    readonly a: number,
    readonly b: number,
    private readonly onUnplug: (cable: SimCable) => void,
  ) {}

  /** The ports this cable joins, in the order given to `connect`. */
  get ends(): readonly [number, number] {
    return [this.a, this.b];
  }

  /** Both directions have signal (not pulled, not cut). */
  get plugged(): boolean {
    return !this.dirs[0].cut && !this.dirs[1].cut;
  }

  /** Impairments on what `toSpan` receives, or on both directions when `toSpan` is omitted. */
  setLineModel(opts: LineModelOptions, toSpan?: number): void {
    for (const [i, d] of this.pick(toSpan)) d.model.configure({ ...opts, seed: (opts.seed ?? 1) + i });
  }

  /** Pull the cable: both ends lose signal (LOS, then RED after the integration time). */
  pull(): void {
    for (const d of this.dirs) d.cut = true;
  }

  /** Put it back: the ends regain signal and clear their alarms after the clear time. */
  reinsert(): void {
    for (const d of this.dirs) d.cut = false;
  }

  /** Break only the pair that `toSpan` receives on (it goes RED, the other end YELLOW). */
  cut(toSpan: number): void {
    for (const [, d] of this.pick(toSpan)) d.cut = true;
  }

  restore(toSpan: number): void {
    for (const [, d] of this.pick(toSpan)) d.cut = false;
  }

  /** Exactly `n` bit errors in the next block `toSpan` receives. */
  injectBitErrors(toSpan: number, n: number): void {
    for (const [, d] of this.pick(toSpan)) d.model.injectBitErrors(n);
  }

  injectSlip(toSpan: number, kind: SlipKind = 'repeat'): void {
    for (const [, d] of this.pick(toSpan)) d.model.injectSlip(kind);
  }

  /** Lose every D-channel frame (towards `toSpan`, or both ways) while B channels keep working. */
  setDChannelLoss(on: boolean, toSpan?: number): void {
    for (const [, d] of this.pick(toSpan)) d.dLoss = on;
  }

  stats(toSpan: number): DirectionStats {
    const [[, d]] = this.pick(toSpan) as [[number, Direction]];
    return { ...d.stats };
  }

  /** Remove the cable from the card. */
  unplug(): void {
    if (this.unplugged) return;
    this.unplugged = true;
    this.onUnplug(this);
  }

  /** Card side, every tick. */
  carry(spanA: SimSpan | null, spanB: SimSpan | null, now: number): void {
    this.dirs[0].carry(spanA, spanB, now);
    this.dirs[1].carry(spanB, spanA, now);
  }

  private pick(toSpan?: number): [number, Direction][] {
    if (toSpan === undefined) return [[0, this.dirs[0]], [1, this.dirs[1]]];
    if (toSpan === this.b) return [[0, this.dirs[0]]];
    if (toSpan === this.a) return [[1, this.dirs[1]]];
    throw new DriverError('sim_cable', null, `span ${toSpan} is not an end of the ${this.a}↔${this.b} cable`);
  }
}
