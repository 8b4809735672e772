import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { AppError } from '../core/errors.js';
import { acquirePidLock, lockFile, readLock } from './pid-lock.js';

const tmpDir = () => mkdtempSync(path.join(os.tmpdir(), 'pid-lock-'));

/** A pid that is certainly dead: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

test('acquire writes our pid; release removes it', (t) => {
  const dir = tmpDir();
  const lock = acquirePidLock(dir);
  t.is(readFileSync(lockFile(dir), 'utf8').trim(), String(process.pid));
  lock.release();
  t.false(existsSync(lockFile(dir)));
  t.is(readLock(dir), null);
});

test('a lock held by a live process is refused, naming the pid', async (t) => {
  const dir = tmpDir();
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  t.teardown(() => child.kill('SIGKILL'));
  writeFileSync(lockFile(dir), `${child.pid}\n`);
  t.deepEqual(readLock(dir), { pid: child.pid!, alive: true });
  const err = t.throws(() => acquirePidLock(dir), { instanceOf: AppError });
  t.is(err?.code, 'CONFLICT');
  t.regex(err?.message ?? '', new RegExp(`already running .*pid ${child.pid}`));
  t.is(readFileSync(lockFile(dir), 'utf8').trim(), String(child.pid), 'the live lock is left alone');
});

test('a stale lock of a dead pid is taken over', async (t) => {
  const dir = tmpDir();
  const pid = await deadPid();
  writeFileSync(lockFile(dir), `${pid}\n`);
  t.false(readLock(dir)?.alive);
  const lock = acquirePidLock(dir);
  t.is(readFileSync(lockFile(dir), 'utf8').trim(), String(process.pid));
  lock.release();
});

test('a garbage lock file is stale', (t) => {
  const dir = tmpDir();
  writeFileSync(lockFile(dir), 'not a pid');
  const lock = acquirePidLock(dir);
  t.is(readFileSync(lockFile(dir), 'utf8').trim(), String(process.pid));
  lock.release();
});

test('release leaves a lock that another process has taken over', async (t) => {
  const dir = tmpDir();
  const lock = acquirePidLock(dir);
  writeFileSync(lockFile(dir), '999999\n');
  lock.release();
  t.true(existsSync(lockFile(dir)));
});
