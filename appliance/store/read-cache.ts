/**
 * A value derived from a few SQLite tables (the dialplan, the webhook subscriptions), read on
 * every call or bus event but written a few times a day, kept in memory between writes.
 *
 * It is read again when either:
 *  - this process writes one of its tables: the writer calls `tableWritten(sqlite, table)`
 *    (every ReadCache on that connection and table sees it, however many store objects exist);
 *  - another connection commits (the CLI in its own process, a restore): SQLite's
 *    `PRAGMA data_version` "will be different if changes were committed to the database by any
 *    other connection in the interim" (sqlite.org/pragma.html#pragma_data_version). Commits on
 *    this same connection do not change it; that is what tableWritten is for.
 * Reading data_version takes the WAL read lock (fcntl system calls): in the sip-cps profile,
 * done on every bus event it cost as much as the query it saved. So it is checked at most every
 * `recheckMs` (default 1 s) of the given clock: a route added with the CLI is live within a
 * second; a write through this process is live at once.
 * Inside an open transaction nothing is cached (what it sees may be rolled back).
 */
import type { Statement } from 'better-sqlite3';
import type { Sqlite } from './database.js';

const generations = new WeakMap<Sqlite, Map<string, number>>();

/** Tell every ReadCache on `sqlite` that reads `table` that its rows changed (call after the write). */
export function tableWritten(sqlite: Sqlite, table: string): void {
  let m = generations.get(sqlite);
  if (!m) generations.set(sqlite, (m = new Map()));
  m.set(table, (m.get(table) ?? 0) + 1);
}

function generation(sqlite: Sqlite, tables: readonly string[]): number {
  const m = generations.get(sqlite);
  if (!m) return 0;
  let g = 0;
  for (const t of tables) g += m.get(t) ?? 0;
  return g;
}

export interface ReadCacheOptions {
  /** Clock for the data_version recheck interval (ms). */
  now: () => number;
  /** Check other connections' commits at most this often, ms (default 1000; 0 = on every get). */
  recheckMs?: number;
}

export class ReadCache<T> {
  private readonly dataVersion: Statement<[], number>;
  private cached: { value: T; dataVersion: number; generation: number } | null = null;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private lastDataVersion = -1;
  /** Loads (cache misses), for tests and metrics. */
  loads = 0;

  constructor(
    private readonly sqlite: Sqlite,
    private readonly tables: readonly string[],
    private readonly load: () => T,
    private readonly o: ReadCacheOptions,
  ) {
    this.dataVersion = sqlite.prepare<[], number>('PRAGMA data_version').pluck();
  }

  get(): T {
    // Inside a transaction this connection may see rows that will be rolled back: read, don't keep.
    if (this.sqlite.inTransaction) return this.load();
    const now = this.o.now();
    if (now - this.checkedAt >= (this.o.recheckMs ?? 1000) || now < this.checkedAt) {
      this.lastDataVersion = this.dataVersion.get() as number;
      this.checkedAt = now;
    }
    const dataVersion = this.lastDataVersion;
    const gen = generation(this.sqlite, this.tables);
    const c = this.cached;
    if (c && c.dataVersion === dataVersion && c.generation === gen) return c.value;
    const value = this.load();
    this.loads++;
    this.cached = { value, dataVersion, generation: gen };
    return value;
  }

  /** Forget the value (the next get() reads the tables). */
  invalidate(): void {
    this.cached = null;
  }
}
