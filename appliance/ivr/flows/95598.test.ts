import test from 'ava';
import { HangupCauses } from '../../channel/q850.js';
import type { ManualClock } from '../../core/testing/manual-clock.js';
import type { IvrDeps } from '../runner.js';
import { say, sayText } from '../say/index.js';
import { FakeCalendar, FakeEnqueuer, FakeLookup, FakeOutages, FakeTts, FakeVoicemail, startFlow, validationCatalogue, type ScriptedAnswer } from '../testing/fakes.js';
import { checkFlow } from '../validator.js';
import { DEFAULT_FLOW_JSON, DEFAULT_FLOW_NEEDS, DEFAULT_PROMPTS_ZH, promptTextsZh, promptTextZh } from './index.js';

const catalogue = () =>
  validationCatalogue({
    prompts: Object.keys(DEFAULT_PROMPTS_ZH),
    queues: [...DEFAULT_FLOW_NEEDS.queues],
    adapters: [...DEFAULT_FLOW_NEEDS.adapters],
    calendars: [...DEFAULT_FLOW_NEEDS.calendars],
  });

test('the default 95598 flow passes the validator against its own prompt catalogue', (t) => {
  const { flow, problems } = checkFlow(DEFAULT_FLOW_JSON, catalogue());
  t.deepEqual(problems, []);
  t.is(flow?.start, 'welcome');
});

test('every prompt text in the catalogue is used by the flow (no stale recordings)', (t) => {
  const text = JSON.stringify(DEFAULT_FLOW_JSON);
  for (const name of Object.keys(DEFAULT_PROMPTS_ZH)) t.true(text.includes(`"${name}"`), name);
});

test('the validator would catch the default flow without its queues', (t) => {
  const { problems } = checkFlow(DEFAULT_FLOW_JSON, validationCatalogue({ prompts: Object.keys(DEFAULT_PROMPTS_ZH), adapters: ['billing', 'gis', 'installation'], calendars: ['hotline-agents'] }));
  t.deepEqual(
    problems.map((p) => [p.node, p.field, p.code]),
    [
      ['fault-queue', 'queue', 'unknown-queue'],
      ['agent', 'queue', 'unknown-queue'],
    ],
  );
});

interface Ports {
  billing: ScriptedAnswer;
  gis?: ScriptedAnswer;
  calendar?: 'open' | 'closed' | 'holiday';
}

function run(ports: Ports) {
  const acd = new FakeEnqueuer();
  let vm: FakeVoicemail | undefined;
  const deps = (clock: ManualClock): IvrDeps => ({
    lookups: { billing: new FakeLookup(clock, () => ports.billing), gis: new FakeLookup(clock, () => ports.gis ?? { result: { status: 'not-found' } }) },
    enqueuer: acd,
    calendar: new FakeCalendar(ports.calendar ?? 'open'),
    voicemail: (vm = new FakeVoicemail(clock)),
  });
  const rig = startFlow(DEFAULT_FLOW_JSON, { deps });
  return { rig, acd, vm: () => vm! };
}

const spoken = (names: string[]): string => names.map((n) => DEFAULT_PROMPTS_ZH[n] ?? sayText([n], 'zh')).join('');

test('1 电费查询: 户号 by DTMF, read back, confirmed, balance and arrears read from billing', async (t) => {
  const { rig } = run({ billing: { result: { status: 'found', data: { balance: '123.45', arrears: '0' } }, delayMs: 400 } });
  await rig.advance(300);
  await rig.press('1'); // during the welcome: type-ahead skips the menu prompt
  await rig.advance(500);
  await rig.press('0012345678#');
  await rig.advance(15_000); // read-back and question
  await rig.press('1');
  await rig.advance(20_000);
  const said = spoken(rig.prompts());
  t.true(said.includes('您输入的户号是零零幺二三四五六七八'), said);
  t.true(said.includes('您的账户余额为一百二十三元四角五分欠费金额为零元'), said);
  t.deepEqual(rig.of('ivr.node.visited').map((e) => e.nodeId).slice(0, 7), ['welcome', 'outage-check', 'main-menu', 'bill-account', 'bill-lookup', 'bill-balance', 'bill-arrears']);
  await rig.advance(20_000); // no choice after the service menu → goodbye
  const r = await rig.done;
  t.is(r.outcome, 'hungup');
  t.is(r.lastNode, 'goodbye');
  t.is(r.vars.account, '0012345678');
});

test('1 电费查询 with the billing system down: fallback to 系统繁忙 and then the agent queue', async (t) => {
  const { rig, acd } = run({ billing: 'never' });
  await rig.advance(1000);
  await rig.press('1');
  await rig.advance(1000);
  await rig.press('0012345678#');
  await rig.advance(15_000);
  await rig.press('1');
  await rig.advance(3000 + 5000);
  const r = await rig.done;
  t.is(r.outcome, 'enqueued');
  t.is(r.vars.lookup_error, 'timeout');
  t.deepEqual(r.path.slice(-4), ['bill-lookup', 'system-busy', 'agent-hours', 'agent']);
  t.is(acd.requests[0]?.queue, 'general');
  t.is(acd.requests[0]?.vars.account, '0012345678', 'the agent sees the account the caller entered');
});

test('2 停电查询: the area is under an outage, the restoration time is announced', async (t) => {
  const { rig } = run({ billing: 'never', gis: { result: { status: 'found', data: { cause: '线路检修', estimatedRestoration: '2026-01-05T18:30:00+08:00' } } } });
  await rig.advance(1000);
  await rig.press('2');
  await rig.advance(1000);
  await rig.press('410102#');
  await rig.advance(10_000);
  const said = spoken(rig.prompts());
  t.true(said.includes('预计恢复供电时间为十八点三十分'), said);
  t.is(rig.of('ivr.node.visited').map((e) => e.nodeId).at(-1), 'after-service');
  rig.channel.remoteHangup();
  const r = await rig.done;
  t.is(r.outcome, 'abandoned');
  t.is(rig.of('ivr.flow.abandoned')[0]?.lastNode, 'after-service');
  t.is(r.vars.outage_cause, '线路检修');
  t.is(rig.clock.pendingTimers, 0);
});

test('3 故障报修 goes to the repair queue with the caller and service variables', async (t) => {
  const { rig, acd } = run({ billing: 'never' });
  await rig.press('3');
  await rig.advance(2000);
  const r = await rig.done;
  t.is(r.outcome, 'enqueued');
  t.like(acd.requests[0], { queue: 'repair', priority: 7, skills: ['fault'], vars: { caller: '13937100001', service: '95598' } });
});

test('0 人工 outside agent hours: the caller leaves a message that becomes a work order', async (t) => {
  const { rig, vm } = run({ billing: 'never', calendar: 'closed' });
  await rig.press('0');
  await rig.advance(2000 + 30_000);
  rig.channel.remoteHangup(HangupCauses.NORMAL_CLEARING);
  const r = await rig.done;
  t.is(r.outcome, 'voicemail');
  t.is(vm().orders[0]?.orderType, 'voicemail-callback');
});

test('a caller pressing nonsense hears the invalid prompts and reaches an agent, never a loop', async (t) => {
  const { rig, acd } = run({ billing: 'never' });
  for (let i = 0; i < 3; i++) {
    await rig.press('9');
    await rig.advance(1000);
  }
  await rig.advance(2000);
  const r = await rig.done;
  t.is(r.outcome, 'enqueued');
  t.is(acd.requests[0]?.queue, 'general');
  t.is(rig.prompts().filter((p) => p === 'invalid-key').length, 2);
});

test('an outage in the caller\'s area is announced before the menu; a big one switches to the surge menu', async (t) => {
  const outage = {
    id: 'GZ-0031',
    kind: 'unplanned' as const,
    status: 'active' as const,
    cause: '10千伏线路故障',
    start: '2026-01-05T08:20:00+08:00',
    estimatedRestoration: '2026-01-05T11:20:00+08:00',
    affectedCustomers: 3200,
    workOrderId: 'WO-31',
  };
  const tts = new FakeTts();
  const acd = new FakeEnqueuer();
  let outages: FakeOutages | undefined;
  const rig = startFlow(DEFAULT_FLOW_JSON, {
    deps: (clock) => ({
      lookups: {},
      enqueuer: acd,
      calendar: new FakeCalendar('open'),
      tts,
      outage: (outages = new FakeOutages(clock, { '410105': [outage] }, { '13937100001': { area: '41010501', accountNo: '041000000031', source: 'customer' } })),
    }),
  });
  await rig.advance(1000 + 1000); // welcome, announcement
  t.is(tts.texts[0], '您所在区域因10千伏线路故障停电，预计今天十一点二十分恢复送电，给您带来不便，敬请谅解。');
  await rig.advance(500);
  await rig.press('1'); // notify me
  await rig.advance(1500); // confirmation, then the surge menu
  t.is(rig.prompts().at(-1), 'surge-menu');
  await rig.advance(7000); // no key: goodbye, without offering agents
  const r = await rig.done;
  t.deepEqual(r.path, ['welcome', 'outage-check', 'surge-menu', 'goodbye']);
  t.is(outages!.requests[0]?.outageId, 'GZ-0031');
  t.is(r.vars.outage_order, 'WO-31');
  t.deepEqual(acd.requests, []);
});

test('1 电费查询 for an account in an outage area: after the balance, that area\'s outage is announced', async (t) => {
  const outage = {
    id: 'GZ-0032',
    kind: 'unplanned' as const,
    status: 'active' as const,
    cause: '台区变压器故障',
    start: '2026-01-05T08:20:00+08:00',
    estimatedRestoration: '2026-01-05T11:20:00+08:00',
    affectedCustomers: 180,
    workOrderId: 'WO-32',
  };
  const tts = new FakeTts();
  const acd = new FakeEnqueuer();
  let billing: FakeLookup | undefined;
  const rig = startFlow(DEFAULT_FLOW_JSON, {
    deps: (clock) => ({
      lookups: {
        billing: (billing = new FakeLookup(clock, (op) =>
          op === 'area-by-account' ? { result: { status: 'found', data: { areaCode: '41010202' } } } : { result: { status: 'found', data: { balance: '10.00', arrears: '0' } } },
        )),
      },
      enqueuer: acd,
      calendar: new FakeCalendar('open'),
      tts,
      // The caller's own number is not a customer: only the account entered tells the area.
      outage: new FakeOutages(clock, { '41010202': [outage] }),
    }),
  });
  await rig.press('1');
  await rig.advance(500);
  await rig.press('041000000001');
  await rig.advance(15_000);
  await rig.press('1');
  await rig.advance(8000);
  t.deepEqual(billing!.calls.map((c) => c.op), ['balance-by-account', 'area-by-account']);
  t.is(tts.texts[0], '您所在区域因台区变压器故障停电，预计今天十一点二十分恢复送电，给您带来不便，敬请谅解。');
  await rig.advance(6000); // the notify offer passes without a key
  await rig.press('0'); // after-service: agent
  await rig.advance(3000);
  const r = await rig.done;
  t.is(r.outcome, 'enqueued');
  t.deepEqual(r.path.slice(6, 10), ['bill-arrears', 'bill-area', 'bill-outage', 'after-service']);
  t.like(acd.requests[0]?.vars, { account: '041000000001', outage_id: 'GZ-0032', outage_area: '41010202', outage_order: 'WO-32', balance: '10.00' });
});

test('promptTextZh: a balance the say module reads has a TTS text for every piece; the flow’s own prompts come first and no text repeats', (t) => {
  const names = say('money', '135.79', 'zh');
  t.deepEqual(names.map((n) => promptTextZh(n)), ['一', '百', '三', '十', '五', '元', '七', '角', '九', '分']);
  t.is(promptTextZh('balance-is'), DEFAULT_PROMPTS_ZH['balance-is']);
  t.is(promptTextZh('no-such-prompt'), undefined);
  const all = promptTextsZh();
  t.is(new Set(all).size, all.length);
  t.deepEqual(all.slice(0, 2), [DEFAULT_PROMPTS_ZH['welcome-95598'], DEFAULT_PROMPTS_ZH['main-menu']]);
  for (const n of [...names, ...say('time', '18:30', 'zh')]) t.true(all.includes(promptTextZh(n)!), n);
});
