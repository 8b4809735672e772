/**
 * The work-order side of a customer's history (customers/history.ts, issue 8 "history (calls,
 * work orders, surveys)"): the customer's orders by created_at through workorders_customer,
 * and the callback visits (回访) of those orders, dated by when they ended (or were selected,
 * while open). Both implement the customers' HistorySource port; the daemon wires them.
 */
import { sql } from 'kysely';
import type { HistorySource, VisitEntry, WorkOrderEntry } from '../customers/history.js';
import { windowCondition } from '../customers/history-sql.js';
import type { Store } from '../store/database.js';
import { SyncQueries } from '../store/sync-query.js';

export function workOrderHistorySource(store: Pick<Store, 'sqlite' | 'db'>): HistorySource {
  const q = new SyncQueries(store.sqlite);
  return {
    kind: 'workorder',
    list: ({ customerId, window, limit }): WorkOrderEntry[] =>
      q
        .all(
          store.db
            .selectFrom('workorders as o')
            .select(['o.id', 'o.number', 'o.type_id', 'o.status', 'o.source', 'o.priority', 'o.title', 'o.created_at', 'o.closed_at', 'o.visit_result'])
            .where('o.customer_id', '=', customerId)
            .where(windowCondition(sql.ref('o.created_at'), sql.ref('o.id'), window))
            .orderBy('o.created_at', 'desc')
            .orderBy('o.id', 'desc')
            .limit(limit)
            .compile(),
        )
        .map((r) => ({
          kind: 'workorder',
          id: r.id,
          at: r.created_at,
          number: r.number,
          typeId: r.type_id,
          status: r.status,
          source: r.source,
          priority: r.priority,
          title: r.title,
          closedAt: r.closed_at,
          visitResult: r.visit_result,
        })),
  };
}

export function visitHistorySource(store: Pick<Store, 'sqlite' | 'db'>): HistorySource {
  const q = new SyncQueries(store.sqlite);
  const at = sql<number>`coalesce(v.completed_at, v.created_at)`;
  return {
    kind: 'visit',
    list: ({ customerId, window, limit }): VisitEntry[] =>
      q
        .all(
          store.db
            .selectFrom('workorder_visits as v')
            .innerJoin('workorders as o', 'o.id', 'v.order_id')
            .select(['v.id', 'v.order_id', 'o.number', 'v.status', 'v.result', 'v.reason', 'v.agent_id', 'v.attempts'])
            .select(at.as('at'))
            .where('o.customer_id', '=', customerId)
            .where(windowCondition(at, sql.ref('v.id'), window))
            .orderBy(at, 'desc')
            .orderBy('v.id', 'desc')
            .limit(limit)
            .compile(),
        )
        .map((r) => ({
          kind: 'visit',
          id: r.id,
          at: r.at,
          orderId: r.order_id,
          orderNumber: r.number,
          status: r.status,
          result: r.result,
          reason: r.reason,
          agentId: r.agent_id,
          attempts: r.attempts,
        })),
  };
}
