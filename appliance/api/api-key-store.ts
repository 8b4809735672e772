/**
 * Persistence of API keys in the `api_keys` table (store migration 0002) through Kysely.
 * Holds only what api-keys.ts gives it: the SHA-256 of a key, never the key. Every write
 * takes an optional Kysely handle so it can join the caller's transaction (with its audit row).
 */
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, Database } from '../store/schema.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;

export class ApiKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: ApiKeyRow, db: Kysely<Database> = this.db): Promise<void> {
    await db.insertInto('api_keys').values(row).execute();
  }

  list(opts: { includeRevoked: boolean }): Promise<ApiKeyRow[]> {
    let q = this.db.selectFrom('api_keys').selectAll();
    if (!opts.includeRevoked) q = q.where('revoked_at', 'is', null);
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  }

  get(id: string, db: Kysely<Database> = this.db): Promise<ApiKeyRow | undefined> {
    return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Candidates for a presented key; the caller compares hashes in constant time. */
  byPrefix(prefix: string): Promise<ApiKeyRow[]> {
    return this.db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).execute();
  }

  /** Mark revoked; false when already revoked or absent. */
  async revoke(id: string, at: number, db: Kysely<Database> = this.db): Promise<boolean> {
    const r = await db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async touch(id: string, at: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
