/**
 * The simulated E1 line between two spans, one direction of it: impairments in the spirit of
 * spandsp's `line_model` and pion's vnet loss filter, drawn from a seeded PRNG so that a test sees
 * the same damage on every run.
 *
 * - Frame loss and corruption per 20 ms block and timeslot (`dropRatio`, `corruptRatio`): a lost
 *   block never reaches the reader (as a DAHDI read overrun), a corrupted one has one byte changed.
 * - Bit errors at a bit error ratio over the 2.048 Mbit/s line (ITU-T G.703/G.704), placed at a
 *   random 125 µs frame, timeslot and bit. Where one lands decides what it does: any error is a
 *   bipolar violation under HDB3; in timeslot 0 of a FAS frame it is a FAS error; with CRC-4 on
 *   it spoils its sub-multiframe (G.704 §2.3.3.5: one CRC-4 error per errored SMF, echoed by the
 *   far end's E-bit); in a bearer timeslot it flips that bit of the audio; in timeslot 16 of a
 *   CCS span it breaks the HDLC frame then in flight (bad FCS).
 * - Controlled slips (ITU-T G.822): one 125 µs frame repeated or deleted by the receiver's
 *   elastic store when the two ends' clocks differ. Every timeslot gains or loses one sample.
 *   Once the first slip happens the direction runs through an elastic store (ElasticStore).
 */
import { E1_TIMESLOTS, FRAME_BYTES } from '../types.js';
import { Prng } from './prng.js';

export interface LineModelOptions {
  /** PRNG seed; two lines with the same seed and options behave identically. */
  seed?: number;
  /** Probability that one 20 ms block of one timeslot is lost. */
  dropRatio?: number;
  /** Probability that one 20 ms block of one timeslot has one byte changed. */
  corruptRatio?: number;
  /** Bit error ratio on the line (e.g. 1e-6). */
  bitErrorRate?: number;
  /** A controlled slip every N blocks (0: none), as from a steady clock offset. */
  slipEveryBlocks?: number;
  /** Whether those slips repeat (far end slower) or delete (far end faster) a frame. */
  slipKind?: SlipKind;
}

export type SlipKind = 'repeat' | 'delete';

/** 125 µs frames in one 20 ms block, and bits per frame (32 timeslots × 8). */
export const FRAMES_PER_BLOCK = FRAME_BYTES;
const BITS_PER_FRAME = E1_TIMESLOTS * 8;
const BITS_PER_BLOCK = FRAMES_PER_BLOCK * BITS_PER_FRAME;
/** CRC-4 sub-multiframes (8 frames, 1 ms) per block. */
const SMF_PER_BLOCK = FRAMES_PER_BLOCK / 8;

export interface BitError {
  /** 125 µs frame within the block, 0–159 (= sample index in each timeslot's 160 bytes). */
  readonly frame: number;
  readonly timeslot: number;
  /** Bit 0 (LSB) … 7 (MSB) of the timeslot's octet. */
  readonly bit: number;
}

/** What the bit errors of one block amount to, for the receiver's counters. */
export interface BitErrorTally {
  readonly bpv: number;
  readonly fas: number;
  /** Distinct errored CRC-4 sub-multiframes. */
  readonly crc4: number;
}

export function tallyBitErrors(errors: readonly BitError[]): BitErrorTally {
  let fas = 0;
  const smfs = new Set<number>();
  for (const e of errors) {
    // G.704 §2.3.2: the FAS (x0011011) sits in timeslot 0 of alternate frames; bit 7 (Si) is not part of it.
    if (e.timeslot === 0 && e.frame % 2 === 0 && e.bit < 7) fas++;
    smfs.add(Math.floor(e.frame / 8) % SMF_PER_BLOCK);
  }
  return { bpv: errors.length, fas, crc4: smfs.size };
}

export class LineModel {
  private opts: Required<LineModelOptions>;
  private prng: Prng;
  private pendingBitErrors = 0;
  private pendingSlips: SlipKind[] = [];
  private blocks = 0;

  constructor(opts: LineModelOptions = {}) {
    this.opts = LineModel.withDefaults(opts);
    this.prng = new Prng(this.opts.seed);
  }

  static withDefaults(o: LineModelOptions): Required<LineModelOptions> {
    return {
      seed: o.seed ?? 1,
      dropRatio: o.dropRatio ?? 0,
      corruptRatio: o.corruptRatio ?? 0,
      bitErrorRate: o.bitErrorRate ?? 0,
      slipEveryBlocks: o.slipEveryBlocks ?? 0,
      slipKind: o.slipKind ?? 'repeat',
    };
  }

  get options(): Readonly<Required<LineModelOptions>> {
    return this.opts;
  }

  /** Replace the impairments; the PRNG restarts from the (new) seed. */
  configure(opts: LineModelOptions): void {
    this.opts = LineModel.withDefaults(opts);
    this.prng = new Prng(this.opts.seed);
  }

  /** True when frames can pass untouched (no per-frame work needed). */
  get clean(): boolean {
    const o = this.opts;
    return o.dropRatio === 0 && o.corruptRatio === 0 && o.bitErrorRate === 0 && o.slipEveryBlocks === 0 && this.pendingBitErrors === 0 && this.pendingSlips.length === 0;
  }

  /** Add exactly `n` bit errors to the next block. */
  injectBitErrors(n: number): void {
    this.pendingBitErrors += n;
  }

  injectSlip(kind: SlipKind): void {
    this.pendingSlips.push(kind);
  }

  /** Start a 20 ms block: its bit errors (injected and drawn) and slips. */
  nextBlock(): { errors: BitError[]; slips: SlipKind[] } {
    this.blocks++;
    const n = this.pendingBitErrors + this.prng.poisson(this.opts.bitErrorRate * BITS_PER_BLOCK);
    this.pendingBitErrors = 0;
    const errors: BitError[] = [];
    for (let i = 0; i < n; i++) {
      const at = this.prng.int(BITS_PER_BLOCK);
      errors.push({ frame: Math.floor(at / BITS_PER_FRAME), timeslot: Math.floor(at / 8) % E1_TIMESLOTS, bit: at % 8 });
    }
    const slips = this.pendingSlips.splice(0);
    if (this.opts.slipEveryBlocks > 0 && this.blocks % this.opts.slipEveryBlocks === 0) slips.push(this.opts.slipKind);
    return { errors, slips };
  }

  dropFrame(): boolean {
    return this.prng.chance(this.opts.dropRatio);
  }

  /** Maybe change one byte of `frame` in place; true when it did. */
  maybeCorrupt(frame: Uint8Array): boolean {
    if (!this.prng.chance(this.opts.corruptRatio)) return false;
    const i = this.prng.int(frame.length);
    frame[i] = (frame[i] as number) ^ (1 + this.prng.int(255));
    return true;
  }
}

/**
 * The receiver's elastic store for one direction, engaged from the first slip on. The receiver
 * reads `delay` samples behind the line (0 until the first slip): a repeated frame adds one, a
 * deleted frame takes one away. A slip that would take the delay past either end of one block
 * (deleting with nothing stored, repeating with a full store) re-centres it, as a real store
 * does, and a block's worth of samples is repeated or lost at once.
 */
export class ElasticStore {
  private delay = 0;
  private readonly last = new Map<number, Uint8Array>();

  get offset(): number {
    return this.delay;
  }

  slip(kind: SlipKind): void {
    this.delay = (this.delay + (kind === 'repeat' ? 1 : FRAMES_PER_BLOCK - 1)) % FRAMES_PER_BLOCK;
  }

  /** The block the receiver reads for `timeslot` given what the line delivered (`cur`, not kept beyond the next call). */
  read(timeslot: number, cur: Uint8Array): Uint8Array {
    const prev = this.last.get(timeslot);
    this.last.set(timeslot, cur);
    const d = this.delay;
    if (d === 0) return cur;
    const out = new Uint8Array(FRAME_BYTES);
    if (prev) out.set(prev.subarray(FRAME_BYTES - d));
    else out.fill(cur[0] ?? 0, 0, d);
    out.set(cur.subarray(0, FRAME_BYTES - d), d);
    return out;
  }
}
