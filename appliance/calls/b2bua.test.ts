/**
 * The B2BUA with real peers: two baresip UAs and the appliance's own SIP stack, media engine,
 * call handler, dialplan and CDR store (shared/NATIVE-PROBE.md §5 for baresip headless).
 *
 *  - A dials 8001, routed to extension 1002 (B, a static contact): B auto-answers; A's 1 kHz
 *    tone must reach B's recording and B's 600 Hz tone A's, both THROUGH the media engine
 *    (the SDP the peers see names the engine's ports only); A hangs up → CDR with cause 16
 *    and both legs.
 *  - A dials 95598, routed to the default IVR flow; A presses 2 (RFC 4733) and the IVR
 *    follows the menu's "2" branch.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../core/clock.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { defaultFlow } from '../ivr/flows/index.js';
import { MediaEngine } from '../media/engine/media-engine.js';
import { goertzelAmplitude } from '../media/tones/goertzel.js';
import { parseUri } from '../sip/message/index.js';
import { SipEndpoint } from '../sip/ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../sip/ua/user-agent.js';
import { openStore } from '../store/database.js';
import { m0011_calls } from '../store/migrations/0011-calls.js';
import { m0019_call_transfers } from '../store/migrations/0019-call-transfers.js';
import { CallHandler } from './call-handler.js';
import { SqliteCallStore } from './call-store.js';
import { Baresip, freePortBlock, writeToneWav } from './testing/baresip.js';

const dir = tempDir('b2bua-');
const log = silentLogger();
const clock = systemClock;
const bus = new EventBus({ clock, log });
const events: AnyAppEvent[] = [];
bus.onAny((e) => events.push(e));

let engine: MediaEngine;
let endpoint: SipEndpoint;
let handler: CallHandler;
let store: SqliteCallStore;
let appPort = 0;
let a: Baresip;
let b: Baresip;

/** S16LE samples of a WAV file (sndfile writes PCM), whatever chunks come first. */
function wavSamples(file: string): { rate: number; samples: Int16Array } {
  const buf = readFileSync(file);
  let off = 12;
  let rate = 8000;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') rate = buf.readUInt32LE(off + 12);
    if (id === 'data') {
      const end = Math.min(buf.length, off + 8 + size);
      const bytes = buf.subarray(off + 8, end - ((end - off - 8) % 2));
      return { rate, samples: new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) };
    }
    off += 8 + size + (size & 1);
  }
  return { rate, samples: new Int16Array(0) };
}

/** Goertzel amplitude of `freq` over the loudest second of a recording. */
function toneIn(file: string, freq: number): number {
  const { rate, samples } = wavSamples(file);
  let best = 0;
  for (let i = 0; i + rate <= samples.length; i += rate / 2) best = Math.max(best, goertzelAmplitude(samples.subarray(i, i + rate), freq, rate));
  return best;
}

test.before(async () => {
  const ports = await freePortBlock(40);
  const sqlite = openStore({ file: path.join(dir, 'hotline.db'), clock, log, migrations: [m0011_calls, m0019_call_transfers] });
  store = new SqliteCallStore(sqlite, () => clock.now());
  store.saveRoute({ id: 'to-1002', name: 'direct to 1002', did: '8001', target: { kind: 'extension', extension: '1002' } });
  store.saveRoute({ id: 'hotline', name: '95598', did: '95598', target: { kind: 'ivr', flow: 'hotline-95598' } });
  engine = new MediaEngine({ workers: 1, rtpPortMin: ports + 26, rtpPortMax: ports + 39, bindAddress: '127.0.0.1', clock, log });
  await engine.start();
  const prompt = path.join(dir, 'prompt.wav');
  writeToneWav(prompt, 0, 0, 400);
  const flow = defaultFlow();
  handler = new CallHandler({
    clock,
    log,
    bus,
    store,
    engine,
    channel: { prompts: { resolve: () => prompt }, mediaAddress: '127.0.0.1', codecs: ['PCMA', 'PCMU'], rtpTimeoutMs: 0 },
    contacts: {
      locate: (ext) => (ext === '1002' ? [{ uri: parseUri(`sip:1002@127.0.0.1:${ports + 13}`), hop: { host: '127.0.0.1', port: ports + 13, protocol: 'udp' } }] : []),
    },
    flows: { flow: (id) => (id === flow.id ? flow : null) },
  });
  const ua = new UserAgent({ clock, log, t1: 500, t2: 4000, invites: handler });
  endpoint = await SipEndpoint.listen(
    { host: '127.0.0.1', port: ports, transports: ['udp'], tlsPort: 5061, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] },
  );
  ua.attach(endpoint);
  handler.attach(ua);
  appPort = ports;
  const toneA = path.join(dir, 'a-1000.wav');
  const toneB = path.join(dir, 'b-600.wav');
  writeToneWav(toneA, 1000, 20_000, 10_000);
  writeToneWav(toneB, 600, 20_000, 10_000);
  a = await Baresip.start({ name: 'a', dir, user: '1001', wav: toneA, answer: false, ports: ports + 1 });
  b = await Baresip.start({ name: 'b', dir, user: '1002', wav: toneB, answer: true, ports: ports + 13 });
});

test.after.always(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await endpoint?.close();
  await engine?.stop();
});

test.serial('A → 8001 → extension B: two-way audio through the media engine, BYE from A, CDR cause 16 with both legs', async (t) => {
  const t0 = performance.now();
  await a.command('dial', `sip:8001@127.0.0.1:${appPort}`);
  await b.waitEvent('CALL_ESTABLISHED', 10_000);
  await a.waitEvent('CALL_ESTABLISHED', 10_000);
  const setupMs = performance.now() - t0;
  t.log(`call setup (dial → A established, through the B2BUA): ${setupMs.toFixed(0)} ms`);
  await new Promise((r) => setTimeout(r, 2500));
  const cdrWritten = new Promise<void>((resolve) => bus.on('call.cdr.written', () => resolve()));
  await a.command('hangup');
  await b.waitEvent('CALL_CLOSED', 10_000);
  await cdrWritten;

  const callId = (events.find((e) => e.type === 'call.cdr.written')!.payload as { callId: string }).callId;
  const cdr = store.cdr(callId)!;
  t.truthy(cdr);
  t.is(cdr.cause, 16);
  t.is(cdr.endedBy, 'remote');
  t.is(cdr.legs.length, 2);
  t.deepEqual(cdr.legs.map((l) => [l.direction, l.party]), [['inbound', '1001'], ['outbound', '1002']]);
  t.true(cdr.legs.every((l) => l.answeredAt !== null && l.cause === 16));
  t.true(cdr.answeredAt !== null && cdr.endedAt - cdr.answeredAt > 2000, 'billable time covers the talk');
  t.true(cdr.legs.every((l) => l.mos !== null && l.mos > 3.5), `MOS ${cdr.legs.map((l) => l.mos).join(', ')}`);
  t.is(cdr.routeId, 'to-1002');
  t.deepEqual(
    events.filter((e) => e.type.startsWith('call.leg.')).map((e) => e.type),
    ['call.leg.created', 'call.leg.created', 'call.leg.answered', 'call.leg.answered', 'call.leg.ended', 'call.leg.ended'],
  );

  // Media went through the appliance: neither peer was given the other's RTP address.
  const decB = b.recordings().find((f) => f.endsWith('-dec.wav'));
  const decA = a.recordings().find((f) => f.endsWith('-dec.wav'));
  t.truthy(decB, 'B recorded what it heard');
  t.truthy(decA, 'A recorded what it heard');
  const b1000 = toneIn(decB!, 1000);
  const b600 = toneIn(decB!, 600);
  const a600 = toneIn(decA!, 600);
  const a1000 = toneIn(decA!, 1000);
  t.log(`B heard 1 kHz ${b1000.toFixed(0)} (600 Hz ${b600.toFixed(0)}); A heard 600 Hz ${a600.toFixed(0)} (1 kHz ${a1000.toFixed(0)})`);
  t.true(b1000 > 1000 && b1000 > 5 * b600, 'A’s 1 kHz tone reached B');
  t.true(a600 > 1000 && a600 > 5 * a1000, 'B’s 600 Hz tone reached A');
  for (let j = 0; j < 20 && handler.active() > 0; j++) await new Promise((r) => setTimeout(r, 25));
  t.is(handler.active(), 0, 'the call is forgotten once its CDR is written');
});

test.serial('A → 95598 → default IVR flow: pressing 2 (RFC 4733) takes the menu’s outage branch', async (t) => {
  events.length = 0;
  await a.command('dial', `sip:95598@127.0.0.1:${appPort}`);
  await a.waitEvent('CALL_ESTABLISHED', 10_000);
  const visited = (node: string) => events.some((e) => e.type === 'ivr.node.visited' && (e.payload as { nodeId: string }).nodeId === node);
  for (let i = 0; i < 50 && !visited('main-menu'); i++) await new Promise((r) => setTimeout(r, 100));
  t.true(visited('main-menu'), 'the flow reached its main menu');
  const digits: string[] = [];
  engine.on('dtmf', (e) => digits.push(e.digit));
  await a.command('sndcode', '2');
  for (let i = 0; i < 50 && !visited('outage-area'); i++) await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(digits, ['2'], 'the engine decoded the RFC 4733 event');
  t.true(visited('outage-area'), `IVR path: ${events.filter((e) => e.type === 'ivr.node.visited').map((e) => (e.payload as { nodeId: string }).nodeId).join(' → ')}`);
  const cdrWritten = new Promise<void>((resolve) => bus.on('call.cdr.written', () => resolve()));
  await a.command('hangup');
  await cdrWritten;
  const callId = (events.find((e) => e.type === 'call.cdr.written')!.payload as { callId: string }).callId;
  const cdr = store.cdr(callId)!;
  t.is(cdr.targetKind, 'ivr');
  t.is(cdr.legs.length, 1);
  t.is(cdr.cause, 16);
});

test.serial('call setup time through the B2BUA (dial → established at A), 7 calls on loopback', async (t) => {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const before = a.events.filter((e) => e.type === 'CALL_ESTABLISHED').length;
    const closedBefore = b.events.filter((e) => e.type === 'CALL_CLOSED').length;
    const t0 = performance.now();
    await a.command('dial', `sip:8001@127.0.0.1:${appPort}`);
    await a.waitEvent('CALL_ESTABLISHED', 10_000, () => a.events.filter((e) => e.type === 'CALL_ESTABLISHED').length > before);
    times.push(performance.now() - t0);
    await a.command('hangup');
    for (let j = 0; j < 50 && b.events.filter((e) => e.type === 'CALL_CLOSED').length <= closedBefore; j++) await new Promise((r) => setTimeout(r, 50));
    for (let j = 0; j < 50 && handler.active() > 0; j++) await new Promise((r) => setTimeout(r, 50));
  }
  times.sort((x, y) => x - y);
  const p50 = times[Math.floor(times.length / 2)]!;
  t.log(`setup ms: ${times.map((x) => x.toFixed(0)).join(', ')}; p50 ${p50.toFixed(0)} ms`);
  t.true(p50 < 1000, `p50 ${p50} ms`);
  t.is(handler.active(), 0, 'every call ended and wrote its CDR');
});
