/**
 * zod schemas for what the customer service accepts: new customers, hotline corrections, billing
 * records and lookups. The REST routes use the same schemas (OpenAPI from z.toJSONSchema). A
 * failed parse is a ValidationError naming every failing field; nothing is written.
 */
import { z } from 'zod';
import { zodIssues } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { AccountStatuses, CustomerKinds } from './model.js';
import { parsePhone } from './phone.js';

const Scalar = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);
const AttrKey = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/);
export const AttributesSchema = z.record(AttrKey, Scalar).refine((r) => Object.keys(r).length <= 64, 'at most 64 attributes');

export const AccountNo = z.string().trim().regex(/^[0-9A-Za-z-]{4,32}$/, 'account numbers are 4–32 letters, digits or -');
export const MeterNo = z.string().trim().regex(/^[0-9A-Za-z-]{4,32}$/, 'meter numbers are 4–32 letters, digits or -');
export const AreaCode = z.string().trim().regex(/^[0-9A-Za-z]{2,20}$/, 'area codes are 2–20 letters or digits');
const RawPhone = z.string().trim().min(1).max(40);
/**
 * A number that parses under some area code (phone.ts). Whether a bare local number is usable
 * depends on the site's default area code, which the service checks.
 */
const PhoneText = RawPhone.superRefine((s, ctx) => {
  const r = parsePhone(s, { defaultAreaCode: '010' });
  if (!r.ok) ctx.addIssue({ code: 'custom', message: `not a phone number (${r.problem})` });
});

export const AccountSchema = z.strictObject({
  accountNo: AccountNo,
  meterNo: MeterNo.nullable().default(null),
  status: z.enum(AccountStatuses).default('active'),
  arrearsCents: z.number().int().min(0).default(0),
  monthlyKwh: z.number().min(0).default(0),
});

export const AddressSchema = z.strictObject({
  text: z.string().trim().min(1).max(500),
  areaCode: AreaCode,
  primary: z.boolean().default(false),
});

export const PhoneInputSchema = z.strictObject({
  number: PhoneText,
  label: z.string().max(50).default(''),
  /** Index into `contacts` of the same request. */
  contact: z.number().int().min(0).optional(),
});

export const CreateCustomerSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(CustomerKinds).default('residential'),
  vip: z.boolean().default(false),
  criticalLoad: z.boolean().default(false),
  attributes: AttributesSchema.default({}),
  notes: z.string().max(4000).default(''),
  billingRef: z.string().trim().min(1).max(64).optional(),
  accounts: z.array(AccountSchema).max(100).default([]),
  contacts: z.array(z.strictObject({ name: z.string().trim().min(1).max(100), relation: z.string().max(50).default('') })).max(50).default([]),
  phones: z.array(PhoneInputSchema).max(50).default([]),
  addresses: z.array(AddressSchema).max(20).default([]),
});
export type CreateCustomerInput = z.input<typeof CreateCustomerSchema>;

/** A correction made at the hotline: what changed and why (kept as history, exportable). */
export const UpdateCustomerSchema = z
  .strictObject({
    version: z.number().int().positive(),
    reason: z.string().trim().min(1, 'a reason is required').max(2000),
    name: z.string().trim().min(1).max(200).optional(),
    kind: z.enum(CustomerKinds).optional(),
    vip: z.boolean().optional(),
    criticalLoad: z.boolean().optional(),
    notes: z.string().max(4000).optional(),
    /** Merged into the attributes; null removes one. */
    attributes: AttributesSchema.optional(),
    addPhones: z.array(PhoneInputSchema.omit({ contact: true })).max(20).optional(),
    removePhones: z.array(PhoneText).max(20).optional(),
    /** Replaces the primary address. */
    address: AddressSchema.omit({ primary: true }).optional(),
  })
  .refine(
    (u) => ['name', 'kind', 'vip', 'criticalLoad', 'notes', 'attributes', 'addPhones', 'removePhones', 'address'].some((k) => k in u),
    { message: 'nothing to change', path: ['(body)'] },
  );
export type UpdateCustomerInput = z.input<typeof UpdateCustomerSchema>;

/** One customer as the billing system sends it (billing-port.ts). */
export const BillingRecordSchema = z.strictObject({
  customerNo: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(200),
  kind: z.enum(CustomerKinds),
  vip: z.boolean().default(false),
  criticalLoad: z.boolean().default(false),
  attributes: AttributesSchema.default({}),
  phones: z.array(RawPhone).max(50).default([]),
  address: z.strictObject({ text: z.string().trim().min(1).max(500), areaCode: AreaCode }).nullable().default(null),
  accounts: z.array(AccountSchema).max(100).default([]),
  /** The billing system's change time, ms. */
  updatedAt: z.number().int().nonnegative(),
});
export type BillingRecord = z.output<typeof BillingRecordSchema>;

/** Parse `input` with `schema`, or throw a ValidationError naming every failing field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(`invalid ${what}`, zodIssues(r.error));
  return r.data;
}
