import test from 'ava';
import { ManualClock } from '../core/testing/manual-clock.js';
import { silentLogger } from '../core/log.js';
import { AgentCallControl, parseTarget, type AgentCalls } from './agent-call-control.js';

test('parseTarget: numbers, agent:<id>, queue:<id>; anything else is refused', (t) => {
  t.deepEqual(parseTarget('1003'), { kind: 'number', number: '1003' });
  t.deepEqual(parseTarget(' +8613800138000 '), { kind: 'number', number: '+8613800138000' });
  t.deepEqual(parseTarget('agent:a-1'), { kind: 'agent', id: 'a-1' });
  t.deepEqual(parseTarget('queue:hotline'), { kind: 'queue', id: 'hotline' });
  for (const bad of ['', 'sip:1003@evil', 'queue:', 'agent:x y', '1003; DROP', 'team:1', '<script>']) t.is(parseTarget(bad), null, bad);
});

test('act: an agent with no live leg, or whose leg is in another call, gets no-call; nothing is dialled', async (t) => {
  const dialled: string[] = [];
  const calls: AgentCalls = {
    extensionOf: (id) => (id === 'ghost' ? null : id),
    activeLegOf: (ext) => (ext === '1002' ? ({ call: { id: 'call-other' }, leg: {} } as unknown as ReturnType<AgentCalls['activeLegOf']>) : null),
    dialExtension: async (_c, ext) => {
      dialled.push(ext);
      return { outcome: 'failed' };
    },
  };
  const cc = new AgentCallControl({ clock: new ManualClock(), log: silentLogger(), bus: { publish: () => ({}) as never }, calls, engine: { play: async () => ({}) as never, createBridge: async () => ({}) as never } });
  t.deepEqual(await cc.act({ agentId: 'ghost', callId: 'call-1', action: 'hold' }), { ok: false, reason: 'no-call' });
  t.deepEqual(await cc.act({ agentId: '1003', callId: 'call-1', action: 'hangup' }), { ok: false, reason: 'no-call' });
  t.deepEqual(await cc.act({ agentId: '1002', callId: 'call-1', action: 'transfer', to: '1003' }), { ok: false, reason: 'no-call' });
  t.deepEqual(dialled, []);
  t.is(cc.stateOf('call-1'), null);
  t.false(cc.keepsCaller({} as never), 'nobody handed over');
});
