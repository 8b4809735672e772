/**
 * Playback into one leg: a prompt (8 kHz mono WAV, A-law, µ-law or 16-bit PCM) or a tone
 * cadence (tones/generator.ts), as 20 ms frames in the leg's law. A prompt in the other law is
 * transcoded by table; a 16-bit prompt is encoded. Anything else (another rate, stereo, a
 * corrupt file) is refused with a ParseError naming the reason — the call goes on without it.
 * `mix` adds the prompt to what the leg hears from its bridge (a beep, a whisper prompt);
 * otherwise the prompt replaces it (an announcement).
 */
import { readFileSync, statSync } from 'node:fs';
import { ParseError } from '../../core/errors.js';
import {
  ALAW_TO_LINEAR,
  FRAME_SAMPLES,
  LINEAR_TO_ALAW,
  LINEAR_TO_ULAW,
  SAMPLE_RATE,
  SILENCE_CODE,
  ULAW_TO_LINEAR,
  encode,
  transcode,
  type G711Law,
} from '../codec/g711.js';
import { bytesToPcm16, decode as decodeWav } from '../codec/wav.js';
import { ToneGenerator } from '../tones/generator.js';
import { clip16 } from '../mixer/mixer.js';
import type { PlaySource } from './protocol.js';

export interface FrameSource {
  /** Fill `out` with the next frame; false once the source is exhausted (out untouched). */
  next(out: Uint8Array): boolean;
}

/**
 * Decoded prompts, by law and path, reused while the file keeps its size and mtime. An IVR plays
 * the same few files to every caller; reading, parsing and transcoding one per play ran on the
 * worker's tick thread (a burst of plays — every session starting its menu — delayed ticks) and
 * allocated the whole prompt each time. A played prompt is only ever read (BufferSource), so
 * sessions share one copy. Bounded by total bytes, oldest first.
 */
const promptCache = new Map<string, { size: number; mtimeMs: number; codes: Uint8Array }>();
const PROMPT_CACHE_BYTES = 64 << 20;
let promptCacheBytes = 0;

/** A prompt file as G.711 codes in `law` (cached; see promptCache). The codes must not be written to. */
export function loadPrompt(path: string, law: G711Law): Uint8Array {
  const key = `${law}:${path}`;
  const st = statSync(path);
  const hit = promptCache.get(key);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.codes;
  const codes = decodePrompt(path, law);
  if (hit) promptCacheBytes -= hit.codes.length;
  promptCache.delete(key);
  promptCache.set(key, { size: st.size, mtimeMs: st.mtimeMs, codes });
  promptCacheBytes += codes.length;
  for (const [k, v] of promptCache) {
    if (promptCacheBytes <= PROMPT_CACHE_BYTES) break;
    promptCache.delete(k);
    promptCacheBytes -= v.codes.length;
  }
  return codes;
}

function decodePrompt(path: string, law: G711Law): Uint8Array {
  const { info, data } = decodeWav(new Uint8Array(readFileSync(path)));
  if (info.sampleRate !== SAMPLE_RATE) throw new ParseError(`prompt ${path}: ${info.sampleRate} Hz, need 8000`, 24);
  if (info.channels !== 1) throw new ParseError(`prompt ${path}: ${info.channels} channels, need mono`, 22);
  switch (info.encoding) {
    case 'alaw':
      return transcode('PCMA', law, data);
    case 'ulaw':
      return transcode('PCMU', law, data);
    case 'pcm16':
      return encode(law, bytesToPcm16(data));
  }
}

class BufferSource implements FrameSource {
  private pos = 0;
  constructor(
    private readonly codes: Uint8Array,
    private readonly law: G711Law,
  ) {}
  next(out: Uint8Array): boolean {
    if (this.pos >= this.codes.length) return false;
    const n = Math.min(FRAME_SAMPLES, this.codes.length - this.pos);
    out.set(this.codes.subarray(this.pos, this.pos + n));
    if (n < FRAME_SAMPLES) out.fill(SILENCE_CODE[this.law], n);
    this.pos += n;
    return true;
  }
}

class ToneSource implements FrameSource {
  constructor(private readonly gen: ToneGenerator) {}
  next(out: Uint8Array): boolean {
    if (this.gen.done) return false;
    this.gen.nextFrame(out);
    return true;
  }
}

export function openSource(source: PlaySource, law: G711Law): FrameSource {
  if (source.kind === 'tone') return new ToneSource(new ToneGenerator(source.spec, law));
  return new BufferSource(loadPrompt(source.path, law), law);
}

const DECODE: Readonly<Record<G711Law, Readonly<Int16Array>>> = { PCMA: ALAW_TO_LINEAR, PCMU: ULAW_TO_LINEAR };
const ENCODE: Readonly<Record<G711Law, Readonly<Uint8Array>>> = { PCMA: LINEAR_TO_ALAW, PCMU: LINEAR_TO_ULAW };

/** out = out + add, both G.711 codes in `law`, clipped. */
export function mixCodes(law: G711Law, out: Uint8Array, add: Uint8Array): void {
  const d = DECODE[law];
  const e = ENCODE[law];
  for (let i = 0; i < out.length; i++) {
    out[i] = e[clip16((d[out[i] as number] as number) + (d[add[i] as number] as number)) & 0xffff] as number;
  }
}

export class Player {
  private readonly frame = new Uint8Array(FRAME_SAMPLES);
  constructor(
    readonly id: string,
    readonly endpointId: string,
    private readonly source: FrameSource,
    readonly mix: boolean,
    private readonly law: G711Law,
  ) {}

  /** Apply this tick's frame to `out`; false when finished. */
  apply(out: Uint8Array): boolean {
    if (!this.source.next(this.frame)) return false;
    if (this.mix) mixCodes(this.law, out, this.frame);
    else out.set(this.frame);
    return true;
  }
}
