import test from 'ava';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { DtmfReceiver } from '../../../drivers/spandsp/dtmf.js';
import { decode as g711decode, encode as g711encode } from '../codec/g711.js';
import { decode as wavDecode } from '../codec/wav.js';
import { goertzelAmplitude } from '../tones/goertzel.js';
import { CHINA_TONE_PLAN } from '../tones/tone-plan.js';
import { MediaEngine } from './media-engine.js';
import { FrameRing } from './tdm-ring.js';
import { FakePeer } from './testing/fake-peer.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- the ring itself ----

const frame = (v: number): Uint8Array => new Uint8Array(160).fill(v);

test('frame ring: frames come out in order; full and empty are counted, not thrown', (t) => {
  const r = FrameRing.create(4);
  const out = new Uint8Array(160);
  t.false(r.read(out));
  for (let i = 1; i <= 5; i++) r.write(frame(i));
  t.like(r.stats(), { fill: 4, overflows: 1, underruns: 1, slips: 0 });
  for (let i = 1; i <= 4; i++) {
    t.true(r.read(out));
    t.is(out[0], i);
  }
  t.is(r.fill, 0);
});

test('frame ring: a backlog above maxFill is slipped from the oldest end', (t) => {
  const r = FrameRing.create(8);
  for (let i = 1; i <= 6; i++) r.write(frame(i));
  const out = new Uint8Array(160);
  t.true(r.read(out, 2));
  t.is(out[0], 5, 'frames 1–4 skipped');
  t.like(r.stats(), { fill: 1, slips: 4 });
});

test('frame ring: indices stay continuous across many wraps and across views of the same memory', (t) => {
  const a = FrameRing.create(8);
  const b = new FrameRing(a.buffer);
  const out = new Uint8Array(160);
  for (let i = 0; i < 1000; i++) {
    a.write(frame(i & 0xff));
    t.true(b.read(out));
    if (out[0] !== (i & 0xff)) return t.fail(`frame ${i} came out as ${out[0]}`);
  }
  t.pass();
});

test('frame ring: after running dry the cushioned reader waits for one frame of slack', (t) => {
  const r = FrameRing.create(8);
  const st = { refilling: true };
  const out = new Uint8Array(160);
  r.write(frame(1));
  t.false(r.readCushioned(out, 3, st), 'one frame is not enough to start');
  r.write(frame(2));
  t.true(r.readCushioned(out, 3, st));
  t.is(out[0], 1);
  t.true(r.readCushioned(out, 3, st), 'the slack frame absorbs an early tick');
  t.is(out[0], 2);
  t.false(r.readCushioned(out, 3, st));
  t.true(st.refilling);
  t.is(r.stats().underruns, 2);
});

test('frame ring: memory that is not a ring (odd size, not a power of two) is refused', (t) => {
  t.throws(() => new FrameRing(new SharedArrayBuffer(32 + 160 * 6)), { instanceOf: RangeError });
  t.throws(() => new FrameRing(new SharedArrayBuffer(100)), { instanceOf: RangeError });
});

// ---- TDM legs in the engine ----

/** A B channel on a real-time 20 ms clock: sends `source()` frames, keeps what it is given. */
class FakeLine extends EventEmitter {
  readonly written: Uint8Array[] = [];
  private timer: NodeJS.Timeout | null = null;
  constructor(private source: () => Uint8Array) {
    super();
  }
  start(): void {
    const t0 = performance.now();
    let n = 0;
    const step = (): void => {
      n++;
      this.emit('frame', this.source());
      this.timer = setTimeout(step, Math.max(0, t0 + (n + 1) * 20 - performance.now())).unref();
    };
    this.timer = setTimeout(step, 20).unref();
  }
  setSource(s: () => Uint8Array): void {
    this.source = s;
  }
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
  write(f: Uint8Array): void {
    if (f.length !== 160) throw new Error('bad frame');
    this.written.push(f.slice());
  }
  audio(fromFrame = 0): Int16Array {
    return g711decode('PCMA', Buffer.concat(this.written.slice(fromFrame)));
  }
}

function tone(freq: number, amp = 8000): () => Uint8Array {
  let n = 0;
  const pcm = new Int16Array(160);
  return () => {
    for (let i = 0; i < 160; i++, n++) pcm[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * n) / 8000));
    return g711encode('PCMA', pcm);
  };
}
const idle = (): Uint8Array => frame(0xd5);

const base = 44000 + (process.pid % 40) * 100;
const recordingsDir = tempDir('tdm-rec-');
const engine = new MediaEngine({
  workers: 1,
  rtpPortMin: base,
  rtpPortMax: base + 99,
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

test.serial('a TDM leg bridged with an RTP leg: tone each way, and the call recorded caller left / agent right', async (t) => {
  const line = new FakeLine(tone(1000));
  const peer = await FakePeer.open('PCMU');
  const tdm = await engine.createTdmEndpoint({ line, affinity: 'c1' });
  const rtp = await engine.createRtpEndpoint({ codec: 'PCMU', remote: peer.address, affinity: 'c1' });
  const bridge = await engine.createBridge({ affinity: 'c1' });
  await bridge.add(tdm, { side: 'caller' });
  await bridge.add(rtp, { side: 'agent' });
  const rec = await bridge.record({ callId: 'tdm-rec-1', encoding: 'alaw' });
  line.start();
  peer.streamTone({ address: '127.0.0.1', port: rtp.localPort }, 600);
  await sleep(1000);
  line.stop();
  peer.stop();
  const closed = await rec.stop();
  const atPeer = peer.audio(0).subarray(-8 * 400);
  const atLine = line.audio().subarray(-8 * 400);
  t.true(goertzelAmplitude(atPeer, 1000) > 4000, 'the line’s 1 kHz reaches the SIP side');
  t.true(goertzelAmplitude(atLine, 600) > 4000, 'the SIP side’s 600 Hz reaches the line');
  t.true(goertzelAmplitude(atLine, 1000) < 300, 'no echo of the line’s own tone');
  const stereo = g711decode('PCMA', wavDecode(new Uint8Array(readFileSync(closed.path))).data);
  const left = stereo.filter((_, i) => i % 2 === 0).subarray(-8 * 300);
  const right = stereo.filter((_, i) => i % 2 === 1).subarray(-8 * 300);
  t.true(goertzelAmplitude(left, 1000) > 4000, 'caller (TDM) on the left');
  t.true(goertzelAmplitude(right, 600) > 4000, 'agent (RTP) on the right');
  const st = tdm.lineStats();
  t.log(`line frames in ${st.framesFromLine}, out ${st.framesToLine}, line underruns ${st.lineUnderruns}, rx ${JSON.stringify(st.rx)}`);
  t.true(st.framesFromLine >= 45);
  const legStats = await tdm.close();
  // Every frame from the line is read by the worker or accounted for as an overflow or a slip
  // (a loaded machine makes the worker late, which the ring absorbs by slipping, by design).
  const accounted = legStats.packetsReceived + st.rx.overflows + st.rx.slips;
  t.true(accounted >= 45, `worker read ${legStats.packetsReceived} frames, ${st.rx.overflows} overflows, ${st.rx.slips} slips`);
  t.true(legStats.packetsReceived >= 25, `worker read ${legStats.packetsReceived} frames`);
  await rtp.close();
  await bridge.destroy();
  peer.close();
});

test.serial('tones and in-band DTMF played into a TDM leg are heard on the line (spandsp finds the digits)', async (t) => {
  const line = new FakeLine(idle);
  const tdm = await engine.createTdmEndpoint({ line });
  line.start();
  const pb = await engine.play(tdm, { tone: CHINA_TONE_PLAN.tones.busy });
  await sleep(300);
  await pb.stop();
  await sleep(60);
  const busy = line.audio();
  t.true(goertzelAmplitude(busy, 450) > 1000, 'busy tone 450 Hz on the line');
  const from = line.written.length;
  await tdm.sendDtmf('95598#');
  await sleep(6 * 160 + 200);
  line.stop();
  const got: string[] = [];
  const det = new DtmfReceiver((d) => got.push(d));
  const pcm = line.audio(from);
  for (let i = 0; i + 160 <= pcm.length; i += 160) det.push(pcm.subarray(i, i + 160));
  det.close();
  t.is(got.join(''), '95598#');
  await tdm.close();
});

test.serial('latency line → engine → line through two bridged TDM legs is bounded by the rings', async (t) => {
  const marker = tone(1000, 12000);
  let sendMarkerAt = -1;
  let n = 0;
  const a = new FakeLine(() => (n++ === sendMarkerAt ? marker() : idle()));
  const b = new FakeLine(idle);
  const ea = await engine.createTdmEndpoint({ line: a, affinity: 'lat' });
  const eb = await engine.createTdmEndpoint({ line: b, affinity: 'lat' });
  const bridge = await engine.createBridge({ affinity: 'lat' });
  await bridge.add(ea, { side: 'caller' });
  await bridge.add(eb, { side: 'agent' });
  a.start();
  b.start();
  await sleep(300);
  const lat: number[] = [];
  for (let k = 0; k < 10; k++) {
    const bFrom = b.written.length;
    sendMarkerAt = n;
    const t0 = performance.now();
    let seen = -1;
    while (performance.now() - t0 < 400) {
      await sleep(5);
      const idx = b.written.slice(bFrom).findIndex((f) => f.some((x) => x !== 0xd5));
      if (idx >= 0) {
        seen = performance.now() - t0;
        break;
      }
    }
    if (seen >= 0) lat.push(seen);
    await sleep(100);
  }
  a.stop();
  b.stop();
  lat.sort((x, y) => x - y);
  t.log(`marker latency line A → worker → line B: median ${lat[Math.floor(lat.length / 2)]?.toFixed(1)} ms, max ${lat.at(-1)?.toFixed(1)} ms (${lat.length}/10)`);
  t.is(lat.length, 10, 'every marker crossed');
  t.true((lat.at(-1) as number) < 200, 'bounded by the rings (maxFill 3 × 20 ms each way + a tick)');
  await ea.close();
  await eb.close();
  await bridge.destroy();
});

test.serial('a TDM leg refuses an RTP remote (a named conflict, not a crash)', async (t) => {
  const line = new FakeLine(idle);
  const tdm = await engine.createTdmEndpoint({ line });
  await t.throwsAsync(tdm.link.request({ cmd: 'endpoint.remote', endpointId: tdm.id, remote: { address: '127.0.0.1', port: 5000 } }), { code: 'CONFLICT' });
  await tdm.close();
});

test.serial('the worker under a TDM leg dies: the leg is told `failed` once, and closing it still resolves (runs last: it kills the worker)', async (t) => {
  const line = new FakeLine(idle);
  line.start();
  t.teardown(() => line.stop());
  const tdm = await engine.createTdmEndpoint({ line, affinity: 'doomed' });
  const failures: string[] = [];
  tdm.on('failed', (e) => failures.push(e.reason));
  await engine.terminateWorker(tdm.link.index);
  await engine.settled();
  t.is(failures.length, 1);
  t.regex(failures[0] ?? '', /media worker 0 died/);
  const stats = await tdm.close();
  t.is(stats.packetsReceived, 0);
});
