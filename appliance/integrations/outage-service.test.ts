import test from 'ava';
import { agent, openCustomerRig, resident } from '../customers/testing/fixtures.js';
import { FakeTts, startFlow } from '../ivr/testing/fakes.js';
import { GisLookupAdapter } from './lookup/gis-lookup.js';
import { OutageNotifyStore } from './outage-notify-store.js';
import { OutageService } from './outage-service.js';
import { GisSimulator } from './testing/gis-simulator.js';

const never = new AbortController().signal;

async function rig() {
  const c = openCustomerRig();
  const gisSim = new GisSimulator({ clock: c.clock });
  await gisSim.start();
  gisSim.seed();
  gisSim.put({
    id: 'ZY-0099',
    kind: 'unplanned',
    areaCodes: ['410102'],
    streets: ['建设路'],
    cause: '电缆被外力破坏',
    start: c.clock.now() - 600_000,
    estimatedRestoration: c.clock.now() + 3 * 3_600_000,
    restoredAt: null,
    affectedCustomers: 420,
    workOrderId: 'WO-99',
  });
  const gis = new GisLookupAdapter({ baseUrl: gisSim.url, auth: { kind: 'bearer', token: gisSim.token }, clock: c.clock, cacheTtlMs: 0 });
  const notify = new OutageNotifyStore({ db: c.store.db, clock: c.clock, events: c.bus });
  const outage = new OutageService({ gis, notify, customers: c.svc, areaCodeMap: { '0371': '4101' } });
  return {
    ...c,
    gisSim,
    notify,
    outage,
    done: async () => {
      await gisSim.stop();
      await c.close();
    },
  };
}

test('locate: a known caller by their address area and account; a landline by its area code; a stranger nowhere', async (t) => {
  const r = await rig();
  r.svc.create(resident(), agent); // +86 138 0013 8000, area 41010201, 户号 041000000002
  t.deepEqual(await r.outage.locate('13800138000'), { area: '41010201', accountNo: '041000000002', source: 'customer' });
  t.deepEqual(await r.outage.locate('0371-65551234'), { area: '4101', accountNo: null, source: 'area-code' });
  t.deepEqual(await r.outage.locate('13999999999'), { area: null, accountNo: null, source: 'none' });
  t.deepEqual((await r.outage.outages('41010201', never)).map((o) => o.id), ['ZY-0099']);
  await r.done();
});

test('notify requests: one per caller and outage, event published, pending until marked notified', async (t) => {
  const r = await rig();
  const a = await r.notify.request({ callId: 'c1', caller: '13800138000', outageId: 'ZY-0099', area: '41010201', accountNo: null });
  const b = await r.notify.request({ callId: 'c2', caller: '13800138000', outageId: 'ZY-0099', area: '41010201', accountNo: null });
  t.false(a.duplicate);
  t.deepEqual(b, { requestId: a.requestId, duplicate: true });
  await r.notify.request({ callId: 'c3', caller: '13900000000', outageId: 'ZY-0099', area: '41010201', accountNo: null });
  t.is(r.events.filter((e) => e.type === 'outage.notify.requested').length, 2);
  const pending = await r.notify.pending('ZY-0099');
  t.deepEqual(pending.map((p) => p.caller), ['13800138000', '13900000000']);
  t.is(await r.notify.markNotified([pending[0]!.id]), 1);
  t.deepEqual((await r.notify.pending('ZY-0099')).map((p) => p.caller), ['13900000000']);
  await r.done();
});

test('end to end: the caller\'s customer record → GIS simulator → announcement → press 1 → request in SQLite', async (t) => {
  const r = await rig();
  r.svc.create(resident(), agent);
  const tts = new FakeTts();
  const flow = {
    id: 'e2e',
    name: 'e2e',
    start: 'check',
    nodes: { check: { verb: 'outage', next: 'menu' }, menu: { verb: 'hangup', prompt: ['main-menu'] } },
  };
  const run = startFlow(flow, { deps: () => ({ outage: r.outage, tts }), vars: {} });
  // FakeChannel's caller is 13937100001: give it the resident's number instead through a second customer phone.
  await run.advance(10);
  const end = Date.now() + 3000;
  while (tts.texts.length === 0 && run.of('ivr.node.visited').length < 2 && Date.now() < end) await new Promise((res) => setTimeout(res, 5));
  await run.advance(5000);
  const res = await run.done;
  t.is(res.vars.outage_status, 'unknown', '13937100001 is nobody: nothing announced');

  r.svc.update(r.svc.lookupByPhone('13800138000').matches[0]!.customerId, { version: 1, reason: '来电登记新手机', addPhones: [{ number: '13937100001' }] }, agent);
  const tts2 = new FakeTts();
  const run2 = startFlow(flow, { deps: () => ({ outage: r.outage, tts: tts2 }) });
  const end2 = Date.now() + 3000;
  while (tts2.texts.length === 0 && Date.now() < end2) {
    await run2.advance(1, 1); // let the real HTTP answer arrive without passing the 2.5 s timeout
    await new Promise((res) => setTimeout(res, 2));
  }
  t.is(tts2.texts[0], '您所在区域因电缆被外力破坏停电，预计今天十二点整恢复送电，给您带来不便，敬请谅解。');
  await run2.advance(1500);
  await run2.press('1');
  const end3 = Date.now() + 3000;
  while ((await r.notify.pending('ZY-0099')).length === 0 && Date.now() < end3) await new Promise((res) => setTimeout(res, 5));
  await run2.advance(3000);
  const res2 = await run2.done;
  t.is(res2.vars.outage_notify, 'requested');
  t.is(res2.vars.outage_order, 'WO-99');
  const pending = await r.notify.pending('ZY-0099');
  t.like(pending[0], { caller: '13937100001', area: '41010201', accountNo: '041000000002', callId: res2.vars.call_id });
  await r.done();
});
