/**
 * One daemon per data directory: a pid lock file `<dataDir>/appliance.pid`.
 *
 * The lock is created atomically (the pid is written to a private temp file, then hard-linked
 * to the lock name: link(2) fails with EEXIST when the name exists). A lock whose pid is no
 * longer alive is stale (a crash or kill -9) and is taken over; a lock held by a live process
 * is refused with a message naming the pid. The offline `restore` command uses the same lock,
 * so a restore and a daemon never run on one data dir together.
 */
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors.js';

export const PID_FILE_NAME = 'appliance.pid';

export interface LockHolder {
  pid: number;
  alive: boolean;
}

export interface PidLock {
  readonly file: string;
  /** Remove the lock if it is still ours. */
  release(): void;
}

export function lockFile(dataDir: string): string {
  return path.join(dataDir, PID_FILE_NAME);
}

/** Who holds the lock on `dataDir`, or null when there is no lock file. */
export function readLock(dataDir: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(lockFile(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return { pid: 0, alive: false };
  return { pid, alive: pid !== process.pid && isAlive(pid) };
}

/**
 * Take the lock for this process (`what` names the holder in the refusal message).
 * Throws AppError CONFLICT when a live process holds it.
 */
export function acquirePidLock(dataDir: string, what = 'an appliance daemon'): PidLock {
  const file = lockFile(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid}\n`, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, file);
        return { file, release: () => releaseIfOurs(file) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readLock(dataDir);
      if (holder?.alive) {
        throw new AppError(
          'CONFLICT',
          `${what} is already running on data directory ${dataDir} (pid ${holder.pid}, lock ${file}); ` +
            'stop it first or use another data directory',
        );
      }
      // Stale: its process is gone (or it was our own pid from an earlier life). Take it over.
      unlinkQuiet(file);
    }
    throw new AppError('CONFLICT', `could not take the lock ${file}: it keeps reappearing`);
  } finally {
    unlinkQuiet(tmp);
  }
}

function releaseIfOurs(file: string): void {
  try {
    if (Number.parseInt(readFileSync(file, 'utf8').trim(), 10) === process.pid) unlinkSync(file);
  } catch {
    // Already gone: nothing to release.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Not there: fine.
  }
}
