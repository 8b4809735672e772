/**
 * Goertzel single-frequency detector (G. Goertzel, "An Algorithm for the Evaluation of Finite
 * Trigonometric Series", 1958), for tests and simple tone checks: the level of one frequency
 * in a block, and the on/off cadence of a tone across blocks.
 */
import { SAMPLE_RATE } from '../codec/g711.js';
import { DBM0_MAX_SINE_POWER } from './generator.js';

/** Peak amplitude of the `freq` component in `x` (linear units). */
export function goertzelAmplitude(x: ArrayLike<number>, freq: number, rate = SAMPLE_RATE): number {
  const n = x.length;
  if (n === 0) return 0;
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s = (x[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

/** Level of the `freq` component in dBm0 (-Infinity for none). */
export function toneLevelDbm0(x: ArrayLike<number>, freq: number, rate = SAMPLE_RATE): number {
  const a = goertzelAmplitude(x, freq, rate);
  return a > 0 ? 20 * Math.log10(a / 32767) + DBM0_MAX_SINE_POWER : -Infinity;
}

export interface CadenceRun {
  on: boolean;
  ms: number;
}

/**
 * Split `pcm` into blocks of `blockSamples` and report runs of tone-present / tone-absent,
 * in milliseconds (resolution one block).
 */
export function measureCadence(
  pcm: Int16Array,
  freq: number,
  opts: { blockSamples?: number; thresholdDbm0?: number; rate?: number } = {},
): CadenceRun[] {
  const block = opts.blockSamples ?? 40;
  const threshold = opts.thresholdDbm0 ?? -30;
  const rate = opts.rate ?? SAMPLE_RATE;
  const runs: CadenceRun[] = [];
  for (let off = 0; off + block <= pcm.length; off += block) {
    const on = toneLevelDbm0(pcm.subarray(off, off + block), freq, rate) > threshold;
    const ms = (block * 1000) / rate;
    const last = runs[runs.length - 1];
    if (last && last.on === on) last.ms += ms;
    else runs.push({ on, ms });
  }
  return runs;
}
