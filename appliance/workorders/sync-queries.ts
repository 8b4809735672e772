/**
 * Kysely queries run synchronously on the better-sqlite3 handle (as workorder-store.ts does),
 * so they can sit inside a `sqlite.transaction(...)` with the work-order writes they belong to.
 * Statements are prepared once per SQL text.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import type { Sqlite } from '../store/database.js';

export class SyncQueries {
  private readonly statements = new Map<string, BetterSqlite3.Statement<unknown[]>>();

  constructor(private readonly sqlite: Sqlite) {}

  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn).immediate();
  }

  all<O>(q: CompiledQuery<O>): O[] {
    return this.prepare(q).all(...q.parameters) as O[];
  }

  first<O>(q: CompiledQuery<O>): O | undefined {
    return this.prepare(q).get(...q.parameters) as O | undefined;
  }

  run(q: CompiledQuery<unknown>): number {
    return this.prepare(q).run(...q.parameters).changes;
  }

  private prepare(q: CompiledQuery<unknown>): BetterSqlite3.Statement<unknown[]> {
    let st = this.statements.get(q.sql);
    if (!st) {
      st = this.sqlite.prepare(q.sql);
      this.statements.set(q.sql, st);
    }
    return st;
  }
}
