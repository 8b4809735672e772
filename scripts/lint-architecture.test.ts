import test from 'ava';
import { checkFile, forbiddenImport } from './lint-architecture.js';

const rules = (rel: string, text: string): string[] => checkFile(rel, text).map((v) => v.rule);

test('process.env only in core/config.ts', (t) => {
  t.deepEqual(rules('appliance/sip/ua.ts', 'const p = process.env.PORT;'), ['env']);
  t.deepEqual(rules('appliance/core/config.ts', 'const p = process.env.PORT;'), []);
});

test('bare timers are flagged, clock timers are not', (t) => {
  t.deepEqual(rules('appliance/acd/queue.ts', 'setTimeout(() => x(), 5);'), ['timers']);
  t.deepEqual(rules('appliance/acd/queue.ts', 'this.clock.setTimeout(() => x(), 5);'), []);
  t.deepEqual(rules('appliance/acd/queue.ts', '// lint-allow: timers worker heartbeat\nsetInterval(f, 5);'), []);
});

test('SQL built from strings is flagged', (t) => {
  t.deepEqual(rules('appliance/api/x.ts', 'db.exec(`SELECT * FROM t WHERE id = ${id}`);'), ['sql']);
  t.deepEqual(rules('appliance/api/x.ts', 'db.exec("DELETE FROM t WHERE id = " + id);'), ['sql']);
  t.deepEqual(rules('appliance/api/x.ts', "db.prepare('SELECT * FROM t WHERE id = ?').get(id);"), []);
  // Kysely's sql tag binds parameters: allowed.
  t.deepEqual(rules('appliance/x/y.ts', 'q.where(sql<SqlBool>`rowid < (SELECT w.rowid FROM w WHERE w.id = ${id})`);'), []);
});

test('koffi only in ffi.ts', (t) => {
  t.deepEqual(rules('drivers/libpri/pri-span.ts', "import koffi from 'koffi';"), ['koffi']);
  t.deepEqual(rules('drivers/libpri/ffi.ts', "import koffi from 'koffi';"), []);
});

test('dependency direction', (t) => {
  t.truthy(forbiddenImport('appliance/core/log.ts', 'appliance/store/database.ts'));
  t.truthy(forbiddenImport('drivers/libpri/pri-span.ts', 'appliance/sip/ua.ts'));
  t.is(forbiddenImport('drivers/libpri/pri-span.ts', 'appliance/core/clock.ts'), null);
  t.is(forbiddenImport('drivers/libpri/pri-span.ts', 'drivers/types.ts'), null);
  // The shared A-law table, but not one driver's copy from another, nor the media engine's codec.
  t.is(forbiddenImport('drivers/analog/lines.ts', 'drivers/g711.ts'), null);
  t.is(forbiddenImport('drivers/r2/mf.ts', 'drivers/g711.ts'), null);
  t.truthy(forbiddenImport('drivers/analog/lines.ts', 'drivers/r2/mf.ts'));
  t.truthy(forbiddenImport('drivers/analog/lines.ts', 'appliance/media/codec/g711.ts'));
  t.truthy(forbiddenImport('appliance/workorders/flow.ts', 'appliance/sip/ua.ts'));
  t.truthy(forbiddenImport('appliance/sip/ua.ts', 'appliance/acd/queue.ts'));
  t.truthy(forbiddenImport('appliance/api/app.ts', 'appliance/daemon/main.ts'));
  t.is(forbiddenImport('appliance/daemon/main.ts', 'appliance/api/app.ts'), null);
  t.truthy(forbiddenImport('control-panel/routes/x.ts', 'appliance/media/rtp/packet.ts'));
});
