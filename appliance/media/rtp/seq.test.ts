import test from 'ava';
import { ReceptionStats } from './seq.js';

test('first packets go through probation (RFC 3550 A.1, MIN_SEQUENTIAL = 2)', (t) => {
  const s = new ReceptionStats();
  t.is(s.update(100, 0, 0), 'probation');
  t.false(s.valid);
  t.is(s.update(101, 160, 20), 'valid');
  t.true(s.valid);
  t.is(s.received, 1);
  t.is(s.expected, 1);
});

test('a non-consecutive packet restarts probation', (t) => {
  const s = new ReceptionStats();
  t.is(s.update(100, 0, 0), 'probation');
  t.is(s.update(105, 0, 0), 'probation');
  t.is(s.update(106, 0, 0), 'valid');
});

test('seq wrap-around at 65535 counts a cycle', (t) => {
  const s = new ReceptionStats({ minSequential: 0 });
  for (const [i, seq] of [65533, 65534, 65535, 0, 1, 2].entries()) t.is(s.update(seq, i * 160, i * 20), 'valid');
  t.is(s.extendedHighestSeq, 65536 + 2);
  t.is(s.expected, 6);
  t.is(s.received, 6);
  t.is(s.cumulativeLost, 0);
  t.is(s.reportBlock(1).extendedHighestSeq, 0x10002);
});

test('wrap-around with probation still counts the cycle', (t) => {
  const s = new ReceptionStats();
  s.update(65534, 0, 0);
  s.update(65535, 160, 20);
  s.update(0, 320, 40);
  s.update(1, 480, 60);
  t.is(s.extendedHighestSeq, 65537);
  t.is(s.expected, 3);
  t.is(s.cumulativeLost, 0);
});

test('a late (reordered) packet across the wrap does not add a cycle', (t) => {
  const s = new ReceptionStats({ minSequential: 0 });
  s.update(65534, 0, 0);
  s.update(0, 320, 40); // 65535 missing for now
  s.update(65535, 160, 45); // arrives late
  t.is(s.extendedHighestSeq, 65536);
  t.is(s.cumulativeLost, 0);
});

test('cumulative loss and fraction lost per interval (A.3)', (t) => {
  const s = new ReceptionStats({ minSequential: 0 });
  // 0..99 with 10, 20, 30, 40 missing: expected 100, received 96
  for (let seq = 0; seq < 100; seq++) if (![10, 20, 30, 40].includes(seq)) s.update(seq, seq * 160, seq * 20);
  t.is(s.expected, 100);
  t.is(s.cumulativeLost, 4);
  t.is(s.takeFractionLost(), Math.floor((4 * 256) / 100));
  // next interval: 100..149 all received
  for (let seq = 100; seq < 150; seq++) s.update(seq, seq * 160, seq * 20);
  t.is(s.takeFractionLost(), 0);
  t.is(s.cumulativeLost, 4);
});

test('duplicates make cumulative loss negative and fraction lost zero', (t) => {
  const s = new ReceptionStats({ minSequential: 0 });
  for (const seq of [0, 1, 2, 2, 3]) s.update(seq, seq * 160, seq * 20);
  t.is(s.cumulativeLost, -1);
  t.is(s.takeFractionLost(), 0);
});

test('a large jump is ignored once and accepted as a restart on the next in sequence', (t) => {
  const s = new ReceptionStats({ minSequential: 0 });
  s.update(10, 0, 0);
  s.update(11, 160, 20);
  t.is(s.update(40000, 0, 40), 'bad-jump');
  t.is(s.update(40001, 160, 60), 'restarted');
  t.is(s.expected, 1);
  t.is(s.update(40002, 320, 80), 'valid');
  t.is(s.expected, 2);
});

test('interarrival jitter matches a hand-worked example (A.8)', (t) => {
  // 20 ms packets (160 units); arrivals 0, 20, 45, 60, 80 ms = 0, 160, 360, 480, 640 units.
  // transit = 0, 0, 40, 0, 0 → |D| = 0, 40, 40, 0
  // J: 0 → 0 → 40/16 = 2.5 → 2.5 + (40 - 2.5)/16 = 4.84375 → 4.84375 × 15/16 = 4.541015625
  const s = new ReceptionStats({ minSequential: 0 });
  const arrivals = [0, 20, 45, 60, 80];
  const expectJ = [0, 0, 2.5, 4.84375, 4.541015625];
  arrivals.forEach((a, i) => {
    s.update(i, i * 160, a);
    t.is(s.jitter, expectJ[i] as number, `after packet ${i}`);
  });
  t.is(s.reportBlock(7).jitter, 4);
  t.true(Math.abs(s.jitterMs - 4.541015625 / 8) < 1e-12);
});

test('jitter is unaffected by RTP timestamp wrap at 2^32', (t) => {
  const s = new ReceptionStats({ minSequential: 0 });
  const base = 0xffffffff - 160 * 2;
  for (let i = 0; i < 6; i++) s.update(i, (base + i * 160) >>> 0, i * 20);
  t.is(s.jitter, 0);
});
