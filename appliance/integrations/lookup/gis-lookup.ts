/**
 * GIS / outage-management lookups (停电信息), over the protocol of the GIS simulator
 * (testing/gis-simulator.ts). For flows, as lookup operations:
 *
 *   outage-by-area    {area}     → the largest active-or-scheduled outage covering the area:
 *   outage-by-address {address}     id, kind (planned|unplanned), status (active|scheduled), cause,
 *                                   start, estimatedRestoration (RFC 3339 +08:00, read by `say time`),
 *                                   restoreDate, restoreTime, affectedCustomers, workOrderId, count
 *
 * and, typed, `outages(query)` for the outage announcement (integrations/outage-service.ts):
 * every record validated; a record that does not parse is skipped and logged, never read out.
 */
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { OutageNotice } from '../../ivr/ports.js';
import { HttpJsonClient, UpstreamError, type HttpClientOptions } from './http-client.js';
import { HttpLookupAdapter, SAFE_ID, splitLocal, type HttpLookupOptions, type LookupOpSpec } from './http-lookup.js';

const outageFields = {
  id: 'id',
  kind: 'kind',
  status: 'status',
  cause: 'cause',
  start: 'start',
  estimatedRestoration: 'estimatedRestoration',
  affectedCustomers: 'affectedCustomers',
  workOrderId: 'workOrderId',
};

const derive = (d: Record<string, unknown>, body: unknown): Record<string, unknown> => {
  const r = splitLocal(d.estimatedRestoration);
  const list = (body as { outages?: unknown })?.outages;
  return { restoreDate: r.date, restoreTime: r.time, count: Array.isArray(list) ? list.length : 0 };
};

const MAX_ADDRESS = 200;

export const GIS_OPS: Readonly<Record<string, LookupOpSpec>> = {
  'outage-by-area': {
    request: (p) => (p.area && SAFE_ID.test(p.area) ? { path: 'v1/outages', query: { area: p.area } } : null),
    record: 'outages.0',
    fields: outageFields,
    required: ['id', 'cause'],
    derive,
    cacheTtlMs: 30_000,
  },
  'outage-by-address': {
    request: (p) => {
      const address = (p.address ?? '').trim();
      return address && address.length <= MAX_ADDRESS ? { path: 'v1/outages', query: { address } } : null;
    },
    record: 'outages.0',
    fields: outageFields,
    required: ['id', 'cause'],
    derive,
    cacheTtlMs: 30_000,
  },
};

const OutageRecordSchema = z.object({
  id: z.string().min(1).max(64),
  kind: z.enum(['planned', 'unplanned']),
  status: z.enum(['active', 'scheduled']),
  cause: z.string().min(1).max(200),
  start: z.string().min(10),
  estimatedRestoration: z.string().min(10).nullable(),
  affectedCustomers: z.number().int().min(0).default(0),
  workOrderId: z.string().nullable().default(null),
});

export interface GisLookupOptions extends Omit<HttpClientOptions, 'name' | 'clock' | 'log'>, Omit<HttpLookupOptions, 'clock'> {
  clock: Clock;
  log?: Logger;
  name?: string;
}

export class GisLookupAdapter extends HttpLookupAdapter {
  constructor(private readonly o: GisLookupOptions) {
    super(new HttpJsonClient({ ...o, name: o.name ?? 'gis' }), GIS_OPS, o);
  }

  /** Active and scheduled outages covering an area code or an address, most customers first. */
  async outages(q: { area: string } | { address: string }, signal: AbortSignal): Promise<OutageNotice[]> {
    const query: Record<string, string> = 'area' in q ? { area: q.area } : { address: q.address };
    const res = await this.client.request('v1/outages', { query, signal });
    if (res.status === 404) return [];
    const list = (res.body as { outages?: unknown })?.outages;
    if (!Array.isArray(list)) throw new UpstreamError(this.client.name, 'bad-response', 'outages: no list in the answer', res.status);
    const out: OutageNotice[] = [];
    for (const raw of list) {
      const r = OutageRecordSchema.safeParse(raw);
      if (r.success) out.push(r.data);
      else this.o.log?.warn({ upstream: this.client.name, issues: r.error.issues.length }, 'outage record skipped');
    }
    return out.sort((a, b) => b.affectedCustomers - a.affectedCustomers);
  }
}
