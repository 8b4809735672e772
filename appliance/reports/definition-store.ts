/**
 * Saved custom reports (store/migrations/0013-reports.ts) through Kysely. A definition is
 * validated (definition.ts) on the way in and again on the way out, so a row written by an older
 * version that no longer validates is reported, never run. Sharing: the owner and every holder
 * of a role in `sharedRoles` may run it; only the owner changes or deletes it. Every change is
 * audited in the same transaction (who, what, before/after).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { AppError, ConflictError, NotFoundError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { AuditLog } from '../ops/audit.js';
import type { Database } from '../store/schema.js';
import { parseDefinition, type ReportDefinition } from './definition.js';

export interface SavedReport {
  id: string;
  owner: string;
  definition: ReportDefinition;
  createdAt: number;
  updatedAt: number;
  version: number;
}

export interface ReportActor {
  /** Panel user id. */
  userId: string;
  roles: readonly string[];
  ip?: string | null;
}

/** Changing or deleting someone else's report. */
export class ReportForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class ReportDefinitionStore {
  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock; audit: AuditLog }) {}

  async create(input: unknown, by: ReportActor): Promise<SavedReport> {
    const def = parseDefinition(input);
    const now = this.deps.clock.now();
    const id = newId('rpt', this.deps.clock);
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('report_definitions').values({ id, name: def.name, owner: by.userId, definition: JSON.stringify(def), created_at: now, updated_at: now }).execute();
      if (def.sharedRoles.length) await trx.insertInto('report_shares').values(def.sharedRoles.map((role_id) => ({ report_id: id, role_id }))).execute();
      await this.deps.audit.record({ actor: `user:${by.userId}`, ip: by.ip ?? null, action: 'report.created', target: id, after: def }, trx);
    });
    return { id, owner: by.userId, definition: def, createdAt: now, updatedAt: now, version: 1 };
  }

  async update(id: string, input: unknown, by: ReportActor, expectedVersion?: number): Promise<SavedReport> {
    const def = parseDefinition(input);
    const before = await this.mustOwn(id, by);
    if (expectedVersion !== undefined && expectedVersion !== before.version) throw new ConflictError(`report ${id} was changed by someone else`);
    const now = this.deps.clock.now();
    await this.deps.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('report_definitions')
        .set({ name: def.name, definition: JSON.stringify(def), updated_at: now, version: before.version + 1 })
        .where('id', '=', id)
        .where('version', '=', before.version)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new ConflictError(`report ${id} was changed by someone else`);
      await trx.deleteFrom('report_shares').where('report_id', '=', id).execute();
      if (def.sharedRoles.length) await trx.insertInto('report_shares').values(def.sharedRoles.map((role_id) => ({ report_id: id, role_id }))).execute();
      await this.deps.audit.record({ actor: `user:${by.userId}`, ip: by.ip ?? null, action: 'report.updated', target: id, before: before.definition, after: def }, trx);
    });
    return { ...before, definition: def, updatedAt: now, version: before.version + 1 };
  }

  async delete(id: string, by: ReportActor): Promise<void> {
    const before = await this.mustOwn(id, by);
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('report_definitions').where('id', '=', id).execute();
      await this.deps.audit.record({ actor: `user:${by.userId}`, ip: by.ip ?? null, action: 'report.deleted', target: id, before: before.definition }, trx);
    });
  }

  /** A report the actor may run (own or shared with one of their roles). */
  async getVisible(id: string, by: ReportActor): Promise<SavedReport> {
    const r = await this.get(id);
    if (r.owner !== by.userId && !r.definition.sharedRoles.some((role) => by.roles.includes(role))) throw new NotFoundError('report', id);
    return r;
  }

  async get(id: string): Promise<SavedReport> {
    const row = await this.deps.db.selectFrom('report_definitions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('report', id);
    return { id: row.id, owner: row.owner, definition: parseDefinition(JSON.parse(row.definition)), createdAt: row.created_at, updatedAt: row.updated_at, version: row.version };
  }

  /** Reports the actor owns or that are shared with one of their roles, by name. */
  async listVisible(by: ReportActor): Promise<Array<{ id: string; name: string; owner: string; dataset: string; updatedAt: number; mine: boolean }>> {
    let q = this.deps.db.selectFrom('report_definitions as r').select(['r.id', 'r.name', 'r.owner', 'r.definition', 'r.updated_at']);
    q = by.roles.length
      ? q.where((eb) => eb.or([eb('r.owner', '=', by.userId), eb('r.id', 'in', eb.selectFrom('report_shares').select('report_id').where('role_id', 'in', by.roles))]))
      : q.where('r.owner', '=', by.userId);
    const rows = await q.orderBy('r.name').orderBy('r.id').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      owner: r.owner,
      dataset: (JSON.parse(r.definition) as { dataset?: string }).dataset ?? '',
      updatedAt: r.updated_at,
      mine: r.owner === by.userId,
    }));
  }

  private async mustOwn(id: string, by: ReportActor): Promise<SavedReport> {
    const r = await this.getVisible(id, by);
    if (r.owner !== by.userId) throw new ReportForbiddenError(`report ${id} belongs to someone else`);
    return r;
  }
}
