/**
 * `/audit`: search and export the audit log (ops/audit.ts), scope `audit:read`. Filters are
 * the same for both; times are RFC 3339 date-times (`from` inclusive, `to` exclusive).
 * Paging is by opaque cursor, newest first. The export is RFC 4180 CSV (`text/csv`, RFC 7111).
 */
import { z } from 'zod';
import { AUDIT_MAX_PAGE, type AuditEntry, type AuditFilter, type AuditLog } from '../../ops/audit.js';
import { queryInt, type RouteRegistry } from '../registry.js';

const filterShape = {
  actor: z.string().min(1).max(200).optional().describe('Exact actor, e.g. apikey:key_01J…'),
  action: z.string().min(1).max(200).optional().describe('Exact action, or a prefix ending in * (api-key.*)'),
  target: z.string().min(1).max(200).optional().describe('Exact target id'),
  from: z.iso.datetime({ offset: true }).optional().describe('Entries at or after this time'),
  to: z.iso.datetime({ offset: true }).optional().describe('Entries before this time'),
};

export const AuditEntrySchema = z.strictObject({
  id: z.number().int(),
  at: z.iso.datetime(),
  actor: z.string(),
  ip: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
});

function toFilter(q: { actor?: string; action?: string; target?: string; from?: string; to?: string }): AuditFilter {
  const f: AuditFilter = {};
  if (q.actor !== undefined) f.actor = q.actor;
  if (q.action !== undefined) f.action = q.action;
  if (q.target !== undefined) f.target = q.target;
  if (q.from !== undefined) f.from = Date.parse(q.from);
  if (q.to !== undefined) f.to = Date.parse(q.to);
  return f;
}

function entryOut(e: AuditEntry): z.input<typeof AuditEntrySchema> {
  return { ...e, at: new Date(e.at).toISOString() };
}

export function registerAuditRoutes(registry: RouteRegistry, audit: AuditLog): void {
  registry.route({
    method: 'get',
    path: '/audit',
    summary: 'Search the audit log',
    tags: ['audit'],
    scope: 'audit:read',
    query: z.strictObject({
      ...filterShape,
      limit: queryInt(1, AUDIT_MAX_PAGE).optional().describe(`Page size (default 50, at most ${AUDIT_MAX_PAGE})`),
      cursor: z.string().min(1).max(100).optional().describe('nextCursor of the previous page'),
    }),
    response: {
      description: 'One page of entries, newest first',
      schema: z.strictObject({ items: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }),
    },
    handler: async ({ query }) => {
      const page = await audit.search({
        ...toFilter(query),
        limit: query.limit ?? 50,
        ...(query.cursor !== undefined && { cursor: query.cursor }),
      });
      return { items: page.items.map(entryOut), nextCursor: page.nextCursor };
    },
  });

  registry.route({
    method: 'get',
    path: '/audit/export',
    summary: 'Export matching audit entries as CSV',
    tags: ['audit'],
    scope: 'audit:read',
    query: z.strictObject(filterShape),
    response: { description: 'CSV, header line first', contentType: 'text/csv', schema: z.string() },
    handler: async ({ query, res }) => {
      res.setHeader('Content-Disposition', 'attachment; filename="audit.csv"');
      return audit.exportCsv(toFilter(query));
    },
  });
}
