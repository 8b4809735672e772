import test from 'ava';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { AppError } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { latestVersion, openStore } from './database.js';
import { migrations } from './migrations/index.js';

const deps = { clock: new ManualClock(), log: silentLogger() };

/** Representative rows written at each schema version, to prove later migrations keep them. */
const seedAt: Record<number, (db: BetterSqlite3.Database) => void> = {
  1: (db) => {
    db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('site.name', '\"国网 95598\"', 1)").run();
    db.prepare("INSERT INTO audit_log (at, actor, action) VALUES (1, 'admin', 'settings.update')").run();
  },
  2: (db) => {
    db.prepare(
      "INSERT INTO api_keys (id, name, prefix, secret_hash, scopes, created_at, created_by) VALUES ('k1', 'billing', 'abcd1234', 'h', '[]', 1, 'admin')",
    ).run();
  },
  3: (db) => {
    db.prepare(
      "INSERT INTO webhook_subscriptions (id, url, event_types, secret, created_at, updated_at) VALUES ('s1', 'http://127.0.0.1:1/x', '[\"*\"]', 'k', 1, 1)",
    ).run();
  },
};

test('migrations are numbered 1..N without gaps', (t) => {
  t.deepEqual(
    migrations.map((m) => m.version),
    migrations.map((_, i) => i + 1),
  );
});

test('an empty file migrates to the latest version with WAL, synchronous=FULL and foreign keys', async (t) => {
  const file = path.join(tempDir(), 'a.db');
  const store = openStore({ file, ...deps });
  t.is(store.schemaVersion(), latestVersion());
  t.is(store.sqlite.pragma('journal_mode', { simple: true }), 'wal');
  t.is(store.sqlite.pragma('synchronous', { simple: true }), 2); // FULL
  t.is(store.sqlite.pragma('foreign_keys', { simple: true }), 1);
  t.deepEqual(store.sqlite.pragma('integrity_check', { simple: true }), 'ok');
  await store.close();
  // Reopening applies nothing and keeps the version.
  const again = openStore({ file, ...deps });
  t.is(again.schemaVersion(), latestVersion());
  await again.close();
});

for (let from = 1; from < latestVersion(); from++) {
  test(`upgrade from schema version ${from} keeps existing rows`, async (t) => {
    const file = path.join(tempDir(), `v${from}.db`);
    const old = openStore({ file, ...deps, migrations: migrations.filter((m) => m.version <= from) });
    t.is(old.schemaVersion(), from);
    for (let v = 1; v <= from; v++) seedAt[v]?.(old.sqlite);
    await old.close();

    const store = openStore({ file, ...deps });
    t.is(store.schemaVersion(), latestVersion());
    const setting = store.sqlite.prepare("SELECT value FROM settings WHERE key = 'site.name'").get() as {
      value: string;
    };
    t.is(JSON.parse(setting.value), '国网 95598');
    if (from >= 2) t.truthy(store.sqlite.prepare("SELECT 1 FROM api_keys WHERE id = 'k1'").get());
    for (let v = from + 1; v <= latestVersion(); v++) seedAt[v]?.(store.sqlite); // new tables usable
    t.is(store.sqlite.pragma('integrity_check', { simple: true }), 'ok');
    await store.close();
  });
}

test('a database with a newer schema is refused with DB_SCHEMA_NEWER and left untouched', async (t) => {
  const file = path.join(tempDir(), 'newer.db');
  const store = openStore({ file, ...deps });
  store.sqlite.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'future', 1)").run();
  await store.close();
  const err = t.throws(() => openStore({ file, ...deps }), { instanceOf: AppError });
  t.is(err?.code, 'DB_SCHEMA_NEWER');
  t.regex(err?.message ?? '', /schema version 999/);
  const raw = new BetterSqlite3(file, { readonly: true });
  t.is((raw.prepare('SELECT max(version) v FROM schema_version').get() as { v: number }).v, 999);
  raw.close();
});

test('a file that is not a database is refused with DB_CORRUPT', (t) => {
  const file = path.join(tempDir(), 'junk.db');
  writeFileSync(file, Buffer.alloc(8192, 0x41));
  const err = t.throws(() => openStore({ file, ...deps }), { instanceOf: AppError });
  t.is(err?.code, 'DB_CORRUPT');
});

test('a failing migration rolls back completely', async (t) => {
  const file = path.join(tempDir(), 'bad-migration.db');
  const broken = [...migrations, { version: latestVersion() + 1, name: 'broken', up: 'CREATE TABLE ok_t (x INTEGER) STRICT; CREATE TABLE oops (' }];
  const err = t.throws(() => openStore({ file, ...deps, migrations: broken }), { instanceOf: AppError });
  t.regex(err?.message ?? '', /migration \d+ \(broken\) failed/);
  const raw = new BetterSqlite3(file, { readonly: true });
  t.falsy(raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'ok_t'").get());
  t.is((raw.prepare('SELECT max(version) v FROM schema_version').get() as { v: number }).v, latestVersion());
  raw.close();
});

test('an unwritable data directory is DATA_DIR_UNWRITABLE', (t) => {
  if (process.getuid?.() === 0) {
    // root ignores permission bits; use a path under a regular file instead.
    const file = path.join(tempDir(), 'plain-file');
    writeFileSync(file, 'x');
    const err = t.throws(() => openStore({ file: path.join(file, 'sub', 'a.db'), ...deps }), { instanceOf: AppError });
    t.is(err?.code, 'DATA_DIR_UNWRITABLE');
    return;
  }
  const dir = tempDir();
  chmodSync(dir, 0o500);
  const err = t.throws(() => openStore({ file: path.join(dir, 'sub', 'a.db'), ...deps }), { instanceOf: AppError });
  t.is(err?.code, 'DATA_DIR_UNWRITABLE');
});

test('Kysely queries run on the same handle', async (t) => {
  const store = openStore({ file: path.join(tempDir(), 'k.db'), ...deps });
  await store.db.insertInto('settings').values({ key: 'a', value: '1', updated_at: 5 }).execute();
  const row = await store.db.selectFrom('settings').selectAll().where('key', '=', 'a').executeTakeFirstOrThrow();
  t.is(row.value, '1');
  await store.close();
});
