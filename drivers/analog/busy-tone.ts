/**
 * Busy tone detection on an analog line, for FXO disconnect supervision (issue 5 "FXO … busy-tone
 * detection"): many exchanges, China's among them, signal the far end's hang-up to an FXO port
 * only by playing busy tone. China's busy tone (YD/T 1970 / GB 3380 tone plan, the same as
 * ITU-T E.180 Supplement 2 lists for China) is 450 Hz, 0.35 s on, 0.35 s off.
 *
 * Each 20 ms block is classed as tone or not by the Goertzel power at the tone frequency against
 * the block's whole power (a tone block carries most of its power at 450 Hz and is louder than
 * -40 dBm0); runs of tone and of silence are timed, and two tone bursts with a pause between
 * them, each within the cadence tolerance, are busy tone. Speech or music does not keep 80 % of
 * its power at 450 Hz for 0.35 s, so it is not mistaken for it.
 */
import { FRAME_MS, SAMPLE_RATE } from '../types.js';

export interface BusyToneSpec {
  freq: number;
  onMs: number;
  offMs: number;
  /** Accepted deviation of each burst and pause, ms. */
  toleranceMs: number;
}

export const CHINA_BUSY_TONE: BusyToneSpec = { freq: 450, onMs: 350, offMs: 350, toleranceMs: 80 };

/** Share of a block's power at the tone frequency for it to count as tone. */
const TONE_SHARE = 0.8;
/** Minimum mean square (≈ -40 dBm0 for A-law full scale 32768·… ): quieter blocks are silence. */
const MIN_POWER = 3000;

export class BusyToneDetector {
  private runTone = false;
  private runMs = 0;
  /** Completed runs, newest last: [tone?, ms]. */
  private runs: Array<[boolean, number]> = [];
  private fired = false;
  private readonly coeff: number;

  constructor(
    private readonly onBusy: () => void,
    private readonly spec: BusyToneSpec = CHINA_BUSY_TONE,
  ) {
    this.coeff = 2 * Math.cos((2 * Math.PI * spec.freq) / SAMPLE_RATE);
  }

  /** One block of linear samples (normally 160 = 20 ms). */
  push(pcm: Int16Array): void {
    if (this.fired) return;
    const tone = this.isTone(pcm);
    const ms = (pcm.length / SAMPLE_RATE) * 1000 || FRAME_MS;
    if (tone === this.runTone) {
      this.runMs += ms;
      return;
    }
    this.runs.push([this.runTone, this.runMs]);
    if (this.runs.length > 4) this.runs.shift();
    this.runTone = tone;
    this.runMs = ms;
    this.check();
  }

  reset(): void {
    this.runs = [];
    this.runTone = false;
    this.runMs = 0;
    this.fired = false;
  }

  private check(): void {
    const [a, b, c] = this.runs.slice(-3);
    if (!a || !b || !c) return;
    const near = (ms: number, want: number): boolean => Math.abs(ms - want) <= this.spec.toleranceMs;
    if (a[0] && !b[0] && c[0] && near(a[1], this.spec.onMs) && near(b[1], this.spec.offMs) && near(c[1], this.spec.onMs)) {
      this.fired = true;
      this.onBusy();
    }
  }

  /** Goertzel power at the tone frequency against the block's total power (Parseval). */
  private isTone(pcm: Int16Array): boolean {
    let s1 = 0;
    let s2 = 0;
    let energy = 0;
    for (let i = 0; i < pcm.length; i++) {
      const x = pcm[i] as number;
      energy += x * x;
      const s0 = x + this.coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const n = pcm.length;
    if (n === 0 || energy / n < MIN_POWER) return false;
    const power = s1 * s1 + s2 * s2 - this.coeff * s1 * s2;
    // A pure tone of amplitude A gives power ≈ (A·N/2)² and energy ≈ A²·N/2: share = 2·power/(N·energy).
    return (2 * power) / (n * energy) >= TONE_SHARE;
  }
}
