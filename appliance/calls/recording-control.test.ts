/**
 * Recording by policy through a real media engine and the SQLite ledger, driven over REST:
 * a per-queue policy records the listed queue's call as soon as it is bridged and only offers
 * the other; pause/resume over REST (scope calls:write) leave a marked span of silence in the
 * file and the row; the row lists by call id and the file downloads whole and by Range.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import express from 'express';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import type { ApiKeyInfo } from '../api/api-keys.js';
import { ForbiddenError, UnauthenticatedError } from '../api/error-map.js';
import { RouteRegistry, type Authenticate } from '../api/registry.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { decode as g711decode } from '../media/codec/g711.js';
import { decode as wavDecode } from '../media/codec/wav.js';
import { MediaEngine } from '../media/engine/media-engine.js';
import { FakePeer } from '../media/engine/testing/fake-peer.js';
import { SqliteRecordingLedger } from '../media/recorder/sqlite-ledger.js';
import { goertzelAmplitude } from '../media/tones/goertzel.js';
import { registerRecordingRoutes } from './recording-api.js';
import { SqliteArchiveStore } from '../media/archive/archive-store.js';
import { OpusArchiver } from '../media/archive/opus-archive.js';
import { CallRecordings, policyFromConfig } from './recording-control.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const portBase = 33000 + (process.pid % 50) * 100;

const keys: Record<string, ApiKeyInfo['scopes']> = { writer: ['calls:read', 'calls:write'], reader: ['calls:read'] };
const authenticate: Authenticate = async (req, scope) => {
  const scopes = keys[String(req.headers['x-api-key'])];
  if (!scopes) throw new UnauthenticatedError('invalid API key');
  if (!scopes.includes(scope)) throw new ForbiddenError(`lacks scope ${scope}`);
  return { id: 'key_T', name: 't', prefix: 'abcdefgh', scopes, createdAt: 0, createdBy: 'system', lastUsedAt: null, revokedAt: null };
};

test('per-queue policy, REST pause/resume with the span marked, listing and Range download', async (t) => {
  const dataDir = tempDir('call-rec-');
  const store = openStore({ file: path.join(dataDir, 'appliance.db'), clock: systemClock, log: createLogger('silent') });
  const ledger = new SqliteRecordingLedger(store, systemClock);
  const engine = new MediaEngine({ workers: 1, rtpPortMin: portBase, rtpPortMax: portBase + 39, bindAddress: '127.0.0.1', recordingsDir: path.join(dataDir, 'recordings'), clock: systemClock, log: createLogger('silent'), ledger });
  await engine.start();
  const peers: FakePeer[] = [];
  t.teardown(async () => {
    peers.forEach((p) => p.close());
    await engine.stop();
    store.close();
  });
  const recordings = new CallRecordings({ policy: policyFromConfig({ mode: 'per-queue', queues: ['billing'], format: 'alaw', beep: false }), log: createLogger('silent') });
  const audited: string[] = [];
  const registry = new RouteRegistry({ log: pino({ level: 'silent' }), authenticate, info: { title: 't', version: '1' }, checkResponses: true });
  const archive = new SqliteArchiveStore(store);
  registerRecordingRoutes(registry, { recordings, ledger, archive, audit: { record: async (a) => audited.push(`${a.action} ${a.target}`) } });
  const app = express();
  app.use('/api/v1', registry.router);
  const server = app.listen(0, '127.0.0.1');
  server.unref();
  t.teardown(() => server.close());
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  const post = (p: string, key = 'writer') => fetch(`${base}${p}`, { method: 'POST', headers: { 'x-api-key': key } });
  const get = (p: string, headers: Record<string, string> = {}) => fetch(`${base}${p}`, { headers: { 'x-api-key': 'reader', ...headers } });

  /** A call bridged caller ↔ agent, both streaming a tone; `cdr` resolves when `end()` is called. */
  async function call(id: string, queue: string) {
    const caller = await FakePeer.open('PCMA');
    const agent = await FakePeer.open('PCMA');
    peers.push(caller, agent);
    const a = await engine.createRtpEndpoint({ codec: 'PCMA', remote: caller.address, affinity: id });
    const b = await engine.createRtpEndpoint({ codec: 'PCMA', remote: agent.address, affinity: id });
    const bridge = await engine.createBridge({ affinity: id });
    await bridge.add(a, { side: 'caller' });
    await bridge.add(b, { side: 'agent' });
    caller.streamTone({ address: '127.0.0.1', port: a.localPort }, 1000);
    agent.streamTone({ address: '127.0.0.1', port: b.localPort }, 400);
    let end!: () => void;
    const cdr = new Promise<void>((r) => (end = r));
    await recordings.bridged({ id, route: { kind: 'queue', target: queue }, cdr }, bridge);
    return { end, bridge };
  }

  const billing = await call('call-billing', 'billing');
  const other = await call('call-other', 'outage');
  t.like(recordings.get('call-billing'), { decision: 'start', recording: true, paused: false });
  t.like(recordings.get('call-other'), { decision: 'offer', recording: false });
  t.is((await post('/calls/call-other/recording/pause')).status, 409, 'nothing to pause on an unrecorded call');
  t.is((await post('/calls/nope/recording/pause')).status, 404);
  t.is((await post('/calls/call-billing/recording/pause', 'reader')).status, 403, 'pausing needs calls:write');

  await sleep(1000);
  const paused = await post('/calls/call-billing/recording/pause');
  t.is(paused.status, 200);
  t.like(await paused.json(), { paused: true, recording: true });
  await sleep(1000);
  t.like(await (await post('/calls/call-billing/recording/resume')).json(), { paused: false });
  await sleep(700);
  // On demand: the other call starts when asked.
  t.like(await (await post('/calls/call-other/recording/start')).json(), { recording: true });
  t.like(await (await post('/calls/call-billing/recording/stop')).json(), { recording: false });
  t.deepEqual(audited, ['call.recording.pause call-billing', 'call.recording.resume call-billing', 'call.recording.start call-other', 'call.recording.stop call-billing']);

  const list = (await (await get('/recordings?callId=call-billing')).json()) as { items: Array<{ id: string; state: string; marks: Array<{ fromMs: number; toMs: number }>; durationMs: number; file: string; size: number }> };
  t.is(list.items.length, 1);
  const row = list.items[0] as (typeof list.items)[number];
  t.is(row.state, 'complete');
  t.is(row.marks.length, 1);
  const mark = row.marks[0] as { fromMs: number; toMs: number };
  t.true(mark.toMs - mark.fromMs >= 800 && mark.toMs - mark.fromMs <= 1500, `paused span ${mark.fromMs}..${mark.toMs}`);

  // The file: whole, then a Range.
  const whole = await get(row.file.replace('/api/v1', ''));
  t.is(whole.status, 200);
  t.is(whole.headers.get('content-type'), 'audio/wav');
  const bytes = new Uint8Array(await whole.arrayBuffer());
  t.is(bytes.length, row.size);
  const part = await get(row.file.replace('/api/v1', ''), { range: 'bytes=0-43' });
  t.is(part.status, 206);
  t.is(part.headers.get('content-range'), `bytes 0-43/${row.size}`);
  t.deepEqual(new Uint8Array(await part.arrayBuffer()), bytes.subarray(0, 44));
  // What the file holds: the caller's tone on the left, and silence in the marked span.
  const pcm = g711decode('PCMA', wavDecode(bytes).data);
  const left = new Int16Array(pcm.length / 2);
  for (let i = 0; i < left.length; i++) left[i] = pcm[2 * i] as number;
  const at = (ms: number): Int16Array => left.subarray((ms * 8) | 0, ((ms + 200) * 8) | 0);
  t.true(goertzelAmplitude(at(mark.fromMs - 300), 1000) > 3000, 'tone before the pause');
  t.true(goertzelAmplitude(at((mark.fromMs + mark.toMs) / 2 - 100), 1000) < 100, 'silence while paused');
  t.true(goertzelAmplitude(at(mark.toMs + 100), 1000) > 3000, 'tone after the resume');
  t.is(readFileSync(path.join(dataDir, 'appliance.db')).length > 0, true);

  // The call ends: the on-demand recording closes with the bridge; the call is forgotten.
  await other.bridge.destroy();
  other.end();
  billing.end();
  await sleep(50);
  t.is(recordings.get('call-other'), null);
  const otherRows = ledger.list({ callId: 'call-other' });
  t.is(otherRows[0]?.state, 'complete');
  t.is((await get('/calls/call-other/recording')).status, 404);

  // The Opus archive copy (media/archive): none until the archiver has run, then its row.
  t.is((await get(`/recordings/${row.id}/archive`)).status, 404);
  const archiver = new OpusArchiver({ clock: systemClock, log: createLogger('silent'), store: archive }, { afterMs: 0, bitrateKbps: 24, intervalMs: 60_000, batch: 10 });
  t.is((await archiver.runOnce()).archived, 2);
  const copy = (await (await get(`/recordings/${row.id}/archive`)).json()) as { state: string; path: string; sha256: string; bitrateKbps: number };
  t.like(copy, { state: 'archived', bitrateKbps: 24 });
  t.regex(copy.path, /call-billing\.opus$/);
  t.is(copy.sha256, createHash('sha256').update(readFileSync(copy.path)).digest('hex'));
  t.is((await get('/recordings/rec_nope/archive')).status, 404);
});
