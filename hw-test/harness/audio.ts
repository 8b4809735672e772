/**
 * Audio for the specs: A-law blocks of a sine tone and of a pseudo-random pattern, and checks on
 * what came out the other end (tone level by Goertzel, bit-exact pattern match).
 */
import { decode, encode } from '../../appliance/media/codec/g711.js';
import { goertzelAmplitude } from '../../appliance/media/tones/goertzel.js';
import { peakForDbm0 } from '../../appliance/media/tones/generator.js';
import { FRAME_BYTES, SAMPLE_RATE } from '../../drivers/types.js';
import { Prng } from '../../drivers/sim/prng.js';

/** A phase-continuous sine at `freq` Hz and `dbm0`, as 160-byte A-law blocks, endless. */
export function toneSource(freq: number, dbm0 = -10): () => Uint8Array {
  const amp = peakForDbm0(dbm0);
  let n = 0;
  const pcm = new Int16Array(FRAME_BYTES);
  return () => {
    for (let i = 0; i < FRAME_BYTES; i++, n++) pcm[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * n) / SAMPLE_RATE));
    return encode('PCMA', pcm);
  };
}

/** Pseudo-random A-law bytes (every code 0–255 possible), one block per call. */
export function patternSource(seed: number): () => Uint8Array {
  const prng = new Prng(seed);
  return () => {
    const b = new Uint8Array(FRAME_BYTES);
    for (let i = 0; i < FRAME_BYTES; i++) b[i] = prng.int(256);
    return b;
  };
}

/** Amplitude of `freq` relative to the whole signal's RMS·√2 (1.0 for a pure tone at that frequency). */
export function toneShare(alaw: Uint8Array, freq: number): number {
  const pcm = decode('PCMA', alaw);
  let sum = 0;
  for (const s of pcm) sum += s * s;
  const rmsPeak = Math.sqrt((2 * sum) / Math.max(1, pcm.length));
  return rmsPeak === 0 ? 0 : goertzelAmplitude(pcm, freq) / rmsPeak;
}

/** Linear level of `freq` in dBm0 over `alaw` (−Infinity when absent). */
export function toneDbm0(alaw: Uint8Array, freq: number): number {
  const a = goertzelAmplitude(decode('PCMA', alaw), freq);
  return a > 0 ? 20 * Math.log10(a / peakForDbm0(0)) : -Infinity;
}
