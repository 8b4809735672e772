/**
 * Custom report definitions (issue 9: "custom reports and saved queries (pick a dataset,
 * fields, filters, grouping and aggregates, save, share, print layout) built on a safe query
 * model (never raw SQL from the browser)"; SEEDS.md "Management": user-defined reports [W 6, L];
 * RELIABILITY.md W3). A definition names a dataset and picks dimensions, measures and filter
 * fields from that dataset's allow-list below; anything else is refused with the field named.
 * No part of a definition ever reaches SQL: datasets are loaded by the owning domain services
 * for the date range only, and grouping, filtering and aggregation happen in datasets.ts.
 */
import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../core/errors.js';
import { zodIssues } from '../core/config.js';

export const DatasetNames = ['acd-intervals', 'agent-calls', 'workorders', 'ivr-traffic'] as const;
export type DatasetName = (typeof DatasetNames)[number];

/** The allow-lists: dimensions (group/filter fields) and measures of each dataset. */
export const Catalogue = {
  'acd-intervals': {
    dimensions: ['queue', 'date', 'week', 'month', 'hour', 'weekday', 'interval'],
    measures: [
      'offered',
      'answered',
      'answeredWithin',
      'abandoned',
      'abandonedShort',
      'callbacks',
      'overflowed',
      'handled',
      'serviceLevelPct',
      'answeredOnlySlPct',
      'sl2Pct',
      'asaSec',
      'ahtSec',
      'abandonPct',
    ],
  },
  'agent-calls': {
    dimensions: ['agent', 'queue', 'date', 'week', 'month', 'hour', 'weekday'],
    measures: ['calls', 'talkSec', 'holdSec', 'acwSec', 'avgTalkSec', 'ahtSec'],
  },
  workorders: {
    dimensions: ['type', 'category', 'department', 'priority', 'source', 'status', 'slaState', 'visitResult', 'date', 'month'],
    measures: ['count', 'open', 'closed', 'overdue', 'breached', 'slaCompliancePct', 'satisfactionPct', 'avgResolveHours'],
  },
  'ivr-traffic': {
    dimensions: ['flow', 'node', 'verb', 'date', 'month'],
    measures: ['visits', 'abandons', 'leavePct'],
  },
} as const satisfies Record<DatasetName, { dimensions: readonly string[]; measures: readonly string[] }>;

export const FilterOps = ['eq', 'ne', 'in'] as const;
export const ChartTypes = ['bar', 'line', 'none'] as const;

const LocalDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const RoleId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'not a role id');

export const RangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('last-days'), days: z.number().int().min(1).max(366) }).strict(),
  z.object({ kind: z.literal('fixed'), from: LocalDay, to: LocalDay }).strict(),
]);
export type ReportRange = z.infer<typeof RangeSchema>;

export const FilterSchema = z
  .object({
    field: z.string().max(64),
    op: z.enum(FilterOps),
    values: z.array(z.string().max(200)).min(1).max(50),
  })
  .strict();

export const ReportDefinitionSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(500).default(''),
    dataset: z.enum(DatasetNames),
    dimensions: z.array(z.string().max(64)).max(3).default([]),
    measures: z.array(z.string().max(64)).min(1).max(8),
    filters: z.array(FilterSchema).max(10).default([]),
    range: RangeSchema,
    sort: z.object({ by: z.string().max(64), dir: z.enum(['asc', 'desc']) }).strict().optional(),
    limit: z.number().int().min(1).max(1000).default(200),
    chart: z.enum(ChartTypes).default('bar'),
    sharedRoles: z.array(RoleId).max(20).default([]),
  })
  .strict()
  .superRefine((d, ctx) => {
    for (const i of allowListIssues(d)) ctx.addIssue({ code: 'custom', path: i.path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), message: i.message });
  });

type Loose = { dataset?: unknown; dimensions?: unknown; measures?: unknown; filters?: unknown; sort?: unknown; range?: unknown };

function strings(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/**
 * The allow-list rules, on a parsed definition or (when other fields already failed) on the raw
 * input, so one answer names every failing field.
 */
export function allowListIssues(input: unknown): FieldIssue[] {
  if (typeof input !== 'object' || input === null) return [];
  const d = input as Loose;
  if (!(DatasetNames as readonly unknown[]).includes(d.dataset)) return [];
  const dataset = d.dataset as DatasetName;
  const dims: readonly unknown[] = Catalogue[dataset].dimensions;
  const measures: readonly unknown[] = Catalogue[dataset].measures;
  const out: FieldIssue[] = [];
  const chosenDims = strings(d.dimensions);
  chosenDims.forEach((x, i) => {
    if (typeof x !== 'string') return;
    if (!dims.includes(x)) out.push({ path: `dimensions.${i}`, message: `unknown dimension "${x}" for dataset ${dataset}` });
    else if (chosenDims.indexOf(x) !== i) out.push({ path: `dimensions.${i}`, message: `dimension "${x}" given twice` });
  });
  const chosenMeasures = strings(d.measures);
  chosenMeasures.forEach((x, i) => {
    if (typeof x === 'string' && !measures.includes(x)) out.push({ path: `measures.${i}`, message: `unknown measure "${x}" for dataset ${dataset}` });
  });
  strings(d.filters).forEach((f, i) => {
    if (typeof f !== 'object' || f === null) return;
    const { field, op, values } = f as { field?: unknown; op?: unknown; values?: unknown };
    if (typeof field === 'string' && !dims.includes(field)) out.push({ path: `filters.${i}.field`, message: `unknown filter field "${field}" for dataset ${dataset}` });
    if ((op === 'eq' || op === 'ne') && Array.isArray(values) && values.length > 1) out.push({ path: `filters.${i}.values`, message: `operator ${op} takes one value` });
  });
  const sort = d.sort as { by?: unknown } | undefined;
  if (sort && typeof sort.by === 'string' && !chosenDims.includes(sort.by) && !chosenMeasures.includes(sort.by))
    out.push({ path: 'sort.by', message: `sort field "${sort.by}" is neither a chosen dimension nor a chosen measure` });
  const range = d.range as { kind?: unknown; from?: unknown; to?: unknown } | undefined;
  if (range?.kind === 'fixed' && typeof range.from === 'string' && typeof range.to === 'string') {
    if (range.from > range.to) out.push({ path: 'range.to', message: 'the end is before the start' });
    else if (Date.parse(range.to) - Date.parse(range.from) > 366 * 86_400_000) out.push({ path: 'range.to', message: 'at most 366 days' });
  }
  return out;
}

function allIssues(input: unknown, error: z.ZodError): FieldIssue[] {
  const issues = zodIssues(error);
  const seen = new Set(issues.map((i) => `${i.path}\u0000${i.message}`));
  for (const i of allowListIssues(input)) if (!seen.has(`${i.path}\u0000${i.message}`)) issues.push(i);
  return issues;
}

export type ReportDefinition = z.output<typeof ReportDefinitionSchema>;
export type ReportDefinitionInput = z.input<typeof ReportDefinitionSchema>;

/** Validate a definition; throws ValidationError whose issues name each failing field. */
export function parseDefinition(input: unknown): ReportDefinition {
  const r = ReportDefinitionSchema.safeParse(input);
  if (!r.success) throw new ValidationError('invalid report definition', allIssues(input, r.error));
  return r.data;
}

export function definitionIssues(input: unknown): FieldIssue[] {
  const r = ReportDefinitionSchema.safeParse(input);
  return r.success ? [] : allIssues(input, r.error);
}

/** The JSON Schema of a definition (for the API and the editor). */
export function definitionJsonSchema(): unknown {
  return z.toJSONSchema(ReportDefinitionSchema, { io: 'input', unrepresentable: 'any' });
}
