/**
 * SqliteOutboundStore: routes in priority order, a row that no longer validates skipped and
 * reported in `issues`; class of service defaults to `internal` (no dialling out) until set.
 */
import test from 'ava';
import path from 'node:path';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { SqliteOutboundStore } from './outbound-store.js';

function fixture() {
  const clock = new ManualClock();
  const db = openStore({ file: path.join(tempDir('outbound-store-'), 'a.db'), clock, log: silentLogger() });
  return { db, store: new SqliteOutboundStore(db, () => clock.now()) };
}

test('routes come back validated in priority order; save replaces; remove deletes', async (t) => {
  const { db, store } = fixture();
  t.teardown(() => db.close());
  store.saveRoute({ id: 'national', name: 'National', priority: 20, pattern: '_0ZX.', gateways: ['trunk-a'] });
  const mobile = store.saveRoute({ id: 'mobile', name: 'Mobile', priority: 10, pattern: '_01[3-9]XXXXXXXXX', gateways: ['trunk-a'], strip: 1 });
  t.deepEqual(store.routes().map((r) => r.id), ['mobile', 'national']);
  t.deepEqual(store.route('mobile'), mobile);
  store.saveRoute({ id: 'national', name: 'National', priority: 5, pattern: '_0ZX.', gateways: ['trunk-b'] });
  t.deepEqual(store.routes().map((r) => [r.id, r.gateways[0]]), [['national', 'trunk-b'], ['mobile', 'trunk-a']]);
  t.deepEqual(store.issues, []);
  t.true(store.removeRoute('mobile'));
  t.false(store.removeRoute('mobile'));
  t.is(store.route('mobile'), null);
});

test('a route row that is not JSON or no longer validates is skipped and reported', async (t) => {
  const { db, store } = fixture();
  t.teardown(() => db.close());
  store.saveRoute({ id: 'ok', name: 'OK', pattern: '_0X.', gateways: ['trunk-a'] });
  const insert = db.sqlite.prepare('INSERT INTO outbound_routes (id, priority, config, enabled, created_at, updated_at) VALUES (?, ?, ?, 1, 0, 0)');
  insert.run('broken', 1, 'nope');
  insert.run('invalid', 2, JSON.stringify({ id: 'invalid', name: 'Bad', pattern: '_0X.', gateways: [] }));
  t.deepEqual(store.routes().map((r) => r.id), ['ok']);
  t.deepEqual(store.issues.map((i) => i.path), ['outbound_routes.broken', 'outbound_routes.invalid.gateways']);
  t.is(store.issues[0]!.message, 'config is not JSON');
  t.is(store.route('invalid'), null);
});

test('class of service: internal until set, set replaces, clear returns to internal', async (t) => {
  const { db, store } = fixture();
  t.teardown(() => db.close());
  t.is(store.classOf('1001'), 'internal');
  store.setClass('1001', 'national');
  store.setClass('1001', 'international');
  store.setClass('1000', 'local');
  t.is(store.classOf('1001'), 'international');
  t.deepEqual(store.classes(), [{ extension: '1000', class: 'local' }, { extension: '1001', class: 'international' }]);
  t.true(store.clearClass('1001'));
  t.false(store.clearClass('1001'));
  t.is(store.classOf('1001'), 'internal');
});
