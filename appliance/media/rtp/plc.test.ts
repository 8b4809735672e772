import test from 'ava';
import { decode, encode } from '../codec/g711.js';
import { G711Concealer } from './plc.js';

const sine = (f: number, start: number, n: number, amp = 10000): Int16Array =>
  Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * f * (start + i)) / 8000)));
const rms = (x: Int16Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

test('conceals a voiced (periodic) signal by continuing its period for the first 10 ms', (t) => {
  const plc = new G711Concealer('PCMA');
  for (let f = 0; f < 4; f++) plc.good(encode('PCMA', sine(200, f * 160, 160)));
  const out = new Int16Array(160);
  plc.conceal(out);
  const truth = decode('PCMA', encode('PCMA', sine(200, 640, 160)));
  let err = 0;
  for (let i = 0; i < 80; i++) err += ((out[i] as number) - (truth[i] as number)) ** 2;
  const snr = 10 * Math.log10((rms(truth) ** 2 * 80) / Math.max(1, err));
  t.true(snr > 20, `SNR of the first 10 ms ${snr.toFixed(1)} dB`);
});

test('fades 20 % per 10 ms after the first 10 ms and is silent after 60 ms', (t) => {
  const plc = new G711Concealer('PCMA');
  for (let f = 0; f < 4; f++) plc.good(encode('PCMA', sine(250, f * 160, 160)));
  const frames = Array.from({ length: 4 }, () => {
    const o = new Int16Array(160);
    plc.conceal(o);
    return o;
  });
  const r = frames.map(rms);
  t.true((r[0] as number) > (r[1] as number) && (r[1] as number) > (r[2] as number), r.join(','));
  t.is(r[3], 0);
  t.true(plc.exhausted);
});

test('the first good frame after an erasure is blended, not clicked in', (t) => {
  const plc = new G711Concealer('PCMA');
  for (let f = 0; f < 4; f++) plc.good(encode('PCMA', sine(200, f * 160, 160)));
  plc.conceal(new Int16Array(160));
  const next = encode('PCMA', sine(200, 805, 160).map((x) => -x)); // phase-inverted: worst case for a click
  const before = next.slice();
  t.true(plc.good(next));
  t.notDeepEqual(next.subarray(0, 32), before.subarray(0, 32));
  t.deepEqual(next.subarray(32), before.subarray(32), 'only the first 4 ms change');
  t.false(plc.good(next), 'a frame after a good frame is untouched');
});

test('conceals with silence when there is no history', (t) => {
  const plc = new G711Concealer('PCMA');
  const o = new Int16Array(160).fill(5);
  plc.conceal(o);
  t.true(o.every((x) => x === 0));
});
