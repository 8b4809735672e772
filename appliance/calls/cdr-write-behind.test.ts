import test from 'ava';
import path from 'node:path';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { WriteBehind } from '../store/write-behind.js';
import { SqliteCallStore, type CdrRecord } from './call-store.js';
import { WriteBehindCdrStore } from './cdr-write-behind.js';

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
    transfers: [{ kind: 'blind', at: 2, transferorLegId: `${callId}-leg`, transfereeLegId: `${callId}-leg`, targetLegId: null, target: '1003', replacedCallId: null, outcome: 200 }],
  };
}

test('CDRs are committed by the writer thread, grouped, and read back whole (read-your-writes)', async (t) => {
  const store = openStore({ file: path.join(tempDir('cdr-wb-'), 'h.db'), clock: systemClock, log: silentLogger() });
  const failures: string[] = [];
  const writer = new WriteBehind({ sqlite: store.sqlite, clock: systemClock, log: silentLogger(), onFailure: (f) => failures.push(f.label) });
  await writer.start();
  t.teardown(async () => {
    await writer.close();
    await store.close();
  });
  const cdrs = new WriteBehindCdrStore(new SqliteCallStore(store, () => 0), store.db, writer);
  const count = (): number => (store.sqlite.prepare('SELECT count(*) AS n FROM cdrs').get() as { n: number }).n;
  for (let i = 0; i < 100; i++) cdrs.writeCdr(cdr(`call-${i}`));
  t.is(count(), 0, 'the main thread wrote nothing');
  t.deepEqual(cdrs.cdr('call-42'), cdr('call-42'));
  t.is(count(), 100);
  t.true(writer.stats.batches < 100);
  // The same CDR twice: the second is refused by its primary key and reported, the first is kept.
  cdrs.writeCdr(cdr('call-1', 17));
  await writer.drain();
  t.deepEqual(failures, ['cdr call-1']);
  t.is(cdrs.cdr('call-1')?.cause, 16);
});
