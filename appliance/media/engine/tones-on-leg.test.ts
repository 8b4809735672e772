/**
 * Call-progress tones as a line hears them (issue 4 acceptance: "tone cadences measured from
 * generated audio"). Each tone of the configured plan is played into a TDM leg of a lock-step
 * worker (the same player and generator as the worker thread) and the A-law the line receives
 * is measured without looking at the plan: on/off durations from the signal envelope (5 ms
 * RMS blocks), frequencies from a Goertzel scan of each "on" burst. The measurements are then
 * compared with the plan: the China plan (dial 450 Hz continuous, ringback 1 s / 4 s, busy
 * 0.35 / 0.35 s, congestion 0.7 / 0.7 s, call waiting 0.4 / 4 s) and a configured override
 * with a two-frequency cadence.
 */
import test from 'ava';
import { decode } from '../codec/g711.js';
import { goertzelAmplitude } from '../tones/goertzel.js';
import { CHINA_TONE_PLAN, cycleMs, tonePlanFrom, type ToneSpec } from '../tones/tone-plan.js';
import { LockstepRig } from './testing/lockstep.js';

const BLOCK = 40; // 5 ms

/** Runs of sound / silence from the RMS envelope (threshold -40 dBm0-ish: RMS 300). */
function envelope(pcm: Int16Array): Array<{ on: boolean; ms: number; from: number }> {
  const runs: Array<{ on: boolean; ms: number; from: number }> = [];
  for (let o = 0; o + BLOCK <= pcm.length; o += BLOCK) {
    let e = 0;
    for (let i = o; i < o + BLOCK; i++) e += (pcm[i] as number) ** 2;
    const on = Math.sqrt(e / BLOCK) > 300;
    const last = runs[runs.length - 1];
    if (last && last.on === on) last.ms += 5;
    else runs.push({ on, ms: 5, from: o });
  }
  return runs;
}

/** The `count` strongest frequencies (Hz) in a burst: a 5 Hz scan of 200–3800 Hz, refined to 0.5 Hz. */
function dominantFrequencies(pcm: Int16Array, count: number): number[] {
  const scan: Array<{ f: number; a: number }> = [];
  for (let f = 200; f <= 3800; f += 5) scan.push({ f, a: goertzelAmplitude(pcm, f) });
  const peaks = scan.filter((s, i) => s.a >= (scan[i - 1]?.a ?? 0) && s.a > (scan[i + 1]?.a ?? 0)).sort((x, y) => y.a - x.a);
  return peaks
    .slice(0, count)
    .map((p) => {
      let best = p;
      for (let f = p.f - 5; f <= p.f + 5; f += 0.5) {
        const a = goertzelAmplitude(pcm, f);
        if (a > best.a) best = { f, a };
      }
      return best.f;
    })
    .sort((a, b) => a - b);
}

async function playAndCapture(spec: ToneSpec, ms: number): Promise<Int16Array> {
  const rig = new LockstepRig();
  await rig.line('line');
  await rig.handle({ cmd: 'play.start', playId: 'p', endpointId: 'line', source: { kind: 'tone', spec }, mix: false });
  const frames: Uint8Array[] = [];
  for (let i = 0; i < ms / 20 + 3; i++) frames.push(rig.step().line?.slice() ?? new Uint8Array(160));
  return decode('PCMA', Buffer.concat(frames));
}

/** Measure a cadence from the audio and compare it, segment by segment, with its spec. */
async function checkTone(t: import('ava').ExecutionContext, name: string, spec: ToneSpec): Promise<void> {
  const cycles = 3;
  const pcm = await playAndCapture(spec, cycles * cycleMs(spec));
  const runs = envelope(pcm);
  const firstOn = runs.findIndex((r) => r.on);
  const body = runs.slice(firstOn, -1); // whole runs only: the last may be cut by the capture
  // Expected runs: the spec's segments, adjacent segments of the same kind merged, cycled.
  const one: Array<{ on: boolean; ms: number; freqs: number[] }> = [];
  for (const s of spec.segments) {
    const on = s.freqs.length > 0;
    const last = one[one.length - 1];
    if (last && last.on === on && !on) last.ms += s.ms;
    else one.push({ on, ms: s.ms, freqs: s.freqs });
  }
  if (one.length === 1) {
    t.deepEqual(body.length, 0, `${name}: continuous, no gap`);
    t.true((runs[firstOn]?.ms ?? 0) >= cycles * cycleMs(spec) - 40, `${name}: on for the whole capture`);
  } else {
    t.true(body.length >= 2 * one.length, `${name}: ${body.length} whole runs measured`);
    body.forEach((r, i) => {
      const want = one[i % one.length] as (typeof one)[number];
      t.is(r.on, want.on, `${name} run ${i}`);
      t.true(Math.abs(r.ms - want.ms) <= 5, `${name} run ${i}: measured ${r.ms} ms, plan ${want.ms} ms`);
    });
  }
  // Frequency of every burst: the middle of each "on" run.
  const bursts = firstOn >= 0 ? runs.filter((r) => r.on) : [];
  t.true(bursts.length > 0, `${name}: some tone`);
  for (const [i, r] of bursts.slice(0, 4).entries()) {
    const want = one.find((s) => s.on)?.freqs ?? [];
    const mid = pcm.subarray(r.from + 80, r.from + Math.min(r.ms * 8 - 80, 8 * 300));
    const got = dominantFrequencies(mid, want.length);
    t.is(got.length, want.length);
    got.forEach((f, k) => t.true(Math.abs(f - (want[k] as number)) <= 2, `${name} burst ${i}: ${f} Hz, plan ${want[k]} Hz`));
  }
}

for (const name of ['dial', 'ringback', 'busy', 'congestion', 'call-waiting'] as const) {
  test(`China plan ${name}: cadence and frequency measured on the line match the plan`, async (t) => {
    await checkTone(t, name, CHINA_TONE_PLAN.tones[name]);
  });
}

test('a configured plan: a 400+450 Hz double-burst ringback is measured as configured', async (t) => {
  const plan = tonePlanFrom({
    country: 'GB',
    tones: {
      ringback: {
        segments: [
          { freqs: [400, 450], ms: 400 },
          { freqs: [], ms: 200 },
          { freqs: [400, 450], ms: 400 },
          { freqs: [], ms: 2000 },
        ],
        repeat: true,
        levelDbm0: -13,
      },
    },
  });
  await checkTone(t, 'GB ringback', plan.tones.ringback);
});

test('the measurement can fail: busy measured against the congestion cadence does not match', async (t) => {
  const pcm = await playAndCapture(CHINA_TONE_PLAN.tones.busy, 3000);
  const on = envelope(pcm).filter((r) => r.on);
  t.true(on.length >= 3);
  t.true(on.slice(0, -1).every((r) => Math.abs(r.ms - 350) <= 5));
  t.false(on.slice(0, -1).some((r) => Math.abs(r.ms - (CHINA_TONE_PLAN.tones.congestion.segments[0]?.ms ?? 0)) <= 5));
});
