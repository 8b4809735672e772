/**
 * The operator CLI, spawned from source: online backup while the daemon runs, restore refused
 * while it runs and done once it has stopped, API key creation, config check.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import BetterSqlite3 from 'better-sqlite3';
import { hashKey } from '../api/api-keys.js';
import { DB_FILE_NAME } from '../store/database.js';
import { cleanup, freePort, httpConfig, instance, runCli, startDaemon } from './testing/daemon-harness.js';

test('backup while running; restore refused while running, done after stop', async (t) => {
  const inst = instance(httpConfig(await freePort()));
  const d = startDaemon(inst);
  t.teardown(() => cleanup(d));
  const url = await d.ready;
  const live = path.join(inst.dataDir, DB_FILE_NAME);

  // A marker row that the backup must carry.
  const db = new BetterSqlite3(live);
  db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('test.marker', 'before-backup', 1)").run();
  db.close();

  const backupFile = path.join(inst.dir, 'backup.db');
  const b = await runCli(['backup', backupFile], inst);
  t.is(b.code, 0, b.stderr);
  t.regex(b.stdout, /backup written: .*backup\.db \(\d+ bytes, schema version \d+\)/);
  t.is((await fetch(`${url}healthz`)).status, 200, 'daemon kept serving during the backup');

  const refused = await runCli(['restore', backupFile], inst);
  t.is(refused.code, 1);
  t.regex(refused.stderr, new RegExp(`daemon is running on .* \\(pid ${d.child.pid}\\); stop it before restoring`));

  // Change the live database after the backup, then stop and restore.
  const db2 = new BetterSqlite3(live);
  db2.prepare("UPDATE settings SET value = 'after-backup' WHERE key = 'test.marker'").run();
  db2.close();
  d.child.kill('SIGTERM');
  t.is(await d.exited, 0);

  const restored = await runCli(['restore', backupFile], inst);
  t.is(restored.code, 0, restored.stderr);
  t.regex(restored.stdout, /previous database kept as .*pre-restore-/);
  const check = new BetterSqlite3(live, { readonly: true });
  t.is(
    (check.prepare("SELECT value FROM settings WHERE key = 'test.marker'").get() as { value: string }).value,
    'before-backup',
  );
  check.close();
  t.false(existsSync(path.join(inst.dataDir, 'appliance.pid')), 'restore released its lock');
});

test('api-key create prints the key once and stores only its hash', async (t) => {
  const inst = instance(httpConfig(await freePort()));
  const noDb = await runCli(['api-key', 'create', '--name', 'billing', '--scopes', 'system:read'], inst);
  t.is(noDb.code, 1);
  t.regex(noDb.stderr, /no database at/);

  const d = startDaemon(inst);
  t.teardown(() => cleanup(d));
  await d.ready;
  const r = await runCli(['api-key', 'create', '--name', 'billing', '--scopes', 'system:read,audit:read'], inst);
  t.is(r.code, 0, r.stderr);
  const key = /^(hk_[0-9a-z]{8}_\S{43})$/m.exec(r.stdout)?.[1];
  t.truthy(key, r.stdout);
  const db = new BetterSqlite3(path.join(inst.dataDir, DB_FILE_NAME), { readonly: true });
  const row = db.prepare('SELECT name, scopes, secret_hash FROM api_keys').get() as Record<string, string>;
  db.close();
  t.is(row['name'], 'billing');
  t.deepEqual(JSON.parse(row['scopes']!), ['system:read', 'audit:read']);
  t.is(row['secret_hash'], hashKey(key!).toString('hex'));
  d.child.kill('SIGTERM');
  t.is(await d.exited, 0);

  const bad = await runCli(['api-key', 'create', '--name', 'x', '--scopes', 'system:read,nope'], inst);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /unknown scope\(s\) nope/);
});

test('config check: OK for a good file, every problem listed for a bad one', async (t) => {
  const good = await runCli(['config', 'check'], instance(httpConfig(18080)));
  t.is(good.code, 0, good.stderr);
  t.regex(good.stdout, /configuration OK: .*config\.yaml/);
  t.regex(good.stdout, /http: 127\.0\.0\.1:18080/);

  const bad = await runCli(['config', 'check'], instance('http:\n  port: "x"\nsip:\n  tranports: [udp]\n'));
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^ {2}http\.port: expected number, got "x"$/m);
  t.regex(bad.stderr, /^ {2}sip\.tranports: unknown key$/m);

  const usage = await runCli(['frobnicate'], instance(''));
  t.is(usage.code, 2);
  t.regex(usage.stderr, /unknown command frobnicate/);
});

test('route add and extension add refuse bad input with the field named, exit 2, before touching a database', async (t) => {
  const inst = instance(httpConfig(await freePort()));
  const badTarget = await runCli(['route', 'add', '--id', 'r1', '--did', '95598', '--target', 'voicemail:x'], inst);
  t.is(badTarget.code, 2);
  t.regex(badTarget.stderr, /--target is ivr:<name> \| queue:<name> \| extension:<name>/);
  const badDid = await runCli(['route', 'add', '--id', 'r1', '--did', '95_598', '--target', 'ivr:hotline-95598'], inst);
  t.is(badDid.code, 2);
  t.regex(badDid.stderr, /invalid route\n {2}did: /);
  const noDb = await runCli(['extension', 'add', '--number', '1001', '--password', 'long-enough'], inst);
  t.is(noDb.code, 1);
  t.regex(noDb.stderr, /no database at/);
});
