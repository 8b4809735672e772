/**
 * The IVR's LookupAdapter port (ivr/ports.ts) over an upstream HTTP system. An adapter is a
 * table of operations (`balance-by-account`, `outage-by-area`…), each saying how to build the
 * request from the lookup's parameters and which fields of the upstream answer it returns:
 *
 *   fields: { canonicalName: 'dotted.path.in.upstream.answer' }
 *
 * The paths are defaults for our simulators; a site whose billing system names things
 * differently overrides them per operation (`fieldMap` option) instead of changing code.
 * Found answers (and not-found) of read operations are cached for `cacheTtlMs` on the injected
 * clock, so a caller who asks twice, or a surge of callers from one area, costs one request.
 *
 * Outcomes: `found` with the mapped fields, `not-found` (upstream 404, an empty list, or
 * parameters that cannot name anything, which are never sent upstream), or a thrown
 * UpstreamError (timeout, circuit open, 5xx, junk) — the lookup verb's fallback branch.
 */
import type { Clock } from '../../core/clock.js';
import type { LookupAdapter, LookupResult, Variables } from '../../ivr/ports.js';
import { pick } from '../../ivr/template.js';
import { UpstreamError, type HttpJsonClient, type JsonResponse, type RequestOptions } from './http-client.js';

export interface LookupOpSpec {
  /** Request for these params, or null when the params cannot name anything (→ not-found). */
  request(params: Readonly<Variables>): ({ path: string } & Omit<RequestOptions, 'signal'>) | null;
  /** Where the record is in the answer ('' = the body itself; 'outages.0' = first of a list). */
  record?: string;
  /** canonical field → dotted path inside the record. */
  fields: Readonly<Record<string, string>>;
  /** Fields that must be present for the answer to count as valid. */
  required?: readonly string[];
  /** Derived fields computed from the mapped ones (formatting for `say`, counts…). */
  derive?(data: Record<string, unknown>, body: unknown): Record<string, unknown>;
  /** 0 disables caching (writes are never cached). */
  cacheTtlMs?: number;
}

export interface HttpLookupOptions {
  clock: Clock;
  /** Per-operation overrides of field paths. */
  fieldMap?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Override every operation's cache TTL (0: no cache). */
  cacheTtlMs?: number;
  /** Largest number of cached answers (default 5000). */
  cacheEntries?: number;
}

export class HttpLookupAdapter implements LookupAdapter {
  private readonly cache = new Map<string, { until: number; result: LookupResult }>();

  constructor(
    readonly client: HttpJsonClient,
    private readonly ops: Readonly<Record<string, LookupOpSpec>>,
    private readonly opts: HttpLookupOptions,
  ) {}

  get operations(): string[] {
    return Object.keys(this.ops);
  }

  async lookup(op: string, params: Readonly<Variables>, signal: AbortSignal): Promise<LookupResult> {
    const spec = Object.hasOwn(this.ops, op) ? this.ops[op] : undefined;
    if (!spec) throw new UpstreamError(this.client.name, 'bad-response', `no operation ${op}`);
    const req = spec.request(params);
    if (!req) return { status: 'not-found' };
    const ttl = this.opts.cacheTtlMs ?? spec.cacheTtlMs ?? 0;
    const cacheable = ttl > 0 && (req.method ?? 'GET') === 'GET';
    const key = `${op}\u0000${req.path}\u0000${JSON.stringify(req.query ?? {})}`;
    const now = this.opts.clock.monotonic();
    if (cacheable) {
      const hit = this.cache.get(key);
      if (hit && hit.until > now) return hit.result;
      if (hit) this.cache.delete(key);
    }
    const { path, ...ro } = req;
    const res = await this.client.request(path, { ...ro, signal });
    const result = this.interpret(op, spec, res);
    if (cacheable) {
      if (this.cache.size >= (this.opts.cacheEntries ?? 5000)) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { until: now + ttl, result });
    }
    return result;
  }

  /** Drop cached answers (after a payment, when an outage is restored…). */
  invalidate(): void {
    this.cache.clear();
  }

  private interpret(op: string, spec: LookupOpSpec, res: JsonResponse): LookupResult {
    if (res.status === 404) return { status: 'not-found' };
    const record = spec.record ? pick(res.body, spec.record) : res.body;
    if (record === undefined || record === null) return { status: 'not-found' };
    if (typeof record !== 'object') throw new UpstreamError(this.client.name, 'bad-response', `${op}: record is not an object`, res.status);
    const paths = { ...spec.fields, ...(this.opts.fieldMap?.[op] ?? {}) };
    const data: Record<string, unknown> = {};
    for (const [name, p] of Object.entries(paths)) {
      const v = pick(record, p);
      data[name] = v === undefined ? null : v;
    }
    for (const name of spec.required ?? [])
      if (data[name] === null || typeof data[name] === 'object') throw new UpstreamError(this.client.name, 'bad-response', `${op}: answer lacks ${name}`, res.status);
    return { status: 'found', data: { ...data, ...(spec.derive?.(data, res.body) ?? {}) } };
  }
}

/** "2026-01-05T18:30:00+08:00" → { date: "2026-01-05", time: "18:30" } as written (local time). */
export function splitLocal(value: unknown): { date: string | null; time: string | null } {
  if (typeof value !== 'string') return { date: null, time: null };
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}))?/.exec(value);
  return { date: m?.[1] ?? null, time: m?.[2] ?? null };
}

/** Account numbers, application numbers, area codes: letters, digits and dashes only. */
export const SAFE_ID = /^[0-9A-Za-z-]{2,32}$/;
