/**
 * SQL for webhooks: subscriptions and the durable delivery queue (store/migrations/0003).
 * Queries are built with Kysely (typed against store/schema.ts) and compiled, then run
 * synchronously on the better-sqlite3 handle. Synchronous on purpose: the bus calls the enqueue
 * inside EventBus.publish(), and the delivery rows must be committed before publish() returns
 * (DESIGN.md "Data": synchronous=FULL, so a committed row survives a power cut). Claiming due
 * rows is one transaction, so two dispatchers on one file never send the same attempt twice.
 * The active subscriptions are asked for on EVERY bus event, so they are kept in memory
 * (store/read-cache.ts) until a subscription is written here or by another connection.
 */
import type { Insertable, Selectable } from 'kysely';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Sqlite, Store } from '../../store/database.js';
import { ReadCache, tableWritten } from '../../store/read-cache.js';
import { SyncQueries } from '../../store/sync-query.js';
import type {
  WebhookDeliveriesTable,
  WebhookDeliveryStatus,
  WebhookSubscriptionsTable,
} from '../../store/schema.js';
import { assertTransition } from './delivery-state.js';


export type SubscriptionRow = Selectable<WebhookSubscriptionsTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
export type NewDeliveryRow = Insertable<WebhookDeliveriesTable>;
/** A claimed delivery with what is needed to send it. */
export type ClaimedDelivery = DeliveryRow & { url: string; secret: string };

export interface DeliveryFilter {
  subscriptionId?: string;
  status?: WebhookDeliveryStatus;
  before?: string;
  limit: number;
}

export class WebhookStore {
  private readonly sqlite: Sqlite;
  private readonly q: SyncQueries;
  private readonly active: ReadCache<readonly SubscriptionRow[]>;

  constructor(
    private readonly store: Pick<Store, 'sqlite' | 'db'>,
    clock: Pick<Clock, 'now'> = systemClock,
  ) {
    this.sqlite = store.sqlite;
    this.q = new SyncQueries(store.sqlite);
    this.active = new ReadCache(store.sqlite, ['webhook_subscriptions'], () =>
      Object.freeze(
        this.q
          .all(this.db.selectFrom('webhook_subscriptions').selectAll().where('active', '=', 1).orderBy('id').compile())
          .map((r) => Object.freeze(r)),
      ),
      { now: () => clock.now() },
    );
  }

  private get db(): Store['db'] {
    return this.store.db;
  }

  // ---- subscriptions ----

  insertSubscription(row: Insertable<WebhookSubscriptionsTable>): void {
    this.q.run(this.db.insertInto('webhook_subscriptions').values(row).compile());
    tableWritten(this.sqlite, 'webhook_subscriptions');
  }

  getSubscription(id: string): SubscriptionRow | undefined {
    return this.q.first(this.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).compile());
  }

  listSubscriptions(): SubscriptionRow[] {
    return this.q.all(this.db.selectFrom('webhook_subscriptions').selectAll().orderBy('id').compile());
  }

  /** Active subscriptions by id: a frozen list shared until the next subscription write. */
  activeSubscriptions(): readonly SubscriptionRow[] {
    return this.active.get();
  }

  updateSubscription(
    id: string,
    patch: Partial<Pick<SubscriptionRow, 'url' | 'event_types' | 'secret' | 'description' | 'active'>> & {
      updated_at: number;
    },
  ): boolean {
    const changed = this.q.run(this.db.updateTable('webhook_subscriptions').set(patch).where('id', '=', id).compile()) > 0;
    tableWritten(this.sqlite, 'webhook_subscriptions');
    return changed;
  }

  /** Deletes the subscription and (ON DELETE CASCADE) its delivery log. */
  deleteSubscription(id: string): boolean {
    const deleted = this.q.run(this.db.deleteFrom('webhook_subscriptions').where('id', '=', id).compile()) > 0;
    tableWritten(this.sqlite, 'webhook_subscriptions');
    return deleted;
  }

  // ---- deliveries ----

  /** Insert delivery rows in one transaction; an (event, subscription) pair already queued is skipped. */
  enqueue(rows: readonly NewDeliveryRow[]): number {
    if (rows.length === 0) return 0;
    const tx = this.sqlite.transaction((list: readonly NewDeliveryRow[]) => {
      let n = 0;
      for (const row of list) {
        n += this.q.run(
          this.db
            .insertInto('webhook_deliveries')
            .values(row)
            .onConflict((oc) => oc.columns(['subscription_id', 'event_id']).doNothing())
            .compile(),
        );
      }
      return n;
    });
    return tx(rows);
  }

  /** Start-up recovery: rows left `delivering` by a process that died go back to `pending`. */
  recoverInterrupted(): number {
    assertTransition('delivering', 'pending');
    return this.q.run(
      this.db
        .updateTable('webhook_deliveries')
        .set({ status: 'pending' })
        .where('status', '=', 'delivering')
        .compile(),
    );
  }

  /** Mark up to `limit` due pending deliveries of active subscriptions `delivering` and return them. */
  claimDue(now: number, limit: number): ClaimedDelivery[] {
    if (limit <= 0) return [];
    assertTransition('pending', 'delivering');
    const tx = this.sqlite.transaction(() => {
      const due = this.q.all(
        this.db
          .selectFrom('webhook_deliveries as d')
          .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
          .selectAll('d')
          .select(['s.url', 's.secret'])
          .where('d.status', '=', 'pending')
          .where('d.next_attempt_at', '<=', now)
          .where('s.active', '=', 1)
          .orderBy('d.next_attempt_at')
          .orderBy('d.id')
          .limit(limit)
          .compile(),
      );
      const claimed: ClaimedDelivery[] = [];
      for (const row of due) {
        const ok = this.q.run(
          this.db
            .updateTable('webhook_deliveries')
            .set({ status: 'delivering' })
            .where('id', '=', row.id)
            .where('status', '=', 'pending')
            .compile(),
        );
        if (ok > 0) claimed.push({ ...row, status: 'delivering' });
      }
      return claimed;
    });
    return tx.immediate();
  }

  /** Earliest next_attempt_at among pending deliveries of active subscriptions, or null. */
  nextDueAt(): number | null {
    const row = this.q.first(
      this.db
        .selectFrom('webhook_deliveries as d')
        .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
        .select((eb) => eb.fn.min('d.next_attempt_at').as('due'))
        .where('d.status', '=', 'pending')
        .where('s.active', '=', 1)
        .compile(),
    );
    return row?.due ?? null;
  }

  markDelivered(id: string, at: number, status: number): boolean {
    return this.transition(id, 'delivering', 'delivered', { delivered_at: at, last_status: status, last_error: null });
  }

  markRetry(id: string, attempts: number, nextAttemptAt: number, status: number | null, error: string): boolean {
    return this.transition(id, 'delivering', 'pending', {
      attempts,
      next_attempt_at: nextAttemptAt,
      last_status: status,
      last_error: error,
    });
  }

  markDead(id: string, attempts: number, status: number | null, error: string): boolean {
    return this.transition(id, 'delivering', 'dead', { attempts, last_status: status, last_error: error });
  }

  /** Give a claimed delivery back without counting an attempt (dispatcher stopping). */
  release(id: string): boolean {
    return this.transition(id, 'delivering', 'pending', {});
  }

  /** Queue a dead delivery again, due now, with a fresh attempt budget. */
  redeliver(id: string, now: number): boolean {
    return this.transition(id, 'dead', 'pending', { attempts: 0, next_attempt_at: now });
  }

  getDelivery(id: string): DeliveryRow | undefined {
    return this.q.first(this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).compile());
  }

  listDeliveries(filter: DeliveryFilter): DeliveryRow[] {
    let q = this.db.selectFrom('webhook_deliveries').selectAll();
    if (filter.subscriptionId !== undefined) q = q.where('subscription_id', '=', filter.subscriptionId);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.before !== undefined) q = q.where('id', '<', filter.before);
    return this.q.all(q.orderBy('id', 'desc').limit(filter.limit).compile());
  }

  countByStatus(): Record<WebhookDeliveryStatus, number> {
    const rows = this.q.all(
      this.db
        .selectFrom('webhook_deliveries')
        .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .compile(),
    );
    const out: Record<WebhookDeliveryStatus, number> = { pending: 0, delivering: 0, delivered: 0, dead: 0 };
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  private transition(
    id: string,
    from: WebhookDeliveryStatus,
    to: WebhookDeliveryStatus,
    fields: Partial<Omit<DeliveryRow, 'id' | 'status'>>,
  ): boolean {
    assertTransition(from, to);
    const q = this.db
      .updateTable('webhook_deliveries')
      .set({ ...fields, status: to })
      .where('id', '=', id)
      .where('status', '=', from)
      .compile();
    return this.q.run(q) > 0;
  }

  // ---- synchronous execution of compiled Kysely queries ----
}

