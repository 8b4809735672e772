/**
 * SQL for customers (store/migrations/0008-customers-knowledge.ts). Queries are built with
 * Kysely, compiled once, and run synchronously on the better-sqlite3 handle (as
 * workorders/workorder-store.ts does) so that a correction — profile, phones, correction rows —
 * or a page of billing records commits in one IMMEDIATE transaction.
 *
 * The caller lookup is the hot path of the screen pop: its statement is prepared at
 * construction and probes the covering primary key of customer_phones (number, customer_id)
 * and then customers by primary key — two B-tree descents, a few microseconds.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Sqlite, Store } from '../store/database.js';
import { SyncQueries } from '../store/sync-query.js';
import type {
  BillingSyncStateTable,
  CustomerAccountsTable,
  CustomerAddressesTable,
  CustomerContactsTable,
  CustomerCorrectionsTable,
  CustomerPhonesTable,
  CustomersTable,
} from '../store/schema.js';
import type { CorrectionStatus } from './model.js';

type Statement = BetterSqlite3.Statement<unknown[]>;

export type CustomerRow = Selectable<CustomersTable>;
export type AccountRow = Selectable<CustomerAccountsTable>;
export type ContactRow = Selectable<CustomerContactsTable>;
export type PhoneRow = Selectable<CustomerPhonesTable>;
export type AddressRow = Selectable<CustomerAddressesTable>;
export type CorrectionRow = Selectable<CustomerCorrectionsTable>;
export type SyncStateRow = Selectable<BillingSyncStateTable>;

export interface CallerRow {
  customer_id: string;
  name: string;
  tier: CustomerRow['tier'];
  kind: CustomerRow['kind'];
  label: string;
}

export interface CorrectionFilter {
  customerId?: string;
  status?: CorrectionStatus;
  /** Inclusive, ms. */
  from?: number;
  /** Exclusive, ms. */
  to?: number;
  afterId?: number;
  limit: number;
}

export class CustomerStore {
  private readonly sqlite: Sqlite;
  private readonly q: SyncQueries;
  private readonly callerStatement: Statement;

  constructor(private readonly store: Pick<Store, 'sqlite' | 'db'>) {
    this.sqlite = store.sqlite;
    this.q = new SyncQueries(store.sqlite);
    const q = this.db
      .selectFrom('customer_phones as p')
      .innerJoin('customers as c', 'c.id', 'p.customer_id')
      .select(['p.customer_id', 'c.name', 'c.tier', 'c.kind', 'p.label'])
      .where('p.number', '=', '')
      .compile();
    this.callerStatement = this.sqlite.prepare(q.sql);
  }

  private get db(): Store['db'] {
    return this.store.db;
  }

  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn).immediate();
  }

  // ---- the screen-pop path ----

  callers(numberKey: string): CallerRow[] {
    return this.callerStatement.all(numberKey) as CallerRow[];
  }

  // ---- customers ----

  insertCustomer(row: Insertable<CustomersTable>): void {
    this.q.run(this.db.insertInto('customers').values(row).compile());
  }

  getCustomer(id: string): CustomerRow | undefined {
    return this.q.first(this.db.selectFrom('customers').selectAll().where('id', '=', id).compile());
  }

  getByBillingRef(ref: string): CustomerRow | undefined {
    return this.q.first(this.db.selectFrom('customers').selectAll().where('billing_ref', '=', ref).compile());
  }

  /** Optimistic update: applies only when the stored version is `version`; bumps it. */
  updateVersioned(id: string, version: number, patch: Updateable<CustomersTable>): number {
    return this.q.run(
      this.db.updateTable('customers').set({ ...patch, version: version + 1 }).where('id', '=', id).where('version', '=', version).compile(),
    );
  }

  /** System bookkeeping (tier, sync time) that is not a person's edit. */
  updateSystem(id: string, patch: Pick<Updateable<CustomersTable>, 'tier' | 'tier_rule' | 'synced_at'>): void {
    this.q.run(this.db.updateTable('customers').set(patch).where('id', '=', id).compile());
  }

  /** Keyset walk over every customer id (tier recomputation). */
  customerIdsAfter(afterId: string, limit: number): string[] {
    return this.q.all(this.db.selectFrom('customers').select('id').where('id', '>', afterId).orderBy('id').limit(limit).compile()).map((r) => r.id);
  }

  countCustomers(): number {
    return Number(this.q.first(this.db.selectFrom('customers').select((eb) => eb.fn.countAll().as('n')).compile())?.n ?? 0);
  }

  // ---- accounts ----

  accountsOf(customerId: string): AccountRow[] {
    return this.q.all(this.db.selectFrom('customer_accounts').selectAll().where('customer_id', '=', customerId).orderBy('account_no').compile());
  }

  getAccount(accountNo: string): AccountRow | undefined {
    return this.q.first(this.db.selectFrom('customer_accounts').selectAll().where('account_no', '=', accountNo).compile());
  }

  accountsByMeter(meterNo: string): AccountRow[] {
    return this.q.all(this.db.selectFrom('customer_accounts').selectAll().where('meter_no', '=', meterNo).compile());
  }

  upsertAccount(row: Insertable<CustomerAccountsTable>): void {
    const { account_no: _a, ...rest } = row;
    this.q.run(this.db.insertInto('customer_accounts').values(row).onConflict((oc) => oc.column('account_no').doUpdateSet(rest)).compile());
  }

  deleteAccountsNotIn(customerId: string, keep: readonly string[]): void {
    let q = this.db.deleteFrom('customer_accounts').where('customer_id', '=', customerId);
    if (keep.length > 0) q = q.where('account_no', 'not in', [...keep]);
    this.q.run(q.compile());
  }

  // ---- contacts, phones, addresses ----

  insertContact(row: Insertable<CustomerContactsTable>): void {
    this.q.run(this.db.insertInto('customer_contacts').values(row).compile());
  }

  contactsOf(customerId: string): ContactRow[] {
    return this.q.all(this.db.selectFrom('customer_contacts').selectAll().where('customer_id', '=', customerId).orderBy('id').compile());
  }

  insertPhone(row: Insertable<CustomerPhonesTable>): void {
    this.q.run(this.db.insertInto('customer_phones').values(row).onConflict((oc) => oc.columns(['number', 'customer_id']).doNothing()).compile());
  }

  deletePhone(customerId: string, number: string): number {
    return this.q.run(this.db.deleteFrom('customer_phones').where('customer_id', '=', customerId).where('number', '=', number).compile());
  }

  phonesOf(customerId: string): PhoneRow[] {
    return this.q.all(this.db.selectFrom('customer_phones').selectAll().where('customer_id', '=', customerId).orderBy('number').compile());
  }

  insertAddress(row: Insertable<CustomerAddressesTable>): void {
    this.q.run(this.db.insertInto('customer_addresses').values(row).compile());
  }

  deletePrimaryAddresses(customerId: string): void {
    this.q.run(this.db.deleteFrom('customer_addresses').where('customer_id', '=', customerId).where('is_primary', '=', 1).compile());
  }

  addressesOf(customerId: string): AddressRow[] {
    return this.q.all(
      this.db.selectFrom('customer_addresses').selectAll().where('customer_id', '=', customerId).orderBy('is_primary', 'desc').orderBy('id').compile(),
    );
  }

  /** Customers with an address in an area whose code starts with `prefix` (outage matching). */
  customersInArea(prefix: string, limit: number): string[] {
    return this.q.all(
      this.db
        .selectFrom('customer_addresses')
        .select('customer_id')
        .distinct()
        .where('area_code', '>=', prefix)
        .where('area_code', '<', `${prefix}\u{10FFFF}`)
        .orderBy('customer_id')
        .limit(limit)
        .compile(),
    ).map((r) => r.customer_id);
  }

  // ---- corrections ----

  insertCorrection(row: Insertable<CustomerCorrectionsTable>): number {
    return this.q.first(this.db.insertInto('customer_corrections').values(row).returning('id').compile())!.id;
  }

  pendingCorrections(customerId: string): CorrectionRow[] {
    return this.q.all(
      this.db
        .selectFrom('customer_corrections')
        .selectAll()
        .where('customer_id', '=', customerId)
        .where('status', '=', 'pending')
        .orderBy('id')
        .compile(),
    );
  }

  resolveCorrection(id: number, status: CorrectionStatus, at: number): void {
    this.q.run(this.db.updateTable('customer_corrections').set({ status, resolved_at: at }).where('id', '=', id).compile());
  }

  corrections(f: CorrectionFilter): CorrectionRow[] {
    let q = this.db.selectFrom('customer_corrections').selectAll();
    if (f.customerId !== undefined) q = q.where('customer_id', '=', f.customerId);
    if (f.status !== undefined) q = q.where('status', '=', f.status);
    if (f.from !== undefined) q = q.where('at', '>=', f.from);
    if (f.to !== undefined) q = q.where('at', '<', f.to);
    if (f.afterId !== undefined) q = q.where('id', '>', f.afterId);
    return this.q.all(q.orderBy('id').limit(f.limit).compile());
  }

  // ---- tier rules and sync state ----

  tierRules(): { rules: string; version: number; updated_at: number; updated_by: string } | undefined {
    return this.q.first(this.db.selectFrom('customer_tier_rules').select(['rules', 'version', 'updated_at', 'updated_by']).where('id', '=', 1).compile());
  }

  saveTierRules(rules: string, version: number, at: number, by: string): void {
    this.q.run(
      this.db
        .insertInto('customer_tier_rules')
        .values({ id: 1, rules, version, updated_at: at, updated_by: by })
        .onConflict((oc) => oc.column('id').doUpdateSet({ rules, version, updated_at: at, updated_by: by }))
        .compile(),
    );
  }

  syncState(adapter: string): SyncStateRow | undefined {
    return this.q.first(this.db.selectFrom('billing_sync_state').selectAll().where('adapter', '=', adapter).compile());
  }

  saveSyncState(row: Insertable<BillingSyncStateTable>): void {
    const { adapter: _a, ...rest } = row;
    this.q.run(this.db.insertInto('billing_sync_state').values(row).onConflict((oc) => oc.column('adapter').doUpdateSet(rest)).compile());
  }

}
