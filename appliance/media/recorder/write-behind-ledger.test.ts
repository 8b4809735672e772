/**
 * The write-behind ledger (write-behind-ledger.ts) leaves exactly the rows the synchronous one
 * does, written by the writer thread: the same life of a row played on both, compared column by
 * column; pause marks are on disk when pause/resume return.
 */
import test from 'ava';
import path from 'node:path';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore } from '../../store/database.js';
import { WriteBehind } from '../../store/write-behind.js';
import type { RecordingLedger } from './ledger.js';
import { SqliteRecordingLedger } from './sqlite-ledger.js';
import { WriteBehindRecordingLedger } from './write-behind-ledger.js';

const legs = [
  { legId: 'tdm-1', side: 'caller' as const },
  { legId: 'ep-2', side: 'agent' as const },
];

function life(ledger: RecordingLedger, marksSeen: (id: string) => unknown): { id: string; closed: unknown; marksAfterResume: unknown } {
  const id = ledger.opened({ callId: 'c1', path: '/r/c1.wav', legs, encoding: 'alaw', startedAt: 1000 });
  ledger.paused(id, 2000);
  ledger.paused(id, 2500);
  ledger.resumed(id, 4000);
  const marksAfterResume = marksSeen(id);
  const closed = ledger.closed({ callId: 'c1', path: '/r/c1.wav', outcome: 'complete', reason: null, sha256: 'ab'.repeat(32), durationMs: 9000, size: 72_044, encoding: 'alaw', marks: [{ fromMs: 2000, toMs: 4000 }] }, 10_000);
  const other = ledger.opened({ callId: 'c2', path: '/r/c2.wav', legs, encoding: 'pcm16', startedAt: 3000 });
  ledger.lost(other, 'ENOENT', 5000);
  return { id, closed, marksAfterResume };
}

test('the same rows as the synchronous ledger, committed by the writer thread', async (t) => {
  const dir = tempDir('wb-ledger-');
  const syncStore = openStore({ file: path.join(dir, 'sync.db'), clock: systemClock, log: createLogger('silent') });
  const wbStore = openStore({ file: path.join(dir, 'wb.db'), clock: systemClock, log: createLogger('silent') });
  const writer = new WriteBehind({ sqlite: wbStore.sqlite, clock: systemClock, log: createLogger('silent') });
  await writer.start();
  t.teardown(async () => {
    await writer.close();
    await wbStore.close();
    await syncStore.close();
  });
  const marksOnDisk = (sqlite: typeof wbStore.sqlite) => (id: string) => sqlite.prepare('SELECT marks, pause_from_ms FROM recordings WHERE id = ?').get(id);
  const a = life(new SqliteRecordingLedger(syncStore, systemClock), marksOnDisk(syncStore.sqlite));
  const wb = new WriteBehindRecordingLedger(wbStore, systemClock, writer);
  const b = life(wb, marksOnDisk(wbStore.sqlite));
  t.deepEqual(b.marksAfterResume, a.marksAfterResume, 'resume returned after its mark was committed');
  t.deepEqual({ ...(b.closed as object), id: '' }, { ...(a.closed as object), id: '' });
  t.is(writer.stats.onMainThread, 0);
  const rows = (sqlite: typeof wbStore.sqlite) =>
    sqlite.prepare('SELECT call_id, path, legs, encoding, state, reason, started_at, closed_at, duration_ms, size, sha256, marks, pause_from_ms FROM recordings ORDER BY path').all();
  t.deepEqual(wb.list().map((r) => r.callId), ['c2', 'c1'], 'reads see what was submitted');
  t.deepEqual(rows(wbStore.sqlite), rows(syncStore.sqlite));
  t.is(rows(wbStore.sqlite).length, 2);
});

test('a file this process did not open is registered through the synchronous path', async (t) => {
  const dir = tempDir('wb-ledger-');
  const store = openStore({ file: path.join(dir, 'wb.db'), clock: systemClock, log: createLogger('silent') });
  const writer = new WriteBehind({ sqlite: store.sqlite, clock: systemClock, log: createLogger('silent') });
  await writer.start();
  t.teardown(async () => {
    await writer.close();
    await store.close();
  });
  const ledger = new WriteBehindRecordingLedger(store, systemClock, writer);
  const row = ledger.closed({ callId: 'orphan', path: '/r/orphan.wav', outcome: 'interrupted', reason: 'crash', sha256: 'cd'.repeat(32), durationMs: 4000, size: 32_044, encoding: 'alaw', marks: [] }, 9000);
  t.like(row, { callId: 'orphan', state: 'interrupted', startedAt: 5000, legs: [] });
  t.like(ledger.byPath('/r/orphan.wav'), { id: row.id, state: 'interrupted' });
});
