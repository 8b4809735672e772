/**
 * Online backup and offline restore.
 *
 * Backup uses SQLite's online backup API (through better-sqlite3), so it runs while the
 * daemon is serving; the copy is then checked with `PRAGMA integrity_check` and fsynced.
 * Restore is offline (the daemon must be stopped): the backup is checked (integrity, schema
 * not newer than this software), copied beside the live file, fsynced and renamed over it;
 * the previous database (with its -wal/-shm) is kept as `<file>.pre-restore-<time>`.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import { latestVersion, type Store } from './database.js';
import type { Migration } from './migrations/index.js';

export interface BackupResult {
  file: string;
  bytes: number;
  schemaVersion: number;
}

export async function backupTo(store: Store, dest: string): Promise<BackupResult> {
  const target = path.resolve(dest);
  if (existsSync(target)) throw new AppError('BACKUP_FAILED', `backup target ${target} already exists`);
  const part = `${target}.part`;
  try {
    await store.sqlite.backup(part);
    const version = verifyDatabaseFile(part);
    fsyncFile(part);
    renameSync(part, target);
    fsyncDir(path.dirname(target));
    return { file: target, bytes: statSync(target).size, schemaVersion: version };
  } catch (err) {
    if (existsSync(part)) unlinkSync(part);
    if (err instanceof AppError) throw err;
    throw new AppError('BACKUP_FAILED', `backup to ${target} failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Open `file` read-only, run integrity_check, return its schema version. */
export function verifyDatabaseFile(file: string, known: readonly Migration[] | undefined = undefined): number {
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new AppError('BACKUP_FAILED', `cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    if (problems.length > 0) {
      throw new AppError('DB_CORRUPT', `${file} fails integrity_check: ${problems.slice(0, 3).join('; ')}`);
    }
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").get();
    const version = hasTable
      ? ((db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0)
      : 0;
    const newest = latestVersion(known);
    if (version > newest) {
      throw new AppError('DB_SCHEMA_NEWER', `${file} has schema version ${version}; this software knows up to ${newest}`);
    }
    return version;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('DB_CORRUPT', `${file} is not a usable database: ${(err as Error).message}`, { cause: err });
  } finally {
    db.close();
  }
}

export interface RestoreResult {
  restoredFrom: string;
  previousKeptAs: string | null;
  schemaVersion: number;
}

/** Replace `liveFile` with `backupFile`. The caller guarantees the daemon is stopped. */
export function restoreFrom(backupFile: string, liveFile: string, clock: Clock): RestoreResult {
  const source = path.resolve(backupFile);
  const live = path.resolve(liveFile);
  const version = verifyDatabaseFile(source);
  const part = `${live}.restore-part`;
  copyFileSync(source, part);
  fsyncFile(part);
  let keptAs: string | null = null;
  if (existsSync(live)) {
    keptAs = `${live}.pre-restore-${new Date(clock.now()).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(live, keptAs);
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(live + suffix)) renameSync(live + suffix, keptAs + suffix);
    }
  }
  renameSync(part, live);
  fsyncDir(path.dirname(live));
  return { restoredFrom: source, previousKeptAs: keptAs, schemaVersion: version };
}

function fsyncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
