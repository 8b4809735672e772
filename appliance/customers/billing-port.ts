/**
 * The billing-adapter port (DESIGN.md "integrations": billing / GIS adapters over HTTP) and its
 * HTTP implementation. The billing system (营销系统) owns customer master data; the appliance
 * pulls changes since a cursor, page by page:
 *
 *   GET {baseUrl}/v1/customers/changes?since=<cursor>&limit=<n>
 *   Authorization: Bearer <token>
 *   200 {"records":[BillingRecord…],"nextCursor":"…","hasMore":true|false}
 *
 * The page envelope is checked here; each record is checked by billing-sync.ts so one bad row
 * is reported and skipped instead of failing the page. The request timeout runs on the
 * injected Clock.
 */
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';

export interface BillingPage {
  /** Unvalidated records (billing-sync.ts validates each with BillingRecordSchema). */
  records: unknown[];
  /** Pass as `since` next time; unchanged when there was nothing new. */
  nextCursor: string;
  hasMore: boolean;
}

export interface BillingPort {
  /** Names the sync state row (`billing_sync_state.adapter`). */
  readonly name: string;
  fetchChanges(cursor: string | null, limit: number): Promise<BillingPage>;
}

const PageSchema = z.object({
  records: z.array(z.unknown()),
  nextCursor: z.string().min(1).max(200),
  hasMore: z.boolean(),
});

export interface HttpBillingOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; none when absent. */
  token?: string;
  clock: Clock;
  /** Per request; default 15 s. */
  timeoutMs?: number;
  name?: string;
}

export class BillingUnavailableError extends AppError {
  readonly status: number | null;

  constructor(message: string, status: number | null, options?: { cause?: unknown }) {
    super('UPSTREAM_UNAVAILABLE', message, options);
    this.status = status;
  }
}

export class HttpBillingAdapter implements BillingPort {
  readonly name: string;

  constructor(private readonly opts: HttpBillingOptions) {
    this.name = opts.name ?? 'billing';
  }

  async fetchChanges(cursor: string | null, limit: number): Promise<BillingPage> {
    const url = new URL('v1/customers/changes', this.opts.baseUrl.endsWith('/') ? this.opts.baseUrl : `${this.opts.baseUrl}/`);
    if (cursor !== null) url.searchParams.set('since', cursor);
    url.searchParams.set('limit', String(limit));
    const abort = new AbortController();
    const timer = this.opts.clock.setTimeout(() => abort.abort(new Error('billing request timed out')), this.opts.timeoutMs ?? 15_000);
    try {
      let res: Response;
      try {
        res = await fetch(url, { headers: { ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}), accept: 'application/json' }, signal: abort.signal });
      } catch (err) {
        throw new BillingUnavailableError(`billing ${url.host}: ${(err as Error).message}`, null, { cause: err });
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new BillingUnavailableError(`billing ${url.host} answered ${res.status}`, res.status);
      }
      const body = PageSchema.safeParse(await res.json().catch(() => null));
      if (!body.success) throw new BillingUnavailableError(`billing ${url.host} sent a malformed page`, res.status);
      return body.data;
    } finally {
      timer.cancel();
    }
  }
}
