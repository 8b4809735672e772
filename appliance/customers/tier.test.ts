import test from 'ava';
import { defaultTierRules, evaluateTier, TierRuleSetSchema, type TierRuleSet } from './tier.js';
import { zodIssues } from '../core/config.js';

test('default rules: critical load beats VIP beats large; nothing matching is standard', (t) => {
  const r = defaultTierRules;
  t.deepEqual(evaluateTier(r, { criticalLoad: true, vip: true, monthlyKwh: 500_000 }), { tier: 'critical', ruleId: 'critical-load' });
  t.deepEqual(evaluateTier(r, { criticalLoad: false, vip: true }), { tier: 'vip', ruleId: 'vip-flag' });
  t.deepEqual(evaluateTier(r, { monthlyKwh: 100_000 }), { tier: 'large', ruleId: 'large-consumer' });
  t.deepEqual(evaluateTier(r, { monthlyKwh: 99_999.9 }), { tier: 'standard', ruleId: null });
  t.deepEqual(evaluateTier(r, { voltageKv: 10 }), { tier: 'large', ruleId: 'large-consumer' });
  t.deepEqual(evaluateTier(r, { voltageKv: 0.4, monthlyKwh: 300 }), { tier: 'standard', ruleId: null });
  t.deepEqual(evaluateTier(r, {}), { tier: 'standard', ruleId: null });
});

test('all / any / not / in / exists and type-strict comparisons', (t) => {
  const set: TierRuleSet = TierRuleSetSchema.parse({
    rules: [
      {
        id: 'arrears-business',
        tier: 'large',
        when: { all: [{ attr: 'kind', op: 'in', values: ['business', 'industrial'] }, { not: { attr: 'arrearsYuan', op: 'gt', value: 1000 } }] },
      },
      { id: 'has-account-manager', tier: 'vip', when: { attr: 'accountManager', op: 'exists' } },
    ],
  });
  t.is(evaluateTier(set, { kind: 'business', arrearsYuan: 1000 }).tier, 'large');
  t.is(evaluateTier(set, { kind: 'business', arrearsYuan: 1000.01 }).tier, 'standard');
  t.is(evaluateTier(set, { kind: 'residential', arrearsYuan: 0 }).tier, 'standard');
  t.is(evaluateTier(set, { accountManager: '张三' }).tier, 'vip');
  t.is(evaluateTier(set, { accountManager: null }).tier, 'standard');
  // '1000' (a string) is not ordered against 1000 (a number): no silent coercion.
  t.is(evaluateTier(set, { kind: 'industrial', arrearsYuan: '5000' }).tier, 'large');
});

test('rule sets are validated with every bad field named', (t) => {
  const r = TierRuleSetSchema.safeParse({
    rules: [
      { id: 'Bad Id', tier: 'gold', when: { attr: 'vip', op: 'eq', value: true } },
      { id: 'ok', tier: 'vip', when: { attr: 'x', op: 'between', value: 1 } },
      { id: 'ok', tier: 'vip', when: { all: [] } },
    ],
  });
  t.false(r.success);
  if (r.success) return;
  const paths = zodIssues(r.error).map((i) => i.path);
  t.true(paths.includes('rules.0.id'), paths.join(' '));
  t.true(paths.includes('rules.0.tier'), paths.join(' '));
  t.true(paths.some((p) => p.startsWith('rules.1.when')), paths.join(' '));
  t.true(paths.some((p) => p.startsWith('rules.2.when')), paths.join(' '));
});

test('duplicate rule ids are refused', (t) => {
  const r = TierRuleSetSchema.safeParse({
    rules: [
      { id: 'a', tier: 'vip', when: { attr: 'vip', op: 'eq', value: true } },
      { id: 'a', tier: 'large', when: { attr: 'vip', op: 'eq', value: true } },
    ],
  });
  t.false(r.success);
  if (!r.success) t.deepEqual(zodIssues(r.error).map((i) => i.path), ['rules.1.id']);
});
