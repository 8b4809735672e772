import test from 'ava';
import path from 'node:path';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { migrations } from '../store/migrations/index.js';
import { BatchedCdrStore } from './cdr-batch.js';
import { SqliteCallStore, type CdrRecord } from './call-store.js';

function cdr(callId: string, cause = 16): CdrRecord {
  return {
    callId,
    direction: 'inbound',
    caller: '1001',
    called: '7000',
    routeId: null,
    targetKind: null,
    target: null,
    startedAt: 1,
    answeredAt: 2,
    endedAt: 3,
    cause,
    endedBy: 'remote',
    legs: [{ legId: `${callId}-leg`, tech: 'sip', direction: 'inbound', party: '1001', codec: 'PCMA', createdAt: 1, answeredAt: 2, endedAt: 3, cause, endedBy: 'remote', mos: 4.4, packetsLost: 0, jitterMs: 1 }],
  };
}

function rig(o: { windowMs?: number; maxBatch?: number } = {}) {
  const dir = tempDir('cdr-batch-');
  const store = openStore({ file: path.join(dir, 'h.db'), clock: systemClock, log: silentLogger(), migrations });
  const inner = new SqliteCallStore(store, () => 0);
  const clock = new ManualClock();
  let commits = 0;
  const errors: string[] = [];
  const batched = new BatchedCdrStore(inner, {
    clock,
    transaction: (fn) => {
      store.sqlite.transaction(fn)();
      commits++;
    },
    onError: (c) => errors.push(c.callId),
    ...o,
  });
  const count = (): number => (store.sqlite.prepare('SELECT count(*) AS n FROM cdrs').get() as { n: number }).n;
  return { store, batched, clock, commits: () => commits, count, errors };
}

test('CDRs ending within the window are written in one transaction when it closes', async (t) => {
  const r = rig({ windowMs: 50 });
  t.teardown(() => r.store.close());
  for (let i = 0; i < 10; i++) r.batched.writeCdr(cdr(`call-${i}`));
  t.is(r.count(), 0);
  r.clock.advance(49);
  t.is(r.count(), 0);
  r.clock.advance(1);
  t.is(r.count(), 10);
  t.is(r.commits(), 1);
  t.deepEqual(r.batched.stats, { batches: 1, cdrs: 10, largest: 10 });
});

test('maxBatch flushes at once; reading a CDR writes what is pending first', async (t) => {
  const r = rig({ windowMs: 1000, maxBatch: 3 });
  t.teardown(() => r.store.close());
  for (let i = 0; i < 3; i++) r.batched.writeCdr(cdr(`call-${i}`));
  t.is(r.count(), 3);
  r.batched.writeCdr(cdr('call-x'));
  t.is(r.batched.cdr('call-x')?.legs.length, 1);
  t.is(r.count(), 4);
  r.clock.advance(1000);
  t.is(r.commits(), 2);
});

test('one bad CDR does not lose the rest of its batch', async (t) => {
  const r = rig({ windowMs: 10 });
  t.teardown(() => r.store.close());
  r.batched.writeCdr(cdr('call-a'));
  r.batched.writeCdr(cdr('call-a')); // same primary key: this one fails
  r.batched.writeCdr(cdr('call-b'));
  r.clock.advance(10);
  t.is(r.count(), 2);
  t.deepEqual(r.errors, ['call-a']);
});
