import test from 'ava';
import { agentsRequired, erlangC } from './erlang-c.js';

// METRICS.md "Erlang C staffing" test vectors.
const close = (a: number, b: number, eps: number): boolean => Math.abs(a - b) <= eps;

test('Erlang C matches METRICS.md vectors for A = 48 (360 calls / 30 min, AHT 240 s)', (t) => {
  const lambda = 360 / 1800;
  const rows = [
    { n: 54, pw: 0.3013, sl15: 0.7929, sl20: 0.8172, asa: 12.05, occ: 0.889 },
    { n: 55, pw: 0.2387, sl15: 0.8459, sl20: 0.8668, asa: 8.18, occ: 0.873 },
    { n: 56, pw: 0.1872, sl15: 0.8865, sl20: null, asa: 5.61, occ: 0.857 },
  ];
  for (const r of rows) {
    const at15 = erlangC(lambda, 240, r.n, 15);
    t.is(at15.load, 48);
    t.true(close(at15.pw, r.pw, 0.00005), `Pw N=${r.n}: ${at15.pw}`);
    t.true(close(at15.serviceLevel, r.sl15, 0.00005), `SL15 N=${r.n}: ${at15.serviceLevel}`);
    if (r.sl20 !== null) t.true(close(erlangC(lambda, 240, r.n, 20).serviceLevel, r.sl20, 0.00005));
    t.true(close(at15.asaSeconds, r.asa, 0.005), `ASA N=${r.n}: ${at15.asaSeconds}`);
    t.true(close(at15.occupancy, r.occ, 0.0005));
  }
});

test('Erlang C matches METRICS.md vectors for A = 5 and picks N = 8 for 80/20', (t) => {
  const lambda = 100 / 3600;
  const n7 = erlangC(lambda, 180, 7, 20);
  t.true(close(n7.pw, 0.3241, 0.00005), String(n7.pw));
  t.true(close(n7.serviceLevel, 0.7404, 0.00005), String(n7.serviceLevel));
  t.true(close(n7.asaSeconds, 29.17, 0.005));
  t.true(close(n7.occupancy, 0.714, 0.0005));
  const req = agentsRequired({ callsPerSecond: lambda, ahtSeconds: 180, targetSeconds: 20, serviceLevel: 0.8 });
  t.is(req.agents, 8);
  t.true(close(req.pw, 0.1673, 0.00005));
  t.true(close(req.serviceLevel, 0.8801, 0.00005));
  t.true(close(req.asaSeconds, 10.04, 0.005));
  t.is(req.scheduled, 8);
  t.is(agentsRequired({ callsPerSecond: lambda, ahtSeconds: 180, targetSeconds: 20, serviceLevel: 0.8, shrinkage: 0.3 }).scheduled, 12);
});

test('Erlang C: N ≤ A never meets a target, and 80/20 at A = 48 needs 54 agents, 80/15 needs 55', (t) => {
  const r = erlangC(0.2, 240, 48, 20);
  t.is(r.pw, 1);
  t.is(r.serviceLevel, 0);
  t.is(agentsRequired({ callsPerSecond: 0.2, ahtSeconds: 240, targetSeconds: 20, serviceLevel: 0.8 }).agents, 54);
  t.is(agentsRequired({ callsPerSecond: 0.2, ahtSeconds: 240, targetSeconds: 15, serviceLevel: 0.8 }).agents, 55);
  t.is(agentsRequired({ callsPerSecond: 0.2, ahtSeconds: 240, targetSeconds: 20, serviceLevel: 0.8, maxOccupancy: 0.86 }).agents, 56);
});
