/**
 * Child process for recorder/crash.test.ts (issue 4 acceptance: "kill -9 during 50 recorded
 * calls loses no closed recording and leaves every open one repaired at restart"). It runs a
 * real MediaEngine (worker thread) with the daemon's write-behind recording ledger and 50 calls, each two TDM
 * legs whose caller line sends its own tone (400 + 20·n Hz), all recorded. Calls 0–19 are
 * stopped (closed, rows committed); calls 5–9 and 30–34 pause, and 30–34 are still paused
 * when the parent kills the process. Protocol on stdout, one JSON line each:
 *   {"closed":[{callId,path,sha256}...]}   after the 20 recordings are closed (rows handed to the writer)
 *   {"ready":true,"open":[{callId,path}...]}  once the open files have audio on disk
 * then it keeps recording until SIGKILL.
 * argv: <dataDir> <dbFile>
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { openStore } from '../../store/database.js';
import { FRAME_SAMPLES, SILENCE_CODE, encode } from '../codec/g711.js';
import { MediaEngine, type Recording } from '../engine/media-engine.js';
import { WriteBehind } from '../../store/write-behind.js';
import { WriteBehindRecordingLedger } from '../recorder/write-behind-ledger.js';

const [dataDir, dbFile] = process.argv.slice(2);
if (!dataDir || !dbFile) throw new Error('usage: recording-crash-child <dataDir> <dbFile>');
const CALLS = 50;
const log = createLogger('silent');
const store = openStore({ file: dbFile, clock: systemClock, log });
// The daemon's ledger: rows committed by the write-behind thread (store/write-behind.ts).
const writer = new WriteBehind({ sqlite: store.sqlite, clock: systemClock, log });
const ledger = new WriteBehindRecordingLedger(store, systemClock, writer);
const engine = new MediaEngine({ workers: 1, rtpPortMin: 49000, rtpPortMax: 49019, bindAddress: '127.0.0.1', recordingsDir: path.join(dataDir, 'recordings'), clock: systemClock, log, ledger });

class Line extends EventEmitter {
  write(): void {}
}

function toneFrames(freq: number): () => Uint8Array {
  let n = 0;
  const pcm = new Int16Array(FRAME_SAMPLES);
  return () => {
    for (let i = 0; i < FRAME_SAMPLES; i++, n++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * freq * n) / 8000));
    return encode('PCMA', pcm);
  };
}

const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

async function main(): Promise<void> {
  await writer.start();
  await engine.start();
  const lines: Array<{ line: Line; next: () => Uint8Array }> = [];
  const recs: Recording[] = [];
  const idle = new Uint8Array(FRAME_SAMPLES).fill(SILENCE_CODE.PCMA);
  for (let n = 0; n < CALLS; n++) {
    const callId = `crash-call-${String(n).padStart(2, '0')}`;
    const caller = new Line();
    const agent = new Line();
    lines.push({ line: caller, next: toneFrames(400 + 20 * n) }, { line: agent, next: () => idle });
    const a = await engine.createTdmEndpoint({ line: caller, affinity: callId });
    const b = await engine.createTdmEndpoint({ line: agent, affinity: callId });
    const br = await engine.createBridge({ affinity: callId });
    await br.add(a, { side: 'caller' });
    await br.add(b, { side: 'agent' });
    recs.push(await br.record({ callId, encoding: n % 2 === 0 ? 'alaw' : 'pcm16' }));
  }
  // One clock for all 100 B channels, as a card's 8 kHz frame clock would be.
  const t0 = performance.now();
  let tick = 0;
  const pump = (): void => {
    tick++;
    for (const l of lines) l.line.emit('frame', l.next());
    setTimeout(pump, Math.max(0, t0 + (tick + 1) * 20 - performance.now()));
  };
  pump();
  await systemClock.sleep(300);
  for (const n of [5, 6, 7, 8, 9, 30, 31, 32, 33, 34]) await recs[n]?.pause();
  await systemClock.sleep(400);
  for (const n of [5, 6, 7, 8, 9]) await recs[n]?.resume();
  await systemClock.sleep(500);
  const closed = [];
  for (let n = 0; n < 20; n++) {
    const r = recs[n] as Recording;
    const c = await r.stop();
    closed.push({ callId: c.callId, path: c.path, sha256: c.sha256 });
  }
  out({ closed });
  // Let the open recordings put more than one flush (1 s) on disk.
  await systemClock.sleep(1300);
  out({ ready: true, open: recs.slice(20).map((r, i) => ({ callId: `crash-call-${String(20 + i).padStart(2, '0')}`, path: r.path })) });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
