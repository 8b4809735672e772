/**
 * zod schemas for everything the work-order service accepts, shared with the REST routes (which
 * turn them into OpenAPI with z.toJSONSchema) and the control-panel forms. A failed parse is a
 * ValidationError naming every failing field.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { CalendarSchema, DateSchema, PeriodsSchema } from './calendar.js';
import { FormSchema, zodIssues } from './forms.js';
import { AreaClasses, OrderKinds, OrderSources, Priorities, VisitResults } from './model.js';
import { PolicyMetrics } from './sla.js';
import { AssigneeSchema, WorkflowSchema } from './workflow.js';

const Id = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'id must be lower-case letters, digits or -');
const Reason = z.string().trim().min(1, 'a reason is required').max(2000);
const Note = z.string().trim().max(4000).optional();
const Version = z.number().int().positive();

export const CreateOrderSchema = z.object({
  typeId: z.string().min(1),
  categoryId: z.string().min(1).optional(),
  source: z.enum(OrderSources),
  priority: z.enum(Priorities).default('normal'),
  areaClass: z.enum(AreaClasses).optional(),
  title: z.string().trim().min(1).max(200),
  description: z.string().max(20_000).default(''),
  fields: z.record(z.string(), z.unknown()).default({}),
  customerId: z.string().min(1).optional(),
  contactName: z.string().max(100).optional(),
  contactPhone: z.string().max(40).optional(),
  address: z.string().max(500).optional(),
  /** Ids of the calls and recordings this order came from (plain ids, no telephony import). */
  callIds: z.array(z.string().min(1)).default([]),
  recordingIds: z.array(z.string().min(1)).default([]),
});
export type CreateOrderInput = z.input<typeof CreateOrderSchema>;

const base = { version: Version, note: Note };

export const ActionCommandSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('accept'), ...base }),
  z.object({ action: z.literal('dispatch'), ...base, to: z.array(AssigneeSchema).optional() }),
  z.object({ action: z.literal('transfer'), ...base, to: AssigneeSchema }),
  z.object({ action: z.literal('return'), ...base, reason: Reason }),
  z.object({
    action: z.literal('reply'),
    ...base,
    reply: z.string().trim().min(1, 'a reply is required').max(20_000),
    /** Targets of the next step when it is assigned by the dispatcher. */
    to: z.array(AssigneeSchema).optional(),
  }),
  z.object({ action: z.literal('arrive'), ...base }),
  z.object({ action: z.literal('urge'), ...base }),
  z.object({ action: z.literal('suspend'), ...base, reason: Reason }),
  z.object({ action: z.literal('await-customer'), ...base, reason: Reason }),
  z.object({ action: z.literal('resume'), ...base }),
  z.object({ action: z.literal('close'), ...base }),
  z.object({ action: z.literal('reopen'), ...base, reason: Reason }),
  z
    .object({ action: z.literal('visit'), ...base, result: z.enum(VisitResults), reason: z.string().trim().max(2000).optional() })
    .superRefine((v, ctx) => {
      if (v.result !== 'satisfied' && !v.reason)
        ctx.addIssue({ code: 'custom', path: ['reason'], message: `a ${v.result} visit needs a reason` });
    }),
  z.object({ action: z.literal('cancel'), ...base, reason: Reason }),
]);
export type ActionCommand = z.infer<typeof ActionCommandSchema>;
export type ActionCommandInput = z.input<typeof ActionCommandSchema>;

export const DepartmentSchema = z.object({
  id: Id.optional(),
  code: z.string().trim().min(1).max(40),
  name: z.string().trim().min(1).max(100),
  parentId: z.string().min(1).nullable().default(null),
  headUserId: z.string().min(1).nullable().default(null),
});
export type DepartmentInput = z.input<typeof DepartmentSchema>;

export const TypeSchema = z.object({
  id: Id,
  name: z.string().trim().min(1).max(100),
  kind: z.enum(OrderKinds),
  form: FormSchema.default({ fields: [] }),
  workflow: WorkflowSchema,
  calendarId: z.string().min(1).nullable().default(null),
});
export type TypeInput = z.input<typeof TypeSchema>;

export const CategorySchema = z.object({
  typeId: z.string().min(1),
  parentId: z.string().min(1).nullable().default(null),
  code: z.string().trim().min(1).max(40),
  name: z.string().trim().min(1).max(100),
  sort: z.number().int().default(0),
});
export type CategoryInput = z.input<typeof CategorySchema>;

export const CalendarCreateSchema = z.object({
  id: Id,
  name: z.string().trim().min(1).max(100),
  definition: CalendarSchema,
});
export type CalendarCreateInput = z.input<typeof CalendarCreateSchema>;

export const CalendarDaySchema = z.object({
  date: DateSchema,
  kind: z.enum(['holiday', 'workday']),
  name: z.string().max(100).default(''),
  periods: PeriodsSchema.nullable().default(null),
});
export type CalendarDayInput = z.input<typeof CalendarDaySchema>;

export const SlaPolicySchema = z.object({
  id: Id.optional(),
  typeId: z.string().min(1).nullable().default(null),
  priority: z.enum(Priorities).nullable().default(null),
  areaClass: z.enum(AreaClasses).nullable().default(null),
  metric: z.enum(PolicyMetrics as [string, ...string[]]),
  targetMinutes: z.number().int().positive(),
  calendarId: z.string().min(1).nullable().default(null),
  warnPercents: z
    .array(z.number().int().min(1).max(99))
    .default([80])
    .refine((a) => a.every((p, i) => i === 0 || a[i - 1]! < p), 'warnPercents must be ascending'),
  /** Business minutes after the breach at which the order escalates to level 2, 3, … (level 1 is the breach). */
  escalateMinutes: z
    .array(z.number().int().min(1).max(60 * 24 * 90))
    .max(5)
    .default([])
    .refine((a) => a.every((m, i) => i === 0 || a[i - 1]! < m), 'escalateMinutes must be ascending'),
});
export type SlaPolicyInput = z.input<typeof SlaPolicySchema>;

/** Parse `input` with `schema`, or throw a ValidationError naming every failing field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(`invalid ${what}`, zodIssues(r.error));
  return r.data;
}
