/**
 * What a caller heard, for end-to-end IVR tests: find a rendered prompt (8 kHz G.711 WAV, as the
 * TTS cache and the prompt library hold them) inside the audio received on a B channel or an
 * RTP leg, and measure speech against silence.
 *
 * findPrompt works in two passes: a coarse search of the 10 ms log-energy envelopes (Pearson
 * correlation of the prompt's envelope slid over the heard one), then, around the best few
 * envelope positions, the sample-exact alignment with the highest normalized cross-correlation
 *   NCC = Σ h·p / √(Σ h² · Σ p²)
 * A prompt carried digitally end to end (A-law on the E1, as on the appliance's TDM legs) scores
 * ~1.0 where it was played; another prompt, or silence, scores far lower.
 */
import { readFileSync } from 'node:fs';
import { decode as g711decode } from '../../media/codec/g711.js';
import { decode as wavDecode, bytesToPcm16 } from '../../media/codec/wav.js';

const RATE = 8000;
const HOP = 80; // 10 ms
const SILENT_RMS = 200;

export function alawToPcm(alaw: Uint8Array): Int16Array {
  return g711decode('PCMA', alaw);
}

/** An 8 kHz mono WAV (A-law, µ-law or 16-bit PCM) as linear samples. */
export function readPromptPcm(file: string): Int16Array {
  const { info, data } = wavDecode(new Uint8Array(readFileSync(file)));
  if (info.sampleRate !== RATE || info.channels !== 1) throw new Error(`${file}: ${info.sampleRate} Hz × ${info.channels}, expected 8000 Hz mono`);
  if (info.encoding === 'pcm16') return bytesToPcm16(data);
  return g711decode(info.encoding === 'alaw' ? 'PCMA' : 'PCMU', data);
}

function rms(pcm: Int16Array, from: number, n: number): number {
  let sum = 0;
  const end = Math.min(pcm.length, from + n);
  for (let i = from; i < end; i++) sum += pcm[i]! * pcm[i]!;
  return end > from ? Math.sqrt(sum / (end - from)) : 0;
}

/** The prompt without its leading and trailing silence (10 ms frames under the floor). */
export function trimSilence(pcm: Int16Array): Int16Array {
  let a = 0;
  while (a + HOP <= pcm.length && rms(pcm, a, HOP) < SILENT_RMS) a += HOP;
  let b = pcm.length;
  while (b - HOP > a && rms(pcm, b - HOP, HOP) < SILENT_RMS) b -= HOP;
  return pcm.subarray(a, b);
}

function envelope(pcm: Int16Array): Float64Array {
  const n = Math.floor(pcm.length / HOP);
  const env = new Float64Array(n);
  for (let k = 0; k < n; k++) env[k] = Math.log10(1 + rms(pcm, k * HOP, HOP));
  return env;
}

function pearson(a: Float64Array, b: Float64Array, off: number): number {
  const n = b.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[off + i]!;
    sb += b[i]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = a[off + i]! - ma;
    const y = b[i]! - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}

function ncc(h: Int16Array, at: number, p: Int16Array, pEnergy: number): number {
  let num = 0;
  let he = 0;
  for (let i = 0; i < p.length; i++) {
    const x = h[at + i]!;
    num += x * p[i]!;
    he += x * x;
  }
  return he === 0 || pEnergy === 0 ? 0 : num / Math.sqrt(he * pEnergy);
}

export interface PromptMatch {
  /** Where the prompt's first voiced sample was heard, ms from the start of `heard`. */
  atMs: number;
  /** Where the matched piece ends, ms. */
  endMs: number;
  /** Sample-level normalized cross-correlation at that alignment (1 = identical waveform). */
  score: number;
}

export interface FindOptions {
  /** Search from here on (ms into `heard`). */
  fromMs?: number;
  /** Match only the first `maxMs` of the prompt's voiced part (a prompt cut by barge-in, or still playing). */
  maxMs?: number;
}

/** Best alignment of `prompt` (its voiced part) in `heard`, or null when `heard` is too short. */
export function findPrompt(heard: Int16Array, prompt: Int16Array, o: FindOptions = {}): PromptMatch | null {
  const voiced = trimSilence(prompt);
  const piece = o.maxMs !== undefined ? voiced.subarray(0, Math.round((o.maxMs * RATE) / 1000)) : voiced;
  const from = Math.max(0, Math.floor(((o.fromMs ?? 0) * RATE) / 1000 / HOP));
  const hEnv = envelope(heard);
  const pEnv = envelope(piece);
  if (pEnv.length < 3 || hEnv.length - from < pEnv.length) return null;
  const candidates: Array<{ k: number; r: number }> = [];
  for (let k = from; k + pEnv.length <= hEnv.length; k++) candidates.push({ k, r: pearson(hEnv, pEnv, k) });
  candidates.sort((x, y) => y.r - x.r);
  let pEnergy = 0;
  for (const s of piece) pEnergy += s * s;
  let best: PromptMatch | null = null;
  for (const { k } of candidates.slice(0, 4)) {
    for (let at = Math.max(0, k * HOP - HOP); at <= Math.min(heard.length - piece.length, k * HOP + HOP); at++) {
      const score = ncc(heard, at, piece, pEnergy);
      if (!best || score > best.score) best = { atMs: (at * 1000) / RATE, endMs: ((at + piece.length) * 1000) / RATE, score };
    }
  }
  return best;
}

export interface PiecewiseMatch {
  atMs: number;
  endMs: number;
  /** Share of the prompt's voiced pieces found, each in turn, with an NCC over `pieceScore`. */
  score: number;
  pieces: number;
  /** Line discontinuities inside the match: a piece found more than 2 ms off where the one before ended. */
  jumps: number;
  /** Each voiced piece: where it starts in the prompt's voiced part (ms) and whether it was heard. */
  hits: Array<{ promptMs: number; found: boolean }>;
}

export interface PiecewiseOptions extends FindOptions {
  pieceMs?: number;
  /** NCC a piece needs to count as heard (default 0.9). */
  pieceScore?: number;
  /** How far (ms) a piece may sit from where the previous one ended: slips and underruns of the line. */
  slackMs?: number;
  /** How far (ms) to look for a piece not found within slackMs (a stall of the line). */
  resyncMs?: number;
  /** The prompt must start within this long after fromMs (not a later prompt sharing some of its words). */
  withinMs?: number;
}

function bestAt(heard: Int16Array, piece: Int16Array, energy: number, around: number, within: number): { at: number; score: number } {
  let best = { at: around, score: -1 };
  for (let at = Math.max(0, around - within); at <= Math.min(heard.length - piece.length, around + within); at++) {
    const score = ncc(heard, at, piece, energy);
    if (score > best.score) best = { at, score };
  }
  return best;
}

/**
 * The prompt found piece by piece (100 ms each by default): the best of its first pieces anchors
 * it, then each piece is looked for, sample-exact, within `slackMs` of where the one before it
 * ended. Tolerates what a line does to a stream — a frame slipped, an idle frame inserted — which
 * breaks one long correlation, while still asking for the prompt's own waveform throughout.
 */
export function findPromptPiecewise(heard: Int16Array, prompt: Int16Array, o: PiecewiseOptions = {}): PiecewiseMatch | null {
  const voiced = trimSilence(prompt);
  const body = o.maxMs !== undefined ? voiced.subarray(0, Math.round((o.maxMs * RATE) / 1000)) : voiced;
  const len = Math.round(((o.pieceMs ?? 100) * RATE) / 1000);
  const slack = Math.round(((o.slackMs ?? 60) * RATE) / 1000);
  const resync = Math.round(((o.resyncMs ?? 400) * RATE) / 1000);
  const need = o.pieceScore ?? 0.9;
  const pieces: Int16Array[] = [];
  for (let k = 0; k + len <= body.length; k += len) pieces.push(body.subarray(k, k + len));
  if (pieces.length === 0) return null;
  // Anchor: the first of the prompt's first ten voiced pieces found whole (NCC ≥ 0.99) anywhere
  // after fromMs, else the best of them (the start of a call's audio may be the part damaged).
  let anchor: { k: number; at: number; score: number } | null = null;
  for (let k = 0; k < Math.min(10, pieces.length) && !(anchor && anchor.score >= 0.99); k++) {
    if (rms(pieces[k]!, 0, len) < SILENT_RMS) continue;
    const limit = o.withinMs === undefined ? heard.length : Math.round((((o.fromMs ?? 0) + o.withinMs) * RATE) / 1000) + (k + 1) * len;
    const m = findPrompt(heard.subarray(0, Math.min(heard.length, limit)), pieces[k]!, { ...(o.fromMs !== undefined ? { fromMs: o.fromMs } : {}) });
    if (m && (!anchor || m.score > anchor.score)) anchor = { k, at: Math.round((m.atMs * RATE) / 1000), score: m.score };
  }
  if (!anchor || anchor.score < need) return anchor ? { atMs: (anchor.at * 1000) / RATE, endMs: (anchor.at * 1000) / RATE, score: 0, pieces: pieces.length, jumps: 0, hits: [] } : null;
  let expected = anchor.at - anchor.k * len;
  let start: number | null = null;
  let voicedPieces = 0;
  let found = 0;
  let jumps = 0;
  let end = expected;
  const hits: PiecewiseMatch['hits'] = [];
  for (const [k, piece] of pieces.entries()) {
    let energy = 0;
    for (const v of piece) energy += v * v;
    if (Math.sqrt(energy / len) < SILENT_RMS) {
      expected += len;
      continue;
    }
    voicedPieces++;
    const near = bestAt(heard, piece, energy, expected, slack);
    // Not where expected: the line stalled for longer (many frames slipped or idle), look wider.
    const best = near.score >= need ? near : bestAt(heard, piece, energy, expected, resync);
    hits.push({ promptMs: (k * len * 1000) / RATE, found: best.score >= need });
    if (best.score >= need) {
      found++;
      start ??= best.at - k * len;
      if (Math.abs(best.at - expected) > RATE / 500) jumps++;
      expected = best.at + len;
      end = expected;
    } else expected += len;
  }
  const at = start ?? anchor.at - anchor.k * len;
  return { atMs: (at * 1000) / RATE, endMs: (end * 1000) / RATE, score: voicedPieces === 0 ? 0 : found / voicedPieces, pieces: voicedPieces, jumps, hits };
}

/** Share of 20 ms frames in [fromMs, toMs) whose RMS is over `floor` (voice activity). */
export function voicedShare(pcm: Int16Array, fromMs: number, toMs: number, floor = 300): number {
  const frame = RATE / 50;
  let n = 0;
  let on = 0;
  const end = Math.min(pcm.length, Math.round((toMs * RATE) / 1000));
  for (let i = Math.max(0, Math.round((fromMs * RATE) / 1000)); i + frame <= end; i += frame) {
    n++;
    if (rms(pcm, i, frame) > floor) on++;
  }
  return n === 0 ? 0 : on / n;
}
