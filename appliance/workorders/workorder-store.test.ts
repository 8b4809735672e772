import test from 'ava';
import { ActionChannels, AreaClasses, OrderActions, OrderKinds, OrderSources, OrderStatuses, Priorities } from './model.js';
import { openRig } from './testing/fixtures.js';

test("the migration's CHECK lists accept every enum value of model.ts and nothing else", async (t) => {
  const { store, close } = openRig({ withOrg: false });
  const db = store.sqlite;
  const accepts = (sql: string, ...args: unknown[]): boolean => {
    db.exec('SAVEPOINT p');
    try {
      db.prepare(sql).run(...args);
      return true;
    } catch {
      return false;
    } finally {
      db.exec('ROLLBACK TO p');
      db.exec('RELEASE p');
    }
  };
  db.prepare("INSERT INTO workorder_types (id, name, kind, form, workflow, created_at, updated_at) VALUES ('t', 't', 'other', '{}', '{}', 0, 0)").run();
  const order = (col: 'source' | 'priority' | 'status' | 'area_class', v: string): boolean => {
    const row: Record<string, string | null> = { source: 'call', priority: 'normal', status: 'new', area_class: null, [col]: v };
    return accepts(
      "INSERT INTO workorders (id, number, type_id, title, created_by, created_at, updated_at, source, priority, status, area_class) VALUES ('o', 'n', 't', 'x', 'u', 0, 0, ?, ?, ?, ?)",
      row.source,
      row.priority,
      row.status,
      row.area_class,
    );
  };
  for (const v of OrderSources) t.true(order('source', v), v);
  for (const v of Priorities) t.true(order('priority', v), v);
  for (const v of OrderStatuses) t.true(order('status', v), v);
  for (const v of AreaClasses) t.true(order('area_class', v), v);
  for (const col of ['source', 'priority', 'status', 'area_class'] as const) t.false(order(col, 'bogus'), col);
  for (const v of OrderKinds) t.true(accepts("INSERT INTO workorder_types (id, name, kind, form, workflow, created_at, updated_at) VALUES ('k', 'k', ?, '{}', '{}', 0, 0)", v), v);
  db.prepare("INSERT INTO workorders (id, number, type_id, source, priority, status, title, created_by, created_at, updated_at) VALUES ('o', 'n', 't', 'call', 'normal', 'new', 'x', 'u', 0, 0)").run();
  const event = (action: string, channel: string): boolean =>
    accepts("INSERT INTO workorder_events (order_id, at, actor, channel, action, to_status, version) VALUES ('o', 0, 'u', ?, ?, 'new', 1)", channel, action);
  for (const a of OrderActions) t.true(event(a, 'web'), a);
  for (const c of ActionChannels) t.true(event('urge', c), c);
  t.false(event('explode', 'web'));
  t.false(event('urge', 'carrier-pigeon'));
  await close();
});
