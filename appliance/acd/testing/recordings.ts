/**
 * Reading what a test phone heard (baresip's sndfile `-dec.wav`, 8 kHz S16LE mono), also while
 * the call is still up (libsndfile writes the data size into the header only at close: a
 * zero or oversized size means "up to the end of the file"), and Goertzel amplitudes per window
 * so a test can tell WHEN a tone was heard.
 */
import { readFileSync, statSync } from 'node:fs';
import { goertzelAmplitude } from '../../media/tones/goertzel.js';

export function wavSamples(file: string): { rate: number; samples: Int16Array } {
  const buf = readFileSync(file);
  let off = 12;
  let rate = 8000;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') rate = buf.readUInt32LE(off + 12);
    if (id === 'data') {
      const start = off + 8;
      const end = size === 0 || start + size > buf.length ? buf.length : start + size;
      const bytes = buf.subarray(start, end - ((end - start) % 2));
      return { rate, samples: new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) };
    }
    off += 8 + size + (size & 1);
  }
  return { rate, samples: new Int16Array(0) };
}

/** Samples recorded so far (a mark to split a recording into phases later). */
export function samplesSoFar(file: string): number {
  return Math.max(0, Math.floor((statSync(file).size - 44) / 2));
}

/** Goertzel amplitude of `freq` in consecutive windows of `windowMs` over [from, to) samples. */
export function toneProfile(samples: Int16Array, freq: number, o: { rate?: number; from?: number; to?: number; windowMs?: number } = {}): number[] {
  const rate = o.rate ?? 8000;
  const n = Math.round(((o.windowMs ?? 500) * rate) / 1000);
  const out: number[] = [];
  const to = Math.min(o.to ?? samples.length, samples.length);
  for (let i = Math.max(0, o.from ?? 0); i + n <= to; i += n) out.push(goertzelAmplitude(samples.subarray(i, i + n), freq, rate));
  return out;
}

/** The loudest window's amplitude of `freq` in [from, to) (0 for a span shorter than a window). */
export function toneMax(samples: Int16Array, freq: number, o: { from?: number; to?: number; windowMs?: number } = {}): number {
  return Math.max(0, ...toneProfile(samples, freq, o));
}
