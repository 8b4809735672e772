/**
 * `/customers`, `/customer-tier-rules`, `/customer-corrections`: the REST face of the customer
 * service (customer-service.ts) on the API route registry. Reading needs `customers:read`;
 * creating and correcting `customers:write`; changing tier rules `customers:tiers`. A
 * correction carries the `version` the caller saw (stale → 409) and a reason; every
 * administrative change is written to the audit log with before/after. Times are RFC 3339.
 *
 *   GET   /customers/lookup?phone=|account=|meter=   screen pop / search
 *   POST  /customers                                 create (201)
 *   GET   /customers/:id                             profile with accounts, contacts, phones, addresses
 *   PATCH /customers/:id                             correction at the hotline (version, reason)
 *   GET   /customers/:id/tier                        tier, rule and the attributes it saw
 *   GET   /customer-tier-rules                       the rule set
 *   PUT   /customer-tier-rules                       replace it (version) and re-tier everyone
 *   GET   /customer-corrections                      correction history (JSON)
 *   GET   /customer-corrections/export               the same as CSV, for the billing department
 */
import { z } from 'zod';
import type { RouteRegistry } from '../api/registry.js';
import { queryInt } from '../api/registry.js';
import { ValidationError } from '../core/errors.js';
import type { AuditInput } from '../ops/audit.js';
import type { CustomerService } from './customer-service.js';
import { AccountStatuses, CorrectionStatuses, CustomerKinds, type Correction, type Customer } from './model.js';
import { PhoneKinds } from './phone.js';
import { CreateCustomerSchema, UpdateCustomerSchema } from './schemas.js';
import { Tiers, TierRuleSetSchema } from './tier.js';

export interface RoutesAudit {
  record(input: AuditInput): Promise<unknown>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const CustomerSchema = z.strictObject({
  id: z.string(),
  billingRef: z.string().nullable(),
  name: z.string(),
  kind: z.enum(CustomerKinds),
  vip: z.boolean(),
  criticalLoad: z.boolean(),
  attributes: z.record(z.string(), Scalar),
  tier: z.enum(Tiers),
  tierRule: z.string().nullable(),
  notes: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  syncedAt: z.iso.datetime().nullable(),
  version: z.number().int().describe('Send it back with a correction; a stale version is 409'),
  accounts: z.array(
    z.strictObject({ accountNo: z.string(), meterNo: z.string().nullable(), status: z.enum(AccountStatuses), arrearsCents: z.number().int(), monthlyKwh: z.number() }),
  ),
  contacts: z.array(z.strictObject({ id: z.string(), name: z.string(), relation: z.string() })),
  phones: z.array(
    z.strictObject({ number: z.string(), kind: z.enum(PhoneKinds), areaCode: z.string().nullable(), display: z.string(), contactId: z.string().nullable(), label: z.string() }),
  ),
  addresses: z.array(z.strictObject({ id: z.string(), text: z.string(), areaCode: z.string(), primary: z.boolean() })),
});

const CorrectionSchema = z.strictObject({
  id: z.number().int(),
  customerId: z.string(),
  at: z.iso.datetime(),
  actor: z.string(),
  actorIp: z.string().nullable(),
  field: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  reason: z.string(),
  status: z.enum(CorrectionStatuses),
  resolvedAt: z.iso.datetime().nullable(),
});

const MatchSchema = z.strictObject({ customerId: z.string(), name: z.string(), tier: z.enum(Tiers), kind: z.enum(CustomerKinds), phoneLabel: z.string() });

export function customerOut(c: Customer): z.input<typeof CustomerSchema> {
  return { ...c, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt), syncedAt: c.syncedAt === null ? null : iso(c.syncedAt) };
}

function correctionOut(c: Correction): z.input<typeof CorrectionSchema> {
  return { ...c, at: iso(c.at), resolvedAt: c.resolvedAt === null ? null : iso(c.resolvedAt) };
}

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const CorrectionQuery = {
  customerId: z.string().min(1).max(64).optional(),
  status: z.enum(CorrectionStatuses).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
};

function correctionFilter(q: { customerId?: string | undefined; status?: (typeof CorrectionStatuses)[number] | undefined; from?: string | undefined; to?: string | undefined }) {
  return {
    ...(q.customerId !== undefined && { customerId: q.customerId }),
    ...(q.status !== undefined && { status: q.status }),
    ...(q.from !== undefined && { from: Date.parse(q.from) }),
    ...(q.to !== undefined && { to: Date.parse(q.to) }),
  };
}

export function registerCustomerRoutes(registry: RouteRegistry, svc: CustomerService, audit: RoutesAudit): void {
  registry.route({
    method: 'get',
    path: '/customers/lookup',
    summary: 'Find customers by caller number (any spelling: +86, 0086, trunk 0, area code), account (户号) or meter (表号)',
    tags: ['customers'],
    scope: 'customers:read',
    query: z.strictObject({ phone: z.string().min(1).max(40).optional(), account: z.string().min(1).max(32).optional(), meter: z.string().min(1).max(32).optional() }),
    response: {
      description: 'The normalised number (for phone lookups) and the matching customers',
      schema: z.strictObject({
        phone: z.strictObject({ key: z.string(), kind: z.enum(PhoneKinds), areaCode: z.string().nullable(), display: z.string() }).nullable(),
        matches: z.array(MatchSchema),
      }),
    },
    handler: ({ query }) => {
      const given = (['phone', 'account', 'meter'] as const).filter((k) => query[k] !== undefined);
      if (given.length !== 1) {
        throw new ValidationError('give exactly one of phone, account, meter', [{ path: given[1] ?? 'phone', message: 'give exactly one of phone, account, meter' }]);
      }
      if (query.phone !== undefined) {
        const r = svc.lookupByPhone(query.phone);
        return { phone: r.phone && { key: r.phone.key, kind: r.phone.kind, areaCode: r.phone.areaCode, display: r.phone.display }, matches: r.matches };
      }
      const found = query.account !== undefined ? [svc.findByAccount(query.account)] : svc.findByMeter(query.meter!);
      return { phone: null, matches: found.map((c) => ({ customerId: c.id, name: c.name, tier: c.tier, kind: c.kind, phoneLabel: '' })) };
    },
  });

  registry.route({
    method: 'post',
    path: '/customers',
    summary: 'Create a customer at the hotline (billing customers arrive by sync)',
    tags: ['customers'],
    scope: 'customers:write',
    body: CreateCustomerSchema,
    errors: ['VALIDATION'],
    response: { status: 201, description: 'The customer', schema: CustomerSchema },
    handler: async ({ body, actor, res }) => {
      const c = svc.create(body, { id: actor.actor, ip: actor.ip });
      await audit.record({ actor: actor.actor, ip: actor.ip, action: 'customer.profile.created', target: c.id, after: customerOut(c) });
      res.setHeader('Location', `${res.req.baseUrl}/customers/${c.id}`);
      return customerOut(c);
    },
  });

  registry.route({
    method: 'get',
    path: '/customers/:id',
    summary: 'One customer with accounts, contacts, phones and addresses',
    tags: ['customers'],
    scope: 'customers:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'The customer', schema: CustomerSchema },
    handler: ({ params }) => customerOut(svc.get(params.id)),
  });

  registry.route({
    method: 'patch',
    path: '/customers/:id',
    summary: 'Correct a customer at the hotline (kept as history; wins over billing syncs until billing agrees)',
    tags: ['customers'],
    scope: 'customers:write',
    params: IdParams,
    body: UpdateCustomerSchema,
    errors: ['NOT_FOUND', 'CONFLICT', 'VALIDATION'],
    response: { description: 'The customer and the correction rows written', schema: z.strictObject({ customer: CustomerSchema, corrections: z.array(CorrectionSchema) }) },
    handler: async ({ params, body, actor }) => {
      const before = svc.get(params.id);
      const r = svc.update(params.id, body, { id: actor.actor, ip: actor.ip });
      if (r.corrections.length > 0) {
        await audit.record({ actor: actor.actor, ip: actor.ip, action: 'customer.profile.corrected', target: params.id, before: customerOut(before), after: customerOut(r.customer) });
      }
      return { customer: customerOut(r.customer), corrections: r.corrections.map(correctionOut) };
    },
  });

  registry.route({
    method: 'get',
    path: '/customers/:id/tier',
    summary: 'The customer tier the ACD uses, the rule that gave it and the attributes it looked at',
    tags: ['customers'],
    scope: 'customers:read',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: {
      description: 'Tier',
      schema: z.strictObject({ tier: z.enum(Tiers), ruleId: z.string().nullable(), attributes: z.record(z.string(), Scalar.optional()) }),
    },
    handler: ({ params }) => svc.tier(params.id),
  });

  const RulesView = z.strictObject({
    version: z.number().int(),
    updatedAt: z.iso.datetime().nullable(),
    updatedBy: z.string().nullable(),
    rules: z.array(z.unknown()),
  });
  const rulesOut = () => {
    const v = svc.tierRules();
    return { version: v.version, updatedAt: v.updatedAt === null ? null : iso(v.updatedAt), updatedBy: v.updatedBy, rules: v.rules.rules };
  };

  registry.route({
    method: 'get',
    path: '/customer-tier-rules',
    summary: 'The tier rule set (first matching rule wins; no match is standard)',
    tags: ['customers'],
    scope: 'customers:read',
    response: { description: 'The rule set', schema: RulesView },
    handler: rulesOut,
  });

  registry.route({
    method: 'put',
    path: '/customer-tier-rules',
    summary: 'Replace the tier rule set and re-evaluate every customer',
    tags: ['customers'],
    scope: 'customers:tiers',
    body: z.strictObject({ version: z.number().int().min(0).describe('The version you read; stale → 409'), rules: TierRuleSetSchema.shape.rules }),
    errors: ['CONFLICT', 'VALIDATION'],
    response: { description: 'The new rule set and how many customers changed tier', schema: RulesView.extend({ changed: z.number().int() }) },
    handler: async ({ body, actor }) => {
      const before = svc.tierRules();
      const r = svc.setTierRules({ rules: body.rules }, body.version, { id: actor.actor, ip: actor.ip });
      await audit.record({ actor: actor.actor, ip: actor.ip, action: 'customer.tier-rules.changed', target: `v${r.view.version}`, before: before.rules, after: r.view.rules });
      return { ...rulesOut(), changed: r.changed };
    },
  });

  registry.route({
    method: 'get',
    path: '/customer-corrections',
    summary: 'Corrections made at the hotline, oldest first',
    tags: ['customers'],
    scope: 'customers:read',
    query: z.strictObject({ ...CorrectionQuery, limit: queryInt(1, 1000).optional(), after: queryInt(0, Number.MAX_SAFE_INTEGER).optional() }),
    response: { description: 'Corrections', schema: z.strictObject({ items: z.array(CorrectionSchema) }) },
    handler: ({ query }) => ({
      items: svc
        .corrections({ ...correctionFilter(query), ...(query.limit !== undefined && { limit: query.limit }), ...(query.after !== undefined && { afterId: query.after }) })
        .map(correctionOut),
    }),
  });

  registry.route({
    method: 'get',
    path: '/customer-corrections/export',
    summary: 'Corrections as CSV (RFC 4180) for the billing department',
    tags: ['customers'],
    scope: 'customers:read',
    query: z.strictObject(CorrectionQuery),
    response: { description: 'CSV, header line first', contentType: 'text/csv', schema: z.string() },
    handler: async ({ query, actor, res }) => {
      const text = svc.exportCorrectionsCsv(correctionFilter(query));
      await audit.record({ actor: actor.actor, ip: actor.ip, action: 'customer.corrections.exported', target: null, after: { filter: query } });
      res.setHeader('Content-Disposition', 'attachment; filename="customer-corrections.csv"');
      return text;
    },
  });
}
