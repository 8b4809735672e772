/**
 * Tones: cadences measured back from generated G.711 audio with the Goertzel detector, and the
 * frequency and level checked by real sox (`sox file.wav -n stat`) on WAV files we render.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ZodError } from 'zod';
import { FRAME_SAMPLES, decode, type G711Law } from '../codec/g711.js';
import { encode as wavEncode } from '../codec/wav.js';
import { ToneGenerator, peakForDbm0 } from './generator.js';
import { goertzelAmplitude, measureCadence, toneLevelDbm0 } from './goertzel.js';
import { CHINA_TONE_PLAN, ToneNames, cycleMs, tonePlanFrom, type ToneSpec } from './tone-plan.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tones-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function render(spec: ToneSpec, law: G711Law, ms: number): Uint8Array {
  const gen = new ToneGenerator(spec, law);
  const frames = Math.ceil(ms / 20);
  const out = new Uint8Array(frames * FRAME_SAMPLES);
  for (let f = 0; f < frames; f++) gen.nextFrame(out.subarray(f * FRAME_SAMPLES, (f + 1) * FRAME_SAMPLES));
  return out;
}

/** `sox file -n stat` figures (stat writes to stderr). */
function soxStat(file: string): Record<string, number> {
  const r = spawnSync('sox', [file, '-n', 'stat'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sox stat failed: ${r.stderr}`);
  const err = r.stderr;
  const out: Record<string, number> = {};
  for (const line of err.split('\n')) {
    const m = /^(.+?):\s+(-?[\d.]+)/.exec(line);
    if (m) out[(m[1] as string).trim()] = Number(m[2]);
  }
  return out;
}

test('China plan: every tone is valid data and on 450 Hz (beep aside)', (t) => {
  t.deepEqual(Object.keys(CHINA_TONE_PLAN.tones).sort(), [...ToneNames].sort());
  t.deepEqual(tonePlanFrom({ country: 'CN', tones: {} }), CHINA_TONE_PLAN);
  for (const n of ['dial', 'ringback', 'busy', 'congestion', 'call-waiting'] as const) {
    t.deepEqual(CHINA_TONE_PLAN.tones[n].segments[0]?.freqs, [450]);
  }
});

test('a configured plan overrides some tones and keeps the rest', (t) => {
  const uk = tonePlanFrom({
    country: 'GB',
    tones: { ringback: { segments: [{ freqs: [400, 450], ms: 400 }, { freqs: [], ms: 200 }, { freqs: [400, 450], ms: 400 }, { freqs: [], ms: 2000 }], repeat: true, levelDbm0: -12 } },
  });
  t.is(cycleMs(uk.tones.ringback), 3000);
  t.deepEqual(uk.tones.busy, CHINA_TONE_PLAN.tones.busy);
  t.throws(() => tonePlanFrom({ country: 'XX', tones: { busy: { segments: [], repeat: true, levelDbm0: -10 } } }), { instanceOf: ZodError });
  t.throws(() => tonePlanFrom({ country: 'XX', tones: { busy: { segments: [{ freqs: [5000], ms: 100 }], repeat: true, levelDbm0: -10 } } }), {
    instanceOf: ZodError,
  });
});

const expectedCadence: Array<[string, [number, number]]> = [
  ['ringback', [1000, 4000]],
  ['busy', [350, 350]],
  ['congestion', [700, 700]],
  ['call-waiting', [400, 4000]],
];
for (const [name, [onMs, offMs]] of expectedCadence) {
  for (const law of ['PCMA', 'PCMU'] as const) {
    test(`${name} cadence measured from generated ${law} audio is ${onMs}/${offMs} ms`, (t) => {
      const spec = CHINA_TONE_PLAN.tones[name as keyof typeof CHINA_TONE_PLAN.tones];
      const pcm = decode(law, render(spec, law, 3 * cycleMs(spec)));
      const runs = measureCadence(pcm, 450);
      const full = runs.slice(0, -1); // the last run may be cut by the end of the render
      t.true(full.length >= 4, JSON.stringify(runs));
      full.forEach((r, i) => {
        t.is(r.on, i % 2 === 0);
        t.is(r.ms, r.on ? onMs : offMs, `run ${i}`);
      });
    });
  }
}

test('dial tone is continuous across frames with no phase break', (t) => {
  const pcm = decode('PCMA', render(CHINA_TONE_PLAN.tones.dial, 'PCMA', 3000));
  t.deepEqual(measureCadence(pcm, 450), [{ on: true, ms: 3000 }]);
  // A phase break at frame edges would show as energy off 450 Hz; compare 450 vs 430 Hz over 1 s.
  const a = goertzelAmplitude(pcm.subarray(0, 8000), 450);
  const leak = goertzelAmplitude(pcm.subarray(0, 8000), 430);
  t.true(a / leak > 100, `450/430 ratio ${(a / leak).toFixed(1)}`);
});

test('Goertzel level of a generated -10 dBm0 tone reads -10 dBm0 (±0.3 dB) after G.711', (t) => {
  for (const law of ['PCMA', 'PCMU'] as const) {
    const pcm = decode(law, render(CHINA_TONE_PLAN.tones.dial, law, 200));
    const level = toneLevelDbm0(pcm.subarray(0, 1600), 450);
    t.true(Math.abs(level - -10) < 0.3, `${law} ${level.toFixed(2)} dBm0`);
    t.true(toneLevelDbm0(pcm.subarray(0, 1600), 1000) < -40, 'no energy at 1000 Hz');
  }
});

test('a non-repeating tone ends with silence and reports done', (t) => {
  const gen = new ToneGenerator({ segments: [{ freqs: [1000], ms: 30 }], repeat: false, levelDbm0: -10 }, 'PCMU');
  const f1 = decode('PCMU', gen.nextFrame());
  t.false(gen.done);
  const f2 = decode('PCMU', gen.nextFrame());
  t.true(gen.done);
  t.true(f1.some((x) => x !== 0));
  t.true(f2.subarray(0, 80).some((x) => x !== 0) && f2.subarray(80).every((x) => x === 0));
  t.true(decode('PCMU', gen.nextFrame()).every((x) => x === 0));
  gen.reset();
  t.false(gen.done);
});

for (const law of ['PCMA', 'PCMU'] as const) {
  test(`sox stat on a rendered ${law} WAV: dial tone ≈ 450 Hz at -10 dBm0 RMS`, (t) => {
    const file = path.join(dir, `dial-${law}.wav`);
    writeFileSync(file, wavEncode({ encoding: law === 'PCMA' ? 'alaw' : 'ulaw', channels: 1, sampleRate: 8000 }, render(CHINA_TONE_PLAN.tones.dial, law, 2000)));
    const s = soxStat(file);
    t.true(Math.abs((s['Rough   frequency'] ?? 0) - 450) <= 10, `rough frequency ${s['Rough   frequency']}`);
    const expectedRms = peakForDbm0(-10) / Math.SQRT2 / 32768;
    const rms = s['RMS     amplitude'] ?? 0;
    t.true(Math.abs(20 * Math.log10(rms / expectedRms)) < 0.3, `RMS ${rms} vs ${expectedRms.toFixed(4)}`);
  });
}

test('sox stat on a rendered busy tone: 50 % duty cycle halves the power (-3 dB RMS)', (t) => {
  const file = path.join(dir, 'busy.wav');
  writeFileSync(file, wavEncode({ encoding: 'alaw', channels: 1, sampleRate: 8000 }, render(CHINA_TONE_PLAN.tones.busy, 'PCMA', 7000)));
  const s = soxStat(file);
  const expectedRms = peakForDbm0(-10) / 2 / 32768; // sine RMS / √2 for half the time on
  const rms = s['RMS     amplitude'] ?? 0;
  t.true(Math.abs(20 * Math.log10(rms / expectedRms)) < 0.3, `RMS ${rms} vs ${expectedRms.toFixed(4)}`);
  t.true(Math.abs((s['Length (seconds)'] ?? 0) - 7) < 0.001);
});
