/**
 * SqliteTrunkStore: a trunk saved is read back as validated; a row that no longer validates
 * (not JSON, or JSON the schema refuses) is skipped by list()/get() and reported in `issues`
 * with the table, the trunk id and the field.
 */
import test from 'ava';
import path from 'node:path';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore } from '../../store/database.js';
import { SqliteTrunkStore } from './trunk-store.js';

function fixture() {
  const clock = new ManualClock();
  const db = openStore({ file: path.join(tempDir('trunk-store-'), 'a.db'), clock, log: silentLogger() });
  return { db, trunks: new SqliteTrunkStore(db, () => clock.now()) };
}

test('saved trunks come back validated, with defaults, in id order; remove deletes', async (t) => {
  const { db, trunks } = fixture();
  t.teardown(() => db.close());
  trunks.save({ id: 'zeta', name: 'Z', host: '192.0.2.20' });
  const a = trunks.save({ id: 'alpha', name: 'A', host: '192.0.2.10', channels: 4 });
  t.is(a.port, 5060);
  t.deepEqual(trunks.list().map((x) => x.id), ['alpha', 'zeta']);
  t.deepEqual(trunks.get('alpha'), a);
  t.deepEqual(trunks.issues, []);
  t.true(trunks.remove('zeta'));
  t.false(trunks.remove('zeta'));
  t.is(trunks.get('zeta'), null);
});

test('a row that is not JSON or no longer validates is skipped and reported, never half-used', async (t) => {
  const { db, trunks } = fixture();
  t.teardown(() => db.close());
  trunks.save({ id: 'good', name: 'Good', host: '192.0.2.10' });
  const insert = db.sqlite.prepare('INSERT INTO sip_trunks (id, config, enabled, created_at, updated_at) VALUES (?, ?, 1, 0, 0)');
  insert.run('broken', '{not json');
  insert.run('invalid', JSON.stringify({ id: 'invalid', name: 'Bad', host: '192.0.2.11', port: 70_000 }));
  t.deepEqual(trunks.list().map((x) => x.id), ['good']);
  t.deepEqual(trunks.issues.map((i) => i.path), ['sip_trunks.broken', 'sip_trunks.invalid.port']);
  t.is(trunks.issues[0]!.message, 'config is not JSON');
  t.is(trunks.get('invalid'), null);
  t.is(trunks.get('broken'), null);
});
