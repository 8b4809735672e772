/**
 * Run Kysely-compiled queries synchronously on better-sqlite3, with a statement cache.
 *
 * Stores build every query with Kysely (typed, no SQL strings assembled by hand) and run it
 * through here so a whole domain action — order row, event row, assignments — commits inside
 * one synchronous `sqlite.transaction(...)`, before the call returns. (Kysely's own async
 * executor cannot hold a better-sqlite3 transaction across awaits.)
 */
import type { Statement } from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import type { Sqlite } from './database.js';

export class SyncQueries {
  private readonly statements = new Map<string, Statement<unknown[]>>();

  constructor(private readonly sqlite: Sqlite) {}

  /** Run `fn` in one IMMEDIATE transaction (the write lock taken up front: no upgrade deadlocks). */
  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn).immediate();
  }

  all<O>(q: CompiledQuery<O>): O[] {
    return this.prepare(q).all(...q.parameters) as O[];
  }

  first<O>(q: CompiledQuery<O>): O | undefined {
    return this.prepare(q).get(...q.parameters) as O | undefined;
  }

  /** Execute a write (a compiled query, or an InsertTemplate binding); returns the number of rows changed. */
  run(q: Pick<CompiledQuery<unknown>, 'sql' | 'parameters'>): number {
    return this.prepare(q).run(...q.parameters).changes;
  }

  private prepare(q: Pick<CompiledQuery<unknown>, 'sql'>): Statement<unknown[]> {
    let st = this.statements.get(q.sql);
    if (!st) {
      st = this.sqlite.prepare<unknown[]>(q.sql);
      this.statements.set(q.sql, st);
    }
    return st;
  }
}
