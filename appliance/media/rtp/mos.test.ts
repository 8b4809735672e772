import test from 'ava';
import { delayImpairment, equipmentImpairment, estimateQuality, mosFromR } from './mos.js';

const near = (a: number, b: number, eps = 0.01): boolean => Math.abs(a - b) <= eps;

test('G.107 Annex B mapping: R = 93.2 gives MOS 4.41, limits clamp', (t) => {
  t.true(near(mosFromR(93.2), 4.41), String(mosFromR(93.2)));
  t.true(near(mosFromR(50), 2.58), String(mosFromR(50)));
  t.is(mosFromR(-5), 1);
  t.is(mosFromR(120), 4.5);
});

test('delay impairment is linear up to 177.3 ms and steeper after', (t) => {
  t.true(near(delayImpairment(100), 2.4));
  t.true(near(delayImpairment(277.3), 0.024 * 277.3 + 11));
});

test('G.711 with PLC: 1 % random loss costs about 3.6 R points (Ie,eff)', (t) => {
  // (95 × 1) / (1 + 25.1) = 3.64
  t.true(near(equipmentImpairment(1), 95 / 26.1));
  t.true(equipmentImpairment(1, false) > equipmentImpairment(1, true));
  t.is(equipmentImpairment(0), 0);
});

test('a clean LAN call scores about 4.4', (t) => {
  const q = estimateQuality({ latencyMs: 1, jitterMs: 1, lossPercent: 0 });
  // d = 1 + (2 + 20) + 20 = 43 ms → Id = 1.03 → R = 92.17
  t.is(q.delayMs, 43);
  t.true(near(q.r, 93.2 - 0.024 * 43));
  t.true(q.mos > 4.3 && q.mos < 4.42, String(q.mos));
});

test('quality falls with loss, jitter and latency', (t) => {
  const base = estimateQuality({ latencyMs: 20, jitterMs: 5, lossPercent: 0 }).mos;
  const lossy = estimateQuality({ latencyMs: 20, jitterMs: 5, lossPercent: 5 }).mos;
  const jittery = estimateQuality({ latencyMs: 20, jitterMs: 60, lossPercent: 0 }).mos;
  const far = estimateQuality({ latencyMs: 300, jitterMs: 5, lossPercent: 0 }).mos;
  t.true(lossy < base && jittery < base && far < base);
  // 5 % loss with PLC: Ie,eff = 475 / 30.1 = 15.8 → MOS well under 4
  t.true(lossy < 3.9, String(lossy));
});
