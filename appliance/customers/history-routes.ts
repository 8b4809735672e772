/**
 * `GET /customers/:id/history`: a customer's calls, work orders, IVR survey scores and callback
 * visits in one list, newest first (history.ts), for the agent desk and integrators. The shape
 * does not depend on any panel: every entry has `kind`, `id`, `at` (RFC 3339) and a one-line
 * `summary`, plus the fields of its kind; `ref` names what to open (a call, an order). Needs
 * `customers:read`. Paged by an opaque cursor (`nextCursor` → `?cursor=`).
 */
import { z } from 'zod';
import { queryInt, type RouteRegistry } from '../api/registry.js';
import { HistoryKinds, type CustomerHistory, type HistoryEntry } from './history.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const Ref = z.strictObject({ kind: z.enum(['call', 'workorder', 'visit']), id: z.string() });
const base = { id: z.string(), at: z.iso.datetime(), summary: z.string(), ref: Ref };

export const HistoryEntrySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('call'),
    ...base,
    direction: z.enum(['inbound', 'outbound', 'internal']),
    number: z.string().describe("The customer's number as the call record has it"),
    otherParty: z.string(),
    answered: z.boolean(),
    durationSec: z.number().int(),
    endedAt: z.iso.datetime(),
    targetKind: z.string().nullable(),
    target: z.string().nullable(),
  }),
  z.strictObject({
    kind: z.literal('workorder'),
    ...base,
    number: z.string(),
    typeId: z.string(),
    status: z.string(),
    source: z.string(),
    priority: z.string(),
    title: z.string(),
    closedAt: z.iso.datetime().nullable(),
    visitResult: z.string().nullable(),
  }),
  z.strictObject({
    kind: z.literal('survey'),
    ...base,
    callId: z.string(),
    survey: z.string(),
    scores: z.array(z.strictObject({ question: z.string(), score: z.number().int().min(1).max(5) })),
    average: z.number(),
    queue: z.string().nullable(),
    agentId: z.string().nullable(),
  }),
  z.strictObject({
    kind: z.literal('visit'),
    ...base,
    orderId: z.string(),
    orderNumber: z.string(),
    status: z.string(),
    result: z.string().nullable(),
    reason: z.string().nullable(),
    agentId: z.string().nullable(),
    attempts: z.number().int(),
  }),
]);

const secs = (ms: number): number => Math.round(ms / 1000);

export function historyEntryOut(e: HistoryEntry): z.input<typeof HistoryEntrySchema> {
  switch (e.kind) {
    case 'call': {
      const { durationMs, ...rest } = e;
      const what = e.direction === 'outbound' ? `call to ${e.number}` : `call from ${e.number}`;
      return {
        ...rest,
        at: iso(e.at),
        endedAt: iso(e.endedAt),
        durationSec: secs(durationMs),
        summary: `${what}${e.answered ? `, ${secs(durationMs)} s` : ', not answered'}`,
        ref: { kind: 'call', id: e.id },
      };
    }
    case 'workorder':
      return { ...e, at: iso(e.at), closedAt: e.closedAt === null ? null : iso(e.closedAt), summary: `${e.number} ${e.title} (${e.status})`, ref: { kind: 'workorder', id: e.id } };
    case 'survey':
      return { ...e, at: iso(e.at), summary: `survey ${e.survey}: ${e.average} / 5`, ref: { kind: 'call', id: e.callId } };
    case 'visit':
      return { ...e, at: iso(e.at), summary: `callback visit on ${e.orderNumber}: ${e.result ?? e.status}`, ref: { kind: 'workorder', id: e.orderId } };
  }
}

const KindList = z
  .string()
  .max(100)
  .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
  .pipe(z.array(z.enum(HistoryKinds)));

export function registerCustomerHistoryRoutes(registry: RouteRegistry, history: CustomerHistory): void {
  registry.route({
    method: 'get',
    path: '/customers/:id/history',
    summary: "A customer's calls, work orders, IVR survey scores and callback visits, newest first",
    description: 'Calls are found by every spelling of the customer\'s numbers (+86, 0086, trunk 0). `kinds` narrows the list (comma-separated). Pass `nextCursor` back as `cursor` for the next page.',
    tags: ['customers'],
    scope: 'customers:read',
    params: z.strictObject({ id: z.string().min(1).max(64) }),
    query: z.strictObject({
      limit: queryInt(1, 200).optional(),
      cursor: z.string().min(1).max(400).optional(),
      kinds: KindList.optional(),
    }),
    errors: ['NOT_FOUND'],
    response: {
      description: 'One page of history',
      schema: z.strictObject({ items: z.array(HistoryEntrySchema), nextCursor: z.string().nullable(), kinds: z.array(z.enum(HistoryKinds)) }),
    },
    handler: ({ params, query }) => {
      const page = history.page(params.id, {
        limit: query.limit ?? 50,
        ...(query.cursor !== undefined && { cursor: query.cursor }),
        ...(query.kinds !== undefined && { kinds: query.kinds }),
      });
      return { items: page.items.map(historyEntryOut), nextCursor: page.nextCursor, kinds: history.kinds };
    },
  });
}
