/**
 * Per-source reception statistics, RFC 3550 Appendix A:
 *  - A.1 sequence number validation and the extended (cycle-counting) sequence number,
 *  - A.3 expected/lost packets and the fraction lost over a reporting interval,
 *  - A.8 interarrival jitter.
 * The results fill an RTCP report block (rtcp.ts) and feed the MOS estimate (mos.ts).
 * Pure: the caller passes the arrival time.
 */
import type { ReportBlock } from './rtcp.js';

const RTP_SEQ_MOD = 1 << 16;
/** A.1: "MAX_DROPOUT = 3000, MAX_MISORDER = 100, MIN_SEQUENTIAL = 2" */
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;
export const MIN_SEQUENTIAL = 2;

/** What update() made of a packet. Only 'valid' packets are counted and used for jitter. */
export type SeqVerdict = 'valid' | 'probation' | 'bad-jump' | 'restarted';

export interface ReceptionOptions {
  /** RTP clock rate (8000 for G.711). */
  clockRate?: number;
  /** Packets in sequence needed before the source is valid (A.1); 0 accepts the first packet. */
  minSequential?: number;
}

export class ReceptionStats {
  private readonly clockRate: number;
  private readonly minSequential: number;
  private started = false;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = 0;
  private receivedCount = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit: number | null = null;
  private jitterUnits = 0;

  constructor(opts: ReceptionOptions = {}) {
    this.clockRate = opts.clockRate ?? 8000;
    this.minSequential = opts.minSequential ?? MIN_SEQUENTIAL;
  }

  /** A.1 init_seq() */
  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.receivedCount = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /**
   * Account one received packet: A.1 update_seq() and, for valid packets, the A.8 jitter.
   * `arrivalMs` is the local receive time in milliseconds (any epoch, monotonic).
   */
  update(seq: number, rtpTimestamp: number, arrivalMs: number): SeqVerdict {
    seq &= 0xffff;
    if (!this.started) {
      this.started = true;
      this.initSeq(seq);
      this.maxSeq = (seq - 1) & 0xffff;
      this.probation = this.minSequential;
      if (this.probation === 0) {
        this.initSeq(seq);
        this.receivedCount = 1;
        this.updateJitter(rtpTimestamp, arrivalMs);
        return 'valid';
      }
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    let verdict: SeqVerdict = 'valid';
    if (this.probation > 0) {
      // A.1: "packet is in sequence" → count down; otherwise restart probation.
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.receivedCount++;
          this.updateJitter(rtpTimestamp, arrivalMs);
          return 'valid';
        }
      } else {
        this.probation = this.minSequential - 1;
        this.maxSeq = seq;
      }
      return 'probation';
    } else if (udelta < MAX_DROPOUT) {
      // A.1: "in order, with permissible gap"
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A.1: "the sequence number made a very large jump"
      if (seq === this.badSeq) {
        // "Two sequential packets -- assume that the other side restarted without telling us"
        this.initSeq(seq);
        this.transit = null;
        verdict = 'restarted';
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return 'bad-jump';
      }
    }
    // else: "duplicate or reordered packet" — counted, as in A.1.
    this.receivedCount++;
    this.updateJitter(rtpTimestamp, arrivalMs);
    return verdict;
  }

  /**
   * A.8: "int transit = arrival - r->ts; int d = transit - s->transit; s->transit = transit;
   * if (d < 0) d = -d; s->jitter += (1./16.) * ((double)d - s->jitter);"
   * Arithmetic is modulo 2^32 like the C original, so RTP timestamp wrap is harmless.
   */
  private updateJitter(rtpTimestamp: number, arrivalMs: number): void {
    const arrival = Math.round((arrivalMs * this.clockRate) / 1000);
    const transit = (arrival - rtpTimestamp) | 0;
    if (this.transit !== null) {
      const d = Math.abs((transit - this.transit) | 0);
      this.jitterUnits += (d - this.jitterUnits) / 16;
    }
    this.transit = transit;
  }

  get valid(): boolean {
    return this.started && this.probation === 0;
  }

  /** A.3: "extended_max = s->cycles + s->max_seq" */
  get extendedHighestSeq(): number {
    return this.cycles + this.maxSeq;
  }

  get received(): number {
    return this.receivedCount;
  }

  /** A.3: "expected = extended_max - s->base_seq + 1" */
  get expected(): number {
    return this.valid ? this.extendedHighestSeq - this.baseSeq + 1 : 0;
  }

  /** A.3: "lost = expected - s->received", clamped to the signed 24-bit report field. */
  get cumulativeLost(): number {
    const lost = this.expected - this.receivedCount;
    return Math.max(-0x800000, Math.min(0x7fffff, lost));
  }

  /** Interarrival jitter in timestamp units (fractional). */
  get jitter(): number {
    return this.jitterUnits;
  }

  get jitterMs(): number {
    return (this.jitterUnits * 1000) / this.clockRate;
  }

  /**
   * A.3 fraction lost since the previous call, as the 8-bit fixed-point report value, and
   * advance the interval. Call once per RTCP report.
   */
  takeFractionLost(): number {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.receivedCount - this.receivedPrior;
    this.receivedPrior = this.receivedCount;
    const lostInterval = expectedInterval - receivedInterval;
    if (expectedInterval === 0 || lostInterval <= 0) return 0;
    return Math.floor((lostInterval * 256) / expectedInterval);
  }

  /** Build the report block for this source (advances the fraction-lost interval). */
  reportBlock(ssrc: number, lastSr = 0, delaySinceLastSr = 0): ReportBlock {
    return {
      ssrc,
      fractionLost: this.takeFractionLost(),
      cumulativeLost: this.cumulativeLost,
      extendedHighestSeq: this.extendedHighestSeq >>> 0,
      jitter: Math.floor(this.jitterUnits) >>> 0,
      lastSr,
      delaySinceLastSr,
    };
  }
}
