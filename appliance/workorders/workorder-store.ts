/**
 * SQL for work orders (store/migrations/0004-workorders.ts). Queries are built with Kysely,
 * compiled, and run synchronously on the better-sqlite3 handle (as webhook-store.ts does), so a
 * whole action — order row, event row, assignments, SLA clocks — runs inside one
 * `sqlite.transaction(...).immediate()`: all of it commits or none of it does. IMMEDIATE takes
 * the write lock at BEGIN, so two processes drawing order numbers queue instead of deadlocking.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { sql, type CompiledQuery, type SelectQueryBuilder, type SqlBool, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Sqlite, Store } from '../store/database.js';
import { SyncQueries } from '../store/sync-query.js';
import type {
  BusinessCalendarsTable,
  Database,
  CalendarDaysTable,
  DepartmentsTable,
  SlaPoliciesTable,
  WorkorderAssignmentsTable,
  WorkorderCategoriesTable,
  WorkorderEventsTable,
  WorkorderSlaTable,
  WorkordersTable,
  WorkorderTypesTable,
} from '../store/schema.js';
import type { Assignee, OrderStatus } from './model.js';

type Statement = BetterSqlite3.Statement<unknown[]>;

export type DepartmentRow = Selectable<DepartmentsTable>;
export type CalendarRow = Selectable<BusinessCalendarsTable>;
export type CalendarDayRow = Selectable<CalendarDaysTable>;
export type TypeRow = Selectable<WorkorderTypesTable>;
export type CategoryRow = Selectable<WorkorderCategoriesTable>;
export type PolicyRow = Selectable<SlaPoliciesTable>;
export type OrderRow = Selectable<WorkordersTable>;
export type AssignmentRow = Selectable<WorkorderAssignmentsTable>;
export type EventRow = Selectable<WorkorderEventsTable>;
export type SlaRow = Selectable<WorkorderSlaTable>;

export interface OrderFilter {
  status?: readonly OrderStatus[];
  typeId?: string;
  customerId?: string;
  source?: string;
  slaState?: string;
  /** Inclusive lower bound on created_at. */
  createdFrom?: number;
  /** Exclusive upper bound on created_at. */
  createdTo?: number;
  /** Matches the number exactly or a substring of the title. */
  text?: string;
  /** Keyset cursor: continue after this (created_at, id). */
  after?: { createdAt: number; id: string };
  limit: number;
}

export class WorkOrderStore {
  private readonly sqlite: Sqlite;
  private readonly q: SyncQueries;
  /** Inserts by column set: compiled once by Kysely, prepared once (the create hot path). */
  private readonly insertStatements = new Map<string, Statement>();
  private readonly insertSql = new Map<string, string>();

  constructor(private readonly store: Pick<Store, 'sqlite' | 'db'>) {
    this.sqlite = store.sqlite;
    this.q = new SyncQueries(store.sqlite);
  }

  private get db(): Store['db'] {
    return this.store.db;
  }

  /** Run `fn` in one IMMEDIATE transaction; a throw rolls everything back. */
  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn).immediate();
  }

  // ---- departments ----

  insertDepartment(row: Insertable<DepartmentsTable>): void {
    this.q.run(this.db.insertInto('departments').values(row).compile());
  }

  updateDepartment(id: string, patch: Updateable<DepartmentsTable>): number {
    return this.q.run(this.db.updateTable('departments').set(patch).where('id', '=', id).compile());
  }

  getDepartment(id: string): DepartmentRow | undefined {
    return this.q.first(this.db.selectFrom('departments').selectAll().where('id', '=', id).compile());
  }

  listDepartments(): DepartmentRow[] {
    return this.q.all(this.db.selectFrom('departments').selectAll().orderBy('code').compile());
  }

  // ---- calendars ----

  insertCalendar(row: Insertable<BusinessCalendarsTable>): void {
    this.q.run(this.db.insertInto('business_calendars').values(row).compile());
  }

  getCalendar(id: string): CalendarRow | undefined {
    return this.q.first(this.db.selectFrom('business_calendars').selectAll().where('id', '=', id).compile());
  }

  calendarDays(calendarId: string): CalendarDayRow[] {
    return this.q.all(
      this.db.selectFrom('calendar_days').selectAll().where('calendar_id', '=', calendarId).orderBy('date').compile(),
    );
  }

  upsertCalendarDay(row: Insertable<CalendarDaysTable>): void {
    this.q.run(
      this.db
        .insertInto('calendar_days')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['calendar_id', 'date']).doUpdateSet({ kind: row.kind, name: row.name ?? '', periods: row.periods ?? null }),
        )
        .compile(),
    );
  }

  deleteCalendarDay(calendarId: string, date: string): number {
    return this.q.run(
      this.db.deleteFrom('calendar_days').where('calendar_id', '=', calendarId).where('date', '=', date).compile(),
    );
  }

  // ---- types, categories, policies ----

  insertType(row: Insertable<WorkorderTypesTable>): void {
    this.q.run(this.db.insertInto('workorder_types').values(row).compile());
  }

  updateType(id: string, patch: Updateable<WorkorderTypesTable>): number {
    return this.q.run(this.db.updateTable('workorder_types').set(patch).where('id', '=', id).compile());
  }

  getType(id: string): TypeRow | undefined {
    return this.q.first(this.db.selectFrom('workorder_types').selectAll().where('id', '=', id).compile());
  }

  listTypes(): TypeRow[] {
    return this.q.all(this.db.selectFrom('workorder_types').selectAll().orderBy('id').compile());
  }

  insertCategory(row: Insertable<WorkorderCategoriesTable>): void {
    this.q.run(this.db.insertInto('workorder_categories').values(row).compile());
  }

  getCategory(id: string): CategoryRow | undefined {
    return this.q.first(this.db.selectFrom('workorder_categories').selectAll().where('id', '=', id).compile());
  }

  listCategories(typeId: string): CategoryRow[] {
    return this.q.all(
      this.db
        .selectFrom('workorder_categories')
        .selectAll()
        .where('type_id', '=', typeId)
        .orderBy('sort')
        .orderBy('code')
        .compile(),
    );
  }

  insertPolicy(row: Insertable<SlaPoliciesTable>): void {
    this.q.run(this.db.insertInto('sla_policies').values(row).compile());
  }

  activePolicies(): PolicyRow[] {
    return this.q.all(this.db.selectFrom('sla_policies').selectAll().where('active', '=', 1).orderBy('id').compile());
  }

  // ---- numbering ----

  /** The next sequence number of `day` (1 for the first order of the day). */
  nextSequence(day: string): number {
    const row = this.q.first(
      this.db
        .insertInto('workorder_sequences')
        .values({ day, last: 1 })
        .onConflict((oc) => oc.column('day').doUpdateSet({ last: sql`last + 1` }))
        .returning('last')
        .compile(),
    );
    return row!.last;
  }

  // ---- orders ----

  insertOrder(row: Insertable<WorkordersTable>): void {
    this.insertRow('workorders', row);
  }

  getOrder(id: string): OrderRow | undefined {
    return this.q.first(this.db.selectFrom('workorders').selectAll().where('id', '=', id).compile());
  }

  getOrderByNumber(number: string): OrderRow | undefined {
    return this.q.first(this.db.selectFrom('workorders').selectAll().where('number', '=', number).compile());
  }

  /** Optimistic update: applies only when the stored version is `version`; bumps it. */
  updateOrderVersioned(id: string, version: number, patch: Updateable<WorkordersTable>): number {
    return this.q.run(
      this.db
        .updateTable('workorders')
        .set({ ...patch, version: version + 1 })
        .where('id', '=', id)
        .where('version', '=', version)
        .compile(),
    );
  }

  /** System bookkeeping (SLA state, due instant) that does not bump the version. */
  updateOrderSla(id: string, patch: Pick<Updateable<WorkordersTable>, 'sla_state' | 'due_at'>): void {
    this.q.run(this.db.updateTable('workorders').set(patch).where('id', '=', id).compile());
  }

  /**
   * One page of orders, newest first. `text` is an order number (exact, through its unique
   * index), or words: terms of 3+ characters go to the trigram index workorder_fts (newest first
   * by its rowid, which follows insertion order, so a common term stops after one page), shorter
   * ones are LIKE conditions on the title (FTS5 trigram cannot match them, sqlite.org/fts5.html §4.3.3).
   */
  listOrders(f: OrderFilter): OrderRow[] {
    const text = f.text?.normalize('NFKC').trim() ?? '';
    const number = /^GD\d{8}-\d+$/i.test(text) ? text.toUpperCase() : null;
    const terms = number === null ? [...new Set(text.split(/\s+/u).filter(Boolean))].slice(0, 8) : [];
    const long = terms.filter((t) => Array.from(t).length >= 3);
    const short = terms.filter((t) => Array.from(t).length < 3);
    const like = (t: string): string => `%${t.replace(/[%_\\]/g, '\\$&')}%`;
    type OQ = SelectQueryBuilder<Database & { o: WorkordersTable }, 'o', OrderRow>;
    const filtered = <Q>(q0: Q): Q => {
      let q = q0 as unknown as OQ;
      if (f.status && f.status.length > 0) q = q.where('o.status', 'in', [...f.status]);
      if (f.typeId) q = q.where('o.type_id', '=', f.typeId);
      if (f.customerId) q = q.where('o.customer_id', '=', f.customerId);
      if (f.source) q = q.where('o.source', '=', f.source);
      if (f.slaState) q = q.where('o.sla_state', '=', f.slaState);
      if (f.createdFrom !== undefined) q = q.where('o.created_at', '>=', f.createdFrom);
      if (f.createdTo !== undefined) q = q.where('o.created_at', '<', f.createdTo);
      if (number !== null) q = q.where('o.number', '=', number);
      for (const t of short) q = q.where(sql<SqlBool>`o.title LIKE ${like(t)} ESCAPE '\\'`);
      if (f.after && long.length > 0) {
        // Text pages follow the index's insertion order: continue below the cursor order's rowid.
        const { id } = f.after;
        q = q.where(sql<SqlBool>`workorder_fts.rowid < (SELECT w.rowid FROM workorders w WHERE w.id = ${id})`);
      } else if (f.after) {
        const { createdAt, id } = f.after;
        q = q.where((eb) =>
          eb.or([eb('o.created_at', '<', createdAt), eb.and([eb('o.created_at', '=', createdAt), eb('o.id', '<', id)])]),
        );
      }
      return q as unknown as Q;
    };
    if (long.length > 0) {
      const match = long.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');
      const q = this.db
        .selectFrom('workorder_fts')
        .innerJoin('workorders as o', 'o.id', 'workorder_fts.order_id')
        .selectAll('o')
        .where(sql<SqlBool>`workorder_fts MATCH ${match}`);
      return this.q.all(filtered(q).orderBy(sql`workorder_fts.rowid`, 'desc').limit(f.limit).compile());
    }
    const q = this.db.selectFrom('workorders as o').selectAll('o');
    return this.q.all(filtered(q).orderBy('o.created_at', 'desc').orderBy('o.id', 'desc').limit(f.limit).compile());
  }

  // ---- links ----

  insertLink(orderId: string, kind: 'call' | 'recording' | 'attachment', ref: string, at: number): void {
    this.q.run(
      this.db
        .insertInto('workorder_links')
        .values({ order_id: orderId, kind, ref, created_at: at })
        .onConflict((oc) => oc.doNothing())
        .compile(),
    );
  }

  linksOf(orderId: string): Array<{ kind: string; ref: string }> {
    return this.q.all(
      this.db.selectFrom('workorder_links').select(['kind', 'ref']).where('order_id', '=', orderId).orderBy('created_at').compile(),
    );
  }

  ordersLinkedTo(kind: 'call' | 'recording' | 'attachment', ref: string): string[] {
    return this.q.all(
      this.db.selectFrom('workorder_links').select('order_id').where('kind', '=', kind).where('ref', '=', ref).compile(),
    ).map((r) => r.order_id);
  }

  // ---- assignments ----

  insertAssignment(row: Insertable<WorkorderAssignmentsTable>): number {
    return Number(this.insertRow('workorder_assignments', row).lastInsertRowid);
  }

  updateAssignment(id: number, patch: Updateable<WorkorderAssignmentsTable>): void {
    this.q.run(this.db.updateTable('workorder_assignments').set(patch).where('id', '=', id).compile());
  }

  assignmentsOf(orderId: string, round?: number): AssignmentRow[] {
    let q = this.db.selectFrom('workorder_assignments').selectAll().where('order_id', '=', orderId);
    if (round !== undefined) q = q.where('round', '=', round);
    return this.q.all(q.orderBy('id').compile());
  }

  /** Pending assignments for any of these assignees, with their orders (the to-do list). */
  pendingFor(assignees: readonly Assignee[], limit: number): Array<AssignmentRow & { number: string; title: string; status: string; due_at: number | null }> {
    if (assignees.length === 0) return [];
    return this.q.all(
      this.db
        .selectFrom('workorder_assignments as a')
        .innerJoin('workorders as o', 'o.id', 'a.order_id')
        .selectAll('a')
        .select(['o.number', 'o.title', 'o.status', 'o.due_at'])
        .where('a.status', '=', 'pending')
        .where((eb) => eb.or(assignees.map((x) => eb.and([eb('a.assignee_kind', '=', x.kind), eb('a.assignee_id', '=', x.id)]))))
        .orderBy('a.created_at')
        .limit(limit)
        .compile(),
    );
  }

  /** Orders waiting on their acceptor: to dispatch (accepted) or to close (replied). */
  waitingOnAcceptor(acceptorId: string, limit: number): OrderRow[] {
    return this.q.all(
      this.db
        .selectFrom('workorders')
        .selectAll()
        .where('acceptor_id', '=', acceptorId)
        .where('status', 'in', ['accepted', 'replied'])
        .orderBy('updated_at')
        .limit(limit)
        .compile(),
    );
  }

  // ---- events ----

  insertEvent(row: Insertable<WorkorderEventsTable>): number {
    return Number(this.insertRow('workorder_events', row).lastInsertRowid);
  }

  eventsOf(orderId: string): EventRow[] {
    return this.q.all(this.db.selectFrom('workorder_events').selectAll().where('order_id', '=', orderId).orderBy('id').compile());
  }

  // ---- SLA clocks ----

  insertSla(row: Insertable<WorkorderSlaTable>): void {
    this.insertRow('workorder_sla', row);
  }

  updateSla(id: number, patch: Updateable<WorkorderSlaTable>): void {
    this.q.run(this.db.updateTable('workorder_sla').set(patch).where('id', '=', id).compile());
  }

  slaOf(orderId: string): SlaRow[] {
    return this.q.all(this.db.selectFrom('workorder_sla').selectAll().where('order_id', '=', orderId).orderBy('id').compile());
  }

  dueSla(now: number, limit: number): SlaRow[] {
    return this.q.all(
      this.db
        .selectFrom('workorder_sla')
        .selectAll()
        .where('status', '=', 'running')
        .where('next_check_at', '<=', now)
        .orderBy('next_check_at')
        .limit(limit)
        .compile(),
    );
  }

  earliestSlaCheck(): number | null {
    const r = this.q.first(
      this.db
        .selectFrom('workorder_sla')
        .select((eb) => eb.fn.min('next_check_at').as('at'))
        .where('status', '=', 'running')
        .compile(),
    );
    return (r?.at as number | null | undefined) ?? null;
  }


  /**
   * INSERT of one row on the hot paths (create, act). The SQL is Kysely's, compiled once per
   * table and column set and cached; later rows only bind their values, in the same column
   * order (Kysely leaves out undefined values, and so does this). Compiling the query object
   * on every call was a sixth of the CPU of a create.
   */
  private insertRow<T extends 'workorders' | 'workorder_events' | 'workorder_sla' | 'workorder_assignments'>(
    table: T,
    row: Insertable<Database[T]>,
  ): BetterSqlite3.RunResult {
    const rec = row as Record<string, unknown>;
    const keys = Object.keys(rec).filter((k) => rec[k] !== undefined);
    const cacheKey = `${table}\0${keys.join(',')}`;
    let text = this.insertSql.get(cacheKey);
    if (text === undefined) {
      text = this.db.insertInto(table).values(row as never).compile().sql;
      this.insertSql.set(cacheKey, text);
    }
    let st = this.insertStatements.get(text);
    if (!st) {
      st = this.sqlite.prepare(text);
      this.insertStatements.set(text, st);
    }
    return st.run(...keys.map((k) => rec[k]));
  }

}
