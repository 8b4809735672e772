/**
 * Custom fields per work-order type [E 5.3: each business type records its own data; issue 8
 * "custom fields per type (form definitions with validation)"]. A form definition is JSON kept on
 * the type; it is itself checked by FormSchema, then compiled to a zod object that checks an
 * order's field values. Bad input names every failing field (`fields.meterNo`), never only the
 * first.
 */
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../core/errors.js';

export const FieldTypes = ['text', 'textarea', 'number', 'integer', 'boolean', 'date', 'datetime', 'select', 'multiselect', 'phone'] as const;
export type FieldType = (typeof FieldTypes)[number];

const FieldSchema = z
  .object({
    key: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/, 'key must be a letter then letters, digits or _'),
    label: z.string().min(1),
    type: z.enum(FieldTypes),
    required: z.boolean().default(false),
    /** For select / multiselect. */
    options: z.array(z.object({ value: z.string().min(1), label: z.string().min(1) })).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    maxLength: z.number().int().positive().optional(),
    /** A regular expression the text must match (anchored). */
    pattern: z.string().optional(),
    help: z.string().optional(),
  })
  .superRefine((f, ctx) => {
    const choice = f.type === 'select' || f.type === 'multiselect';
    if (choice && !(f.options && f.options.length > 0))
      ctx.addIssue({ code: 'custom', path: ['options'], message: `${f.type} needs options` });
    if (!choice && f.options) ctx.addIssue({ code: 'custom', path: ['options'], message: `${f.type} takes no options` });
    if (f.pattern !== undefined) {
      try {
        new RegExp(f.pattern);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'not a valid regular expression' });
      }
    }
    if (f.min !== undefined && f.max !== undefined && f.min > f.max)
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'min is greater than max' });
  });

export const FormSchema = z
  .object({ fields: z.array(FieldSchema).default([]) })
  .superRefine(
    (form, ctx) => {
      // Runs even when some fields failed (so every problem is named at once): be defensive.
      const seen = new Set<string>();
      const fields: unknown[] = Array.isArray(form?.fields) ? form.fields : [];
      fields.forEach((f, i) => {
        const key = (f as { key?: unknown } | null)?.key;
        if (typeof key !== 'string') return;
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['fields', i, 'key'], message: `duplicate key ${key}` });
        seen.add(key);
      });
    },
    { when: () => true },
  );
export type FormDefinition = z.infer<typeof FormSchema>;
export type FormInput = z.input<typeof FormSchema>;
export type FieldDefinition = FormDefinition['fields'][number];

/** zod issues as FieldIssues with dotted paths, optionally under a prefix. */
export function zodIssues(err: z.ZodError, prefix = ''): FieldIssue[] {
  return err.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.'),
    message: i.message,
  }));
}

export function parseForm(input: unknown): FormDefinition {
  const r = FormSchema.safeParse(input ?? {});
  if (!r.success) throw new ValidationError('invalid form definition', zodIssues(r.error, 'form'));
  return r.data;
}

const PHONE = /^\+?[0-9][0-9\- ]{2,30}$/;

function fieldValidator(f: FieldDefinition): z.ZodType {
  let v: z.ZodType;
  switch (f.type) {
    case 'text':
    case 'textarea': {
      let s = z.string();
      if (f.required) s = s.min(1, `${f.label} is required`);
      if (f.maxLength !== undefined) s = s.max(f.maxLength, `${f.label} is longer than ${f.maxLength}`);
      if (f.pattern !== undefined) s = s.regex(new RegExp(`^(?:${f.pattern})$`), `${f.label} has the wrong format`);
      v = s;
      break;
    }
    case 'phone':
      v = z.string().regex(PHONE, `${f.label} is not a phone number`);
      break;
    case 'number':
    case 'integer': {
      let n = f.type === 'integer' ? z.number().int() : z.number();
      if (f.min !== undefined) n = n.min(f.min, `${f.label} is below ${f.min}`);
      if (f.max !== undefined) n = n.max(f.max, `${f.label} is above ${f.max}`);
      v = n;
      break;
    }
    case 'boolean':
      v = z.boolean();
      break;
    case 'date':
      v = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, `${f.label} must be YYYY-MM-DD`);
      break;
    case 'datetime':
      v = z.string().refine((s) => !Number.isNaN(Date.parse(s)), `${f.label} is not a date and time`);
      break;
    case 'select':
      v = z.enum((f.options ?? []).map((o) => o.value) as [string, ...string[]]);
      break;
    case 'multiselect': {
      const m = z.array(z.enum((f.options ?? []).map((o) => o.value) as [string, ...string[]]));
      v = f.required ? m.min(1, `${f.label} is required`) : m;
      break;
    }
  }
  return f.required ? v : v.optional().nullable();
}

/** Compile once per type; `check(values)` returns the cleaned values or throws ValidationError. */
export function compileForm(form: FormDefinition): (values: unknown) => Record<string, unknown> {
  const shape: Record<string, z.ZodType> = {};
  for (const f of form.fields) shape[f.key] = fieldValidator(f);
  const schema = z.strictObject(shape);
  return (values) => {
    const r = schema.safeParse(values ?? {});
    if (!r.success) throw new ValidationError('invalid work-order fields', zodIssues(r.error, 'fields'));
    return r.data as Record<string, unknown>;
  };
}
