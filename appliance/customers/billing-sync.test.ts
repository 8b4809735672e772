import test from 'ava';
import { HttpBillingAdapter } from './billing-port.js';
import { BillingSync } from './billing-sync.js';
import { BillingSimulator } from './testing/billing-simulator.js';
import { agent, openCustomerRig } from './testing/fixtures.js';
import { silentLogger } from '../core/log.js';

const MIN = 60_000;

async function rig(pageSize = 40) {
  const c = openCustomerRig();
  const sim = new BillingSimulator();
  await sim.start();
  const port = new HttpBillingAdapter({ baseUrl: sim.url, token: sim.token, clock: c.clock });
  const sync = new BillingSync({ port, customers: c.svc, clock: c.clock, bus: c.bus, log: silentLogger(), intervalMs: 15 * MIN, pageSize });
  return {
    ...c,
    sim,
    sync,
    done: async () => {
      await sync.stop();
      await sim.stop();
      await c.close();
    },
  };
}

test('first sync pulls every customer page by page; the next pulls only changes', async (t) => {
  const r = await rig();
  r.sim.seed(100, r.clock.now());
  const first = await r.sync.runOnce();
  t.is(first.error, null);
  t.is(first.created, 100);
  t.is(first.pages, 3);
  t.is(r.store.sqlite.prepare('SELECT count(*) AS n FROM customers').pluck().get(), 100);
  const c50 = r.svc.findByAccount('041000000050');
  t.is(c50.tier, 'critical'); // every 50th is a critical load in the simulator
  t.is(r.svc.lookupByPhone('13937000050').matches[0]?.customerId, c50.id);
  t.deepEqual(r.svc.customersInArea(c50.addresses[0]!.areaCode).includes(c50.id), true);

  r.sim.change('C000007', { name: '孙伟（已过户）', vip: true }, r.clock.now());
  const before = r.sim.requests;
  const second = await r.sync.runOnce();
  t.is(second.updated, 1);
  t.is(second.created, 0);
  t.is(r.sim.requests - before, 1);
  const c7 = r.svc.findByAccount('041000000007');
  t.is(c7.name, '孙伟（已过户）');
  t.is(c7.tier, 'vip');
  t.true(r.events.some((e) => e.type === 'customer.sync.completed'));
  await r.done();
});

test('hotline corrections survive syncs until billing agrees, then are confirmed', async (t) => {
  const r = await rig();
  r.sim.seed(3, r.clock.now());
  await r.sync.runOnce();
  const c = r.svc.findByAccount('041000000002');
  r.svc.update(c.id, { version: c.version, reason: '客户来电：换了手机号', addPhones: [{ number: '13512345678', label: '新手机' }], name: '张秀英' }, agent);

  // Billing changes something else: the corrected name and the new phone stay.
  r.sim.change('C000002', { attributes: { monthlyKwh: 999 } }, r.clock.now());
  const s1 = await r.sync.runOnce();
  t.is(s1.keptCorrections, 2);
  let now = r.svc.get(c.id);
  t.is(now.name, '张秀英');
  t.is(now.attributes['monthlyKwh'], 999);
  t.is(r.svc.lookupByPhone('13512345678').matches[0]?.customerId, c.id);
  t.deepEqual(r.svc.corrections({ customerId: c.id }).map((x) => x.status), ['pending', 'pending']);

  // The billing department applied the export: billing now agrees, corrections are confirmed.
  const rec = r.sim.get('C000002');
  r.sim.change('C000002', { name: '张秀英', phones: [...rec.phones, '135-1234-5678'] }, r.clock.now());
  const s2 = await r.sync.runOnce();
  t.is(s2.confirmedCorrections, 2);
  t.deepEqual(r.svc.corrections({ customerId: c.id }).map((x) => x.status), ['confirmed', 'confirmed']);

  // With nothing pending, billing wins again.
  r.sim.change('C000002', { name: '张秀英（户主）' }, r.clock.now());
  await r.sync.runOnce();
  now = r.svc.get(c.id);
  t.is(now.name, '张秀英（户主）');
  await r.done();
});

test('a malformed record is reported and skipped; a failing billing system keeps the cursor', async (t) => {
  const r = await rig(10);
  r.sim.seed(5, r.clock.now());
  r.sim.putRaw('BROKEN', { customerNo: 'C999999', name: '', kind: 'alien', updatedAt: -1 });
  const s = await r.sync.runOnce();
  t.is(s.created, 5);
  t.is(s.rejected.length, 1);
  t.is(s.rejected[0]?.customerNo, 'C999999');
  t.deepEqual(s.rejected[0]?.issues.map((i) => i.path).sort(), ['kind', 'name', 'updatedAt']);
  const cursor = s.cursor;

  r.sim.change('C000001', { name: '王伟' }, r.clock.now());
  r.sim.failNext(1);
  const failed = await r.sync.runOnce();
  t.regex(failed.error ?? '', /503/);
  t.is(r.svc.cs.syncState('billing')?.cursor, cursor);
  t.regex(r.svc.cs.syncState('billing')?.last_error ?? '', /503/);
  t.true(r.events.some((e) => e.type === 'customer.sync.failed'));
  const again = await r.sync.runOnce();
  t.is(again.updated, 1);
  t.is(r.svc.findByAccount('041000000001').name, '王伟');
  await r.done();
});

test('the schedule runs on the Clock', async (t) => {
  const r = await rig();
  r.sim.seed(2, r.clock.now());
  r.sync.start();
  t.is(r.sim.requests, 0);
  await r.clock.advanceAsync(15 * MIN - 1);
  t.is(r.sim.requests, 0);
  r.clock.advance(1);
  await waitFor(() => r.store.sqlite.prepare('SELECT count(*) AS n FROM customers').pluck().get() === 2);
  t.is(r.sim.requests, 1);
  // The next run is scheduled only after this one finished.
  await waitFor(() => r.clock.pendingTimers === 1);
  r.sim.change('C000001', { name: '王芳' }, r.clock.now());
  r.clock.advance(15 * MIN);
  await waitFor(() => r.svc.findByAccount('041000000001').name === '王芳');
  t.pass();
  await r.done();
});

/** Let real HTTP I/O finish (no clock time passes). */
async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((res) => setImmediate(res));
  for (let i = 0; i < 100 && !cond(); i++) await new Promise((res) => setTimeout(res, 5));
  if (!cond()) throw new Error('condition not reached');
}
