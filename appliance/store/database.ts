/**
 * The appliance's one SQLite file: better-sqlite3 in WAL mode with synchronous=FULL (with
 * NORMAL a simulated power cut lost every acknowledged commit; with FULL none — DESIGN.md
 * "Data"), foreign keys on, numbered migrations applied at open, and a schema_version check
 * that refuses a database written by newer code.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { migrations as defaultMigrations, type Migration } from './migrations/index.js';
import type { Database } from './schema.js';

export type Sqlite = BetterSqlite3.Database;

export interface Store {
  /** The raw handle, for transactions spanning several statements and for backup. */
  readonly sqlite: Sqlite;
  readonly db: Kysely<Database>;
  readonly file: string;
  schemaVersion(): number;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  file: string;
  clock: Clock;
  log: Logger;
  /** Migrations to apply (tests pass a prefix to build an older schema). */
  migrations?: readonly Migration[];
  readonly?: boolean;
}

export const DB_FILE_NAME = 'appliance.db';

/** Check that `dir` exists (creating it) and is writable; a clear error otherwise. */
export function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK | constants.R_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new AppError('DATA_DIR_UNWRITABLE', `data directory ${dir} is not writable (${code})`, { cause: err });
  }
}

export function openStore(opts: OpenStoreOptions): Store {
  const list = opts.migrations ?? defaultMigrations;
  if (!opts.readonly) ensureWritableDir(path.dirname(opts.file));
  let sqlite: Sqlite;
  try {
    sqlite = new BetterSqlite3(opts.file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    throw dbError(opts.file, err);
  }
  try {
    // Touching the schema first turns "file is not a database" into a clear error here.
    sqlite.prepare('SELECT count(*) FROM sqlite_master').get();
    configureConnection(sqlite, opts.readonly ?? false);
    if (!opts.readonly) migrate(sqlite, list, opts.clock, opts.log);
    else checkNotNewer(sqlite, list, opts.file);
  } catch (err) {
    sqlite.close();
    throw err instanceof AppError ? err : dbError(opts.file, err);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    sqlite,
    db,
    file: opts.file,
    schemaVersion: () => currentVersion(sqlite),
    close: async () => {
      await db.destroy();
      // Kysely closes the handle only if it ran a query; close it ourselves otherwise.
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * The settings every connection to the appliance's file runs with (the daemon's own and the
 * write-behind thread's, store/write-behind.ts): WAL, synchronous=FULL, foreign keys, and a
 * busy timeout so two writers wait for each other rather than fail.
 */
export function configureConnection(sqlite: Sqlite, readonly: boolean): void {
  if (!readonly) {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
  }
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
}

export function latestVersion(list: readonly Migration[] = defaultMigrations): number {
  return list.reduce((max, m) => Math.max(max, m.version), 0);
}

function currentVersion(sqlite: Sqlite): number {
  const exists = sqlite
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .get();
  if (!exists) return 0;
  const row = sqlite.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

function checkNotNewer(sqlite: Sqlite, list: readonly Migration[], file: string): number {
  const have = currentVersion(sqlite);
  const known = latestVersion(list);
  if (have > known) {
    throw new AppError(
      'DB_SCHEMA_NEWER',
      `database ${file} has schema version ${have}, newer than this software knows (${known}); ` +
        'install the newer software or restore a backup made by this version',
    );
  }
  return have;
}

function migrate(sqlite: Sqlite, list: readonly Migration[], clock: Clock, log: Logger): void {
  sqlite.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const have = checkNotNewer(sqlite, list, sqlite.name);
  const pending = [...list].filter((m) => m.version > have).sort((a, b) => a.version - b.version);
  for (const m of pending) {
    const apply = sqlite.transaction(() => {
      sqlite.exec(m.up);
      sqlite
        .prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)')
        .run(m.version, m.name, clock.now());
    });
    try {
      apply();
    } catch (err) {
      throw new AppError('DB_CORRUPT', `migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    log.info({ version: m.version, name: m.name }, 'migration applied');
  }
}

function dbError(file: string, err: unknown): AppError {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new AppError('DB_CORRUPT', `database ${file} is corrupt or not a SQLite file (${code})`, { cause: err });
  }
  if (code === 'SQLITE_FULL') return new AppError('DB_FULL', `database ${file}: disk full`, { cause: err });
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY') {
    return new AppError('DATA_DIR_UNWRITABLE', `cannot open database ${file} (${code})`, { cause: err });
  }
  return new AppError('DB_CORRUPT', `cannot use database ${file}: ${(err as Error).message}`, { cause: err });
}
