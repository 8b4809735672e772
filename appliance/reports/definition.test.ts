import path from 'node:path';
import test from 'ava';
import { ValidationError } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { AuditLog } from '../ops/audit.js';
import { openStore } from '../store/database.js';
import { ReportDefinitionStore, ReportForbiddenError } from './definition-store.js';
import { definitionIssues, definitionJsonSchema, parseDefinition } from './definition.js';

const good = {
  name: '每日服务水平',
  dataset: 'acd-intervals',
  dimensions: ['date', 'queue'],
  measures: ['offered', 'serviceLevelPct'],
  filters: [{ field: 'queue', op: 'in', values: ['q1', 'q2'] }],
  range: { kind: 'last-days', days: 7 },
  chart: 'line',
};

test('a valid definition parses with defaults', (t) => {
  const d = parseDefinition(good);
  t.is(d.limit, 200);
  t.deepEqual(d.sharedRoles, []);
  t.is(d.description, '');
});

test('unknown fields, dimensions, measures and filter fields are refused with the field named', (t) => {
  const issues = definitionIssues({
    ...good,
    sql: 'SELECT * FROM panel_users',
    dimensions: ['date', 'password_hash'],
    measures: ['offered', 'sum(talk_ms)'],
    filters: [{ field: 'owner; DROP TABLE x', op: 'eq', values: ['1'] }, { field: 'queue', op: 'eq', values: ['a', 'b'] }],
    sort: { by: 'nothing', dir: 'asc' },
  });
  const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
  t.is(byPath['sql'], 'unknown key');
  t.regex(byPath['dimensions.1'] ?? '', /unknown dimension "password_hash" for dataset acd-intervals/);
  t.regex(byPath['measures.1'] ?? '', /unknown measure "sum\(talk_ms\)"/);
  t.regex(byPath['filters.0.field'] ?? '', /unknown filter field/);
  t.regex(byPath['filters.1.values'] ?? '', /one value/);
  t.regex(byPath['sort.by'] ?? '', /neither a chosen dimension nor a chosen measure/);
  const err = t.throws(() => parseDefinition({ ...good, dataset: 'panel_users' }), { instanceOf: ValidationError });
  t.true(err!.issues.some((i) => i.path === 'dataset'));
  t.true(definitionIssues({ ...good, filters: [{ field: 'queue', op: 'like', values: ['%'] }] }).some((i) => i.path === 'filters.0.op'));
  t.true(definitionIssues({ ...good, range: { kind: 'fixed', from: '2026-02-01', to: '2026-01-01' } }).some((i) => i.path === 'range.to'));
  t.true(definitionIssues({ ...good, measures: [] }).some((i) => i.path === 'measures'));
  t.true(definitionIssues({ ...good, sharedRoles: ['Admin Role'] }).some((i) => i.path === 'sharedRoles.0'));
  // A dimension of another dataset is not allowed here.
  t.true(definitionIssues({ ...good, dimensions: ['department'] }).some((i) => i.path === 'dimensions.0'));
});

test('JSON Schema of a definition is available', (t) => {
  const s = definitionJsonSchema() as { properties?: Record<string, unknown> };
  t.truthy(s.properties?.['dataset']);
});

test('saved reports: owner edits, shared roles run, others see nothing; every change audited', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5));
  const store = openStore({ file: path.join(tempDir('rep-def-'), 'a.db'), clock, log: silentLogger() });
  t.teardown(() => store.close());
  const audit = new AuditLog({ db: store.db, clock });
  const reports = new ReportDefinitionStore({ db: store.db, clock, audit });
  const alice = { userId: 'u-alice', roles: ['supervisor'] };
  const bob = { userId: 'u-bob', roles: ['qa'] };
  const carol = { userId: 'u-carol', roles: ['agent'] };
  const r = await reports.create({ ...good, sharedRoles: ['qa'] }, alice);
  t.deepEqual((await reports.listVisible(bob)).map((x) => x.id), [r.id]);
  t.deepEqual(await reports.listVisible(carol), []);
  await t.throwsAsync(reports.getVisible(r.id, carol), { code: 'NOT_FOUND' });
  t.is((await reports.getVisible(r.id, bob)).definition.name, '每日服务水平');
  await t.throwsAsync(reports.update(r.id, good, bob), { instanceOf: ReportForbiddenError });
  await t.throwsAsync(reports.delete(r.id, bob), { instanceOf: ReportForbiddenError });
  await t.throwsAsync(reports.update(r.id, { ...good, measures: ['nope'] }, alice), { instanceOf: ValidationError });
  const u = await reports.update(r.id, { ...good, name: '改名', sharedRoles: [] }, alice, 1);
  t.is(u.version, 2);
  t.deepEqual(await reports.listVisible(bob), []);
  await t.throwsAsync(reports.update(r.id, good, alice, 1), { code: 'CONFLICT' });
  await reports.delete(r.id, alice);
  t.deepEqual(await reports.listVisible(alice), []);
  const actions = (await audit.search({ limit: 50 })).items.map((i) => i.action).sort();
  t.deepEqual(actions, ['report.created', 'report.deleted', 'report.updated']);
});
