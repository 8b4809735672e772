/**
 * The recording ledger on SQLite (migration 0020) and how `settleLedger` turns every leftover
 * at start into a row: a final file whose commit the crash prevented, a row whose file is gone,
 * a recovered file nobody registered, an unreadable one kept as `.broken`.
 */
import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore } from '../../store/database.js';
import { encode as wavEncode } from '../codec/wav.js';
import { marksAtCrash, settleLedger } from './ledger.js';
import { nodeRecorderFs } from './recorder-fs.js';
import { SqliteRecordingLedger } from './sqlite-ledger.js';

function setup(t: import('ava').ExecutionContext) {
  const dir = tempDir('ledger-');
  const store = openStore({ file: path.join(dir, 'a.db'), clock: systemClock, log: createLogger('silent') });
  t.teardown(() => store.close());
  return { dir, store, ledger: new SqliteRecordingLedger(store, systemClock) };
}

const legs = [
  { legId: 'tdm-1', side: 'caller' as const },
  { legId: 'ep-2', side: 'agent' as const },
];

test('a row is open from the start, keeps pause marks as they happen, and is completed by path', (t) => {
  const { ledger } = setup(t);
  const id = ledger.opened({ callId: 'c1', path: '/r/c1.wav', legs, encoding: 'alaw', startedAt: 1000 });
  ledger.paused(id, 2000);
  ledger.paused(id, 2500); // a second pause while paused changes nothing
  ledger.resumed(id, 4000);
  ledger.paused(id, 6000);
  t.like(ledger.byPath('/r/c1.wav'), { id, state: 'open', marks: [{ fromMs: 2000, toMs: 4000 }], pauseFromMs: 6000, legs });
  t.deepEqual(ledger.open().map((r) => r.id), [id]);
  const row = ledger.closed({ callId: 'c1', path: '/r/c1.wav', outcome: 'complete', reason: null, sha256: 'ab'.repeat(32), durationMs: 9000, size: 72_044, encoding: 'alaw', marks: [{ fromMs: 2000, toMs: 4000 }, { fromMs: 6000, toMs: 7000 }] }, 10_000);
  t.like(row, { id, state: 'complete', sha256: 'ab'.repeat(32), durationMs: 9000, size: 72_044, closedAt: 10_000, pauseFromMs: null, legs });
  t.deepEqual(ledger.open(), []);
  t.throws(() => ledger.opened({ callId: 'c1', path: '/r/c1.wav', legs, encoding: 'alaw', startedAt: 1 }), { any: true, code: 'SQLITE_CONSTRAINT_UNIQUE' }, 'one row per file');
});

test('marksAtCrash closes an open pause at the end of the audio and clips marks past it', (t) => {
  t.deepEqual(marksAtCrash({ marks: [{ fromMs: 100, toMs: 200 }, { fromMs: 900, toMs: 1200 }], pauseFromMs: 1000 }, 950), [
    { fromMs: 100, toMs: 200 },
    { fromMs: 900, toMs: 950 },
  ]);
  t.deepEqual(marksAtCrash({ marks: [], pauseFromMs: 300 }, 800), [{ fromMs: 300, toMs: 800 }]);
});

test('settle at start: final file without commit → complete; no file → lost; recovered orphan → registered; broken → failed', async (t) => {
  const { dir, ledger } = setup(t);
  const folder = path.join(dir, 'rec', '2026', '01', '05');
  mkdirSync(folder, { recursive: true });
  const final = path.join(folder, 'done-not-committed.wav');
  writeFileSync(final, wavEncode({ encoding: 'alaw', channels: 2, sampleRate: 8000 }, new Uint8Array(16_000).fill(0xd5)));
  const a = ledger.opened({ callId: 'done-not-committed', path: final, legs, encoding: 'alaw', startedAt: 1 });
  ledger.paused(a, 200);
  const b = ledger.opened({ callId: 'vanished', path: path.join(folder, 'vanished.wav'), legs, encoding: 'alaw', startedAt: 2 });
  const orphan = path.join(folder, 'orphan.wav');
  const broken = path.join(folder, 'broken.wav');
  const c = ledger.opened({ callId: 'broken', path: broken, legs, encoding: 'pcm16', startedAt: 3 });
  const report = await settleLedger(
    ledger,
    [
      { callId: 'orphan', path: orphan, outcome: 'interrupted', reason: 'crash', sha256: 'cd'.repeat(32), durationMs: 500, size: 8044, encoding: 'alaw', marks: [] },
      { callId: 'broken', path: `${broken}.broken`, outcome: 'failed', reason: 'unreadable: bad header', sha256: '', durationMs: 0, size: 0, encoding: 'alaw', marks: [] },
    ],
    nodeRecorderFs,
    50_000,
  );
  t.deepEqual(report, { interrupted: 1, committedAtStart: 1, lost: 1 });
  t.like(ledger.byPath(final), { id: a, state: 'complete', reason: 'committed at restart', durationMs: 1000, size: 16_058, marks: [{ fromMs: 200, toMs: 1000 }] });
  t.regex(ledger.byPath(final)?.sha256 ?? '', /^[0-9a-f]{64}$/);
  t.like(ledger.byPath(path.join(folder, 'vanished.wav')), { id: b, state: 'lost', reason: 'no file left at restart' });
  t.like(ledger.byPath(orphan), { state: 'interrupted', callId: 'orphan', legs: [] });
  t.like(ledger.byPath(broken), { id: c, state: 'failed' });
  t.regex(ledger.byPath(broken)?.reason ?? '', /broken\.wav\.broken/);
  t.deepEqual(ledger.open(), []);
});
