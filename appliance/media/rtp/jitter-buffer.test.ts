/**
 * Jitter buffer scenarios with scripted arrivals: the sender emits a 20 ms frame every 20 ms,
 * the network adds per-packet delay (or drops), and the playout clock pops a frame every 20 ms.
 * Frame payloads carry their index so order and gaps can be read from the output.
 */
import test from 'ava';
import { decode, encode } from '../codec/g711.js';
import { JitterBuffer, type PlayoutFrame } from './jitter-buffer.js';

const FRAME = 160;

/** A frame of 400 Hz tone whose first byte is replaced by a marker code for frame `i`. */
function frameFor(i: number): Uint8Array {
  const pcm = new Int16Array(FRAME);
  for (let n = 0; n < FRAME; n++) pcm[n] = Math.round(8000 * Math.sin((2 * Math.PI * 400 * (i * FRAME + n)) / 8000));
  const f = encode('PCMA', pcm);
  f[FRAME - 2] = (i >> 8) & 0xff;
  f[FRAME - 1] = i & 0xff;
  return f;
}
const indexOf = (f: PlayoutFrame): number | null =>
  f.kind === 'audio' ? (((f.payload[FRAME - 2] as number) << 8) | (f.payload[FRAME - 1] as number)) : null;

interface Script {
  frames: number;
  /** Network delay of frame i in ms, or null to lose it. */
  delay: (i: number) => number | null;
  ts0?: number;
  jb?: JitterBuffer;
  ticks?: number;
}

function run(s: Script): { out: PlayoutFrame[]; jb: JitterBuffer; pushes: string[] } {
  const jb = s.jb ?? new JitterBuffer({ law: 'PCMA' });
  const ts0 = s.ts0 ?? 1000;
  const arrivals: Array<{ at: number; i: number }> = [];
  for (let i = 0; i < s.frames; i++) {
    const d = s.delay(i);
    if (d !== null) arrivals.push({ at: i * 20 + d, i });
  }
  arrivals.sort((a, b) => a.at - b.at || a.i - b.i);
  const out: PlayoutFrame[] = [];
  const pushes: string[] = [];
  const ticks = s.ticks ?? s.frames + 30;
  let k = 0;
  // Ticks fall at 10 ms past each 20 ms so same-millisecond ordering never matters.
  for (let tick = 0; tick < ticks; tick++) {
    const now = tick * 20 + 10;
    while (k < arrivals.length && (arrivals[k]?.at ?? Infinity) <= now) {
      const a = arrivals[k++] as { at: number; i: number };
      pushes.push(jb.push((ts0 + a.i * FRAME) >>> 0, frameFor(a.i), a.at));
    }
    out.push(jb.pop());
  }
  return { out, jb, pushes };
}

const played = (out: PlayoutFrame[]): number[] => out.map(indexOf).filter((x): x is number => x !== null);
const kinds = (out: PlayoutFrame[]): string => out.map((f) => f.kind[0]).join('');
/** Concealed frames up to the last audio frame (the stream's end is an underrun, not a loss). */
function concealedInStream(out: PlayoutFrame[]): number {
  let last = -1;
  out.forEach((f, n) => {
    if (f.kind === 'audio') last = n;
  });
  return out.slice(0, last).filter((f) => f.kind === 'concealed').length;
}
const increasing = (xs: number[]): boolean => xs.every((x, n) => n === 0 || x > (xs[n - 1] as number));

test('in-order stream plays every frame once, in order, after the initial delay', (t) => {
  const { out, jb } = run({ frames: 100, delay: () => 5 });
  t.deepEqual(played(out), [...Array(100).keys()]);
  t.is(concealedInStream(out), 0);
  t.is(jb.stats.late, 0);
  const firstAudio = out.findIndex((f) => f.kind === 'audio');
  t.true(firstAudio >= 2 && firstAudio <= 4, `first audio at tick ${firstAudio}`);
  t.is(out[firstAudio]?.timestamp, 1000);
});

test('audio frames pass through bit-exact', (t) => {
  const { out } = run({ frames: 10, delay: () => 0 });
  const audio = out.filter((f) => f.kind === 'audio');
  audio.forEach((f, i) => t.deepEqual(f.payload, frameFor(i)));
});

test('reorder: swapped pairs within the buffer depth come out in order, nothing concealed', (t) => {
  // every even frame is delayed by 25 ms, so it arrives after its odd successor
  const { out, jb } = run({ frames: 60, delay: (i) => (i % 2 === 0 ? 25 : 0) });
  t.deepEqual(played(out), [...Array(60).keys()]);
  t.is(concealedInStream(out), 0);
});

test('duplicates are refused and do not change the output', (t) => {
  const jb = new JitterBuffer({ law: 'PCMA' });
  t.is(jb.push(0, frameFor(0), 0), 'queued');
  t.is(jb.push(0, frameFor(0), 1), 'duplicate');
  t.is(jb.push(160, frameFor(1), 20), 'queued');
  t.is(jb.push(160, frameFor(1), 21), 'duplicate');
  t.is(jb.stats.duplicates, 2);
  t.is(jb.stats.received, 2);
});

test('single loss: exactly one concealed frame, which is not silence', (t) => {
  const { out, jb } = run({ frames: 50, delay: (i) => (i === 20 ? null : 0) });
  t.deepEqual(played(out), [...Array(50).keys()].filter((i) => i !== 20));
  t.is(concealedInStream(out), 1);
  const c = out.find((f) => f.kind === 'concealed') as PlayoutFrame;
  const pcm = decode('PCMA', c.payload);
  const rms = Math.sqrt(pcm.reduce((s, x) => s + x * x, 0) / pcm.length);
  t.true(rms > 3000, `concealment keeps the signal going (rms ${rms.toFixed(0)})`);
  t.is(c.timestamp, 1000 + 20 * FRAME);
});

test('burst loss of 100 ms: 60 ms of fading concealment, then silence, then audio again', (t) => {
  const lost = new Set([30, 31, 32, 33, 34]);
  const { out, jb } = run({ frames: 60, delay: (i) => (lost.has(i) ? null : 0) });
  const gap = out.slice(out.findIndex((f) => indexOf(f) === 29) + 1, out.findIndex((f) => indexOf(f) === 35));
  t.is(kinds(gap), 'cccss');
  const rms = gap.slice(0, 3).map((f) => {
    const pcm = decode('PCMA', f.payload);
    return Math.sqrt(pcm.reduce((s, x) => s + x * x, 0) / pcm.length);
  });
  t.true((rms[0] as number) > (rms[1] as number) && (rms[1] as number) > (rms[2] as number), `fading ${rms.map((r) => r.toFixed(0))}`);
  t.deepEqual(played(out), [...Array(60).keys()].filter((i) => !lost.has(i)));
  t.is(jb.stats.late, 0);
});

test('a packet later than its playout time is dropped as late and concealed', (t) => {
  const { out, jb, pushes } = run({ frames: 40, delay: (i) => (i === 10 ? 200 : 0) });
  t.is(jb.stats.late, 1);
  t.true(pushes.includes('late'));
  t.false(played(out).includes(10));
  t.is(concealedInStream(out), 1);
});

test('jitter spike: the buffer holds instead of skipping, nothing is late, and the target delay grows', (t) => {
  // frames 20..25 are held up to 120 ms then released together (a network stall)
  const stall = (i: number): number => (i >= 20 && i < 26 ? 120 - (i - 20) * 20 : 0);
  const { out, jb } = run({ frames: 80, delay: stall });
  const p = played(out);
  t.true(increasing(p), 'played in order');
  t.is(jb.stats.late, 0);
  t.is(p.length + jb.stats.shrinks, 80, 'every frame played, except frames dropped to shrink the delay');
  t.true(p.slice(0, 30).every((x, n) => x === n), 'no frame of the stall was skipped');
  t.true(jb.stats.underruns > 0);
  // Just after the stall the target is above a clean stream's.
  const spiked = run({ frames: 30, delay: stall, ticks: 30 }).jb;
  const clean = run({ frames: 30, delay: () => 0, ticks: 30 }).jb;
  t.true(spiked.snapshot().jitterMs > 5, `jitter ${spiked.snapshot().jitterMs}`);
  t.true(spiked.targetDelayMs > clean.targetDelayMs, `target ${clean.targetDelayMs} → ${spiked.targetDelayMs} ms`);
});

test('random jitter up to 60 ms: few late packets once adapted, order kept', (t) => {
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const delays = Array.from({ length: 250 }, () => Math.floor(rnd() * 60));
  const { out, jb } = run({ frames: 250, delay: (i) => delays[i] as number });
  const p = played(out);
  t.is(p.length + jb.stats.late + jb.stats.shrinks, 250, 'every frame is played, late, or shrunk away');
  t.true(increasing(p), 'in order');
  t.true(jb.stats.late <= 8, `late ${jb.stats.late}`);
  t.true(jb.targetDelayMs >= 60, `target ${jb.targetDelayMs}`);
});

test('adaptive shrink: after a one-off 300 ms stall the delay comes back down', (t) => {
  const jb = new JitterBuffer({ law: 'PCMA' });
  const { jb: after } = run({ jb, frames: 400, delay: (i) => (i < 50 ? 0 : i < 65 ? 300 - (i - 50) * 20 : 0), ticks: 420 });
  t.true(after.stats.shrinks > 0, 'shrank');
  t.true(after.snapshot().bufferedMs <= after.targetDelayMs + 40, `buffered ${after.snapshot().bufferedMs} target ${after.targetDelayMs}`);
});

test('RTP timestamp wrap at 2^32 plays straight through', (t) => {
  const { out, jb } = run({ frames: 40, delay: () => 0, ts0: 0xffffffff - 10 * FRAME + 1 });
  t.deepEqual(played(out), [...Array(40).keys()]);
  t.is(jb.stats.resyncs, 0);
});

test('a timestamp jump (sender restart) resyncs instead of waiting or dropping', (t) => {
  const jb = new JitterBuffer({ law: 'PCMA' });
  for (let i = 0; i < 10; i++) {
    jb.push(i * FRAME, frameFor(i), i * 20);
    jb.pop();
  }
  t.is(jb.push(5_000_000, frameFor(50), 200), 'resync');
  let frames: PlayoutFrame[] = [];
  for (let i = 1; i < 10; i++) {
    jb.push(5_000_000 + i * FRAME, frameFor(50 + i), 200 + i * 20);
    frames.push(jb.pop());
  }
  frames = frames.filter((f) => f.kind === 'audio');
  t.true(frames.length >= 5);
  t.is(indexOf(frames[0] as PlayoutFrame), 50);
  t.is(jb.stats.resyncs, 1);
});

test('long underrun re-primes; output is silence while nothing arrives', (t) => {
  const jb = new JitterBuffer({ law: 'PCMU' });
  jb.push(0, new Uint8Array(FRAME).fill(0x10), 0);
  const out = Array.from({ length: 40 }, () => jb.pop());
  t.true(out.slice(-10).every((f) => f.kind === 'silence' && f.payload.every((b) => b === 0xff)));
});
