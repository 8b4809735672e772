/**
 * zod schemas for what the knowledge service accepts, shared with the REST routes. A failed
 * parse is a ValidationError naming every failing field; nothing is written.
 */
import { z } from 'zod';
import { zodIssues } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { Visibilities } from './model.js';

const Tag = z.string().trim().min(1).max(40).regex(/^\S+$/, 'tags have no spaces');
const Millis = z.number().int().nonnegative();

export const AttachmentSchema = z.strictObject({
  ref: z.string().trim().min(1).max(500),
  name: z.string().trim().min(1).max(200),
  mime: z.string().trim().regex(/^[\w.+-]+\/[\w.+-]+$/, 'a media type like application/pdf'),
  size: z.number().int().min(0).max(1024 ** 3),
});

const validity = (v: { validFrom?: number | null | undefined; validTo?: number | null | undefined }, ctx: z.RefinementCtx): void => {
  if (typeof v.validFrom === 'number' && typeof v.validTo === 'number' && v.validTo <= v.validFrom)
    ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'validTo must be after validFrom' });
};

export const CreateArticleSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    body: z.string().trim().min(1).max(200_000),
    categoryId: z.string().min(1).nullable().default(null),
    tags: z.array(Tag).max(30).default([]),
    visibility: z.enum(Visibilities).default('internal'),
    departmentId: z.string().min(1).nullable().default(null),
    validFrom: Millis.nullable().default(null),
    validTo: Millis.nullable().default(null),
    attachments: z.array(AttachmentSchema).max(50).default([]),
    note: z.string().max(500).default(''),
  })
  .superRefine(validity);
export type CreateArticleInput = z.input<typeof CreateArticleSchema>;

export const UpdateArticleSchema = z
  .strictObject({
    /** The latest version the editor saw; stale → conflict. */
    version: z.number().int().positive(),
    title: z.string().trim().min(1).max(200).optional(),
    body: z.string().trim().min(1).max(200_000).optional(),
    tags: z.array(Tag).max(30).optional(),
    categoryId: z.string().min(1).nullable().optional(),
    visibility: z.enum(Visibilities).optional(),
    departmentId: z.string().min(1).nullable().optional(),
    validFrom: Millis.nullable().optional(),
    validTo: Millis.nullable().optional(),
    attachments: z.array(AttachmentSchema).max(50).optional(),
    note: z.string().max(500).default(''),
  })
  .superRefine(validity);
export type UpdateArticleInput = z.input<typeof UpdateArticleSchema>;

export const CategoryInputSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'id must be lower-case letters, digits or -'),
  parentId: z.string().min(1).nullable().default(null),
  name: z.string().trim().min(1).max(100),
  sort: z.number().int().default(0),
});
export type CategoryInput = z.input<typeof CategoryInputSchema>;

export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(`invalid ${what}`, zodIssues(r.error));
  return r.data;
}
