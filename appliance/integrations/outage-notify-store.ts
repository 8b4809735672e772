/**
 * "Notify me when power is restored" requests (store migration 0014), registered by callers
 * from the IVR's outage announcement. One request per caller and outage: a caller who asks
 * twice gets the first request back (`duplicate: true`), never two notices. The outbound side
 * (SMS / callback dialer) reads `pending(outageId)` when the GIS reports the outage restored
 * and marks what it sent with `markNotified`.
 *
 * The table is typed here with Kysely's `withTables` (it belongs to this module alone).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Database } from '../store/schema.js';

export const NotifyStatuses = ['pending', 'notified', 'cancelled'] as const;
export type NotifyStatus = (typeof NotifyStatuses)[number];

interface OutageNotifyRequestsTable {
  id: string;
  outage_id: string;
  caller: string;
  area: string;
  account_no: string | null;
  call_id: string;
  status: NotifyStatus;
  created_at: number;
  notified_at: number | null;
}

export interface NotifyRequest {
  id: string;
  outageId: string;
  caller: string;
  area: string;
  accountNo: string | null;
  callId: string;
  status: NotifyStatus;
  createdAt: number;
  notifiedAt: number | null;
}

declare module '../core/events.js' {
  interface EventMap {
    'outage.notify.requested': { requestId: string; outageId: string; caller: string; area: string; callId: string };
  }
}

export class OutageNotifyStore {
  private readonly db: Kysely<Database & { outage_notify_requests: OutageNotifyRequestsTable }>;

  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock; events?: Pick<EventBus, 'publish'> }) {
    this.db = deps.db.withTables<{ outage_notify_requests: OutageNotifyRequestsTable }>();
  }

  async request(req: { callId: string; caller: string; outageId: string; area: string; accountNo: string | null }): Promise<{ requestId: string; duplicate: boolean }> {
    const id = newId('ntf', this.deps.clock);
    const r = await this.db
      .insertInto('outage_notify_requests')
      .values({
        id,
        outage_id: req.outageId,
        caller: req.caller,
        area: req.area,
        account_no: req.accountNo,
        call_id: req.callId,
        status: 'pending',
        created_at: this.deps.clock.now(),
        notified_at: null,
      })
      .onConflict((oc) => oc.columns(['outage_id', 'caller']).doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0n) === 0) {
      const existing = await this.db
        .selectFrom('outage_notify_requests')
        .select('id')
        .where('outage_id', '=', req.outageId)
        .where('caller', '=', req.caller)
        .executeTakeFirstOrThrow();
      return { requestId: existing.id, duplicate: true };
    }
    this.deps.events?.publish('outage.notify.requested', { requestId: id, outageId: req.outageId, caller: req.caller, area: req.area, callId: req.callId });
    return { requestId: id, duplicate: false };
  }

  async pending(outageId: string): Promise<NotifyRequest[]> {
    const rows = await this.db.selectFrom('outage_notify_requests').selectAll().where('outage_id', '=', outageId).where('status', '=', 'pending').orderBy('created_at').execute();
    return rows.map(out);
  }

  async markNotified(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.db
      .updateTable('outage_notify_requests')
      .set({ status: 'notified', notified_at: this.deps.clock.now() })
      .where('id', 'in', [...ids])
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}

function out(r: OutageNotifyRequestsTable): NotifyRequest {
  return {
    id: r.id,
    outageId: r.outage_id,
    caller: r.caller,
    area: r.area,
    accountNo: r.account_no,
    callId: r.call_id,
    status: r.status,
    createdAt: r.created_at,
    notifiedAt: r.notified_at,
  };
}
