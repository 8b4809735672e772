/**
 * In-band DTMF on the engine's legs (issue 4: "in-band detection on every leg that needs it
 * ..., de-duplicated when a phone sends both"): the detector runs inside the media worker on
 * each received frame once `endpoint.inband-dtmf` is on. Lock step on a TDM leg for the Q.24
 * limits, and the real worker thread with an RTP peer for RFC 4733 + in-band de-duplication.
 */
import test from 'ava';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { FRAME_SAMPLES, encode } from '../codec/g711.js';
import { dtmfToneSpec } from '../tones/dtmf-tones.js';
import { ToneGenerator } from '../tones/generator.js';
import { spandspDsp } from './dsp.js';
import { MediaEngine } from './media-engine.js';
import { LockstepRig } from './testing/lockstep.js';
import { FakePeer } from './testing/fake-peer.js';

const ALL = [...'123A456B789C*0#D'];

function frames(digits: string[], onMs: number, offMs: number, levelDbm0: number, law: 'PCMA' | 'PCMU' = 'PCMA'): Uint8Array[] {
  const gen = new ToneGenerator(dtmfToneSpec(digits, onMs, offMs, levelDbm0), law);
  const out: Uint8Array[] = [];
  while (!gen.done) out.push(gen.nextFrame(new Uint8Array(FRAME_SAMPLES)));
  for (let i = 0; i < 5; i++) out.push(encode(law, new Int16Array(FRAME_SAMPLES)));
  return out;
}

test('a TDM leg with in-band detection on reports all 16 digits at 40/40 ms and -26 dBm0, each once, as in-band', async (t) => {
  const rig = new LockstepRig({ dsp: spandspDsp() });
  await rig.line('pri-1');
  await rig.line('agent');
  await rig.bridge('b', [
    ['pri-1', 'caller'],
    ['agent', 'agent'],
  ]);
  await rig.handle({ cmd: 'endpoint.inband-dtmf', endpointId: 'pri-1', on: true });
  for (const f of frames(ALL, 40, 40, -26)) rig.step({ 'pri-1': f });
  const got = rig.of('endpoint.dtmf');
  t.deepEqual(
    got.map((e) => e.digit),
    ALL,
  );
  t.true(got.every((e) => e.source === 'inband' && e.endpointId === 'pri-1'));
  // Not detected on the leg without detection, although the tones reach it through the bridge.
  t.false(got.some((e) => e.endpointId === 'agent'));
  await rig.handle({ cmd: 'endpoint.inband-dtmf', endpointId: 'pri-1', on: false });
  for (const f of frames([...'99'], 60, 60, -10)) rig.step({ 'pri-1': f });
  t.is(rig.of('endpoint.dtmf').length, 16, 'off again: nothing more');
});

test('without the DSP the worker refuses in-band detection with a named conflict', async (t) => {
  const rig = new LockstepRig();
  await rig.line('x');
  await t.throwsAsync(rig.handle({ cmd: 'endpoint.inband-dtmf', endpointId: 'x', on: true }), { code: 'CONFLICT' });
  await t.throwsAsync(rig.handle({ cmd: 'endpoint.inband-dtmf', endpointId: 'nope', on: true }), { code: 'NOT_FOUND' });
});

test('worker thread: a phone sending a key both as RFC 4733 and in-band is reported once; in-band alone still counts', async (t) => {
  const base = 47600 + (process.pid % 40) * 20;
  const engine = new MediaEngine({ workers: 1, rtpPortMin: base, rtpPortMax: base + 19, bindAddress: '127.0.0.1', clock: systemClock, log: createLogger('silent') });
  await engine.start();
  t.teardown(() => engine.stop());
  const peer = await FakePeer.open('PCMU');
  t.teardown(() => peer.close());
  // Detection on from creation (an inbound leg whose offer lacked telephone-event, sip-channel.ts prepare).
  const ep = await engine.createRtpEndpoint({ codec: 'PCMU', remote: peer.address, inbandDtmf: true });
  const seen: Array<{ digit: string; source: string }> = [];
  ep.on('dtmf', (e) => seen.push({ digit: e.digit, source: (e as { source?: string }).source ?? '?' }));
  const to = { address: '127.0.0.1', port: ep.localPort };
  // 5: audio carries the tone pair and RFC 4733 events go alongside (the phone sends both);
  // then 7 in-band only. 20 ms pacing, as a phone would.
  const audio = [...frames(['5'], 100, 200, -10, 'PCMU'), ...frames(['7'], 100, 200, -10, 'PCMU')];
  await new Promise<void>((resolve) => {
    let i = 0;
    const t0 = performance.now();
    const tick = (): void => {
      if (i === 3) peer.sendDigit(to, '5', 101, 100);
      const f = audio[i];
      if (!f) return resolve();
      peer.sendFrame(to, f, 0, false, 5000 + i * FRAME_SAMPLES);
      i++;
      setTimeout(tick, Math.max(0, t0 + i * 20 - performance.now())).unref();
    };
    tick();
  });
  await systemClock.sleep(300);
  t.deepEqual(
    seen.map((s) => s.digit),
    ['5', '7'],
    JSON.stringify(seen),
  );
  t.is(seen[1]?.source, 'inband');
  await ep.close();
});
