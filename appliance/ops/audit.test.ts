import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { openStore } from '../store/database.js';
import { AuditLog, csvCell } from './audit.js';

async function withAudit(fn: (audit: AuditLog, clock: ManualClock, sqlite: ReturnType<typeof openStore>['sqlite']) => Promise<void>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-test-'));
  const clock = new ManualClock();
  const store = openStore({ file: path.join(dir, 'a.db'), clock, log: silentLogger() });
  try {
    await fn(new AuditLog({ db: store.db, clock }), clock, store.sqlite);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('record stores who, when, from where, what; search filters by actor, action prefix, target and time', (t) =>
  withAudit(async (audit, clock) => {
    const t0 = clock.now();
    const e1 = await audit.record({ actor: 'apikey:k1', ip: '10.0.0.1', action: 'api-key.created', target: 'key_a', after: { name: 'a' } });
    clock.advance(1_000);
    await audit.record({ actor: 'user:7', ip: '10.0.0.2', action: 'queue.member.added', target: 'q1', before: null, after: { agent: 3 } });
    clock.advance(1_000);
    await audit.record({ actor: 'apikey:k1', action: 'api-key.revoked', target: 'key_a', before: { r: null }, after: { r: 1 } });

    t.like(e1, { actor: 'apikey:k1', ip: '10.0.0.1', at: t0, after: { name: 'a' }, before: null });
    const all = await audit.search({ limit: 50 });
    t.deepEqual(all.items.map((e) => e.action), ['api-key.revoked', 'queue.member.added', 'api-key.created']);
    t.is(all.nextCursor, null);
    t.is((await audit.search({ limit: 50, actor: 'apikey:k1' })).items.length, 2);
    t.deepEqual((await audit.search({ limit: 50, action: 'api-key.*' })).items.map((e) => e.action), ['api-key.revoked', 'api-key.created']);
    t.is((await audit.search({ limit: 50, action: 'api-key' })).items.length, 0, 'without * the action is exact');
    t.is((await audit.search({ limit: 50, target: 'q1' })).items.length, 1);
    t.deepEqual(
      (await audit.search({ limit: 50, from: t0 + 1_000, to: t0 + 2_000 })).items.map((e) => e.action),
      ['queue.member.added'],
    );
  }));

test('paging walks the whole log newest first without repeats', (t) =>
  withAudit(async (audit, clock) => {
    for (let i = 0; i < 7; i++) {
      await audit.record({ actor: 'system', action: 'thing.changed', target: `t${i}` });
      clock.advance(10);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await audit.search({ limit: 3, ...(cursor !== undefined && { cursor }) });
      seen.push(...page.items.map((e) => e.target!));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    t.deepEqual(seen, ['t6', 't5', 't4', 't3', 't2', 't1', 't0']);
    await t.throwsAsync(() => audit.search({ limit: 3, cursor: 'not-a-cursor' }), { code: 'VALIDATION' } as never);
  }));

test('the audit log is append-only', (t) =>
  withAudit(async (audit, _clock, sqlite) => {
    await audit.record({ actor: 'system', action: 'x.changed' });
    t.throws(() => sqlite.prepare("UPDATE audit_log SET actor = 'mallory'").run(), { any: true, message: /append-only/ });
    t.throws(() => sqlite.prepare('DELETE FROM audit_log').run(), { any: true, message: /append-only/ });
  }));

test('CSV export quotes per RFC 4180 and defuses spreadsheet formulas', (t) =>
  withAudit(async (audit) => {
    await audit.record({ actor: 'user:1', ip: '::1', action: 'customer.changed', target: '=HYPERLINK("x")', after: { note: 'a,"b"\nc' } });
    const csv = await audit.exportCsv({});
    const lines = csv.split('\r\n');
    t.is(lines[0], 'id,at,actor,ip,action,target,before,after');
    t.true(csv.includes(`"'=HYPERLINK(""x"")"`));
    t.true(csv.includes('"{""note"":""a,\\""b\\""\\nc""}"'));
    t.true(csv.endsWith('\r\n'));
    t.is(csvCell('-1+2'), "'-1+2");
    t.is(csvCell('plain'), 'plain');
    t.is(csvCell('@cmd'), "'@cmd");
  }));

test('an export of more than one internal batch keeps every row once', (t) =>
  withAudit(async (audit, _clock, sqlite) => {
    const insert = sqlite.prepare("INSERT INTO audit_log (at, actor, action) VALUES (?, 'system', 'bulk.created')");
    sqlite.transaction(() => {
      for (let i = 0; i < 2_345; i++) insert.run(i);
    })();
    const lines = (await audit.exportCsv({ action: 'bulk.*' })).trimEnd().split('\r\n');
    t.is(lines.length, 2_346);
    t.is(new Set(lines).size, 2_346);
  }));
