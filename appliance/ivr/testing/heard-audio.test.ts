import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode as g711encode } from '../../media/codec/g711.js';
import { encode as wavEncode } from '../../media/codec/wav.js';
import { alawToPcm, findPrompt, findPromptPiecewise, readPromptPcm, trimSilence, voicedShare } from './heard-audio.js';

/** A speech-like test signal: bursts ("syllables") of shaped noise with pauses, deterministic per seed. */
function utterance(seed: number, ms: number): Int16Array {
  let s = seed >>> 0;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out = new Int16Array((ms * 8) | 0);
  let i = 400; // 50 ms of leading silence, as TTS output has
  while (i < out.length - 400) {
    const len = 800 + Math.floor(rnd() * 1200);
    const amp = 3000 + rnd() * 6000;
    let y = 0;
    for (let j = 0; j < len && i + j < out.length - 400; j++) {
      y = 0.6 * y + (rnd() - 0.5); // coloured noise
      out[i + j] = Math.round(amp * y * Math.sin((Math.PI * j) / len));
    }
    i += len + 200 + Math.floor(rnd() * 800);
  }
  return out;
}

function alawRoundTrip(pcm: Int16Array): Int16Array {
  return alawToPcm(g711encode('PCMA', pcm));
}

function line(parts: Array<Int16Array | number>): Int16Array {
  const total = parts.reduce<number>((n, p) => n + (typeof p === 'number' ? p * 8 : p.length), 0);
  const out = new Int16Array(total);
  let off = 0;
  for (const p of parts) {
    if (typeof p === 'number') off += p * 8;
    else {
      out.set(p, off);
      off += p.length;
    }
  }
  return alawRoundTrip(out);
}

const A = utterance(1, 2500);
const B = utterance(2, 1800);
const C = utterance(3, 2000);

test('findPrompt: each played prompt is found where it was played, sample-exact after A-law; one never played scores low', (t) => {
  const heard = line([1000, A, 300, B, 700]);
  const leadA = trimSilence(A).byteOffset / 2 / 8; // ms of leading silence the match skips
  const a = findPrompt(heard, A);
  const b = findPrompt(heard, B, { fromMs: 1000 });
  const c = findPrompt(heard, C);
  t.truthy(a && b && c);
  t.true(Math.abs(a!.atMs - (1000 + leadA)) <= 1, `A at ${a!.atMs}`);
  t.true(a!.score > 0.99, `A ${a!.score}`);
  t.true(b!.atMs > a!.endMs && b!.score > 0.99, `B at ${b!.atMs} score ${b!.score}`);
  t.true(c!.score < 0.5, `C (never played) ${c!.score}`);
});

test('findPrompt: a prompt cut short by barge-in matches on its first part only; fromMs past it finds nothing like it', (t) => {
  const cut = A.subarray(0, Math.floor(A.length * 0.4));
  const heard = line([500, cut, 2000, B, 500]);
  const whole = findPrompt(heard, A)!;
  const start = findPrompt(heard, A, { maxMs: 700 })!;
  t.true(start.score > 0.99, `first 700 ms ${start.score}`);
  t.true(whole.score < 0.9, `whole prompt ${whole.score}`);
  const later = findPrompt(heard, A, { fromMs: 2500, maxMs: 700 });
  t.true(later === null || later.score < 0.5, `after the cut ${later?.score}`);
  t.is(findPrompt(new Int16Array(800), A), null, 'heard shorter than the prompt');
});

test('readPromptPcm reads an A-law WAV as the TTS cache writes it; voicedShare tells speech from silence', (t) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'heard-audio-')), 'p.wav');
  writeFileSync(file, wavEncode({ encoding: 'alaw', channels: 1, sampleRate: 8000 }, g711encode('PCMA', A)));
  t.deepEqual(readPromptPcm(file), alawRoundTrip(A));
  const heard = line([1000, A, 1000]);
  t.true(voicedShare(heard, 1000, 3500) > 0.5);
  t.is(voicedShare(heard, 0, 1000), 0);
});

test('findPromptPiecewise: a prompt through a slipping line (frames dropped and idle frames inserted) is still found whole; another is not', (t) => {
  const lineOf = (pcm: Int16Array): Int16Array => {
    const out: number[] = [];
    for (let f = 0; f * 160 < pcm.length; f++) {
      if (f % 61 === 11) continue; // a slip: one 20 ms frame lost
      if (f % 83 === 7) for (let i = 0; i < 160; i++) out.push(0); // an underrun: one idle frame in
      for (const v of pcm.subarray(f * 160, f * 160 + 160)) out.push(v);
    }
    return Int16Array.from(out);
  };
  const heard = line([800, lineOf(A), 400, lineOf(B), 600]);
  const whole = findPrompt(heard, A)!;
  const a = findPromptPiecewise(heard, A)!;
  const b = findPromptPiecewise(heard, B, { fromMs: a.endMs })!;
  const c = findPromptPiecewise(heard, C);
  t.log(`whole-prompt NCC ${whole.score.toFixed(2)}; piecewise A ${a.score.toFixed(2)} (${a.jumps} jumps), B ${b.score.toFixed(2)}, C ${c?.score.toFixed(2)}`);
  t.true(whole.score < 0.9, 'one long correlation breaks on the slips');
  t.true(a.score > 0.8 && a.jumps >= 2, 'piecewise finds A and counts the discontinuities');
  t.true(Math.abs(a.atMs - 850) < 5, `A at ${a.atMs}`);
  t.true(b.score > 0.8 && b.atMs > a.endMs);
  t.true(c === null || c.score < 0.3, 'C was never played');
});
