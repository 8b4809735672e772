import test from 'ava';
import { HangupCauses } from '../channel/q850.js';
import type { IvrDeps } from './runner.js';
import {
  FakeCalendar,
  FakeEnqueuer,
  FakeLookup,
  FakeSurveySink,
  FakeTransferer,
  FakeVoicemail,
  settle,
  startFlow,
  type ScriptedAnswer,
} from './testing/fakes.js';

const flow = (nodes: Record<string, unknown>, start = 'm', extra: Record<string, unknown> = {}) => ({ id: 'test', name: 'test', start, nodes, ...extra });
const bye = { verb: 'hangup', prompt: ['goodbye'] };

const MENU = {
  m: {
    verb: 'menu',
    prompt: ['main-menu'],
    options: { '1': 'one', '2': 'two' },
    timeoutMs: 5000,
    retries: 2,
    invalidPrompt: ['invalid'],
    timeoutPrompt: ['no-input'],
    onFail: 'failed',
    onNoInput: 'silent',
  },
  one: { verb: 'play', prompts: ['chose-one'] },
  two: { verb: 'play', prompts: ['chose-two'] },
  failed: { verb: 'hangup', prompt: ['too-many-errors'] },
  silent: { verb: 'hangup', prompt: ['no-input-bye'] },
};

test('menu: no input three times plays the timeout prompt twice, then takes onNoInput', async (t) => {
  const rig = startFlow(flow(MENU));
  await rig.advance(1000 + 5000); // prompt, then the timeout
  t.deepEqual(rig.prompts(), ['main-menu', 'no-input']);
  await rig.advance(1000 + 1000 + 5000); // no-input, main-menu, timeout
  await rig.advance(1000 + 1000 + 5000);
  await rig.advance(1000);
  const r = await rig.done;
  t.deepEqual(rig.prompts(), ['main-menu', 'no-input', 'main-menu', 'no-input', 'main-menu', 'no-input-bye']);
  t.is(r.outcome, 'hungup');
  t.deepEqual(r.path, ['m', 'silent']);
  t.is(rig.channel.hangupInfo?.by, 'local');
  t.is(rig.clock.pendingTimers, 0);
});

test('menu: an invalid key plays the invalid prompt and retries; a valid key then branches', async (t) => {
  const rig = startFlow(flow(MENU));
  await rig.advance(500);
  await rig.press('7'); // barge-in with a key not offered
  t.deepEqual(rig.prompts(), ['main-menu', 'invalid']);
  await rig.advance(1000); // invalid prompt
  await rig.press('2'); // during the repeated menu prompt
  await rig.advance(1000);
  const r = await rig.done;
  t.deepEqual(rig.prompts(), ['main-menu', 'invalid', 'main-menu', 'chose-two']);
  t.deepEqual(r.path, ['m', 'two']);
  t.is(r.outcome, 'ended');
  t.is(r.vars.last_digit, '2');
  t.is(rig.channel.hangupInfo?.cause, HangupCauses.NORMAL_CLEARING, 'a flow that runs out of nodes clears the call');
});

test('menu: invalid keys on every attempt end at onFail, never a loop', async (t) => {
  const rig = startFlow(flow(MENU));
  for (let i = 0; i < 3; i++) {
    await rig.press('9');
    await rig.advance(1000);
  }
  await rig.advance(1000);
  const r = await rig.done;
  t.deepEqual(r.path, ['m', 'failed']);
  t.deepEqual(rig.prompts().filter((p) => p === 'invalid').length, 2);
  t.is(rig.prompts().at(-1), 'too-many-errors');
});

test('type-ahead: a key pressed during a barge-in welcome skips the menu prompt', async (t) => {
  const rig = startFlow(flow({ w: { verb: 'play', prompts: ['welcome'], bargeIn: true, next: 'm' }, ...MENU }, 'w'));
  await rig.advance(300);
  await rig.press('1');
  await rig.advance(1000);
  const r = await rig.done;
  t.deepEqual(rig.prompts(), ['welcome', 'chose-one']);
  t.deepEqual(r.path, ['w', 'm', 'one']);
});

test('keys pressed during a prompt without barge-in are ignored', async (t) => {
  const rig = startFlow(flow({ w: { verb: 'play', prompts: ['notice'], next: 'm' }, ...MENU }, 'w'));
  await rig.advance(300);
  await rig.press('1');
  await rig.advance(700 + 500);
  t.deepEqual(rig.prompts(), ['notice', 'main-menu'], 'the notice played to its end and the key did not skip the menu');
  await rig.press('2');
  await rig.advance(1000);
  t.deepEqual((await rig.done).path, ['w', 'm', 'two']);
});

const COLLECT = {
  c: {
    verb: 'collect',
    var: 'account',
    prompt: ['enter-account'],
    minLength: 4,
    maxLength: 10,
    terminator: '#',
    timeoutMs: 6000,
    interDigitMs: 3000,
    retries: 1,
    invalidPrompt: ['invalid-account'],
    confirm: { prefix: ['you-entered'], question: ['confirm-1-retry-2'] },
    next: 'ok',
    onFail: 'bad',
  },
  ok: { verb: 'say', kind: 'digits', value: '{{account}}', prefix: ['account-is'] },
  bad: bye,
};

test('collect: terminator ends entry, the entry is read back, 1 confirms', async (t) => {
  const rig = startFlow(flow(COLLECT, 'c'));
  await rig.advance(1000);
  await rig.press('31015#');
  t.deepEqual(rig.prompts(), ['enter-account', 'you-entered'], 'the read-back starts at once');
  await rig.advance(7000); // rest of the read-back and the question
  await rig.press('1');
  await rig.advance(10_000);
  const r = await rig.done;
  t.is(r.vars.account, '31015');
  t.deepEqual(r.path, ['c', 'ok']);
  t.deepEqual(rig.prompts(), [
    'enter-account',
    'you-entered', 'digit-3', 'yao', 'digit-0', 'yao', 'digit-5', 'confirm-1-retry-2',
    'account-is', 'digit-3', 'yao', 'digit-0', 'yao', 'digit-5',
  ]);
});

test('collect: 2 at the read-back re-enters; inter-digit timeout ends the second entry', async (t) => {
  const rig = startFlow(flow(COLLECT, 'c'));
  await rig.advance(1000);
  await rig.press('1111#');
  await rig.advance(6000);
  await rig.press('2');
  await rig.advance(1000 + 1000); // invalid prompt, prompt again
  t.deepEqual(rig.prompts().slice(-2), ['invalid-account', 'enter-account']);
  await rig.press('2222');
  await rig.advance(2999);
  t.is(rig.prompts().at(-1), 'enter-account', 'still waiting for more keys');
  await rig.advance(1);
  await rig.advance(6000);
  await rig.press('1');
  await rig.advance(10_000);
  const r = await rig.done;
  t.is(r.vars.account, '2222');
});

test('collect: too short twice goes to onFail', async (t) => {
  const rig = startFlow(flow(COLLECT, 'c'));
  await rig.advance(1000);
  await rig.press('12#');
  await rig.advance(2000);
  await rig.press('#');
  await rig.advance(1000);
  const r = await rig.done;
  t.deepEqual(r.path, ['c', 'bad']);
  t.is(r.vars.account, undefined);
});

test('collect: maxLength ends entry without a terminator', async (t) => {
  const rig = startFlow(flow({ ...COLLECT, c: { ...COLLECT.c, confirm: undefined, maxLength: 4 } }, 'c'));
  await rig.advance(1000);
  await rig.press('4321');
  await rig.advance(5000);
  const r = await rig.done;
  t.is(r.vars.account, '4321');
});

const LOOKUP = (timeoutMs = 3000) => ({
  l: {
    verb: 'lookup',
    adapter: 'billing',
    op: 'balance',
    params: { account: '{{account}}' },
    timeoutMs,
    assign: { balance: 'balance', due: 'bill.due' },
    next: 'say',
    onNotFound: 'nf',
    onFail: 'fallback',
  },
  say: { verb: 'say', kind: 'money', value: '{{balance}}' },
  nf: { verb: 'play', prompts: ['not-found'] },
  fallback: { verb: 'play', prompts: ['system-busy'] },
});

function withBilling(answer: ScriptedAnswer) {
  let lookup: FakeLookup | undefined;
  const deps = (clock: import('../core/testing/manual-clock.js').ManualClock): IvrDeps => {
    lookup = new FakeLookup(clock, () => answer);
    return { lookups: { billing: lookup } };
  };
  return { deps, lookup: () => lookup! };
}

test('lookup: the answer is assigned and read out as money', async (t) => {
  const b = withBilling({ result: { status: 'found', data: { balance: '123.45', bill: { due: '2026-01-20' } } }, delayMs: 800 });
  const rig = startFlow(flow(LOOKUP(), 'l', { vars: { account: '0012345678' } }), { deps: b.deps });
  await rig.advance(20_000);
  const r = await rig.done;
  t.deepEqual(b.lookup().calls.map((c) => c.params), [{ account: '0012345678' }]);
  t.is(r.vars.balance, '123.45');
  t.is(r.vars.due, '2026-01-20');
  t.deepEqual(rig.prompts(), ['digit-1', 'hundred', 'digit-2', 'ten', 'digit-3', 'yuan', 'digit-4', 'jiao', 'digit-5', 'fen']);
});

test('lookup: a back end that never answers times out into the fallback branch and is aborted', async (t) => {
  const b = withBilling('never');
  const rig = startFlow(flow(LOOKUP(3000), 'l', { vars: { account: '1' } }), { deps: b.deps });
  await rig.advance(2999);
  t.deepEqual(rig.of('ivr.node.visited').map((e) => e.nodeId), ['l'], 'still waiting at 2999 ms');
  t.false(b.lookup().calls[0]!.aborted());
  await rig.advance(1);
  await rig.advance(1000);
  const r = await rig.done;
  t.deepEqual(r.path, ['l', 'fallback']);
  t.is(r.vars.lookup_error, 'timeout');
  t.true(b.lookup().calls[0]!.aborted(), 'the adapter call was aborted');
  t.is(rig.clock.pendingTimers, 0);
});

test('lookup: not-found, an error and a bad response each take their branch', async (t) => {
  const cases: Array<[ScriptedAnswer, string, string | undefined]> = [
    [{ result: { status: 'not-found' } }, 'nf', undefined],
    [{ error: new Error('503') }, 'fallback', 'error'],
    [{ result: { status: 'found', data: { balance: '1.00' } } }, 'fallback', 'bad-response'],
    [{ result: { status: 'found', data: { balance: { nested: 1 }, bill: { due: 'x' } } } }, 'fallback', 'bad-response'],
  ];
  for (const [answer, branch, error] of cases) {
    const b = withBilling(answer);
    const rig = startFlow(flow(LOOKUP(), 'l', { vars: { account: '1' } }), { deps: b.deps });
    await rig.advance(5000);
    const r = await rig.done;
    t.deepEqual(r.path, ['l', branch], JSON.stringify(answer));
    t.is(r.vars.lookup_error, error);
  }
});

test('hangup while waiting for a menu key: abandoned at that node, no timers left', async (t) => {
  const rig = startFlow(flow(MENU));
  await rig.advance(1000 + 2000);
  t.true(rig.clock.pendingTimers > 0, 'the menu timeout is pending');
  rig.channel.remoteHangup(HangupCauses.NORMAL_CLEARING);
  const r = await rig.done;
  t.is(r.outcome, 'abandoned');
  t.is(rig.clock.pendingTimers, 0);
  const [ab] = rig.of('ivr.flow.abandoned');
  t.is(ab?.lastNode, 'm');
  t.is(ab?.cause, 16);
  t.is(rig.of('ivr.flow.completed').length, 0);
});

test('hangup during a prompt and during a hung lookup both cancel cleanly', async (t) => {
  const rig1 = startFlow(flow(MENU));
  await rig1.advance(400);
  rig1.channel.remoteHangup(HangupCauses.USER_BUSY);
  t.is((await rig1.done).outcome, 'abandoned');
  t.is(rig1.clock.pendingTimers, 0);
  t.is(rig1.of('ivr.flow.abandoned')[0]?.cause, HangupCauses.USER_BUSY);

  const b = withBilling('never');
  const flowJson = flow({ ...LOOKUP(10_000), l: { ...LOOKUP(10_000).l, holdPrompt: ['please-wait'] } }, 'l', { vars: { account: '1' } });
  const rig2 = startFlow(flowJson, { deps: b.deps });
  await rig2.advance(1500);
  rig2.channel.remoteHangup();
  const r = await rig2.done;
  t.is(r.outcome, 'abandoned');
  t.is(r.lastNode, 'l');
  t.true(b.lookup().calls[0]!.aborted());
  t.is(rig2.clock.pendingTimers, 0);
});

test('cancel() kills the running verb: cancelled, no events for the end, no timers left', async (t) => {
  const rig = startFlow(flow(MENU));
  await rig.advance(1500);
  rig.runner.cancel();
  const r = await rig.done;
  t.is(r.outcome, 'cancelled');
  t.is(rig.clock.pendingTimers, 0);
  t.is(rig.channel.level, 'connected', 'the call stays up for whoever cancelled the IVR');
});

test('every node visit is an event with sequence and origin; completed carries the path and variables', async (t) => {
  const rig = startFlow(
    flow(
      {
        s: { verb: 'set', vars: { greeting: 'hi-{{caller}}' }, next: 'sw' },
        sw: { verb: 'switch', var: 'greeting', cases: { 'hi-13937100001': 'g' }, default: 'x' },
        g: { verb: 'goto', target: 'end' },
        x: bye,
        end: bye,
      },
      's',
    ),
  );
  await rig.advance(2000);
  const r = await rig.done;
  t.deepEqual(
    rig.of('ivr.node.visited').map((e) => [e.seq, e.nodeId, e.verb, e.from]),
    [
      [1, 's', 'set', null],
      [2, 'sw', 'switch', 's'],
      [3, 'g', 'goto', 'sw'],
      [4, 'end', 'hangup', 'g'],
    ],
  );
  const [done] = rig.of('ivr.flow.completed');
  t.is(done?.outcome, 'hungup');
  t.deepEqual(done?.path, ['s', 'sw', 'g', 'end']);
  t.is(done?.vars.greeting, 'hi-13937100001');
  t.is(done?.vars.caller, '13937100001');
  t.is(r.lastNode, 'end');
});

test('enqueue passes priority, skills and the chosen variables; a full queue takes onFail', async (t) => {
  let acd: FakeEnqueuer | undefined;
  const nodes = {
    s: { verb: 'set', vars: { account: '0012', secret: 'x' }, next: 'q' },
    q: { verb: 'enqueue', queue: 'repair', priority: 7, skills: ['fault', 'zh'], vars: ['account', 'caller'], prompt: ['transferring'], onFail: 'full' },
    full: { verb: 'play', prompts: ['queue-full'] },
  };
  const rig = startFlow(flow(nodes, 's'), { deps: () => ({ enqueuer: (acd = new FakeEnqueuer('queued')) }) });
  await rig.advance(2000);
  const r = await rig.done;
  t.is(r.outcome, 'enqueued');
  t.is(r.queue, 'repair');
  t.like(acd!.requests[0], { queue: 'repair', priority: 7, skills: ['fault', 'zh'], vars: { account: '0012', caller: '13937100001' } });
  t.is(rig.channel.level, 'connected', 'the ACD owns the call now');
  t.is(rig.of('ivr.flow.completed')[0]?.queue, 'repair');

  const rig2 = startFlow(flow(nodes, 's'), { deps: () => ({ enqueuer: new FakeEnqueuer('full') }) });
  await rig2.advance(3000);
  const r2 = await rig2.done;
  t.deepEqual(r2.path, ['s', 'q', 'full']);
  t.is(r2.vars.enqueue_error, 'full');
});

test('transfer ends the IVR; a busy destination goes to onFail', async (t) => {
  const nodes = { x: { verb: 'transfer', to: '8{{ext}}', onFail: 'busy' }, busy: bye };
  let tr: FakeTransferer | undefined;
  const rig = startFlow(flow(nodes, 'x', { vars: { ext: '001' } }), { deps: () => ({ transferer: (tr = new FakeTransferer()) }) });
  const r = await rig.done;
  t.is(r.outcome, 'transferred');
  t.is(r.transferredTo, '8001');
  t.is(tr!.requests[0]?.to, '8001');
  const rig2 = startFlow(flow(nodes, 'x', { vars: { ext: '001' } }), { deps: () => ({ transferer: new FakeTransferer('busy') }) });
  await rig2.advance(2000);
  t.deepEqual((await rig2.done).path, ['x', 'busy']);
});

test('calendar branches: open, closed, holiday (falls back to closed when no holiday branch)', async (t) => {
  const nodes = (holiday: boolean) => ({
    c: { verb: 'calendar', calendar: 'hotline', open: 'o', closed: 'cl', ...(holiday ? { holiday: 'h' } : {}) },
    o: { verb: 'play', prompts: ['open'] },
    cl: { verb: 'play', prompts: ['closed'] },
    h: { verb: 'play', prompts: ['holiday'] },
  });
  for (const [state, holiday, want] of [
    ['open', true, 'o'],
    ['closed', true, 'cl'],
    ['holiday', true, 'h'],
    ['holiday', false, 'cl'],
  ] as const) {
    const rig = startFlow(flow(nodes(holiday), 'c'), { deps: () => ({ calendar: new FakeCalendar(state) }) });
    await rig.advance(2000);
    t.deepEqual((await rig.done).path, ['c', want], `${state} ${holiday}`);
  }
});

test('voicemail: a caller hanging up mid-message still leaves a work order with the variables', async (t) => {
  let vm: FakeVoicemail | undefined;
  const nodes = {
    v: { verb: 'voicemail', prompt: ['leave-message'], maxMs: 60_000, minMs: 1500, orderType: 'complaint', thanksPrompt: ['thanks'], next: 'end' },
    end: bye,
  };
  const rig = startFlow(flow(nodes, 'v', { vars: { account: '42' } }), { deps: (clock) => ({ voicemail: (vm = new FakeVoicemail(clock)) }) });
  await rig.advance(1000 + 1000 + 12_000); // prompt, beep, 12 s of message
  rig.channel.remoteHangup();
  const r = await rig.done;
  t.is(r.outcome, 'voicemail');
  t.is(vm!.orders.length, 1);
  t.like(vm!.orders[0], { orderType: 'complaint', caller: '13937100001', vars: { account: '42' } });
  t.true(vm!.orders[0]!.durationMs >= 11_000);
  t.is(r.vars.voicemail_order, 'wo-1');
  t.deepEqual(rig.prompts(), ['leave-message', 'tone:beep']);
  t.is(rig.clock.pendingTimers, 0);
  t.is(rig.of('ivr.flow.abandoned').length, 0, 'leaving a message is not abandoning');
});

test('voicemail: a hangup right at the beep is too short and discarded', async (t) => {
  let vm: FakeVoicemail | undefined;
  const nodes = { v: { verb: 'voicemail', prompt: ['leave-message'], orderType: 'complaint', next: 'end' }, end: bye };
  const rig = startFlow(flow(nodes, 'v'), { deps: (clock) => ({ voicemail: (vm = new FakeVoicemail(clock)) }) });
  await rig.advance(2000 + 500);
  rig.channel.remoteHangup();
  await rig.done;
  t.is(vm!.orders.length, 0);
});

test('survey: 1–5 scores stored; an invalid key is retried; partial answers kept on hangup', async (t) => {
  let sink: FakeSurveySink | undefined;
  const nodes = {
    s: {
      verb: 'survey',
      survey: 'post-call',
      questions: [
        { id: 'overall', prompt: ['q-overall'] },
        { id: 'agent', prompt: ['q-agent'] },
        { id: 'speed', prompt: ['q-speed'] },
      ],
      retries: 1,
      invalidPrompt: ['score-1-to-5'],
      thanksPrompt: ['thanks'],
    },
  };
  const rig = startFlow(flow(nodes, 's'), { deps: () => ({ survey: (sink = new FakeSurveySink()) }) });
  await rig.advance(500);
  await rig.press('5');
  await rig.advance(500);
  await rig.press('8'); // not a score
  await rig.advance(2000);
  await rig.press('4');
  await rig.advance(500);
  rig.channel.remoteHangup();
  const r = await rig.done;
  t.deepEqual(sink!.records, [{ survey: 'post-call', scores: { overall: 5, agent: 4 } }]);
  t.is(r.vars.survey_agent, '4');
  t.is(r.outcome, 'abandoned');
  t.deepEqual(rig.prompts(), ['q-overall', 'q-agent', 'score-1-to-5', 'q-agent', 'q-speed']);
});

test('sub-flow runs the published flow and returns to next', async (t) => {
  const sub = { id: 'ask-account', name: 'ask', start: 'p', nodes: { p: { verb: 'set', vars: { account: '99' }, next: 'r' }, r: { verb: 'return' } } };
  const { parseFlow } = await import('./validator.js');
  const parsed = parseFlow(sub);
  const rig = startFlow(flow({ call: { verb: 'subflow', flow: 'ask-account', next: 'after' }, after: { verb: 'say', kind: 'number', value: '{{account}}' } }, 'call'), {
    deps: () => ({ flows: { published: async (id) => (id === 'ask-account' ? parsed : null) } }),
  });
  await rig.advance(5000);
  const r = await rig.done;
  t.deepEqual(r.path, ['call', 'ask-account:p', 'ask-account:r', 'after']);
  t.deepEqual(rig.prompts(), ['digit-9', 'ten', 'digit-9']);
  t.deepEqual(rig.of('ivr.node.visited').map((e) => e.flowId), ['test', 'ask-account', 'ask-account', 'test']);
});

test('a flow looping without the caller is stopped by the step limit and the call cleared', async (t) => {
  const rig = startFlow(flow({ a: { verb: 'goto', target: 'b' }, b: { verb: 'goto', target: 'a' } }, 'a'), { maxSteps: 50 });
  await settle();
  const r = await rig.done;
  t.is(r.outcome, 'failed');
  t.is(r.error?.kind, 'step-limit');
  t.is(r.path.length, 50);
  t.is(rig.channel.hangupInfo?.cause, HangupCauses.TEMPORARY_FAILURE);
});

test('the runner answers an unanswered channel and runs only once', async (t) => {
  const rig = startFlow(flow({ p: { verb: 'play', prompts: ['hi'] } }, 'p'));
  await settle();
  t.is(rig.channel.level, 'connected');
  await rig.advance(1000);
  await rig.done;
  await t.throwsAsync(rig.runner.run());
});

test('fax-on-demand to a number the caller entered; TTS prompts go through the TTS port', async (t) => {
  const { FakeFax } = await import('./testing/fakes.js');
  let fax: InstanceType<typeof FakeFax> | undefined;
  const rendered: string[] = [];
  const nodes = {
    c: { verb: 'collect', var: 'fax_no', prompt: [{ tts: '请输入传真号码' }], maxLength: 8, next: 'f', onFail: 'end' },
    f: { verb: 'fax', document: 'tariff-2026', to: '{{fax_no}}', prompt: [{ tts: '文件将发送到{{fax_no}}' }], next: 'end', onFail: 'end' },
    end: bye,
  };
  const rig = startFlow(flow(nodes, 'c'), {
    deps: () => ({
      fax: (fax = new FakeFax('queued')),
      tts: {
        render: async (text) => {
          rendered.push(text);
          return { kind: 'file', path: `/tts/${rendered.length}.wav` };
        },
      },
    }),
  });
  await rig.advance(1000);
  await rig.press('63351234');
  await rig.advance(5000);
  const r = await rig.done;
  t.deepEqual(rendered, ['请输入传真号码', '文件将发送到63351234']);
  t.deepEqual(fax!.sent, [{ document: 'tariff-2026', to: { number: '63351234' } }]);
  t.is(r.vars.fax_status, 'queued');
  t.deepEqual(r.path, ['c', 'f', 'end']);
});

test('say: a value the say module refuses is skipped, not read as garbage', async (t) => {
  const rig = startFlow(flow({ s: { verb: 'say', kind: 'money', value: '{{balance}}', prefix: ['balance-is'], next: 'end' }, end: bye }, 's', { vars: { balance: 'n/a' } }));
  await rig.advance(2000);
  const r = await rig.done;
  t.deepEqual(rig.prompts(), ['goodbye']);
  t.deepEqual(r.path, ['s', 'end']);
});
