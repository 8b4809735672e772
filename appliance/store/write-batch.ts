/**
 * One group commit of write items (store/write-behind.ts): every item's statements in ONE
 * IMMEDIATE transaction, so the batch costs one fsync of the WAL (synchronous=FULL). An item
 * that throws rolls the whole batch back; the batch is then retried one item per transaction,
 * so one bad row loses nothing but itself and is reported by label. Used by the write-behind
 * thread and, when that thread is down, by the main thread on its own connection.
 */
import type { Statement } from 'better-sqlite3';
import type { Sqlite } from './database.js';

/** A compiled statement: Kysely's `compile()` gives both fields. */
export interface WriteStatement {
  sql: string;
  parameters: readonly unknown[];
}

/** Statements that belong together (one CDR and its legs; one ledger row change). */
export interface WriteItem {
  /** Names the item in an error report (e.g. `cdr call-…`). */
  label: string;
  statements: WriteStatement[];
}

export interface WriteFailure {
  label: string;
  message: string;
}

export class BatchCommitter {
  private readonly prepared = new Map<string, Statement<unknown[]>>();

  constructor(private readonly sqlite: Sqlite) {}

  /** Commit `items`; returns the items that could not be written, with why. */
  commit(items: readonly WriteItem[]): WriteFailure[] {
    if (items.length === 0) return [];
    try {
      this.sqlite.transaction(() => {
        for (const item of items) this.runItem(item);
      }).immediate();
      return [];
    } catch {
      const failures: WriteFailure[] = [];
      for (const item of items) {
        try {
          this.sqlite.transaction(() => this.runItem(item)).immediate();
        } catch (err) {
          failures.push({ label: item.label, message: err instanceof Error ? err.message : String(err) });
        }
      }
      return failures;
    }
  }

  private runItem(item: WriteItem): void {
    for (const s of item.statements) this.statement(s.sql).run(...s.parameters);
  }

  private statement(sql: string): Statement<unknown[]> {
    let st = this.prepared.get(sql);
    if (!st) {
      st = this.sqlite.prepare<unknown[]>(sql);
      this.prepared.set(sql, st);
    }
    return st;
  }
}

/** Only what a worker message needs of a Kysely CompiledQuery (not its query tree). */
export function statementOf(q: { sql: string; parameters: readonly unknown[] }): WriteStatement {
  return { sql: q.sql, parameters: q.parameters };
}
