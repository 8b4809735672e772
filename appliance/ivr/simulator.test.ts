import test from 'ava';
import { DEFAULT_PROMPTS_ZH, defaultFlow } from './flows/index.js';
import { FakeCalendar } from './testing/fakes.js';
import { simulateFlow } from './simulator.js';
import { sayText } from './say/index.js';
import { parseFlow } from './validator.js';

const START = Date.UTC(2026, 0, 5, 1, 0);
const promptText = (name: string): string | undefined => DEFAULT_PROMPTS_ZH[name] ?? (sayText([name], 'zh').startsWith('<') ? undefined : sayText([name], 'zh'));

test('typed keys walk the 95598 flow: bill query with read-back, confirmed, balance read, then silence ends it', async (t) => {
  const r = await simulateFlow({
    flow: defaultFlow(),
    keys: '1 041000000007 1',
    startAt: START,
    promptText,
    deps: {
      lookups: {
        billing: { lookup: async (_op, p) => (p.account === '041000000007' ? { status: 'found', data: { balance: '95.53', arrears: '0' } } : { status: 'not-found' }) },
      },
      calendar: new FakeCalendar('open'),
    },
  });
  t.deepEqual(
    r.steps.map((s) => s.nodeId),
    ['welcome', 'outage-check', 'main-menu', 'bill-account', 'bill-lookup', 'bill-balance', 'bill-arrears', 'bill-area', 'after-service', 'goodbye'],
  );
  t.is(r.result.outcome, 'hungup');
  t.is(r.result.vars.account, '041000000007', '12 keys fill the 户号 (maxLength ends entry without #)');
  const said = r.transcript.filter((e) => e.kind === 'prompt').map((e) => e.text ?? e.value).join('');
  t.true(said.includes('您的账户余额为九十五元五角三分'), said);
  t.deepEqual(r.transcript.filter((e) => e.kind === 'key').map((e) => e.value), [...'1041000000007', '1']);
});

test('w waits: a menu times out and retries; the simulated queue answers as queued without a real ACD', async (t) => {
  const r = await simulateFlow({ flow: defaultFlow(), keys: 'w 0', startAt: START, deps: { calendar: new FakeCalendar('open') } });
  t.deepEqual(r.steps.map((s) => s.nodeId), ['welcome', 'outage-check', 'main-menu', 'agent-hours', 'agent']);
  t.is(r.result.outcome, 'enqueued');
  t.is(r.result.queue, 'general');
  t.true(r.transcript.some((e) => e.kind === 'prompt' && e.value === 'no-key'), 'the timeout prompt played');
});

test('a lookup slower in real time than the node timeout is still answered: the virtual clock waits for it', async (t) => {
  const slow = {
    lookup: () => new Promise<{ status: 'found'; data: Record<string, unknown> }>((res) => setTimeout(() => res({ status: 'found', data: { cause: '线路检修', estimatedRestoration: '2026-01-05T18:30:00+08:00' } }), 50)),
  };
  const r = await simulateFlow({ flow: defaultFlow(), keys: '2410102#', startAt: START, deps: { lookups: { gis: slow }, calendar: new FakeCalendar('open') } });
  t.true(r.steps.some((s) => s.nodeId === 'outage-announce'));
  t.is(r.result.vars.outage_cause, '线路检修');
});

test('a flow that never ends is cut at maxMs by the simulated caller hanging up; bad scripts are refused', async (t) => {
  const flow = parseFlow({
    id: 'hold',
    name: 'hold',
    start: 'q',
    nodes: { q: { verb: 'lookup', adapter: 'x', op: 'y', next: 'q2', onFail: 'q2', timeoutMs: 1000 }, q2: { verb: 'play', prompts: [{ silenceMs: 10_000 }], next: 'q' } },
  });
  const r = await simulateFlow({ flow, keys: '', startAt: START, maxMs: 60_000 });
  t.is(r.result.outcome, 'abandoned');
  t.true(r.virtualMs >= 60_000);
  await t.throwsAsync(simulateFlow({ flow, keys: '1; DROP TABLE', startAt: START }), { message: /keys/ });
});
