import test from 'ava';
import path from 'node:path';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { migrations } from './migrations/index.js';
import { openStore } from './database.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { InsertTemplate } from './insert-template.js';
import { cdrStatements } from '../calls/call-store.js';
import type { CdrRecord } from '../calls/call-store.js';

function cdr(callId: string, legs: number, answeredAt: number | null): CdrRecord {
  return {
    callId,
    direction: 'inbound',
    caller: '13800000000',
    called: '95598',
    routeId: null,
    targetKind: 'queue',
    target: 'repair',
    startedAt: 1000,
    answeredAt,
    endedAt: 5000,
    cause: 16,
    endedBy: 'remote',
    legs: Array.from({ length: legs }, (_, i) => ({
      legId: `${callId}-l${i}`,
      tech: 'sip' as const,
      direction: i === 0 ? ('inbound' as const) : ('outbound' as const),
      party: `10${i}`,
      codec: 'PCMA',
      createdAt: 1000 + i,
      answeredAt,
      endedAt: 5000,
      cause: 16,
      endedBy: 'remote' as const,
      mos: i === 0 ? 4.3 : null,
      packetsLost: 0,
      jitterMs: null,
    })),
  };
}

test('CDR statements from templates are exactly what kysely compiles for each row, call after call', (t) => {
  const store = openStore({ file: path.join(tempDir('insert-template-'), 'h.db'), clock: systemClock, log: silentLogger(), migrations });
  t.teardown(() => void store.close());
  const db = store.db;
  for (const c of [cdr('c1', 2, 2000), cdr('c2', 1, null), cdr('c3', 3, 1500)]) {
    const got = cdrStatements(db, c);
    const want = [
      db.insertInto('cdrs').values({ call_id: c.callId, direction: c.direction, caller: c.caller, called: c.called, route_id: c.routeId, target_kind: c.targetKind, target: c.target, started_at: c.startedAt, answered_at: c.answeredAt, ended_at: c.endedAt, duration_ms: c.endedAt - c.startedAt, billsec_ms: c.answeredAt === null ? 0 : c.endedAt - c.answeredAt, cause: c.cause, ended_by: c.endedBy, legs: c.legs.length }).compile(),
      ...c.legs.map((l, position) => db.insertInto('cdr_legs').values({ call_id: c.callId, leg_id: l.legId, position, tech: l.tech, direction: l.direction, party: l.party, codec: l.codec, created_at: l.createdAt, answered_at: l.answeredAt, ended_at: l.endedAt, cause: l.cause, ended_by: l.endedBy, mos: l.mos, packets_lost: l.packetsLost, jitter_ms: l.jitterMs }).compile()),
    ];
    t.deepEqual(got.map((q) => ({ sql: q.sql, parameters: [...q.parameters] })), want.map((q) => ({ sql: q.sql, parameters: [...q.parameters] })), c.callId);
  }
});

test('InsertTemplate: a row with other columns or an undefined value is compiled afresh, never bound to the wrong SQL', (t) => {
  let compiled = 0;
  const tpl = new InsertTemplate<Record<string, unknown>>((row) => {
    compiled++;
    const cols = Object.keys(row).filter((k) => row[k] !== undefined);
    return { sql: `insert (${cols.join(',')})`, parameters: cols.map((k) => row[k]), query: {} as never, queryId: {} as never };
  });
  t.deepEqual(tpl.bind({ a: 1, b: 'x' }), { sql: 'insert (a,b)', parameters: [1, 'x'] });
  t.deepEqual(tpl.bind({ a: 2, b: null }), { sql: 'insert (a,b)', parameters: [2, null] });
  t.is(compiled, 1, 'same columns: bound, not compiled');
  t.deepEqual(tpl.bind({ b: 'y', a: 3 }), { sql: 'insert (b,a)', parameters: ['y', 3] }, 'other key order: compiled');
  t.deepEqual(tpl.bind({ a: 4, b: undefined }), { sql: 'insert (a)', parameters: [4] }, 'undefined value: compiled');
  t.deepEqual(tpl.bind({ a: 5, b: { raw: true } }).sql, 'insert (a,b)');
  t.is(compiled, 4);
});
