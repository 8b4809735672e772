/**
 * Work-order statistics (issue 9 "Reports": work-order statistics by type, department, SLA
 * compliance; satisfaction and callback visits; SEEDS.md "Management": statistics of work-order
 * results, callback, satisfaction [W 6]). Orders created in the range, grouped by type,
 * category, department, priority or source. Formulas, shown with the figures:
 *
 * - closed          = status closed or visited (办结 / 已回访)
 * - overdue         = still open and (past its earliest due instant, or its SLA breached)
 * - SLA compliance  = (closed − closed with a breached SLA) / closed × 100
 * - satisfaction    = satisfied / (satisfied + dissatisfied) × 100; unreachable visits apart
 * - resolve time    = mean (closed_at − created_at), wall time, over closed orders
 *
 * An order counts for every department it was ever assigned to (workorder_assignments with
 * assignee_kind 'department'); one never assigned to a department counts under ''.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export const WorkOrderDimensions = ['type', 'category', 'department', 'priority', 'source'] as const;
export type WorkOrderDimension = (typeof WorkOrderDimensions)[number];

export const WORKORDER_FORMULAS = {
  slaCompliance: '(closed − closed with SLA breached) / closed × 100',
  satisfaction: 'satisfied / (satisfied + dissatisfied) × 100',
  overdue: 'open and (now > due, or SLA breached)',
} as const;

const CLOSED: ReadonlySet<string> = new Set(['closed', 'visited']);

/** One order as the reports see it (also the custom-report dataset row). */
export interface WorkOrderFact {
  id: string;
  createdAt: number;
  closedAt: number | null;
  typeId: string;
  typeName: string;
  categoryId: string;
  categoryName: string;
  priority: string;
  source: string;
  status: string;
  slaState: string;
  visitResult: string | null;
  dueAt: number | null;
  departments: Array<{ id: string; name: string }>;
}

export interface WorkOrderStats {
  created: number;
  open: number;
  closed: number;
  cancelled: number;
  overdue: number;
  breached: number;
  closedBreached: number;
  slaCompliancePct: number | null;
  satisfied: number;
  dissatisfied: number;
  unreachable: number;
  satisfactionPct: number | null;
  avgResolveMs: number | null;
}

export interface WorkOrderReportRow extends WorkOrderStats {
  key: string;
  name: string;
}

export interface WorkOrderReport {
  query: WorkOrderReportQuery;
  rows: WorkOrderReportRow[];
  total: WorkOrderStats;
  formulas: typeof WORKORDER_FORMULAS;
}

export interface WorkOrderReportQuery {
  from: number;
  to: number;
  by: WorkOrderDimension;
  typeId?: string;
  /** "Now" for overdue. */
  now: number;
}

export function isOpen(f: Pick<WorkOrderFact, 'status'>): boolean {
  return !CLOSED.has(f.status) && f.status !== 'cancelled';
}

export function isOverdue(f: WorkOrderFact, now: number): boolean {
  return isOpen(f) && ((f.dueAt !== null && now > f.dueAt) || f.slaState === 'breached');
}

export function workOrderStats(facts: readonly WorkOrderFact[], now: number): WorkOrderStats {
  const s: WorkOrderStats = {
    created: facts.length,
    open: 0,
    closed: 0,
    cancelled: 0,
    overdue: 0,
    breached: 0,
    closedBreached: 0,
    slaCompliancePct: null,
    satisfied: 0,
    dissatisfied: 0,
    unreachable: 0,
    satisfactionPct: null,
    avgResolveMs: null,
  };
  let resolveSum = 0;
  let resolveN = 0;
  for (const f of facts) {
    const closed = CLOSED.has(f.status);
    if (closed) s.closed++;
    else if (f.status === 'cancelled') s.cancelled++;
    else s.open++;
    if (isOverdue(f, now)) s.overdue++;
    if (f.slaState === 'breached') {
      s.breached++;
      if (closed) s.closedBreached++;
    }
    if (f.visitResult === 'satisfied') s.satisfied++;
    else if (f.visitResult === 'dissatisfied') s.dissatisfied++;
    else if (f.visitResult === 'unreachable') s.unreachable++;
    if (closed && f.closedAt !== null) {
      resolveSum += f.closedAt - f.createdAt;
      resolveN++;
    }
  }
  s.slaCompliancePct = s.closed > 0 ? ((s.closed - s.closedBreached) / s.closed) * 100 : null;
  s.satisfactionPct = s.satisfied + s.dissatisfied > 0 ? (s.satisfied / (s.satisfied + s.dissatisfied)) * 100 : null;
  s.avgResolveMs = resolveN > 0 ? resolveSum / resolveN : null;
  return s;
}

function keysOf(f: WorkOrderFact, by: WorkOrderDimension): Array<{ key: string; name: string }> {
  switch (by) {
    case 'type':
      return [{ key: f.typeId, name: f.typeName }];
    case 'category':
      return [{ key: f.categoryId, name: f.categoryName }];
    case 'department':
      return f.departments.length ? f.departments.map((d) => ({ key: d.id, name: d.name })) : [{ key: '', name: '' }];
    case 'priority':
      return [{ key: f.priority, name: f.priority }];
    case 'source':
      return [{ key: f.source, name: f.source }];
  }
}

export class WorkOrderReports {
  constructor(private readonly deps: { db: Kysely<Database> }) {}

  async types(): Promise<Array<{ id: string; name: string }>> {
    return this.deps.db.selectFrom('workorder_types').select(['id', 'name']).orderBy('id').execute();
  }

  /** Orders created in [from, to), with their names and departments. */
  async facts(from: number, to: number, typeId?: string): Promise<WorkOrderFact[]> {
    let q = this.deps.db
      .selectFrom('workorders as w')
      .innerJoin('workorder_types as t', 't.id', 'w.type_id')
      .leftJoin('workorder_categories as c', 'c.id', 'w.category_id')
      .select([
        'w.id',
        'w.created_at',
        'w.closed_at',
        'w.type_id',
        't.name as type_name',
        'w.category_id',
        'c.name as category_name',
        'w.priority',
        'w.source',
        'w.status',
        'w.sla_state',
        'w.visit_result',
        'w.due_at',
      ])
      .where('w.created_at', '>=', from)
      .where('w.created_at', '<', to);
    if (typeId) q = q.where('w.type_id', '=', typeId);
    const rows = await q.orderBy('w.created_at').execute();
    let dq = this.deps.db
      .selectFrom('workorder_assignments as a')
      .innerJoin('workorders as w', 'w.id', 'a.order_id')
      .innerJoin('departments as d', 'd.id', 'a.assignee_id')
      .select(['a.order_id', 'd.id', 'd.name'])
      .distinct()
      .where('a.assignee_kind', '=', 'department')
      .where('w.created_at', '>=', from)
      .where('w.created_at', '<', to);
    if (typeId) dq = dq.where('w.type_id', '=', typeId);
    const depts = new Map<string, Array<{ id: string; name: string }>>();
    for (const d of await dq.orderBy('d.id').execute()) {
      const list = depts.get(d.order_id) ?? [];
      list.push({ id: d.id, name: d.name });
      depts.set(d.order_id, list);
    }
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at,
      closedAt: r.closed_at,
      typeId: r.type_id,
      typeName: r.type_name,
      categoryId: r.category_id ?? '',
      categoryName: r.category_name ?? '',
      priority: r.priority,
      source: r.source,
      status: r.status,
      slaState: r.sla_state,
      visitResult: r.visit_result,
      dueAt: r.due_at,
      departments: depts.get(r.id) ?? [],
    }));
  }

  async summary(query: WorkOrderReportQuery): Promise<WorkOrderReport> {
    const facts = await this.facts(query.from, query.to, query.typeId);
    const groups = new Map<string, { name: string; facts: WorkOrderFact[] }>();
    for (const f of facts) {
      for (const k of keysOf(f, query.by)) {
        const g = groups.get(k.key) ?? { name: k.name, facts: [] };
        g.facts.push(f);
        groups.set(k.key, g);
      }
    }
    const rows = [...groups]
      .map(([key, g]) => ({ key, name: g.name, ...workOrderStats(g.facts, query.now) }))
      .sort((a, b) => b.created - a.created || a.key.localeCompare(b.key));
    return { query, rows, total: workOrderStats(facts, query.now), formulas: WORKORDER_FORMULAS };
  }
}
