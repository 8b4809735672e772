/**
 * hw-test ivr-over-pri: the default 95598 IVR flow answering an ISDN PRI call end to end, and the
 * same scenario over SS7 ISUP (IAM/ACM/ANM/REL through drivers/ss7/tdm-adapter.ts).
 *
 *   SimExchange (NET, span 2) ── crossover ── span 1 (CPE, libpri) → priTdmSignalling →
 *   TdmSpanLegs → TdmCallChannel (media engine TDM leg, spandsp DTMF detector) → IvrRunner
 *
 * The exchange places a call to 95598 (Q.931 SETUP with calling number and presentation), hears
 * the welcome prompt on the B channel, answers the menu with an in-band '2' (spandsp DTMF
 * generator, Q.23), keys a 6-digit area code, and the flow runs the GIS outage lookup (a fake
 * adapter), announces "no outage known", waits out the after-service menu, says goodbye and
 * clears the call with cause 16 (Q.850 normal clearing), which the exchange sees as a
 * DISCONNECT from the user side.
 *
 * Audio runs in real time: the media engine's worker ticks on the system clock, so the card is
 * stepped 20 ms per 20 ms of wall time. The prompts are tones (one frequency per prompt), so the
 * exchange can tell which prompt it heard by Goertzel. The IVR's own clock is a ManualClock
 * moved with the card, and fast-forwarded through the after-service menu's silent timeouts.
 *
 * Written against the Rig interface (harness/rig.ts): it runs on the simulated card and, with
 * HW_RIG=dahdi, on a real card with span 1 cabled to span 2 (the exchange on span 2 either way).
 */
import type { ExecutionContext } from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../../appliance/core/clock.js';
import { ManualClock } from '../../appliance/core/testing/manual-clock.js';
import { tempDir } from '../../appliance/core/testing/temp-dir.js';
import { engineMedia } from '../../appliance/channel/tdm/engine-media.js';
import { TdmSpanLegs } from '../../appliance/channel/tdm/span-legs.js';
import type { TdmCallChannel } from '../../appliance/channel/tdm-channel.js';
import { encode as g711encode } from '../../appliance/media/codec/g711.js';
import { encode as wavEncode } from '../../appliance/media/codec/wav.js';
import { MediaEngine } from '../../appliance/media/engine/media-engine.js';
import { DEFAULT_PROMPTS_ZH, defaultFlow } from '../../appliance/ivr/flows/index.js';
import { IvrRunner, type IvrResult } from '../../appliance/ivr/runner.js';
import { FakeCalendar, FakeEnqueuer, FakeLookup, FakeVoicemail } from '../../appliance/ivr/testing/fakes.js';
import { priTdmSignalling } from '../../drivers/libpri/tdm-adapter.js';
import { SimExchange } from '../../drivers/sim/exchange.js';
import { SimSs7Exchange } from '../../drivers/sim/ss7-exchange.js';
import { bindIsup } from '../../drivers/sim/ss7-link.js';
import { isupTdmSignalling } from '../../drivers/ss7/tdm-adapter.js';
import type { TdmChannel, TdmSignalling } from '../../drivers/types.js';
import { bindPri } from '../../drivers/sim/pri-link.js';
import { DtmfGenerator, DtmfReceiver } from '../../drivers/spandsp/dtmf.js';
import { toneDbm0 } from '../harness/audio.js';
import { PRI_CPE, PRI_NET, rigTest, SimRig, spansUp, SS7_SPAN, type Rig } from '../harness/rig.js';

/** One tone per prompt name; 500 Hz for the ones the spec does not look for. */
const PROMPT_TONE: Readonly<Record<string, { freq: number; ms: number }>> = {
  'welcome-95598': { freq: 700, ms: 1500 },
  'main-menu': { freq: 900, ms: 600 },
  'enter-area': { freq: 1100, ms: 400 },
  'no-outage-known': { freq: 1300, ms: 400 },
  'after-service': { freq: 1500, ms: 300 },
  goodbye: { freq: 1700, ms: 400 },
};

function writePrompts(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const name of Object.keys(DEFAULT_PROMPTS_ZH)) {
    const { freq, ms } = PROMPT_TONE[name] ?? { freq: 500, ms: 300 };
    const pcm = new Int16Array((ms * 8000) / 1000);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * freq * i) / 8000));
    writeFileSync(path.join(dir, `${name}.wav`), wavEncode({ encoding: 'alaw', channels: 1, sampleRate: 8000 }, g711encode('PCMA', pcm)));
  }
}

/** Steps the IVR clock (and the simulated card; a real one keeps its own time) 20 ms per 20 ms of wall time. */
class RealTime {
  ffwdMs = 0;
  constructor(
    private readonly rig: Rig,
    private readonly ivrClock: ManualClock,
  ) {}

  async until(done: () => boolean, realMs: number, label: string): Promise<void> {
    const start = performance.now();
    let n = 0;
    while (!done()) {
      if (performance.now() - start > realMs) throw new Error(`${label}: not reached within ${realMs} ms`);
      if (this.rig instanceof SimRig) this.rig.clock.advance(20);
      this.ivrClock.advance(20 + this.ffwdMs);
      n++;
      const wait = start + n * 20 - performance.now();
      await new Promise<void>((r) => (wait > 1 ? setTimeout(r, wait) : setImmediate(r)));
    }
  }
}

/** The carrier's end of one call, whatever the signalling. */
interface Carrier {
  readonly timeslot: number;
  answered(): boolean;
  released(): boolean;
  /** Everything heard on the B channel since the call was placed. */
  heard(): Uint8Array;
  /** Q.850 cause the carrier saw, and whether the appliance cleared first. */
  clearing(): { cause: number; byAppliance: boolean } | null;
}

/** What the carrier heard of `freq`, over 20 ms blocks, in ms of tone. */
function heardMs(c: Carrier, freq: number): number {
  const rec = c.heard();
  let blocks = 0;
  for (let off = 0; off + 160 <= rec.length; off += 160) if (toneDbm0(rec.subarray(off, off + 160), freq) > -30) blocks++;
  return blocks * 20;
}

interface Appliance {
  engine: MediaEngine;
  gis: FakeLookup;
  visited: string[];
  channel(): TdmCallChannel | null;
  result(): IvrResult | null;
  legs: TdmSpanLegs;
}

/** The appliance side: a span's TDM legs, each incoming call given to the default 95598 flow. */
async function appliance(t: ExecutionContext, rig: Rig, ivrClock: ManualClock, signalling: TdmSignalling, bearers: readonly TdmChannel[]): Promise<Appliance> {
  const base = 46000 + (process.pid % 40) * 20;
  const engine = new MediaEngine({ workers: 1, rtpPortMin: base, rtpPortMax: base + 19, bindAddress: '127.0.0.1', clock: systemClock, log: rig.log });
  t.teardown(() => engine.stop());
  await engine.start();
  const promptDir = path.join(tempDir('ivr-tdm-prompts-'), 'zh');
  writePrompts(promptDir);
  const gis = new FakeLookup(ivrClock, () => ({ result: { status: 'not-found' }, delayMs: 200 }));
  const visited: string[] = [];
  let channel: TdmCallChannel | null = null;
  let result: IvrResult | null = null;
  const legs = new TdmSpanLegs(signalling, bearers, {
    clock: ivrClock,
    log: rig.log,
    media: engineMedia(engine),
    prompts: { resolve: (name) => path.join(promptDir, `${name}.wav`) },
    dtmf: (onDigit) => new DtmfReceiver(onDigit),
  });
  t.teardown(() => legs.close());
  legs.on('incoming', (ch) => {
    channel = ch;
    const runner = new IvrRunner({
      clock: ivrClock,
      log: rig.log,
      events: {
        publish: (type, payload) => {
          if (type === 'ivr.node.visited') visited.push((payload as { nodeId: string }).nodeId);
          return { id: String(visited.length), type, at: ivrClock.now(), payload } as never;
        },
      },
      channel: ch,
      flow: defaultFlow(),
      callId: ch.id,
      deps: {
        lookups: { gis, billing: new FakeLookup(ivrClock, () => ({ result: { status: 'not-found' } })) },
        enqueuer: new FakeEnqueuer(),
        calendar: new FakeCalendar('open'),
        voicemail: new FakeVoicemail(ivrClock),
      },
    });
    void runner.run().then((r) => (result = r));
  });
  return { engine, gis, visited, legs, channel: () => channel, result: () => result };
}

/**
 * The scenario, once the carrier has placed the call: answered by the IVR, welcome heard, '2'
 * and an area code keyed in-band, outage lookup, silent after-service menu, goodbye, cause 16.
 */
async function scenario(t: ExecutionContext, rt: RealTime, app: Appliance, carrier: Carrier, gen: DtmfGenerator, caller: { number: string; presentation: string }): Promise<void> {
  const t0 = performance.now();
  await rt.until(() => carrier.answered(), 3000, 'answered by the IVR');
  const ch = app.channel();
  if (!ch) return t.fail('no TDM leg');
  t.like(ch, { tech: 'tdm', direction: 'inbound', timeslot: carrier.timeslot, level: 'connected' });
  t.deepEqual(ch.caller, caller);
  t.is(ch.called.number, '95598');

  // Wait for 300 ms of the welcome (700 Hz) at the carrier, then press 2.
  await rt.until(() => heardMs(carrier, 700) >= 300, 3000, 'welcome heard');
  const welcomeAt = performance.now() - t0;
  gen.put('2');
  await rt.until(() => app.visited.includes('outage-area'), 4000, 'menu choice 2');
  t.true(heardMs(carrier, 700) < 1500, 'the welcome was cut short by the key (barge-in)');
  gen.put('450100');
  await rt.until(() => app.visited.includes('outage-lookup'), 5000, 'outage lookup');
  t.deepEqual(app.gis.calls.map((c) => [c.op, c.params.area]), [['outage-by-area', '450100']]);

  // No outage known → after-service menu; the caller stays silent through its timeouts.
  await rt.until(() => app.visited.includes('after-service'), 4000, 'after-service');
  await rt.until(() => heardMs(carrier, 1500) >= 200, 3000, 'after-service prompt heard');
  rt.ffwdMs = 480;
  await rt.until(() => carrier.released(), 8000, 'cleared');
  rt.ffwdMs = 0;
  await rt.until(() => app.result() !== null, 2000, 'IVR done');
  const elapsed = performance.now() - t0;

  t.log(`welcome heard ${welcomeAt.toFixed(0)} ms after the call was offered; whole call ${elapsed.toFixed(0)} ms; nodes ${app.visited.join(' → ')}`);
  // In order (the flow may grow nodes in between, e.g. a proactive outage notice).
  const order = ['welcome', 'main-menu', 'outage-area', 'outage-lookup', 'no-outage', 'after-service', 'goodbye'].map((n) => app.visited.indexOf(n));
  t.true(order.every((i, k) => i >= 0 && (k === 0 || i > (order[k - 1] as number))), `path ${app.visited.join(' → ')}`);
  t.is(app.visited.at(-1), 'goodbye');
  t.like(app.result(), { outcome: 'hungup', lastNode: 'goodbye' });
  t.is(app.result()?.vars.area, '450100');
  t.like(ch.hangupInfo, { cause: 16, by: 'local' });
  t.is(ch.level, 'terminated');
  t.deepEqual(carrier.clearing(), { cause: 16, byAppliance: true });
  t.true(heardMs(carrier, 1300) >= 200, 'the "no outage known" prompt reached the caller');
  t.true(heardMs(carrier, 1700) >= 200, 'and the goodbye');
  t.is(app.legs.active.size, 0);
}

/** Spandsp's DTMF generator as the carrier's voice: a frame per call. */
function dtmfVoice(gen: DtmfGenerator): () => Uint8Array {
  const pcm = new Int16Array(160);
  return () => {
    gen.generate(pcm);
    return g711encode('PCMA', pcm);
  };
}

rigTest('ivr-over-pri: a PRI call to 95598 hears the welcome, keys 2 + area in-band, reaches the outage lookup, cleared with cause 16', {}, async (t, rig) => {
  const ivrClock = new ManualClock();
  const appSpan = await rig.card.openSpan(1, PRI_CPE);
  const netSpan = await rig.card.openSpan(2, PRI_NET);
  await spansUp(rig, [appSpan, netSpan]);
  const cpe = bindPri(appSpan, { side: 'cpe' }, { clock: rig.signallingClock, log: rig.log });
  const exchange = new SimExchange({ span: netSpan }, { clock: rig.clock, signallingClock: rig.signallingClock, log: rig.log });
  const gen = new DtmfGenerator();
  t.teardown(() => {
    gen.close();
    cpe.close();
    exchange.close();
  });
  await rig.until(exchange.waitDchanUp(2000), 2000, 'D channel up');
  await rig.until(() => cpe.pri.dchanUp, 2000, 'CPE D channel up');
  const app = await appliance(t, rig, ivrClock, priTdmSignalling(cpe.pri), appSpan.bChannels);

  const placed = exchange.placeCall({ calling: '037160001234', called: '95598', presentation: 'restricted', plan: 'national' });
  if (!placed.ok) return t.fail(`placeCall refused: ${placed.reason}`);
  const call = placed.call;
  call.play(dtmfVoice(gen));
  call.startRecording();
  const carrier: Carrier = {
    timeslot: call.channel,
    answered: () => call.state === 'connected',
    released: () => call.state === 'released',
    heard: () => call.recording(),
    clearing: () => (call.clearing ? { cause: call.clearing.cause, byAppliance: call.clearing.by === 'remote' } : null),
  };
  await scenario(t, new RealTime(rig, ivrClock), app, carrier, gen, { number: '037160001234', presentation: 'restricted' });
});

rigTest('ivr-over-isup: the same over SS7 — IAM to 95598, ACM/ANM from the IVR, digits in-band, REL cause 16 from the appliance', {}, async (t, rig) => {
  const ivrClock = new ManualClock();
  const appSpan = await rig.card.openSpan(1, SS7_SPAN);
  const netSpan = await rig.card.openSpan(2, { ...SS7_SPAN, timing: 0 });
  await spansUp(rig, [appSpan, netSpan]);
  const link = bindIsup(appSpan, { pc: 1, adjPc: 2 }, { clock: rig.signallingClock, log: rig.log });
  const exchange = new SimSs7Exchange({ span: netSpan, pc: 2, adjPc: 1 }, { clock: rig.clock, signallingClock: rig.signallingClock, log: rig.log });
  const gen = new DtmfGenerator();
  t.teardown(() => {
    gen.close();
    link.close();
    exchange.close();
  });
  const signalling = isupTdmSignalling(link.isup, { spanNo: 1, timeslots: appSpan.bChannels.map((b) => b.timeslot) });
  const app = await appliance(t, rig, ivrClock, signalling, appSpan.bChannels);
  const rt = new RealTime(rig, ivrClock);
  let grsAcknowledged = false;
  link.isup.on('gra', () => (grsAcknowledged = true));
  // MTP2 alignment runs on wall time (libss7), about a second; then the appliance's GRS.
  await rt.until(() => exchange.linkUp && link.isup.linkUp && grsAcknowledged, 8000, 'linkset up, circuits reset');

  const placed = exchange.placeCall({ calling: '13937100001', called: '95598', presentation: 'allowed' });
  if (!placed.ok) return t.fail(`placeCall refused: ${placed.reason}`);
  const call = placed.call;
  const voice = dtmfVoice(gen);
  const heard: Uint8Array[] = [];
  const onFrame = (f: Uint8Array): void => {
    heard.push(f.slice());
    call.bearer.write(voice());
  };
  call.bearer.on('frame', onFrame);
  t.teardown(() => call.bearer.off('frame', onFrame));
  let relFromAppliance: number | null = null;
  exchange.isup.on('rel', (r) => {
    if (r.cic === call.cic) relFromAppliance = r.cause;
  });
  const carrier: Carrier = {
    timeslot: call.bearer.timeslot,
    answered: () => call.state === 'answered',
    released: () => call.state === 'released',
    heard: () => Buffer.concat(heard),
    clearing: () =>
      relFromAppliance !== null ? { cause: relFromAppliance, byAppliance: true } : call.clearingCause === null ? null : { cause: call.clearingCause, byAppliance: false },
  };
  await scenario(t, rt, app, carrier, gen, { number: '13937100001', presentation: 'allowed' });
});
