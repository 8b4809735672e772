/**
 * Tone generator: 20 ms G.711 frames of a ToneSpec (tone-plan.ts), sample-accurate cadence,
 * phase-continuous oscillators. Levels follow spandsp's convention (dds_scaling_dbm0): a sine
 * at L dBm0 has peak amplitude 32767 · 10^((L - 3.14) / 20), 3.14 dBm0 being the largest sine
 * G.711 carries (ITU-T G.711 §4: the "digital milliwatt" is 0 dBm0, 3.14 dB below the overload
 * point of A-law).
 */
import { FRAME_SAMPLES, SAMPLE_RATE, SILENCE_CODE, encode, type G711Law } from '../codec/g711.js';
import type { ToneSpec } from './tone-plan.js';

/** dBm0 of a full-scale sine in 16-bit linear (spandsp DBM0_MAX_SINE_POWER). */
export const DBM0_MAX_SINE_POWER = 3.14;

export function peakForDbm0(levelDbm0: number): number {
  return 32767 * 10 ** ((levelDbm0 - DBM0_MAX_SINE_POWER) / 20);
}

export class ToneGenerator {
  private readonly spec: ToneSpec;
  private readonly law: G711Law;
  private readonly amplitude: number;
  private readonly segmentSamples: number[];
  private segment = 0;
  private posInSegment = 0;
  private finished = false;
  /** Phase per frequency slot, in cycles (0..1). */
  private readonly phase: number[] = [0, 0, 0, 0];
  private readonly pcm = new Int16Array(FRAME_SAMPLES);

  constructor(spec: ToneSpec, law: G711Law) {
    this.spec = spec;
    this.law = law;
    this.amplitude = peakForDbm0(spec.levelDbm0);
    this.segmentSamples = spec.segments.map((s) => Math.round((s.ms * SAMPLE_RATE) / 1000));
  }

  /** A non-repeating tone has played all its segments. */
  get done(): boolean {
    return this.finished;
  }

  /** Fill `out` with linear samples; returns it. Silence after a non-repeating tone ends. */
  nextPcm(out: Int16Array = new Int16Array(FRAME_SAMPLES)): Int16Array {
    for (let i = 0; i < out.length; ) {
      if (this.finished) {
        out.fill(0, i);
        break;
      }
      const seg = this.spec.segments[this.segment];
      const segLen = this.segmentSamples[this.segment] as number;
      if (!seg) break;
      const n = Math.min(out.length - i, segLen - this.posInSegment);
      if (seg.freqs.length === 0) {
        out.fill(0, i, i + n);
      } else {
        for (let k = 0; k < n; k++) {
          let v = 0;
          for (let f = 0; f < seg.freqs.length; f++) {
            v += Math.sin(2 * Math.PI * (this.phase[f] as number));
            this.phase[f] = ((this.phase[f] as number) + (seg.freqs[f] as number) / SAMPLE_RATE) % 1;
          }
          out[i + k] = Math.round(v * this.amplitude);
        }
      }
      i += n;
      this.posInSegment += n;
      if (this.posInSegment >= segLen) {
        this.posInSegment = 0;
        this.segment++;
        if (this.segment >= this.spec.segments.length) {
          if (this.spec.repeat) this.segment = 0;
          else this.finished = true;
        }
      }
    }
    return out;
  }

  /** The next 20 ms G.711 frame. */
  nextFrame(out: Uint8Array = new Uint8Array(FRAME_SAMPLES)): Uint8Array {
    if (this.finished) return out.fill(SILENCE_CODE[this.law]);
    this.nextPcm(this.pcm);
    return encode(this.law, this.pcm, out);
  }

  /** Start the cadence again from its first segment. */
  reset(): void {
    this.segment = 0;
    this.posInSegment = 0;
    this.finished = false;
    this.phase.fill(0);
  }
}
