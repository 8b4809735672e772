import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { decode as g711decode } from '../codec/g711.js';
import { decode as wavDecode } from '../codec/wav.js';
import { TelephoneEventReceiver } from '../rtp/dtmf-4733.js';
import { goertzelAmplitude } from '../tones/goertzel.js';
import { CHINA_TONE_PLAN } from '../tones/tone-plan.js';
import { MediaEngine, type RecordingClosedEvent } from './media-engine.js';
import { FakePeer } from './testing/fake-peer.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// A port block per test process, away from the defaults other suites use.
const base = 42000 + (process.pid % 40) * 200;
const recordingsDir = tempDir('media-rec-');
const engine = new MediaEngine({
  workers: 2,
  rtpPortMin: base,
  rtpPortMax: base + 99, // and base+100.. for the placement test's own engine
  bindAddress: '127.0.0.1',
  recordingsDir,
  clock: systemClock,
  log: createLogger('silent'),
});

test.before(async () => {
  await engine.start();
});
test.after.always(async () => {
  await engine.stop();
});

/** Two legs (A-law caller, µ-law agent) bridged, each with a fake peer. */
async function bridgedCall(affinity: string) {
  const caller = await FakePeer.open('PCMA');
  const agent = await FakePeer.open('PCMU');
  const a = await engine.createRtpEndpoint({ codec: 'PCMA', remote: caller.address, affinity });
  const b = await engine.createRtpEndpoint({ codec: 'PCMU', remote: agent.address, affinity });
  const bridge = await engine.createBridge({ affinity });
  await bridge.add(a, { side: 'caller' });
  await bridge.add(b, { side: 'agent' });
  const toA = { address: '127.0.0.1', port: a.localPort };
  const toB = { address: '127.0.0.1', port: b.localPort };
  return { caller, agent, a, b, bridge, toA, toB };
}

test('a 1 kHz tone from the A-law caller reaches the µ-law agent through the bridge', async (t) => {
  const c = await bridgedCall('call-tone');
  t.is(c.a.localPort % 2, 0, 'RTP on an even port');
  c.caller.streamTone(c.toA, 1000);
  await sleep(900);
  c.caller.stop();
  const pkts = c.agent.received.filter((r) => r.packet.payloadType === 0);
  t.true(pkts.length >= 30, `agent got ${pkts.length} PCMU packets`);
  const audio = c.agent.audio(0).subarray(-8 * 400);
  t.true(goertzelAmplitude(audio, 1000) > 4000, 'the tone arrives');
  t.true(goertzelAmplitude(audio, 600) < 200, 'and nothing else');
  // The caller hears the agent's silence, not its own tone back.
  t.true(goertzelAmplitude(c.caller.audio(8).subarray(-8 * 400), 1000) < 200);
  const stats = await c.a.close();
  t.true(stats.packetsReceived >= 30);
  t.true(stats.mos > 4, `MOS ${stats.mos}`);
  await c.b.close();
  await c.bridge.destroy();
  c.caller.close();
  c.agent.close();
});

test('RFC 4733 digits are reported and relayed to the other leg', async (t) => {
  const c = await bridgedCall('call-dtmf');
  const seen: string[] = [];
  c.a.on('dtmf', (e) => seen.push(e.digit));
  c.caller.sendFrame(c.toA, new Uint8Array(160).fill(0xd5));
  c.caller.sendDigit(c.toA, '5');
  await sleep(500);
  t.deepEqual(seen, ['5']);
  const rx = new TelephoneEventReceiver();
  const relayed = c.agent.received
    .filter((r) => r.packet.payloadType === 101)
    .flatMap((r) => rx.push(r.packet.timestamp, r.packet.payload, r.at))
    .filter((r) => r.kind === 'end')
    .map((r) => r.digit);
  t.deepEqual(relayed, ['5']);
  const stats = await c.a.close();
  t.is(stats.dtmfReceived, 1);
  await c.b.close();
  c.caller.close();
  c.agent.close();
});

test('sendDtmf sends RFC 4733 digits a peer decodes', async (t) => {
  const peer = await FakePeer.open('PCMA');
  const ep = await engine.createRtpEndpoint({ codec: 'PCMA', remote: peer.address });
  await ep.sendDtmf('1#');
  await sleep(600);
  const rx = new TelephoneEventReceiver();
  const ends = peer.received
    .filter((r) => r.packet.payloadType === 101)
    .flatMap((r) => rx.push(r.packet.timestamp, r.packet.payload, r.at))
    .filter((r) => r.kind === 'end');
  t.deepEqual(ends.map((e) => e.digit), ['1', '#']);
  t.true(peer.received.filter((r) => r.packet.payloadType === 101).some((r) => r.packet.marker));
  await ep.close();
  peer.close();
});

test('S12: once latched, packets from another source are dropped, counted and not relayed', async (t) => {
  const c = await bridgedCall('call-s12');
  const attacker = await FakePeer.open('PCMA');
  c.caller.streamTone(c.toA, 0);
  await sleep(100);
  attacker.streamTone(c.toA, 2000, 16000);
  await sleep(600);
  attacker.stop();
  c.caller.stop();
  const audio = c.agent.audio(0);
  t.true(audio.length > 8 * 400);
  t.true(goertzelAmplitude(audio, 2000) < 100, 'attacker audio never reaches the agent');
  const stats = await c.a.close();
  t.true(stats.foreignDropped >= 20, `dropped ${stats.foreignDropped}`);
  await c.b.close();
  attacker.close();
  c.caller.close();
  c.agent.close();
});

test('recording through the engine: stereo WAV, caller left, agent right, closed event after rename', async (t) => {
  const c = await bridgedCall('call-rec');
  const events: RecordingClosedEvent[] = [];
  const off = engine.on('recording.file.closed', (e) => events.push(e));
  const rec = await c.bridge.record({ callId: 'call-rec', encoding: 'alaw' });
  c.caller.streamTone(c.toA, 1000);
  c.agent.streamTone(c.toB, 400);
  await sleep(1000);
  const closed = await rec.stop();
  c.caller.stop();
  c.agent.stop();
  off();
  t.is(closed.outcome, 'complete');
  t.deepEqual(events.map((e) => e.path), [closed.path]);
  t.true(closed.durationMs >= 800 && closed.durationMs <= 1300, `duration ${closed.durationMs}`);
  t.regex(execFileSync('sox', ['--i', closed.path], { encoding: 'utf8' }), /Channels\s*:\s*2/);
  const pcm = g711decode('PCMA', wavDecode(new Uint8Array(readFileSync(closed.path))).data);
  const half = (ch: number): Int16Array => {
    const all = new Int16Array(pcm.length / 2);
    for (let i = 0; i < all.length; i++) all[i] = pcm[2 * i + ch] as number;
    return all.subarray(all.length - 8 * 400);
  };
  t.true(goertzelAmplitude(half(0), 1000) > 4000, 'caller on the left');
  t.true(goertzelAmplitude(half(0), 400) < 300);
  t.true(goertzelAmplitude(half(1), 400) > 4000, 'agent on the right');
  t.true(goertzelAmplitude(half(1), 1000) < 300);
  await c.a.close();
  await c.b.close();
  c.caller.close();
  c.agent.close();
});

test('a tone played into a leg reaches its peer; play.done when stopped', async (t) => {
  const peer = await FakePeer.open('PCMU');
  const ep = await engine.createRtpEndpoint({ codec: 'PCMU', remote: peer.address });
  const pb = await engine.play(ep, { tone: CHINA_TONE_PLAN.tones.dial });
  await sleep(400);
  await pb.stop();
  t.is((await pb.done).reason, 'stopped');
  t.true(goertzelAmplitude(peer.audio(0).subarray(-8 * 200), 450) > 1000);
  await ep.close();
  peer.close();
});

test('no RTP for the timeout raises a timeout event; a bad prompt is refused', async (t) => {
  const peer = await FakePeer.open('PCMA');
  const ep = await engine.createRtpEndpoint({ codec: 'PCMA', remote: peer.address, rtpTimeoutMs: 200 });
  const timedOut = new Promise<number>((r) => ep.on('timeout', (e) => r(e.silentMs)));
  t.true((await timedOut) >= 200);
  const bad = tempDir('prompt-') + '/bad.wav';
  (await import('node:fs')).writeFileSync(bad, 'not a wav at all');
  await t.throwsAsync(engine.play(ep, { wav: bad }), { code: 'PARSE' });
  await ep.close();
  peer.close();
});

test('placement: legs without affinity spread over the workers; cross-worker bridging is refused', async (t) => {
  const own = new MediaEngine({ workers: 2, rtpPortMin: base + 100, rtpPortMax: base + 119, bindAddress: '127.0.0.1', clock: systemClock, log: createLogger('silent') });
  await own.start();
  t.teardown(() => own.stop());
  const e1 = await own.createRtpEndpoint({ codec: 'PCMA' });
  const e2 = await own.createRtpEndpoint({ codec: 'PCMA' });
  t.not(e1.link.index, e2.link.index);
  const e3 = await own.createRtpEndpoint({ codec: 'PCMA', affinity: 'y' });
  const e4 = await own.createRtpEndpoint({ codec: 'PCMA', affinity: 'y' });
  t.is(e3.link, e4.link, 'same affinity, same worker');
  const br = await own.createBridge({ affinity: 'x' });
  const other = br['link' as never] === e1.link ? e2 : e1;
  await t.throwsAsync(br.add(other), { code: 'CONFLICT' });
  // Both workers tick; on a loaded machine the first tick of a fresh worker can lag, so wait for it.
  let stats = await own.workerStats();
  for (let i = 0; i < 50 && !stats.every((s) => s.ticks > 0); i++) {
    await systemClock.sleep(40);
    stats = await own.workerStats();
  }
  t.is(stats.length, 2);
  t.true(stats.every((s) => s.ticks > 0));
  t.is(stats.reduce((n, s) => n + s.endpoints, 0), 4);
  await e1.close();
  await e2.close();
  await br.destroy();
});
