/**
 * The real daemon, spawned as a child from source: every "Bad input" case of issue 2 exits
 * non-zero with one clear message before anything is half started, and a healthy start serves
 * /healthz and /readyz, then stops cleanly on SIGTERM.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import test from 'ava';
import BetterSqlite3 from 'better-sqlite3';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { DB_FILE_NAME, openStore } from '../store/database.js';
import { lockFile } from './pid-lock.js';
import { cleanup, freePort, httpConfig, instance, startDaemon, type Instance } from './testing/daemon-harness.js';

async function failsToStart(t: import('ava').ExecutionContext, inst: Instance, code: number): Promise<string> {
  const d = startDaemon(inst);
  t.teardown(() => cleanup(d));
  t.is(await d.exited, code, `stderr: ${d.stderr()}`);
  t.false(/control panel:/.test(d.stdout()), 'never reported ready');
  return d.stderr();
}

function assertNothingStarted(t: import('ava').ExecutionContext, inst: Instance): void {
  t.false(existsSync(inst.dataDir), 'data dir not created: nothing started');
}

test('malformed YAML exits 2 naming the line', async (t) => {
  const inst = instance('http:\n  port: [8080,\n  host: x\n');
  const err = await failsToStart(t, inst, 2);
  t.regex(err, /invalid configuration: .*config\.yaml: malformed YAML/);
  t.regex(err, /^ {2}\(yaml line \d+, column \d+\): /m);
  assertNothingStarted(t, inst);
});

test('an unknown key exits 2 naming its path', async (t) => {
  const inst = instance('http:\n  prot: 8080\nbogus: 1\n');
  const err = await failsToStart(t, inst, 2);
  t.regex(err, /^ {2}http\.prot: unknown key$/m);
  t.regex(err, /^ {2}bogus: unknown key$/m);
  assertNothingStarted(t, inst);
});

test('a wrong type exits 2 naming the path and the value', async (t) => {
  const inst = instance('sip:\n  port: abc\nlifecycle:\n  drainLimitMs: -5\n');
  const err = await failsToStart(t, inst, 2);
  t.regex(err, /^ {2}sip\.port: expected number, got "abc"$/m);
  t.regex(err, /^ {2}lifecycle\.drainLimitMs: /m, 'every problem is listed, not only the first');
  assertNothingStarted(t, inst);
});

test('an unwritable data dir exits 1 with one clear message', async (t) => {
  const base = instance(httpConfig(await freePort()));
  // As root permissions do not stop writes, so make the data dir's parent a regular file.
  const blocker = path.join(base.dir, 'not-a-dir');
  writeFileSync(blocker, 'x');
  const inst = { ...base, dataDir: path.join(blocker, 'data') };
  const err = await failsToStart(t, inst, 1);
  t.regex(err, /^appliance: cannot start: data directory .*not-a-dir\/data is not writable \((ENOTDIR|EACCES)\) \[DATA_DIR_UNWRITABLE\]$/m);
  t.is(err.trim().split('\n').length, 1, 'one line');
});

test('a port in use exits 1 naming port and host, and releases what it opened', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as import('node:net').AddressInfo).port;
  const inst = instance(httpConfig(port));
  const err = await failsToStart(t, inst, 1);
  t.true(err.includes(`http port ${port} on 127.0.0.1 is already in use`), err);
  t.false(existsSync(lockFile(inst.dataDir)), 'pid lock released');
  // The database was opened (migrated) and then closed cleanly: no WAL left behind.
  t.true(existsSync(path.join(inst.dataDir, DB_FILE_NAME)));
  t.false(existsSync(path.join(inst.dataDir, `${DB_FILE_NAME}-wal`)), 'database closed');
});

test('a corrupt database exits 1 and is left untouched', async (t) => {
  const inst = instance(httpConfig(await freePort()));
  mkdirSync(inst.dataDir);
  const garbage = Buffer.alloc(8192, 0x5a);
  writeFileSync(path.join(inst.dataDir, DB_FILE_NAME), garbage);
  const err = await failsToStart(t, inst, 1);
  t.regex(err, /database .*appliance\.db is corrupt or not a SQLite file .*\[DB_CORRUPT\]/);
  t.deepEqual(readFileSync(path.join(inst.dataDir, DB_FILE_NAME)), garbage);
  t.false(existsSync(lockFile(inst.dataDir)), 'pid lock released');
});

test('a database with a newer schema version exits 1', async (t) => {
  const inst = instance(httpConfig(await freePort()));
  const file = path.join(inst.dataDir, DB_FILE_NAME);
  const store = openStore({ file, clock: new ManualClock(), log: silentLogger() });
  await store.close();
  const db = new BetterSqlite3(file);
  db.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'from the future', 0)").run();
  db.close();
  const err = await failsToStart(t, inst, 1);
  t.regex(err, /schema version 999, newer than this software knows \(\d+\).*\[DB_SCHEMA_NEWER\]/);
});

test('up: /healthz and /readyz 200, control panel asks for setup, metrics; setup code once; SIGTERM exits 0', async (t) => {
  const port = await freePort();
  const inst = instance(httpConfig(port));
  const d = startDaemon(inst);
  t.teardown(() => cleanup(d));
  const url = await d.ready;
  t.is(url, `http://127.0.0.1:${port}/`);
  const code = /setup code:\s+(\S+)/.exec(d.stdout())?.[1];
  t.regex(code ?? '', /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/, 'first start prints a setup code');
  t.is(readFileSync(lockFile(inst.dataDir), 'utf8').trim(), String(d.child.pid));

  const health = await fetch(`${url}healthz`);
  t.is(health.status, 200);
  t.like(await health.json(), { status: 'ok', checks: { database: 'ok' } });
  const ready = await fetch(`${url}readyz`);
  t.is(ready.status, 200);
  t.like(await ready.json(), { status: 'ready', state: 'ready' });
  // Before the administrator exists, the control panel sends everyone to first-start setup.
  const page = await (await fetch(url)).text();
  t.regex(page, /热线一体机 控制台/);
  t.regex(page, /首次启动设置/);
  t.regex(page, /name="_csrf"/);
  const openapi = await fetch(`${url}api/v1/openapi.json`);
  t.is(openapi.status, 200, 'the REST API is mounted at /api/v1');
  t.like(await openapi.json(), { openapi: '3.1.0' });
  t.is((await fetch(`${url}api/v1/webhooks`)).status, 401, 'webhook routes are mounted and need a key');
  const metrics = await (await fetch(`${url}metrics`)).text();
  t.regex(metrics, /http_request_duration_seconds_count\{route="\/healthz",method="GET",status="200"\} 1/);
  t.regex(metrics, /^recording_volume_free_bytes [1-9]\d*$/m, 'the recordings volume is measured (media/recorder/recording-volume.ts)');

  // A second daemon on the same data dir refuses, naming the first one's pid.
  const second = startDaemon({ configFile: instance(httpConfig(await freePort())).configFile, dataDir: inst.dataDir });
  t.teardown(() => cleanup(second));
  t.is(await second.exited, 1);
  t.regex(second.stderr(), new RegExp(`already running on data directory .*\\(pid ${d.child.pid},`));
  t.is((await fetch(`${url}healthz`)).status, 200, 'the first one is unaffected');

  d.child.kill('SIGTERM');
  t.is(await d.exited, 0);
  t.false(existsSync(lockFile(inst.dataDir)), 'lock released on stop');
  t.false(existsSync(path.join(inst.dataDir, `${DB_FILE_NAME}-wal`)), 'database closed cleanly');

  // Second start on the same data dir: no new setup code.
  const again = startDaemon(inst);
  t.teardown(() => cleanup(again));
  await again.ready;
  t.false(/setup code/.test(again.stdout()), 'setup code is printed on the first start only');
  again.child.kill('SIGINT');
  t.is(await again.exited, 0);
});

test('a stale pid lock of a dead process is taken over', async (t) => {
  const inst = instance(httpConfig(await freePort()));
  mkdirSync(inst.dataDir);
  // pid 2^22+1 is above the default pid_max range on Linux, so it names no live process.
  writeFileSync(lockFile(inst.dataDir), '4194305\n');
  const d = startDaemon(inst);
  t.teardown(() => cleanup(d));
  await d.ready;
  t.is(readFileSync(lockFile(inst.dataDir), 'utf8').trim(), String(d.child.pid));
  d.child.kill('SIGTERM');
  t.is(await d.exited, 0);
  t.deepEqual(
    readdirSync(inst.dataDir).filter((f) => f.includes('.pid')),
    [],
    'no lock or temp lock left behind',
  );
});
