/**
 * A single-producer single-consumer ring of 20 ms G.711 frames in a SharedArrayBuffer: how TDM
 * audio crosses between the main thread (where the card's B channels deliver and take frames)
 * and a media worker (which mixes, records and plays) without a postMessage per frame.
 *
 * One TDM leg uses two rings: `rx` (line → worker: the main thread writes each frame the card
 * delivers, the worker reads one per tick) and `tx` (worker → line: the worker writes the
 * frame it mixed, the main thread reads one each time it writes to the card).
 *
 * Layout (Int32 header, then `slots` frames of FRAME_BYTES):
 *
 *   0  write count     advanced only by the producer (Atomics.store after the frame is copied)
 *   1  read count      advanced only by the consumer
 *   2  overflows       frames the producer dropped because the ring was full
 *   3  underruns       reads that found the ring empty
 *   4  slips           frames the consumer skipped to bound latency (see `read`)
 *
 * Counts run free (wrapping at 2^31 is fine: only their difference is used). The two clocks
 * (the card's 8 kHz and the worker's tick) are never exactly equal, so a standing backlog is
 * cut back by the consumer: when more than `maxFill` frames wait, the oldest are skipped and
 * counted as slips (what a DAHDI span does with a controlled slip, G.822).
 */
export const TDM_FRAME_BYTES = 160;
const HEADER_INTS = 8;
const HEADER_BYTES = HEADER_INTS * 4;
const W = 0;
const R = 1;
const OVERFLOWS = 2;
const UNDERRUNS = 3;
const SLIPS = 4;

export interface FrameRingStats {
  fill: number;
  overflows: number;
  underruns: number;
  slips: number;
}

export class FrameRing {
  private readonly header: Int32Array;
  private readonly data: Uint8Array;
  readonly slots: number;

  /** `slots` frames of capacity; 8 = 160 ms. */
  static create(slots = 8): FrameRing {
    return new FrameRing(new SharedArrayBuffer(HEADER_BYTES + slots * TDM_FRAME_BYTES));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    const slots = (buffer.byteLength - HEADER_BYTES) / TDM_FRAME_BYTES;
    // A power of two, so the slot index stays continuous when the free-running counts wrap.
    if (!Number.isInteger(slots) || slots < 2 || (slots & (slots - 1)) !== 0) throw new RangeError(`not a frame ring: ${buffer.byteLength} bytes`);
    this.slots = slots;
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.data = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** Frames waiting. */
  get fill(): number {
    return (Atomics.load(this.header, W) - Atomics.load(this.header, R)) | 0;
  }

  /** Producer: copy one frame in; false (counted) when full. */
  write(frame: Uint8Array): boolean {
    const w = Atomics.load(this.header, W);
    const r = Atomics.load(this.header, R);
    if (((w - r) | 0) >= this.slots) {
      Atomics.add(this.header, OVERFLOWS, 1);
      return false;
    }
    const off = (w >>> 0) % this.slots * TDM_FRAME_BYTES;
    this.data.set(frame.subarray(0, TDM_FRAME_BYTES), off);
    Atomics.store(this.header, W, (w + 1) | 0);
    return true;
  }

  /**
   * Consumer: copy the next frame into `out`; false (counted as an underrun, `out` untouched)
   * when empty. With `maxFill`, a backlog above it is skipped down to `maxFill` first.
   */
  read(out: Uint8Array, maxFill = this.slots): boolean {
    const w = Atomics.load(this.header, W);
    let r = Atomics.load(this.header, R);
    let fill = (w - r) | 0;
    if (fill <= 0) {
      Atomics.add(this.header, UNDERRUNS, 1);
      return false;
    }
    if (fill > maxFill) {
      const skip = fill - maxFill;
      Atomics.add(this.header, SLIPS, skip);
      r = (r + skip) | 0;
      fill = maxFill;
    }
    const off = (r >>> 0) % this.slots * TDM_FRAME_BYTES;
    out.set(this.data.subarray(off, off + TDM_FRAME_BYTES));
    Atomics.store(this.header, R, (r + 1) | 0);
    return true;
  }

  /**
   * Consumer with a cushion: after running dry, wait until `cushion` + 1 frames are queued
   * before reading again, so one frame of slack absorbs the jitter between the two clocks
   * instead of every early tick becoming an underrun. `state` is the consumer's own.
   */
  readCushioned(out: Uint8Array, maxFill: number, state: { refilling: boolean }, cushion = 1): boolean {
    if (state.refilling) {
      if (this.fill <= cushion) {
        Atomics.add(this.header, UNDERRUNS, 1);
        return false;
      }
      state.refilling = false;
    }
    if (this.read(out, maxFill)) return true;
    state.refilling = true;
    return false;
  }

  stats(): FrameRingStats {
    return {
      fill: this.fill,
      overflows: Atomics.load(this.header, OVERFLOWS),
      underruns: Atomics.load(this.header, UNDERRUNS),
      slips: Atomics.load(this.header, SLIPS),
    };
  }
}
