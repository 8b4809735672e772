import test from 'ava';
import path from 'node:path';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from './database.js';
import { ReadCache, tableWritten } from './read-cache.js';

function setup(t: { teardown: (fn: () => void) => void }) {
  const file = path.join(tempDir('read-cache-'), 'a.db');
  const store = openStore({ file, clock: systemClock, log: silentLogger(), migrations: [] });
  t.teardown(() => void store.close());
  store.sqlite.exec('CREATE TABLE things (name TEXT NOT NULL)');
  const names = (): string[] => store.sqlite.prepare<[], string>('SELECT name FROM things ORDER BY name').pluck().all() as string[];
  let now = 0;
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  return { file, store, names, clock };
}

test('reads once until something is written', (t) => {
  const { store, names, clock } = setup(t);
  store.sqlite.exec("INSERT INTO things VALUES ('a')");
  const cache = new ReadCache(store.sqlite, ['things'], names, clock);
  t.deepEqual(cache.get(), ['a']);
  t.deepEqual(cache.get(), ['a']);
  t.is(cache.loads, 1);
});

test('a write on the same connection is seen after tableWritten, by every cache of that table', (t) => {
  const { store, names, clock } = setup(t);
  const a = new ReadCache(store.sqlite, ['things'], names, clock);
  const b = new ReadCache(store.sqlite, ['other', 'things'], names, clock);
  const unrelated = new ReadCache(store.sqlite, ['other'], () => 'x', clock);
  t.deepEqual(a.get(), []);
  t.deepEqual(b.get(), []);
  unrelated.get();
  store.sqlite.exec("INSERT INTO things VALUES ('b')");
  // Same connection: data_version does not move, so without tableWritten the old value stays.
  t.deepEqual(a.get(), []);
  tableWritten(store.sqlite, 'things');
  t.deepEqual(a.get(), ['b']);
  t.deepEqual(b.get(), ['b']);
  unrelated.get();
  t.is(unrelated.loads, 1, 'a cache of another table is not reloaded');
});

test('a commit by another connection (the CLI in its own process) is seen within recheckMs, without tableWritten', (t) => {
  const { file, store, names, clock } = setup(t);
  const cache = new ReadCache(store.sqlite, ['things'], names, clock);
  t.deepEqual(cache.get(), []);
  const other = openStore({ file, clock: systemClock, log: silentLogger(), migrations: [] });
  t.teardown(() => void other.close());
  other.sqlite.exec("INSERT INTO things VALUES ('from-cli')");
  clock.advance(999);
  t.deepEqual(cache.get(), [], 'data_version is not read again within the second');
  clock.advance(1);
  t.deepEqual(cache.get(), ['from-cli']);
  t.is(cache.loads, 2);
  t.deepEqual(cache.get(), ['from-cli']);
  t.is(cache.loads, 2);
});

test('inside a transaction nothing is kept: a rolled-back row does not stay cached', (t) => {
  const { store, names, clock } = setup(t);
  const cache = new ReadCache(store.sqlite, ['things'], names, clock);
  t.deepEqual(cache.get(), []);
  t.throws(() =>
    store.sqlite.transaction(() => {
      store.sqlite.exec("INSERT INTO things VALUES ('doomed')");
      tableWritten(store.sqlite, 'things');
      t.deepEqual(cache.get(), ['doomed']);
      throw new Error('roll back');
    })(),
  );
  t.deepEqual(cache.get(), []);
});

test('invalidate() forgets the value', (t) => {
  const { store, names, clock } = setup(t);
  const cache = new ReadCache(store.sqlite, ['things'], names, clock);
  cache.get();
  cache.invalidate();
  cache.get();
  t.is(cache.loads, 2);
});
