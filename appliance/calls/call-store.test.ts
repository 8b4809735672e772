/**
 * SqliteCallStore's dialplan cache: every INVITE asks for the routes, so the validated list is
 * kept until a write — by this store (saveRoute), by another store object on the same
 * connection, or by another connection (the CLI's own process) — and must never serve stale routes.
 */
import test from 'ava';
import path from 'node:path';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { migrations } from '../store/migrations/index.js';
import { SqliteCallStore } from './call-store.js';
import { matchRoute } from './dialplan.js';

const log = silentLogger();

const clock = new ManualClock();

function open(t: { teardown: (fn: () => void) => void }, file = path.join(tempDir('call-store-'), 'h.db')) {
  const store = openStore({ file, clock: systemClock, log, migrations });
  t.teardown(() => void store.close());
  return { file, store, calls: new SqliteCallStore(store, () => clock.now()) };
}

test('routes() is read once and shared until the next write; the shared list cannot be mutated', (t) => {
  const { calls } = open(t);
  calls.saveRoute({ id: 'main', name: 'main', did: '95598', target: { kind: 'ivr', flow: 'hotline' } });
  const a = calls.routes();
  t.is(calls.routes(), a, 'the same list: not read and validated again');
  t.throws(() => (a as unknown as unknown[]).push({}));
  t.throws(() => {
    (a[0] as { did: string }).did = '1';
  });
  t.is(matchRoute(calls.routes(), '95598', '1001')?.id, 'main');
});

test('saveRoute is seen by the next routes(), on this store and on another store of the same connection', (t) => {
  const { store, calls } = open(t);
  const other = new SqliteCallStore(store, () => 0);
  calls.saveRoute({ id: 'main', name: 'main', did: '95598', target: { kind: 'ivr', flow: 'hotline' } });
  t.deepEqual(other.routes().map((r) => r.id), ['main']);
  calls.saveRoute({ id: 'vip', name: 'vip', priority: 10, did: '95598', caller: '_138.', target: { kind: 'queue', queue: 'vip' } });
  t.deepEqual(calls.routes().map((r) => r.id), ['vip', 'main']);
  t.deepEqual(other.routes().map((r) => r.id), ['vip', 'main']);
  other.saveRoute({ id: 'main', name: 'main', did: '95598', enabled: false, target: { kind: 'ivr', flow: 'hotline' } });
  t.false(calls.routes().find((r) => r.id === 'main')!.enabled);
  t.is(matchRoute(calls.routes(), '95598', '02150000000'), null);
});

test('a route written by another connection (the CLI) is seen by the running daemon within a second', (t) => {
  const { file, calls } = open(t);
  calls.saveRoute({ id: 'main', name: 'main', did: '95598', target: { kind: 'ivr', flow: 'hotline' } });
  const before = calls.routes();
  const cli = open(t, file);
  cli.calls.saveRoute({ id: 'cps', name: 'cps', did: '7000', target: { kind: 'diagnostic', mode: 'answer-hangup', holdMs: 500 } });
  clock.advance(1000);
  const after = calls.routes();
  t.not(after, before);
  t.deepEqual(matchRoute(after, '7000', '1001')?.target, { kind: 'diagnostic', mode: 'answer-hangup', holdMs: 500 });
});

test('a stored row that no longer validates is skipped and reported, also when served from the cache', (t) => {
  const { store, calls } = open(t);
  calls.saveRoute({ id: 'main', name: 'main', did: '95598', target: { kind: 'ivr', flow: 'hotline' } });
  // Another process (or an old version) left a bad pattern behind.
  const cli = open(t, store.file);
  cli.store.sqlite.prepare("UPDATE call_routes SET did_pattern = 'not a number' WHERE id = 'main'").run();
  clock.advance(1000);
  t.deepEqual(calls.routes(), []);
  t.is(calls.issues[0]?.path, 'call_routes.main.did');
  t.deepEqual(calls.routes(), []);
  t.is(calls.issues[0]?.path, 'call_routes.main.did');
});
