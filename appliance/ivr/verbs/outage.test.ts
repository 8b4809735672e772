import test from 'ava';
import type { OutageNotice } from '../ports.js';
import { FakeOutages, FakeTts, startFlow } from '../testing/fakes.js';
import { checkFlow } from '../validator.js';
import { validationCatalogue } from '../testing/fakes.js';
import { spokenTime } from './outage.js';

// ManualClock starts at 2026-01-05 01:00 UTC = 09:00 in +08:00.
const FEEDER: OutageNotice = {
  id: 'GZ-0031',
  kind: 'unplanned',
  status: 'active',
  cause: '10千伏线路故障',
  start: '2026-01-05T08:20:00+08:00',
  estimatedRestoration: '2026-01-05T11:20:00+08:00',
  affectedCustomers: 3200,
  workOrderId: 'WO-31',
};
const SMALL: OutageNotice = { ...FEEDER, id: 'GZ-0032', cause: '台区变压器故障', affectedCustomers: 180, workOrderId: null };
const PLANNED: OutageNotice = { ...FEEDER, id: 'JH-7', kind: 'planned', status: 'scheduled', cause: '线路检修', start: '2026-01-06T08:00:00+08:00', estimatedRestoration: '2026-01-06T17:00:00+08:00' };

const flow = (node: Record<string, unknown> = {}) => ({
  id: 'outage-test',
  name: 'outage test',
  start: 'check',
  nodes: {
    check: { verb: 'outage', surgeThreshold: 1000, onSurge: 'surge', next: 'menu', ...node },
    menu: { verb: 'hangup', prompt: ['main-menu'] },
    surge: { verb: 'hangup', prompt: ['surge-menu'] },
  },
});

function rig(opts: { node?: Record<string, unknown>; byArea?: Record<string, OutageNotice[]>; delay?: number | 'never' } = {}) {
  let outages: FakeOutages | undefined;
  const tts = new FakeTts();
  const r = startFlow(flow(opts.node), {
    deps: (clock) => {
      outages = new FakeOutages(clock, opts.byArea ?? {}, { '13937100001': { area: '41010501', accountNo: '041000000031', source: 'customer' } });
      outages.delay = opts.delay ?? 0;
      return { outage: outages, tts };
    },
  });
  return { r, tts, outages: () => outages! };
}

test('spoken restoration times are relative to the call: 今天 / 明天 / a date, in Chinese numerals', (t) => {
  const now = Date.UTC(2026, 0, 5, 1, 0);
  t.is(spokenTime('2026-01-05T11:20:00+08:00', now, 'zh'), '今天十一点二十分');
  t.is(spokenTime('2026-01-06T08:00:00+08:00', now, 'zh'), '明天八点整');
  t.is(spokenTime('2026-01-12T17:05:00+08:00', now, 'zh'), '一月十二日十七点零五分');
  t.is(spokenTime('2026-01-06T08:00:00+08:00', now, 'en'), 'tomorrow at 08:00');
});

test('a caller in an outage area hears cause and restoration, presses 1, and a notice request is stored once', async (t) => {
  const { r, tts, outages } = rig({ byArea: { '41010501': [SMALL] } });
  await r.advance(1500); // announcement (1 s per item), then the offer starts
  t.deepEqual(tts.texts, ['您所在区域因台区变压器故障停电，预计今天十一点二十分恢复送电，给您带来不便，敬请谅解。', '如需在恢复送电后通知您，请按1。']);
  await r.press('1');
  await r.advance(3000);
  const res = await r.done;
  t.deepEqual(outages().requests, [{ callId: res.vars.call_id!, caller: '13937100001', outageId: 'GZ-0032', area: '41010501', accountNo: '041000000031' }]);
  t.is(res.vars.outage_notify, 'requested');
  t.is(res.vars.outage_status, 'active');
  t.is(res.vars.surge, '', '180 customers is not a surge');
  t.deepEqual(res.path, ['check', 'menu']);
  t.is(tts.texts[2], '已为您登记，恢复送电后我们将通知您。');
});

test('surge mode: a large outage sends the caller to the short flow; no key declines the notice', async (t) => {
  const { r, outages } = rig({ byArea: { '410105': [FEEDER, SMALL] } });
  await r.advance(1000 + 1000 + 5000 + 2000);
  const res = await r.done;
  t.deepEqual(res.path, ['check', 'surge']);
  t.is(res.vars.surge, '1');
  t.is(res.vars.outage_id, 'GZ-0031', 'the largest outage is announced');
  t.is(res.vars.outage_order, 'WO-31', 'the call carries the outage work order for linking');
  t.is(res.vars.outage_notify, 'declined');
  t.deepEqual(outages().requests, []);
});

test('planned outages are announced only when the node asks for them', async (t) => {
  const quiet = rig({ byArea: { '410105': [PLANNED] } });
  await quiet.r.advance(2000);
  const q = await quiet.r.done;
  t.is(q.vars.outage_status, 'none');
  t.deepEqual(quiet.tts.texts, []);
  const told = rig({ node: { includeScheduled: true, notifyKey: null }, byArea: { '410105': [PLANNED] } });
  await told.r.advance(3000);
  const res = await told.r.done;
  t.deepEqual(told.tts.texts, ['您所在区域因线路检修，计划于明天八点整停电，预计明天十七点整恢复送电。']);
  t.deepEqual(res.path, ['check', 'menu'], 'a scheduled outage never triggers surge mode');
});

test('a GIS slower than timeoutMs is skipped silently: straight to the menu, nothing left running', async (t) => {
  const { r, tts } = rig({ byArea: { '410105': [FEEDER] }, delay: 'never', node: { timeoutMs: 2000 } });
  await r.advance(1999);
  t.deepEqual(r.of('ivr.node.visited').map((e) => e.nodeId), ['check']);
  await r.advance(1500);
  const res = await r.done;
  t.is(res.vars.outage_status, 'failed');
  t.deepEqual(res.path, ['check', 'menu']);
  t.deepEqual(tts.texts, []);
  t.is(r.clock.pendingTimers, 0);
});

test('an explicit area (a collected 区域编码) is checked instead of the caller; unknown callers pass', async (t) => {
  const explicit = rig({ node: { area: '{{called}}' }, byArea: { '95598': [SMALL] } });
  await explicit.r.advance(1000);
  t.is(explicit.tts.texts.length, 1);
  explicit.r.channel.remoteHangup();
  const a = await explicit.r.done;
  t.is(a.outcome, 'abandoned');
  t.is(a.lastNode, 'check');

  const s = startFlow(flow(), { deps: (clock) => ({ outage: new FakeOutages(clock, { '4101': [FEEDER] }, {}), tts: new FakeTts() }) });
  await s.advance(3000);
  const res = await s.done;
  t.is(res.vars.outage_status, 'unknown');
});

test('validator: surge fields go together, branches are checked, templates must name known variables', (t) => {
  const cat = validationCatalogue({ prompts: ['main-menu', 'surge-menu'] });
  t.deepEqual(checkFlow(flow(), cat).problems, []);
  const bad = flow({ onSurge: 'nowhere', announce: '{{outage_cause}} {{mystery}}' });
  t.deepEqual(
    checkFlow(bad, cat).problems.map((p) => [p.node, p.field, p.code]),
    [
      ['check', 'onSurge', 'bad-reference'],
      ['check', 'announce', 'unknown-variable'],
      ['surge', '', 'unreachable'],
    ],
  );
  const half = { ...flow(), nodes: { ...flow().nodes, check: { verb: 'outage', surgeThreshold: 10, next: 'menu' } } };
  t.deepEqual(checkFlow(half, cat).problems.map((p) => [p.node, p.field, p.code]).slice(0, 1), [['check', 'onSurge', 'schema']]);
});
