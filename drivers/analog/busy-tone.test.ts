import test from 'ava';
import { BusyToneDetector } from './busy-tone.js';

/** 20 ms blocks of `freq` Hz (0 = silence) following a schedule of [freq, ms] segments. */
function* blocks(schedule: ReadonlyArray<readonly [number, number]>): Generator<Int16Array> {
  let n = 0;
  for (const [freq, ms] of schedule) {
    for (let b = 0; b < ms / 20; b++) {
      const pcm = new Int16Array(160);
      for (let i = 0; i < 160; i++, n++) pcm[i] = freq ? Math.round(6000 * Math.sin((2 * Math.PI * freq * n) / 8000)) : 0;
      yield pcm;
    }
  }
}

function run(schedule: ReadonlyArray<readonly [number, number]>): number | null {
  let at: number | null = null;
  let ms = 0;
  const det = new BusyToneDetector(() => (at ??= ms));
  for (const pcm of blocks(schedule)) {
    ms += 20;
    det.push(pcm);
  }
  return at;
}

test('China busy tone (450 Hz 0.35 s on / 0.35 s off) is recognised at the end of its second burst', (t) => {
  const at = run([[450, 360], [0, 340], [450, 360], [0, 340], [450, 360]]);
  t.is(at, 1080);
});

test('dial tone (continuous 450 Hz), ringback (450 Hz 1 s on / 4 s off), another frequency and silence are not busy tone', (t) => {
  t.is(run([[450, 5000]]), null);
  t.is(run([[450, 1000], [0, 4000], [450, 1000], [0, 4000]]), null);
  t.is(run([[1000, 360], [0, 340], [1000, 360], [0, 340], [1000, 360]]), null);
  t.is(run([[0, 3000]]), null);
  // A slower 0.7 s / 0.7 s cadence is outside the tolerance.
  t.is(run([[450, 700], [0, 700], [450, 700], [0, 700]]), null);
});
