import test from 'ava';
import path from 'node:path';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from './database.js';
import { SyncQueries } from './sync-query.js';

test('compiled Kysely queries run synchronously and commit inside one transaction', async (t) => {
  const store = openStore({ file: path.join(tempDir(), 's.db'), clock: new ManualClock(), log: silentLogger() });
  const q = new SyncQueries(store.sqlite);
  const insert = (key: string) => store.db.insertInto('settings').values({ key, value: '1', updated_at: 1 }).compile();
  store.sqlite.transaction(() => {
    t.is(q.run(insert('a')), 1);
    t.is(q.run(insert('b')), 1);
  })();
  const err = t.throws(
    () =>
      store.sqlite.transaction(() => {
        q.run(insert('c'));
        q.run(insert('a')); // duplicate key: the whole transaction rolls back
      })(),
    { any: true },
  );
  t.is((err as { code?: string } | undefined)?.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
  const rows = q.all(store.db.selectFrom('settings').select('key').orderBy('key').compile());
  t.deepEqual(rows.map((r) => r.key), ['a', 'b']);
  t.is(q.first(store.db.selectFrom('settings').select('key').where('key', '=', 'zz').compile()), undefined);
  await store.close();
});
