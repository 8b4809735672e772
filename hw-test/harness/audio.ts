/**
 * Audio for the specs: A-law blocks of a sine tone and of a pseudo-random pattern, and checks on
 * what came out the other end (tone level by Goertzel, bit-exact pattern match).
 */
import { decode, encode } from '../../appliance/media/codec/g711.js';
import { goertzelAmplitude } from '../../appliance/media/tones/goertzel.js';
import { peakForDbm0 } from '../../appliance/media/tones/generator.js';
import { FRAME_BYTES, SAMPLE_RATE } from '../../drivers/types.js';
import { ALAW_IDLE } from '../../drivers/sim/channels.js';
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

/**
 * A pseudo-random pattern as it arrives on a line, checked as a byte stream: only idle code may
 * come before the pattern's first byte (anything else counts against the first block), and from
 * there every 160-byte block of the pattern must be bit-exact. A real card's read blocks need
 * not line up with the writer's; on the simulated card they do, and this is a per-block check.
 */
export class PatternCheck {
  private readonly got: number[] = [];

  constructor(private readonly expect: Uint8Array) {}

  /** Pattern bytes expected (a whole number of blocks). */
  get length(): number {
    return this.expect.length;
  }

  push(frame: Uint8Array): void {
    if (this.got.length < 2 * this.expect.length + 64 * FRAME_BYTES) for (const b of frame) this.got.push(b);
  }

  /** Where the pattern starts in what arrived: its first byte after nothing but idle code; -1 until known. */
  start(): number {
    for (let i = 0; i + 16 <= this.got.length; i++) {
      let k = 0;
      while (k < 16 && this.got[i + k] === this.expect[k]) k++;
      if (k === 16 || this.got[i] !== ALAW_IDLE) return i;
    }
    return -1;
  }

  /** The whole pattern's length has arrived after its start. */
  complete(): boolean {
    const at = this.start();
    return at >= 0 && this.got.length - at >= this.expect.length;
  }

  /** Blocks of the pattern received bit-exact (`ok`) and not (`bad`, including any missing). */
  blocks(): { ok: number; bad: number } {
    const at = this.start();
    const n = this.expect.length / FRAME_BYTES;
    if (at < 0) return { ok: 0, bad: n };
    let ok = 0;
    for (let b = 0; b < n; b++) {
      let same = true;
      for (let i = b * FRAME_BYTES; i < (b + 1) * FRAME_BYTES && same; i++) same = this.got[at + i] === this.expect[i];
      if (same) ok++;
    }
    return { ok, bad: n - ok };
  }
}

/** The first `blocks` blocks of `patternSource(seed)`, as one array. */
export function patternBytes(seed: number, blocks: number): Uint8Array {
  const src = patternSource(seed);
  const out = new Uint8Array(blocks * FRAME_BYTES);
  for (let i = 0; i < blocks; i++) out.set(src(), i * FRAME_BYTES);
  return out;
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
