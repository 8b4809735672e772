/**
 * A worker thread's own connection to the appliance's SQLite file (the import threads,
 * customers/customer-import-worker.ts): the same file, the same settings as every connection
 * (configureConnection: WAL, synchronous=FULL, foreign keys, busy timeout), a Kysely on top, and
 * no migrations — the daemon's main connection has already applied them; a file at another
 * schema version than this code's is refused rather than written.
 *
 * WAL lets this connection write while the main thread reads; SQLite still allows one writer at
 * a time, so a long transaction here makes the other writers wait (busy timeout).
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { AppError } from '../core/errors.js';
import { configureConnection, latestVersion, type Store } from './database.js';
import type { Database } from './schema.js';

export function openWorkerStore(file: string): Store {
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(file, { fileMustExist: true });
    configureConnection(sqlite, false);
  } catch (err) {
    throw new AppError('DB_CORRUPT', `worker connection to ${file}: ${(err as Error).message}`, { cause: err });
  }
  const version = (sqlite.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
  if (version !== latestVersion()) {
    sqlite.close();
    throw new AppError('DB_SCHEMA_NEWER', `database ${file} is at schema version ${version}; this code expects ${latestVersion()}`);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    sqlite,
    db,
    file,
    schemaVersion: () => version,
    close: async () => {
      await db.destroy();
      if (sqlite.open) sqlite.close();
    },
  };
}
