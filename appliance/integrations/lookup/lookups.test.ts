import test from 'ava';
import { createLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { BillingSimulator } from '../../customers/testing/billing-simulator.js';
import { GisSimulator } from '../testing/gis-simulator.js';
import { InstallationSimulator } from '../testing/installation-simulator.js';
import { billingLookup } from './billing-lookup.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { GisLookupAdapter } from './gis-lookup.js';
import { UpstreamError } from './http-client.js';
import { installationLookup } from './installation-lookup.js';

const never = new AbortController().signal;
const settle = async (n = 20): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};
/** Wait (real time, bounded) until `cond` holds: the simulators run on real sockets. */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise<void>((r) => setTimeout(r, 2));
  }
}

/** A logger that counts the client's failed-attempt warnings (logged just before a back-off is scheduled). */
function attemptLog() {
  const failed: unknown[] = [];
  const log = createLogger('warn', { write: (line: string) => void (line.includes('upstream attempt failed') && failed.push(line)) });
  return { log, failed };
}

async function billingRig(opts: { retries?: number; breakerThreshold?: number; cacheTtlMs?: number } = {}) {
  const clock = new ManualClock();
  const attempts = attemptLog();
  const sim = new BillingSimulator({ clock });
  await sim.start();
  sim.seed(20, clock.now());
  const adapter = billingLookup({
    baseUrl: sim.url,
    auth: { kind: 'bearer', token: sim.token },
    clock,
    timeoutMs: 1000,
    retries: opts.retries ?? 2,
    backoffMs: 100,
    breakerThreshold: opts.breakerThreshold ?? 5,
    breakerOpenMs: 10_000,
    log: attempts.log,
    ...(opts.cacheTtlMs !== undefined && { cacheTtlMs: opts.cacheTtlMs }),
  });
  return { clock, sim, adapter, failed: attempts.failed };
}

test('circuit breaker: opens at the threshold, refuses until openMs, one half-open trial decides', (t) => {
  const clock = new ManualClock();
  const seen: string[] = [];
  const b = new CircuitBreaker({ clock, failureThreshold: 3, openMs: 5000, onTransition: (f, to) => seen.push(`${f}>${to}`) });
  b.failure();
  b.failure();
  t.true(b.allow());
  b.failure();
  t.is(b.state, 'open');
  t.false(b.allow());
  clock.advance(4999);
  t.false(b.allow());
  clock.advance(1);
  t.true(b.allow()); // the trial
  t.is(b.state, 'half-open');
  t.false(b.allow()); // only one trial at a time
  b.failure();
  t.is(b.state, 'open');
  clock.advance(5000);
  t.true(b.allow());
  b.success();
  t.is(b.state, 'closed');
  t.deepEqual(seen, ['closed>open', 'open>half-open', 'half-open>open', 'open>half-open', 'half-open>closed']);
});

test('billing: balance, arrears and last payment by 户号 from the simulator', async (t) => {
  const { sim, adapter } = await billingRig();
  const r = await adapter.lookup('balance-by-account', { account: '041000000007' }, never);
  t.is(r.status, 'found');
  if (r.status !== 'found') return;
  t.is(r.data.accountNo, '041000000007');
  t.is(r.data.arrears, '0.00'); // 7 % 7 = 0
  t.is(r.data.balance, `${Math.trunc(((7 * 13_579) % 50_000) / 100)}.${String(((7 * 13_579) % 50_000) % 100).padStart(2, '0')}`);
  t.is(r.data.lastPaymentAmount, '300.00');
  t.regex(String(r.data.lastPaymentDate), /^\d{4}-\d{2}-\d{2}$/);
  const arrears = await adapter.lookup('balance-by-account', { account: '041000000003' }, never);
  t.is(arrears.status === 'found' && arrears.data.arrears, '30.00');
  t.deepEqual(await adapter.lookup('balance-by-account', { account: '049999999999' }, never), { status: 'not-found' });
  // junk never goes upstream
  const before = sim.requests;
  t.deepEqual(await adapter.lookup('balance-by-account', { account: '../../etc' }, never), { status: 'not-found' });
  t.is(sim.requests, before);
  await sim.stop();
});

test('billing: account by phone, and a meter reading the simulator receives once despite a retry', async (t) => {
  const { clock, sim, adapter, failed } = await billingRig();
  const r = await adapter.lookup('account-by-phone', { phone: '13937000005' }, never);
  t.is(r.status === 'found' && r.data.account, '041000000005');
  t.is(r.status === 'found' && r.data.areaCode, '41012201');
  sim.failNext(1);
  const p = adapter.lookup('submit-meter-reading', { account: '041000000005', reading: '1234.5', request_id: 'call-1' }, never);
  await until(() => failed.length === 1);
  clock.advance(100); // back-off before the retry
  const m = await p;
  t.is(m.status === 'found' && m.data.readingId, 'MR-call-1');
  await adapter.lookup('submit-meter-reading', { account: '041000000005', reading: '1234.5', request_id: 'call-1' }, never);
  t.deepEqual(sim.meterReadings.map((x) => [x.accountNo, x.reading, x.requestId]), [['041000000005', 1234.5, 'call-1']]);
  t.deepEqual(await adapter.lookup('submit-meter-reading', { account: '041000000005', reading: 'lots' }, never), { status: 'not-found' });
  await sim.stop();
});

test('billing: 503s are retried with back-off on the clock; balances are cached', async (t) => {
  const { clock, sim, adapter, failed } = await billingRig({ retries: 2 });
  sim.failNext(2);
  const p = adapter.lookup('balance-by-account', { account: '041000000001' }, never);
  await until(() => failed.length === 1);
  clock.advance(99);
  await settle();
  t.is(sim.requests, 1, 'no retry before the back-off');
  clock.advance(1);
  await until(() => failed.length === 2);
  clock.advance(199);
  await settle();
  t.is(sim.requests, 2, 'the second back-off is doubled');
  clock.advance(1);
  const r = await p;
  t.is(sim.requests, 3);
  t.is(r.status, 'found');
  await adapter.lookup('balance-by-account', { account: '041000000001' }, never);
  t.is(sim.requests, 3, 'second ask within 30 s comes from the cache');
  clock.advance(30_001);
  await adapter.lookup('balance-by-account', { account: '041000000001' }, never);
  t.is(sim.requests, 4);
  await sim.stop();
});

test('billing: a hung back end times out on the clock; the breaker then fails fast and recovers', async (t) => {
  const { clock, sim, adapter } = await billingRig({ retries: 0, breakerThreshold: 2, cacheTtlMs: 0 });
  sim.hang();
  for (let i = 0; i < 2; i++) {
    const p = adapter.lookup('balance-by-account', { account: '041000000001' }, never);
    await until(() => sim.requests === i + 1);
    clock.advance(1000);
    const err = await t.throwsAsync(p, { instanceOf: UpstreamError });
    t.is(err?.kind, 'timeout');
  }
  t.is(adapter.client.breaker.state, 'open');
  const err = await t.throwsAsync(adapter.lookup('balance-by-account', { account: '041000000001' }, never), { instanceOf: UpstreamError });
  t.is(err?.kind, 'circuit-open');
  t.is(sim.requests, 2, 'nothing sent while open');
  sim.release();
  clock.advance(10_000);
  const ok = await adapter.lookup('balance-by-account', { account: '041000000001' }, never);
  t.is(ok.status, 'found');
  t.is(adapter.client.breaker.state, 'closed');
  await sim.stop();
});

test('billing: the caller aborting stops the request without counting against the breaker', async (t) => {
  const { sim, adapter } = await billingRig({ retries: 2, breakerThreshold: 1, cacheTtlMs: 0 });
  sim.hang();
  const ctl = new AbortController();
  const p = adapter.lookup('balance-by-account', { account: '041000000001' }, ctl.signal);
  await until(() => sim.requests === 1);
  ctl.abort();
  const err = await t.throwsAsync(p, { instanceOf: UpstreamError });
  t.is(err?.kind, 'aborted');
  t.is(adapter.client.breaker.state, 'closed');
  t.is(sim.requests, 1);
  await sim.stop();
});

test('billing: junk and a wrong token are failures, not answers', async (t) => {
  const clock = new ManualClock();
  const sim = new BillingSimulator({ clock, token: 'right' });
  await sim.start();
  sim.seed(2, clock.now());
  const wrong = billingLookup({ baseUrl: sim.url, auth: { kind: 'bearer', token: 'wrong' }, clock, retries: 0 });
  const e1 = await t.throwsAsync(wrong.lookup('balance-by-account', { account: '041000000001' }, never), { instanceOf: UpstreamError });
  t.is(e1?.status, 401);
  const mapped = billingLookup({ baseUrl: sim.url, auth: { kind: 'bearer', token: 'right' }, clock, retries: 0, fieldMap: { 'balance-by-account': { balance: 'noSuchField' } } });
  const e2 = await t.throwsAsync(mapped.lookup('balance-by-account', { account: '041000000001' }, never), { instanceOf: UpstreamError });
  t.is(e2?.kind, 'bad-response');
  await sim.stop();
});

test('gis: outages by area (prefix) and by address, planned within the horizon, restored ones gone', async (t) => {
  const clock = new ManualClock();
  const sim = new GisSimulator({ clock });
  await sim.start();
  sim.seed();
  const gis = new GisLookupAdapter({ baseUrl: sim.url, auth: { kind: 'bearer', token: sim.token }, clock, cacheTtlMs: 0 });
  const r = await gis.lookup('outage-by-area', { area: '41010501' }, never);
  t.is(r.status, 'found');
  if (r.status === 'found') {
    t.is(r.data.id, 'GZ-20260105-0031');
    t.is(r.data.cause, '10千伏线路故障');
    t.is(r.data.kind, 'unplanned');
    t.is(r.data.restoreTime, '11:20'); // ManualClock starts 01:00 UTC = 09:00 +08:00, +2 h 20 min
    t.is(r.data.affectedCustomers, 3200);
  }
  const byAddress = await gis.outages({ address: '郑州市中原路88号' }, never);
  t.deepEqual(byAddress.map((o) => o.id), ['GZ-20260105-0032']);
  const planned = await gis.outages({ area: '4101220105' }, never);
  t.deepEqual(planned.map((o) => [o.id, o.status]), [['JH-20260106-0007', 'scheduled']]);
  t.deepEqual(await gis.lookup('outage-by-area', { area: '41019901' }, never), { status: 'not-found' });
  sim.restore('GZ-20260105-0031');
  t.deepEqual(await gis.outages({ area: '41010501' }, never), []);
  await sim.stop();
});

test('installation: 报装 progress by application number', async (t) => {
  const clock = new ManualClock();
  const sim = new InstallationSimulator({ clock });
  await sim.start();
  sim.seed(10);
  const inst = installationLookup({ baseUrl: sim.url, auth: { kind: 'bearer', token: sim.token }, clock, cacheTtlMs: 0 });
  const r = await inst.lookup('application-status', { application: '2026010003' }, never);
  t.is(r.status === 'found' && r.data.stage, '供电方案答复');
  t.is(r.status === 'found' && r.data.stageNo, 3);
  sim.advance('2026010003');
  const r2 = await inst.lookup('application-status', { application: '2026010003' }, never);
  t.is(r2.status === 'found' && r2.data.stage, '工程设计');
  t.deepEqual(await inst.lookup('application-status', { application: '2099019999' }, never), { status: 'not-found' });
  sim.server.malformNext(1);
  const e = await t.throwsAsync(inst.lookup('application-status', { application: '2026010001' }, never), { instanceOf: UpstreamError });
  t.is(e?.kind, 'bad-response');
  await sim.stop();
});
