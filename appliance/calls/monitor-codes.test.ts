import test from 'ava';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { DEFAULT_FEATURE_CODES, FeatureCodes } from './feature-codes.js';
import { DEFAULT_MONITOR_CODES, matchMonitorCode, MonitorCodes, PhoneCodes, validatePhoneCodes, type MonitorAudit } from './monitor-codes.js';
import type { Monitor, MonitorMode, MonitorSession } from './monitor.js';

/** A Monitor double: records attaches and mode switches; a session ends when its leg hangs up. */
class FakeMonitor implements Pick<Monitor, 'attach' | 'setMode' | 'get'> {
  readonly sessions = new Map<string, MonitorSession>();
  readonly modes: MonitorMode[] = [];
  fail: Error | null = null;

  async attach(o: { supervisor: string; agentId: string; mode: MonitorMode; leg: FakeChannel | import('../channel/channel.js').Channel }): Promise<MonitorSession> {
    if (this.fail) throw this.fail;
    const s: MonitorSession = {
      id: `mon-${this.sessions.size + 1}`,
      supervisor: o.supervisor,
      agentId: o.agentId,
      agentExtension: o.agentId,
      callId: 'call-1',
      mode: o.mode,
      state: 'active',
      startedAt: 0,
      answeredAt: 0,
      endedAt: null,
      endReason: null,
    };
    this.sessions.set(s.id, s);
    await o.leg.answer();
    o.leg.on('hangup', () => Object.assign(s, { state: 'ended', endReason: 'supervisor-hung-up' }));
    return { ...s };
  }

  async setMode(id: string, mode: MonitorMode): Promise<MonitorSession> {
    const s = this.sessions.get(id)!;
    s.mode = mode;
    this.modes.push(mode);
    return { ...s };
  }

  get(id: string): MonitorSession {
    return { ...this.sessions.get(id)! };
  }
}

function rig(o: { permitted?: readonly string[] } = {}) {
  const clock = new ManualClock();
  const monitor = new FakeMonitor();
  const audit: Array<Parameters<MonitorAudit['record']>[0]> = [];
  const asked: string[] = [];
  const codes = new MonitorCodes(DEFAULT_MONITOR_CODES, {
    log: silentLogger(),
    monitor,
    audit: { record: async (i) => void audit.push(i) },
    permission: {
      mayMonitor: async (ext) => {
        asked.push(ext);
        return (o.permitted ?? ['1004']).includes(ext);
      },
    },
    agentForExtension: (ext) => (['1002', '1003'].includes(ext) ? ext : null),
  });
  const leg = (called: string): FakeChannel => new FakeChannel({ clock, caller: '1004', called, playMs: 10 });
  /** Let promise continuations and the tones (10 ms items, silences of their own length) run. */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(100);
    }
  };
  return { clock, monitor, audit, asked, codes, leg, settle };
}

test('*90 / *91 / *92 followed by an extension match listen / whisper / barge; anything else does not', (t) => {
  t.deepEqual(matchMonitorCode(DEFAULT_MONITOR_CODES, '*901002'), { kind: 'monitor', mode: 'listen', agentExtension: '1002' });
  t.deepEqual(matchMonitorCode(DEFAULT_MONITOR_CODES, '*911002'), { kind: 'monitor', mode: 'whisper', agentExtension: '1002' });
  t.deepEqual(matchMonitorCode(DEFAULT_MONITOR_CODES, '*92300'), { kind: 'monitor', mode: 'barge', agentExtension: '300' });
  t.is(matchMonitorCode(DEFAULT_MONITOR_CODES, '*90'), null, 'no agent');
  t.is(matchMonitorCode(DEFAULT_MONITOR_CODES, '*90ab'), null);
  t.is(matchMonitorCode(DEFAULT_MONITOR_CODES, '*931002'), null);
  t.is(matchMonitorCode(DEFAULT_MONITOR_CODES, '901002'), null);
});

test('agent and monitoring codes together must be distinct and prefix-free', (t) => {
  t.deepEqual(validatePhoneCodes(DEFAULT_FEATURE_CODES, DEFAULT_MONITOR_CODES), []);
  const clash = validatePhoneCodes(DEFAULT_FEATURE_CODES, { ...DEFAULT_MONITOR_CODES, listen: '*2' });
  t.true(clash.some((i) => i.path === 'acd.featureCodes.login' && /prefix/.test(i.message)), JSON.stringify(clash));
  const same = validatePhoneCodes(DEFAULT_FEATURE_CODES, { ...DEFAULT_MONITOR_CODES, barge: '*21' });
  t.true(same.some((i) => /same code/.test(i.message)));
  t.true(validatePhoneCodes(DEFAULT_FEATURE_CODES, { ...DEFAULT_MONITOR_CODES, whisper: 'x1' }).some((i) => i.path === 'acd.monitorCodes.whisper'));
});

test('a permitted supervisor is tapped in with the dialled mode, switches mode by DTMF 4/5/6, and every step is audited', async (t) => {
  const r = rig();
  const ch = r.leg('*911002');
  const done = r.codes.handle(r.codes.match('*911002')!, ch, '1004');
  await r.settle();
  t.is(ch.level, 'connected');
  t.deepEqual(r.asked, ['1004']);
  const s = [...r.monitor.sessions.values()][0]!;
  t.like(s, { supervisor: '1004', agentId: '1002', mode: 'whisper' });
  ch.press('6');
  await r.settle();
  ch.press('6'); // already barging: no switch, no audit
  ch.press('9'); // not a mode digit
  ch.press('4');
  await r.settle();
  t.deepEqual(r.monitor.modes, ['barge', 'listen']);
  ch.remoteHangup();
  const result = await done;
  t.like(result, { outcome: 'monitored' });
  t.deepEqual(
    r.audit.map((a) => [a.action, a.actor]),
    [
      ['acd-monitor.started', 'phone:1004'],
      ['acd-monitor.mode-changed', 'phone:1004'],
      ['acd-monitor.mode-changed', 'phone:1004'],
      ['acd-monitor.ended', 'phone:1004'],
    ],
  );
  t.like(r.audit[0]!.after, { agentId: '1002', mode: 'whisper', via: 'feature-code' });
  t.deepEqual(r.audit[1]!.after, { mode: 'barge', via: 'dtmf' });
  t.deepEqual(r.audit[3]!.after, { why: 'supervisor-hung-up' });
});

test('least privilege: an extension without the monitor permission hears congestion, is never tapped in, and the refusal is audited', async (t) => {
  const r = rig({ permitted: [] });
  const ch = r.leg('*901002');
  const done = r.codes.handle(r.codes.match('*901002')!, ch, '1003');
  await r.settle();
  t.like(await done, { outcome: 'refused', why: 'not-permitted' });
  t.is(r.monitor.sessions.size, 0);
  t.is(ch.level, 'terminated');
  t.true(ch.played.some((p) => p.kind === 'tone' && p.tone === 'congestion'));
  t.deepEqual(r.audit, [{ actor: 'phone:1003', action: 'acd-monitor.refused', target: '1002', after: { supervisor: '1003', mode: 'listen', why: 'not-permitted' } }]);
});

test('refusals: not an agent, the agent is on no call, the supervisor is the agent; a failing permission check refuses', async (t) => {
  const cases: Array<[string, Error | null, string]> = [
    ['*909999', null, 'not-an-agent'],
    ['*901002', new NotFoundError('call of agent', '1002'), 'no-call'],
    ['*901002', new ConflictError('own call'), 'own-call'],
  ];
  for (const [dialled, fail, why] of cases) {
    const r = rig();
    r.monitor.fail = fail;
    const done = r.codes.handle(r.codes.match(dialled)!, r.leg(dialled), '1004');
    await r.settle();
    t.like(await done, { outcome: 'refused', why }, dialled);
    t.is(r.audit[0]?.action, 'acd-monitor.refused');
  }
  const r = rig();
  const broken = new MonitorCodes(DEFAULT_MONITOR_CODES, {
    log: silentLogger(),
    monitor: r.monitor,
    audit: { record: async () => undefined },
    permission: { mayMonitor: async () => Promise.reject(new Error('db gone')) },
    agentForExtension: (x) => x,
  });
  const done = broken.handle(broken.match('*901002')!, r.leg('*901002'), '1004');
  await r.settle();
  t.like(await done, { outcome: 'refused', why: 'not-permitted' });
});

test('PhoneCodes: agent status codes and monitoring codes behind one service', async (t) => {
  const r = rig();
  const statuses: string[] = [];
  const agent = new FeatureCodes(DEFAULT_FEATURE_CODES, {
    log: silentLogger(),
    agents: { agentForExtension: (x) => x, statusOf: () => 'logged-out', setStatus: (_id, to) => void statuses.push(to) },
  });
  const phone = new PhoneCodes(agent, r.codes);
  t.like(phone.match('*21'), { kind: 'agent', action: 'login' });
  t.like(phone.match('*2307'), { kind: 'agent', action: 'break', arg: '07' });
  t.like(phone.match('*921003'), { kind: 'monitor', mode: 'barge', agentExtension: '1003' });
  t.is(phone.match('95598'), null);
  const login = phone.handle(phone.match('*21')!, r.leg('*21'), '1002');
  await r.settle();
  await login;
  t.deepEqual(statuses, ['available']);
  const ch = r.leg('*921003');
  const mon = phone.handle(phone.match('*921003')!, ch, '1004');
  await r.settle();
  t.like([...r.monitor.sessions.values()][0], { agentId: '1003', mode: 'barge' });
  ch.remoteHangup();
  await mon;
});
