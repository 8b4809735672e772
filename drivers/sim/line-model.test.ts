import test from 'ava';
import { ElasticStore, LineModel, tallyBitErrors } from './line-model.js';
import { Prng } from './prng.js';

test('the PRNG is deterministic per seed and roughly uniform', (t) => {
  const a = new Prng(5);
  const b = new Prng(5);
  const xs = Array.from({ length: 1000 }, () => a.next());
  t.deepEqual(xs, Array.from({ length: 1000 }, () => b.next()));
  t.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => new Prng(6).next()));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  t.true(Math.abs(mean - 0.5) < 0.05);
  t.true(xs.every((x) => x >= 0 && x < 1));
});

test('drop ratio: about the configured share of blocks, the same ones for the same seed', (t) => {
  const run = (): boolean[] => {
    const m = new LineModel({ dropRatio: 0.1, seed: 9 });
    return Array.from({ length: 10_000 }, () => m.dropFrame());
  };
  const drops = run();
  const n = drops.filter(Boolean).length;
  t.true(n > 900 && n < 1100, `${n} of 10000 dropped`);
  t.deepEqual(drops, run());
});

test('corruption changes exactly one byte of a corrupted block', (t) => {
  const m = new LineModel({ corruptRatio: 1, seed: 3 });
  const f = new Uint8Array(160).fill(0x55);
  t.true(m.maybeCorrupt(f));
  t.is(f.filter((b) => b !== 0x55).length, 1);
  t.false(new LineModel({}).maybeCorrupt(f));
});

test('bit error rate: errors per block follow the rate over 2.048 Mbit/s; injected errors are exact', (t) => {
  const m = new LineModel({ bitErrorRate: 1e-5, seed: 11 });
  let n = 0;
  for (let i = 0; i < 500; i++) n += m.nextBlock().errors.length; // 10 s of line
  t.true(n > 160 && n < 250, `${n} errors in 10 s at 1e-5 (expect ≈ 205)`);
  const clean = new LineModel({});
  t.true(clean.clean);
  clean.injectBitErrors(7);
  t.false(clean.clean);
  t.is(clean.nextBlock().errors.length, 7);
  t.is(clean.nextBlock().errors.length, 0);
});

test('tally: FAS errors only in timeslot 0 of FAS frames, CRC-4 per distinct sub-multiframe', (t) => {
  const tally = tallyBitErrors([
    { frame: 0, timeslot: 0, bit: 3 },
    { frame: 1, timeslot: 0, bit: 3 },
    { frame: 2, timeslot: 0, bit: 7 },
    { frame: 3, timeslot: 5, bit: 0 },
    { frame: 8, timeslot: 5, bit: 0 },
  ]);
  t.deepEqual(tally, { bpv: 5, fas: 1, crc4: 2 });
});

test('slips: periodic slips on schedule; the elastic store repeats or deletes one sample', (t) => {
  const m = new LineModel({ slipEveryBlocks: 5, slipKind: 'delete' });
  const kinds = Array.from({ length: 10 }, () => m.nextBlock().slips);
  t.deepEqual(kinds.map((k) => k.length), [0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  t.deepEqual(kinds[4], ['delete']);

  const store = new ElasticStore();
  const block = (start: number): Uint8Array => Uint8Array.from({ length: 160 }, (_, i) => (start + i) & 0xff);
  const stream: number[] = [...store.read(1, block(0))];
  store.slip('repeat');
  stream.push(...store.read(1, block(160)));
  store.slip('repeat');
  store.slip('delete');
  stream.push(...store.read(1, block(320)));
  t.is(store.offset, 1);
  const repeats = stream.filter((v, i) => i > 0 && v === stream[i - 1]).length;
  t.is(repeats, 1);
  t.deepEqual(stream.slice(158, 163), [158, 159, 159, 160, 161]);
});
