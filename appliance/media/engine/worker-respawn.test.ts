/**
 * A media worker dying under its calls (issue 4: "never lose a recording"; a worker thread
 * can die of an uncaught error or OOM, or be terminated). The test places three recorded calls
 * on one worker of two and one on the other, pauses one recording, then terminates the worker
 * thread. It checks what each party sees:
 *  - every leg of the dead worker gets `failed` with the reason; closing it resolves at once;
 *  - each of its recordings is repaired (no `.part` left, header = the audio on disk), its row
 *    'interrupted' with the file's sha256 and the open pause ended at the end of the audio;
 *  - the other worker's call is untouched (its recording still open, then completes);
 *  - `worker.failed` says what was lost; a replacement starts in the same slot, and a new call
 *    placed there carries audio end to end and records it;
 *  - a slot that crashes in a loop is no longer restarted (the rest carry the load).
 */
import test from 'ava';
import { CHINA_TONE_PLAN } from '../tones/tone-plan.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore } from '../../store/database.js';
import { decodeHeader } from '../codec/wav.js';
import { SqliteRecordingLedger } from '../recorder/sqlite-ledger.js';
import { goertzelAmplitude } from '../tones/goertzel.js';
import { MediaEngine, type EndpointFailure, type RecordingClosedEvent, type WorkerFailure } from './media-engine.js';
import { FakePeer } from './testing/fake-peer.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const base = 30000 + (process.pid % 50) * 200;

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The strongest 100 ms of `freq` in some audio. */
function strongest(pcm: Int16Array, freq: number): number {
  let best = 0;
  for (let o = 0; o + 800 <= pcm.length; o += 400) best = Math.max(best, goertzelAmplitude(pcm.subarray(o, o + 800), freq));
  return best;
}

function setup(t: { teardown(fn: () => unknown): void }, o: { portBase: number; maxRestarts?: number }) {
  const dataDir = tempDir('worker-respawn-');
  const store = openStore({ file: path.join(dataDir, 'appliance.db'), clock: systemClock, log: createLogger('silent') });
  const ledger = new SqliteRecordingLedger(store, systemClock);
  const engine = new MediaEngine({
    workers: 2,
    rtpPortMin: o.portBase,
    rtpPortMax: o.portBase + 79,
    bindAddress: '127.0.0.1',
    recordingsDir: path.join(dataDir, 'recordings'),
    clock: systemClock,
    log: createLogger('silent'),
    ledger,
    ...(o.maxRestarts !== undefined ? { maxRestarts: o.maxRestarts } : {}),
  });
  t.teardown(async () => {
    await engine.stop();
    store.close();
  });
  return { engine, ledger };
}

async function recordedCall(engine: MediaEngine, callId: string) {
  const caller = await FakePeer.open('PCMA');
  const agent = await FakePeer.open('PCMA');
  const a = await engine.createRtpEndpoint({ codec: 'PCMA', remote: caller.address, affinity: callId });
  const b = await engine.createRtpEndpoint({ codec: 'PCMA', remote: agent.address, affinity: callId });
  const bridge = await engine.createBridge({ affinity: callId });
  await bridge.add(a, { side: 'caller' });
  await bridge.add(b, { side: 'agent' });
  const failures: EndpointFailure[] = [];
  a.on('failed', (e) => failures.push(e));
  b.on('failed', (e) => failures.push(e));
  caller.streamTone({ address: '127.0.0.1', port: a.localPort }, 1000);
  agent.streamTone({ address: '127.0.0.1', port: b.localPort }, 400);
  const rec = await bridge.record({ callId, encoding: 'alaw' });
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    caller.close();
    agent.close();
  };
  return { a, b, bridge, rec, failures, caller, agent, close, worker: a.link.index };
}

type RecordedCall = Awaited<ReturnType<typeof recordedCall>>;

test('a worker terminated under recorded calls: legs failed, recordings repaired and settled, slot restarted, new calls work', async (t) => {
  const { engine, ledger } = setup(t, { portBase: base });
  await engine.start();
  const failed: WorkerFailure[] = [];
  const restarted: number[] = [];
  engine.on('worker.failed', (f) => failed.push(f));
  engine.on('worker.restarted', (r) => restarted.push(r.index));

  // Placement balances: four calls land two and two; pick the worker of the first.
  const calls: RecordedCall[] = [];
  for (let i = 0; i < 4; i++) calls.push(await recordedCall(engine, `call-w${i}`));
  t.teardown(() => calls.forEach((c) => c.close()));
  const victim = (calls[0] as RecordedCall).worker;
  const doomed = calls.filter((c) => c.worker === victim);
  const spared = calls.filter((c) => c.worker !== victim);
  t.true(doomed.length >= 1 && spared.length >= 1, `calls on both workers (${doomed.length}/${spared.length})`);
  await sleep(1500);
  const paused = doomed[0] as RecordedCall;
  await paused.rec.pause();
  const pausedAt = ledger.byPath(paused.rec.path)?.pauseFromMs ?? -1;
  t.true(pausedAt > 0, 'the open pause is in the row');
  await sleep(1300); // the recorder writes once a second: the pause is on disk before the crash

  // A prompt playing on the dead worker (dial tone plays until stopped) ends with the crash, as an error.
  const playing = await engine.play(paused.a, { tone: CHINA_TONE_PLAN.tones.dial });
  await engine.terminateWorker(victim);
  t.like(await playing.done, { playId: playing.id, endpointId: paused.a.id, reason: 'error' });
  // The phones of the failed calls hang up (call control sends BYE on `failed`).
  for (const c of doomed) c.close();
  const closedByCrash = await Promise.all(doomed.map((c) => c.rec.closed));
  await engine.settled();

  // The alarm-worthy event says what was lost.
  t.is(failed.length, 1);
  t.like(failed[0], { index: victim, endpoints: doomed.length * 2, recordings: doomed.length, restarting: true });
  t.regex((failed[0] as WorkerFailure).reason, new RegExp(`media worker ${victim} died`));
  // Every leg of the dead worker was told, once; closing it resolves without the worker.
  for (const c of doomed) {
    t.is(c.failures.length, 2, 'both legs failed');
    t.regex((c.failures[0] as EndpointFailure).reason, /died/);
    const stats = await c.a.close();
    t.is(stats.packetsReceived, 0);
    await c.b.close();
  }
  // Recordings repaired: final .wav, header fixed to whole frames, row interrupted with the hash.
  for (const [i, closed] of closedByCrash.entries()) {
    const e = closed as RecordingClosedEvent;
    t.is(e.outcome, 'interrupted');
    t.regex(e.reason ?? '', /media worker \d died/);
    t.false(existsSync(`${e.path}.part`));
    const bytes = readFileSync(e.path);
    const head = decodeHeader(new Uint8Array(bytes.subarray(0, 512)));
    t.is(head.dataOffset + head.declaredDataLength, bytes.length - ((bytes.length - head.dataOffset) % head.blockAlign));
    t.true(e.durationMs >= 500, `${e.callId}: ${e.durationMs} ms of audio kept`);
    const row = ledger.byPath(e.path);
    t.truthy(row);
    t.is(row?.state, 'interrupted');
    t.is(row?.sha256, createHash('sha256').update(bytes).digest('hex'));
    t.is(row?.legs.length, 2);
    if (i === 0) {
      t.true(e.durationMs > pausedAt, `audio on disk (${e.durationMs} ms) reaches past the pause (${pausedAt} ms)`);
      t.deepEqual(row?.marks, [{ fromMs: pausedAt, toMs: Math.round(e.durationMs) }], 'the pause open at the crash is kept, ended where the audio ends');
    }
  }
  // The other worker's call never noticed.
  for (const c of spared) {
    t.is(c.failures.length, 0);
    t.is(ledger.byPath(c.rec.path)?.state, 'open');
    const done = await c.rec.stop();
    t.is(done.outcome, 'complete');
    await c.a.close();
    await c.b.close();
  }

  // The slot has a new worker; a new call placed on it carries audio and records.
  t.deepEqual(restarted, [victim]);
  t.is(engine.workerCount, 2);
  const stats = await engine.workerStats();
  t.is(stats.length, 2);
  const fresh: RecordedCall[] = [];
  for (let i = 0; i < 2; i++) fresh.push(await recordedCall(engine, `call-new${i}`));
  t.teardown(() => fresh.forEach((c) => c.close()));
  const onNew = fresh.find((c) => c.worker === victim);
  t.truthy(onNew, 'new calls are placed on the replacement');
  const c = onNew as RecordedCall;
  await until(() => strongest(c.agent.audio(8), 1000) > 3000, 8000, 'the caller tone to reach the agent through the new worker');
  await sleep(500);
  const done = await c.rec.stop();
  t.is(done.outcome, 'complete');
  t.true(done.durationMs >= 400, `${done.durationMs} ms recorded on the new worker`);
});

test('a slot crashing in a loop is not restarted again; the other worker takes the calls', async (t) => {
  const { engine } = setup(t, { portBase: base + 100, maxRestarts: 1 });
  await engine.start();
  const failed: WorkerFailure[] = [];
  engine.on('worker.failed', (f) => failed.push(f));
  await engine.terminateWorker(0);
  await engine.settled();
  await engine.terminateWorker(0);
  await engine.settled();
  t.deepEqual(
    failed.map((f) => f.restarting),
    [true, false],
  );
  // Every new leg goes to worker 1.
  for (let i = 0; i < 3; i++) {
    const ep = await engine.createRtpEndpoint({ codec: 'PCMA', affinity: `loop-${i}` });
    t.is(ep.link.index, 1);
    await ep.close();
  }
});
