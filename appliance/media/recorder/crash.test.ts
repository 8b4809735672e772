/**
 * kill -9 during 50 recorded calls (issue 4 acceptance: "kill -9 during 50 recorded calls
 * loses no closed recording and leaves every open one repaired at restart"). A child process
 * (testdata/recording-crash-child.ts: real worker thread, SQLite ledger) records 50 calls, closes
 * 20 of them, and is SIGKILLed with 30 open (5 of those paused). The test then restarts the
 * engine on the same folder and database, and checks from the disk and the rows:
 *
 *  - every closed recording: file intact, sha256 = the child's = the row's, state complete,
 *    both legs in the row, its own tone on the left channel, pause marks kept;
 *  - every open one: `.part` gone, `.wav` header fixed to exactly the whole frames the crash
 *    left on disk, row 'interrupted' with the file's sha256, legs and (for the paused ones) the
 *    open pause closed at the end of the audio;
 *  - no row left 'open', none 'lost', 50 rows in all.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore } from '../../store/database.js';
import { bytesToPcm16, decode as wavDecode, decodeHeader } from '../codec/wav.js';
import { decode as g711decode } from '../codec/g711.js';
import { MediaEngine } from '../engine/media-engine.js';
import { goertzelAmplitude } from '../tones/goertzel.js';
import { SqliteRecordingLedger } from './sqlite-ledger.js';

const CHILD = fileURLToPath(new URL('../testdata/recording-crash-child.ts', import.meta.url));

interface Reported {
  callId: string;
  path: string;
  sha256?: string;
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Left (caller) channel of a stereo recording as linear samples. */
function leftChannel(file: string): Int16Array {
  const { info, data } = wavDecode(new Uint8Array(readFileSync(file)));
  const pcm = info.encoding === 'alaw' ? g711decode('PCMA', data) : bytesToPcm16(data);
  const left = new Int16Array(pcm.length / 2);
  for (let i = 0; i < left.length; i++) left[i] = pcm[2 * i] as number;
  return left;
}

const callNo = (callId: string): number => Number(callId.slice(-2));

/** The strongest 300 ms window of `freq` in a channel (setup under load may start with silence). */
function strongest(pcm: Int16Array, freq: number): number {
  let best = 0;
  for (let o = 0; o + 2400 <= pcm.length; o += 1200) best = Math.max(best, goertzelAmplitude(pcm.subarray(o, o + 2400), freq));
  return best;
}

test('kill -9 during 50 recorded calls: closed recordings intact with their rows, open ones repaired and registered', async (t) => {
  const dataDir = tempDir('rec-crash-');
  const dbFile = path.join(dataDir, 'appliance.db');
  const child = spawn(process.execPath, ['--import=tsx', CHILD, dataDir, dbFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const messages: Array<Record<string, unknown>> = [];
  let buf = '';
  const ready = new Promise<void>((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error(`child not ready in 60 s; stderr: ${stderr.slice(-2000)}`)), 60_000);
    limit.unref();
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        const m = JSON.parse(line) as Record<string, unknown>;
        messages.push(m);
        if (m.ready) {
          clearTimeout(limit);
          resolve();
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(limit);
      reject(new Error(`child exited early (${code}); stderr: ${stderr.slice(-2000)}`));
    });
  });
  await ready;
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, sig) => r(sig)));
  child.kill('SIGKILL');
  t.is(await exited, 'SIGKILL');

  const closed = (messages.find((m) => m.closed)?.closed ?? []) as Reported[];
  const open = (messages.find((m) => m.ready)?.open ?? []) as Reported[];
  t.is(closed.length, 20);
  t.is(open.length, 30);

  // What the crash left: each open call's `.part` and its size at the moment of death.
  const leftOnDisk = new Map<string, { size: number; dataOffset: number; blockAlign: number }>();
  for (const o of open) {
    const part = `${o.path}.part`;
    t.true(existsSync(part), `${o.callId}: .part after the crash`);
    const head = decodeHeader(new Uint8Array(readFileSync(part).subarray(0, 512)));
    t.is(head.declaredDataLength, 0, `${o.callId}: header never finalized`);
    leftOnDisk.set(o.callId, { size: statSync(part).size, dataOffset: head.dataOffset, blockAlign: head.blockAlign });
  }

  // Restart: the engine repairs and settles the ledger.
  const store = openStore({ file: dbFile, clock: systemClock, log: createLogger('silent') });
  t.teardown(() => store.close());
  const ledger = new SqliteRecordingLedger(store, systemClock);
  const engine = new MediaEngine({ workers: 1, rtpPortMin: 49100, rtpPortMax: 49119, bindAddress: '127.0.0.1', recordingsDir: path.join(dataDir, 'recordings'), clock: systemClock, log: createLogger('silent'), ledger });
  const started = await engine.start();
  t.teardown(() => engine.stop());
  t.is(started.interrupted.length, 30);
  t.deepEqual(started.settled, { interrupted: 30, committedAtStart: 0, lost: 0 });

  for (const c of closed) {
    const row = ledger.byPath(c.path);
    if (!row) {
      t.fail(`${c.callId}: no row`);
      continue;
    }
    t.is(row.state, 'complete', c.callId);
    t.is(sha256(c.path), c.sha256 ?? '', `${c.callId}: file unchanged since close`);
    t.is(row.sha256, c.sha256 ?? '', `${c.callId}: row hash`);
    t.deepEqual(row.legs.map((l) => l.side), ['caller', 'agent']);
    t.true((row.durationMs ?? 0) > 1000, `${c.callId}: ${row.durationMs} ms`);
    t.true(strongest(leftChannel(c.path), 400 + 20 * callNo(c.callId)) > 2000, `${c.callId}: its own tone`);
    if (callNo(c.callId) >= 5 && callNo(c.callId) <= 9) {
      t.is(row.marks.length, 1, `${c.callId}: one paused span`);
      const m = row.marks[0] ?? { fromMs: 0, toMs: 0 };
      t.true(m.toMs - m.fromMs >= 300, `${c.callId}: paused ${m.fromMs}–${m.toMs} ms`);
      const paused = leftChannel(c.path).subarray((m.fromMs + 40) * 8, (m.toMs - 40) * 8);
      t.true(goertzelAmplitude(paused, 400 + 20 * callNo(c.callId)) < 50, `${c.callId}: silence while paused`);
    } else t.deepEqual(row.marks, []);
  }

  for (const o of open) {
    const disk = leftOnDisk.get(o.callId);
    const row = ledger.byPath(o.path);
    if (!disk || !row) {
      t.fail(`${o.callId}: no row or no file`);
      continue;
    }
    t.false(existsSync(`${o.path}.part`));
    const bytes = readFileSync(o.path);
    const head = decodeHeader(new Uint8Array(bytes.subarray(0, 512)));
    const whole = disk.size - disk.dataOffset - ((disk.size - disk.dataOffset) % disk.blockAlign);
    t.is(head.declaredDataLength, whole, `${o.callId}: header fixed to the data the crash left`);
    t.is(bytes.length, disk.dataOffset + whole);
    t.true(whole > 8000 * disk.blockAlign, `${o.callId}: more than a second of audio kept`);
    t.is(row.state, 'interrupted');
    t.is(row.reason, 'crash');
    t.is(row.sha256, sha256(o.path));
    t.is(row.size, bytes.length);
    t.is(row.durationMs, Math.round((whole / disk.blockAlign / 8000) * 1000));
    t.deepEqual(row.legs.map((l) => l.side), ['caller', 'agent']);
    t.true(strongest(leftChannel(o.path), 400 + 20 * callNo(o.callId)) > 2000, `${o.callId}: its own tone`);
    if (callNo(o.callId) >= 30 && callNo(o.callId) <= 34) {
      t.is(row.marks.length, 1, `${o.callId}: the pause open at the crash is kept`);
      t.is(row.marks[0]?.toMs, row.durationMs ?? -1, `${o.callId}: and ends where the audio ends`);
    } else t.deepEqual(row.marks, []);
  }
  t.deepEqual(ledger.open(), []);
  const states = store.sqlite.prepare('SELECT state, count(*) AS n FROM recordings GROUP BY state ORDER BY state').all();
  t.deepEqual(states, [
    { state: 'complete', n: 20 },
    { state: 'interrupted', n: 30 },
  ]);
});
