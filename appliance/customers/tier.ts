/**
 * Customer tiers for the ACD (issue 8 "Customers": "tier rules (configurable conditions on
 * attributes such as consumption, arrears, VIP flag, critical-load flag) evaluated to a tier used
 * by the ACD"). Henan 95598 [E 5.1] asks that important customers — hospitals, water works,
 * large industry on dedicated lines — reach an agent first.
 *
 * Rules are data: an ordered list, each a condition tree over a flat attribute map and the tier
 * it gives; the first rule that matches wins, no match gives `standard`. The set is validated
 * by zod (TierRuleSetSchema) before it is stored, and evaluation is a pure function.
 */
import { z } from 'zod';

export const Tiers = ['vip', 'large', 'critical', 'standard'] as const;
export type Tier = (typeof Tiers)[number];

/** Attribute values a rule can test. Missing attributes are `undefined`. */
export type AttrValue = string | number | boolean | null;
export type Attributes = Readonly<Record<string, AttrValue | undefined>>;

export const CompareOps = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;

const AttrName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/, 'attribute names are a letter then letters, digits or _');
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export type Condition =
  | { attr: string; op: (typeof CompareOps)[number]; value: AttrValue }
  | { attr: string; op: 'in'; values: AttrValue[] }
  | { attr: string; op: 'exists' }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ attr: AttrName, op: z.enum(CompareOps), value: Scalar }),
    z.strictObject({ attr: AttrName, op: z.literal('in'), values: z.array(Scalar).min(1) }),
    z.strictObject({ attr: AttrName, op: z.literal('exists') }),
    z.strictObject({ all: z.array(ConditionSchema).min(1) }),
    z.strictObject({ any: z.array(ConditionSchema).min(1) }),
    z.strictObject({ not: ConditionSchema }),
  ]),
);

export const TierRuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'rule id must be lower-case letters, digits or -'),
  tier: z.enum(Tiers),
  description: z.string().max(500).default(''),
  when: ConditionSchema,
});
export type TierRule = z.output<typeof TierRuleSchema>;

export const TierRuleSetSchema = z
  .strictObject({ rules: z.array(TierRuleSchema).max(200) })
  .superRefine((set, ctx) => {
    const seen = new Set<string>();
    set.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id ${r.id}` });
      seen.add(r.id);
    });
  });
export type TierRuleSet = z.output<typeof TierRuleSetSchema>;

/**
 * Shipped defaults: critical loads (hospitals, water works: 重要用户) first, then VIP-flagged
 * customers, then large consumers (≥ 100 000 kWh a month or supplied at ≥ 10 kV).
 */
export const defaultTierRules: TierRuleSet = {
  rules: [
    { id: 'critical-load', tier: 'critical', description: '重要负荷用户', when: { attr: 'criticalLoad', op: 'eq', value: true } },
    { id: 'vip-flag', tier: 'vip', description: 'VIP 客户', when: { attr: 'vip', op: 'eq', value: true } },
    {
      id: 'large-consumer',
      tier: 'large',
      description: '大客户：月用电 ≥ 10 万千瓦时或 10 kV 及以上供电',
      when: { any: [{ attr: 'monthlyKwh', op: 'gte', value: 100_000 }, { attr: 'voltageKv', op: 'gte', value: 10 }] },
    },
  ],
};

export interface TierResult {
  tier: Tier;
  /** The matching rule, or null for the default tier. */
  ruleId: string | null;
}

function compare(op: (typeof CompareOps)[number], a: AttrValue | undefined, b: AttrValue): boolean {
  if (op === 'eq') return a === b;
  if (op === 'ne') return a !== b;
  // Ordering compares numbers with numbers and strings with strings; anything else never matches.
  if (typeof a === 'number' && typeof b === 'number') {
    return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
  }
  return false;
}

export function matches(c: Condition, attrs: Attributes): boolean {
  if ('all' in c) return c.all.every((x) => matches(x, attrs));
  if ('any' in c) return c.any.some((x) => matches(x, attrs));
  if ('not' in c) return !matches(c.not, attrs);
  const v = Object.hasOwn(attrs, c.attr) ? attrs[c.attr] : undefined;
  if (c.op === 'exists') return v !== undefined && v !== null;
  if (c.op === 'in') return v !== undefined && c.values.includes(v);
  return compare(c.op, v, c.value);
}

/** The tier of a customer with these attributes: the first matching rule, else `standard`. */
export function evaluateTier(set: TierRuleSet, attrs: Attributes): TierResult {
  for (const r of set.rules) if (matches(r.when, attrs)) return { tier: r.tier, ruleId: r.id };
  return { tier: 'standard', ruleId: null };
}
