import test from 'ava';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { backupTo, restoreFrom, verifyDatabaseFile } from './backup.js';
import { latestVersion, openStore } from './database.js';

const clock = new ManualClock();
const deps = { clock, log: silentLogger() };

function countAudit(file: string): Promise<number> {
  const s = openStore({ file, ...deps });
  const n = (s.sqlite.prepare('SELECT count(*) n FROM audit_log').get() as { n: number }).n;
  return s.close().then(() => n);
}

test('online backup while writing, then restore round trip', async (t) => {
  const dir = tempDir();
  const live = path.join(dir, 'appliance.db');
  const store = openStore({ file: live, ...deps });
  const insert = store.sqlite.prepare("INSERT INTO audit_log (at, actor, action, after) VALUES (?, 'op', 'wo.create', ?)");
  for (let i = 0; i < 500; i++) insert.run(i, JSON.stringify({ n: i, text: '工单'.repeat(20) }));

  const backupFile = path.join(dir, 'backup-1.db');
  const result = await backupTo(store, backupFile);
  t.is(result.schemaVersion, latestVersion());
  t.true(result.bytes > 0);
  t.false(existsSync(`${backupFile}.part`));

  // Changes after the backup...
  for (let i = 500; i < 700; i++) insert.run(i, '{}');
  await store.close();
  t.is(await countAudit(live), 700);

  // ...are gone after restore; the previous database is kept aside.
  const restored = restoreFrom(backupFile, live, clock);
  t.truthy(restored.previousKeptAs);
  t.true(existsSync(restored.previousKeptAs!));
  t.is(await countAudit(live), 500);
  t.is(await countAudit(restored.previousKeptAs!), 700);
});

test('backup refuses to overwrite an existing file', async (t) => {
  const dir = tempDir();
  const store = openStore({ file: path.join(dir, 'a.db'), ...deps });
  writeFileSync(path.join(dir, 'exists.db'), 'x');
  const err = await t.throwsAsync(backupTo(store, path.join(dir, 'exists.db')), { instanceOf: AppError });
  t.is(err?.code, 'BACKUP_FAILED');
  await store.close();
});

test('restore refuses a corrupt backup and leaves the live database alone', async (t) => {
  const dir = tempDir();
  const live = path.join(dir, 'appliance.db');
  const store = openStore({ file: live, ...deps });
  store.sqlite.prepare("INSERT INTO audit_log (at, actor, action) VALUES (1, 'x', 'y')").run();
  await store.close();
  const junk = path.join(dir, 'junk.db');
  writeFileSync(junk, Buffer.alloc(4096, 7));
  t.throws(() => restoreFrom(junk, live, clock), { instanceOf: AppError });
  t.is(await countAudit(live), 1);
  t.throws(() => verifyDatabaseFile(path.join(dir, 'missing.db')), { instanceOf: AppError });
});

test('restore refuses a backup from newer software', async (t) => {
  const dir = tempDir();
  const other = path.join(dir, 'newer.db');
  const s = openStore({ file: other, ...deps });
  s.sqlite.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (500, 'future', 1)").run();
  await s.close();
  const err = t.throws(() => restoreFrom(other, path.join(dir, 'live.db'), clock), { instanceOf: AppError });
  t.is(err?.code, 'DB_SCHEMA_NEWER');
  t.false(existsSync(path.join(dir, 'live.db')));
});
