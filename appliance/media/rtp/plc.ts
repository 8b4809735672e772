/**
 * Packet-loss concealment for G.711, in the spirit of ITU-T G.711 Appendix I (1999):
 * keep a short history of the decoded signal; on an erasure, estimate the pitch period by
 * autocorrelation and repeat the last period, attenuating after the first 10 ms "at 20 % per
 * 10 ms" so that the output is silent after 60 ms; when audio resumes, overlap-add the first
 * few milliseconds with the continuation of the synthetic signal so there is no click.
 * Simpler than Appendix I (single-period repetition, no pitch-buffer growth), which the brief
 * allows; the interface is the same whichever algorithm sits behind it.
 *
 * The history is kept as G.711 codes and decoded only when an erasure starts, so the cost on
 * the loss-free path is one 160-byte copy per frame.
 */

import { decode, encode, type G711Law } from '../codec/g711.js';

const HISTORY = 390; // samples (48.75 ms), as Appendix I
const PITCH_MIN = 40; // 200 Hz
const PITCH_MAX = 120; // 66.7 Hz
const CORR_WINDOW = 80; // 10 ms
const FULL_GAIN_SAMPLES = 80; // first 10 ms of an erasure are not attenuated
const FADE_PER_SAMPLE = 0.2 / 80; // 20 % per 10 ms
const OLA_SAMPLES = 32; // 4 ms blend into the first good frame

export class G711Concealer {
  private readonly law: G711Law;
  private readonly codes: Uint8Array;
  private readonly history = new Int16Array(HISTORY);
  private filled = 0;
  private erased = 0; // samples concealed in the current erasure
  private period = PITCH_MIN;
  private phase = 0;

  constructor(law: G711Law) {
    this.law = law;
    this.codes = new Uint8Array(HISTORY);
  }

  /**
   * Record a good frame of G.711 codes. If an erasure just ended, its first 4 ms are blended
   * with the concealed signal in place; returns true when `frame` was modified.
   */
  good(frame: Uint8Array): boolean {
    let modified = false;
    if (this.erased > 0) {
      const n = Math.min(OLA_SAMPLES, frame.length);
      const pcm = decode(this.law, frame.subarray(0, n));
      for (let i = 0; i < n; i++) {
        const w = (i + 1) / (n + 1);
        const synth = this.nextSynthetic();
        pcm[i] = Math.round(w * (pcm[i] as number) + (1 - w) * synth);
      }
      encode(this.law, pcm, frame.subarray(0, n));
      this.erased = 0;
      modified = true;
    }
    this.pushHistory(frame);
    return modified;
  }

  /** True once an erasure has run long enough that the output is silence. */
  get exhausted(): boolean {
    return this.erased >= FULL_GAIN_SAMPLES + 1 / FADE_PER_SAMPLE;
  }

  /** Fill `out` with concealment for one lost stretch of samples. */
  conceal(out: Int16Array): void {
    if (this.erased === 0) {
      decode(this.law, this.codes, this.history);
      this.period = this.estimatePitch();
      this.phase = 0;
    }
    for (let i = 0; i < out.length; i++) out[i] = this.nextSynthetic();
  }

  private nextSynthetic(): number {
    if (this.filled < this.period) {
      this.erased++;
      return 0;
    }
    const src = this.history[HISTORY - this.period + (this.phase % this.period)] as number;
    this.phase++;
    const over = this.erased - FULL_GAIN_SAMPLES;
    const gain = over <= 0 ? 1 : Math.max(0, 1 - over * FADE_PER_SAMPLE);
    this.erased++;
    return Math.round(src * gain);
  }

  private pushHistory(frame: Uint8Array): void {
    const n = frame.length;
    if (n >= HISTORY) {
      this.codes.set(frame.subarray(n - HISTORY));
    } else {
      this.codes.copyWithin(0, n);
      this.codes.set(frame, HISTORY - n);
    }
    this.filled = Math.min(HISTORY, this.filled + n);
  }

  /** Lag in [PITCH_MIN, PITCH_MAX] maximising the normalised correlation of the last 10 ms. */
  private estimatePitch(): number {
    if (this.filled < PITCH_MAX + CORR_WINDOW) return PITCH_MIN;
    const h = this.history;
    const end = HISTORY - CORR_WINDOW;
    let best = PITCH_MIN;
    let bestScore = -Infinity;
    for (let lag = PITCH_MIN; lag <= PITCH_MAX; lag++) {
      let xy = 0;
      let yy = 0;
      for (let i = 0; i < CORR_WINDOW; i++) {
        const x = h[end + i] as number;
        const y = h[end - lag + i] as number;
        xy += x * y;
        yy += y * y;
      }
      const score = yy > 0 ? xy / Math.sqrt(yy) : 0;
      if (score > bestScore) {
        bestScore = score;
        best = lag;
      }
    }
    return best;
  }
}
