import test from 'ava';
import type { AgentStatus } from '../acd/model.js';
import { FakeChannel } from '../channel/testing/fake-channel.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { CONFIRM_TONE, DEFAULT_FEATURE_CODES, FeatureCodes, matchFeatureCode, REFUSE_TONE, validateFeatureCodes, type AgentStatusPort } from './feature-codes.js';

function agents(initial: Record<string, AgentStatus>): AgentStatusPort & { status: Map<string, AgentStatus>; reasons: (string | null)[] } {
  const status = new Map(Object.entries(initial));
  const reasons: (string | null)[] = [];
  return {
    status,
    reasons,
    agentForExtension: (ext) => (status.has(`agent-${ext}`) ? `agent-${ext}` : null),
    statusOf: (id) => status.get(id)!,
    setStatus: (id, to, reason) => {
      status.set(id, to);
      reasons.push(reason);
    },
  };
}

test('codes match exactly; only the break code takes a reason code; other numbers are not codes', (t) => {
  t.deepEqual(matchFeatureCode(DEFAULT_FEATURE_CODES, '*21'), { action: 'login', arg: '' });
  t.deepEqual(matchFeatureCode(DEFAULT_FEATURE_CODES, '*22'), { action: 'logout', arg: '' });
  t.deepEqual(matchFeatureCode(DEFAULT_FEATURE_CODES, '*2305'), { action: 'break', arg: '05' });
  t.deepEqual(matchFeatureCode(DEFAULT_FEATURE_CODES, '*24'), { action: 'available', arg: '' });
  t.is(matchFeatureCode(DEFAULT_FEATURE_CODES, '*215'), null);
  t.is(matchFeatureCode(DEFAULT_FEATURE_CODES, '95598'), null);
  t.is(matchFeatureCode(DEFAULT_FEATURE_CODES, '*23x'), null);
  t.deepEqual(matchFeatureCode({ ...DEFAULT_FEATURE_CODES, login: '#7' }, '#7'), { action: 'login', arg: '' });
});

test('configuration: duplicates, prefixes and bad characters are refused with the field path', (t) => {
  t.deepEqual(validateFeatureCodes(DEFAULT_FEATURE_CODES), []);
  const dup = validateFeatureCodes({ ...DEFAULT_FEATURE_CODES, logout: '*21' });
  t.true(dup.some((i) => i.message.includes('same code')));
  const prefix = validateFeatureCodes({ ...DEFAULT_FEATURE_CODES, break: '*2', available: '*24' });
  t.true(prefix.some((i) => i.path === 'acd.featureCodes.login' && i.message.includes('prefix')));
  t.true(validateFeatureCodes({ ...DEFAULT_FEATURE_CODES, login: 'abc' }).some((i) => i.path === 'acd.featureCodes.login'));
});

test('the status table: login, break with reason code, available, logout; refusals and no-ops', (t) => {
  const port = agents({ 'agent-1002': 'logged-out' });
  const f = new FeatureCodes(DEFAULT_FEATURE_CODES, { log: silentLogger(), agents: port });
  const go = (code: string, ext = '1002') => f.apply(f.match(code)!, ext);
  t.like(go('*23'), { outcome: 'refused', why: 'not-logged-in' });
  t.like(go('*21'), { outcome: 'changed', from: 'logged-out', to: 'available' });
  t.like(go('*21'), { outcome: 'unchanged', status: 'available' });
  t.like(go('*2307'), { outcome: 'changed', from: 'available', to: 'on-break', reason: 'code-07' });
  t.like(go('*24'), { outcome: 'changed', from: 'on-break', to: 'available', reason: null });
  t.like(go('*22'), { outcome: 'changed', to: 'logged-out' });
  t.is(port.status.get('agent-1002'), 'logged-out');
  t.like(go('*21', '1009'), { outcome: 'refused', why: 'not-an-agent' });
});

test('a phone dialling a code is answered, hears the confirmation (or congestion when refused), and is cleared', async (t) => {
  const clock = new ManualClock();
  const f = new FeatureCodes(DEFAULT_FEATURE_CODES, { log: silentLogger() });
  const early = new FakeChannel({ clock, called: '*21', playMs: 10 });
  const refused = f.handle(f.match('*21')!, early, '1002');
  await clock.advanceAsync(3_000, 50);
  t.like(await refused, { outcome: 'refused', why: 'no-acd' });
  t.deepEqual(early.played, [...REFUSE_TONE]);
  t.is(early.level, 'terminated');

  const port = agents({ 'agent-1002': 'logged-out' });
  f.bind(port);
  const ch = new FakeChannel({ clock, called: '*21', playMs: 10 });
  const done = f.handle(f.match('*21')!, ch, '1002');
  await clock.advanceAsync(3_000, 50);
  t.like(await done, { outcome: 'changed', to: 'available' });
  t.deepEqual(ch.played, [...CONFIRM_TONE]);
  t.is(ch.level, 'terminated');
  t.is(port.status.get('agent-1002'), 'available');
});

test('an ACD that throws (e.g. an invalid transition) is a refusal, not a crash', (t) => {
  const port = agents({ 'agent-1002': 'available' });
  port.setStatus = () => {
    throw new Error('nope');
  };
  const f = new FeatureCodes(DEFAULT_FEATURE_CODES, { log: silentLogger(), agents: port });
  t.like(f.apply(f.match('*22')!, '1002'), { outcome: 'refused', why: 'error' });
});
