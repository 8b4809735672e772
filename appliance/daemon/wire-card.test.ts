/**
 * wire-card.ts on the simulated card in real time: the daemon's wiring (sim card, crossover,
 * PRI CPE → TDM legs → IVR with the default 95598 flow, SimExchange on span 2) answers a call
 * the exchange places to 95598; the bus shows the call leg and the IVR's first nodes, the
 * exchange hears the welcome prompt, its in-band '2' picks the outage branch, and its DISCONNECT
 * (cause 16) ends the leg and writes the CDR. Without a DAHDI card, `dahdi` runs without TDM.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { CdrRecord } from '../calls/call-store.js';
import { systemClock } from '../core/clock.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { DEFAULT_PROMPTS_ZH, defaultFlow } from '../ivr/flows/index.js';
import { decode as g711decode, encode as g711encode } from '../media/codec/g711.js';
import { encode as wavEncode } from '../media/codec/wav.js';
import { MediaEngine } from '../media/engine/media-engine.js';
import { GatewayRegistry } from '../calls/gateway.js';
import { promptFiles, TDM_GATEWAY_ID, wireCard, type CardWiringDeps } from './wire-card.js';

const log = silentLogger();

/** Each default prompt as a 400 ms tone in the prompt library's zh-CN folder. */
function tonePrompts(): string {
  const dir = tempDir('wire-card-prompts-');
  mkdirSync(path.join(dir, 'zh-CN'), { recursive: true });
  const pcm = new Int16Array(3200);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 700 * i) / 8000));
  const wav = wavEncode({ encoding: 'alaw', channels: 1, sampleRate: 8000 }, g711encode('PCMA', pcm));
  for (const name of Object.keys(DEFAULT_PROMPTS_ZH)) writeFileSync(path.join(dir, 'zh-CN', `${name}.wav`), wav);
  return dir;
}

/** RMS of an A-law recording (A-law silence decodes to ±8). */
function rms(alaw: Uint8Array): number {
  const pcm = g711decode('PCMA', alaw);
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return pcm.length === 0 ? 0 : Math.sqrt(sum / pcm.length);
}

/**
 * The loudest 100 ms of an A-law recording (RMS). The whole-call RMS depends on how soon the
 * in-band '2' cuts the welcome short, which varies with machine load; any prompt heard at all
 * shows up here.
 */
function loudest100ms(alaw: Uint8Array): number {
  let best = 0;
  for (let off = 0; off + 800 <= alaw.length; off += 160) best = Math.max(best, rms(alaw.subarray(off, off + 800)));
  return best;
}

async function until(done: () => boolean, ms: number, label: string): Promise<void> {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) throw new Error(`${label}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function deps(engine: MediaEngine, bus: EventBus, cdrs: CdrRecord[], driver: 'sim' | 'dahdi' | 'auto', promptDir: string): CardWiringDeps {
  return {
    card: { driver },
    clock: systemClock,
    log,
    bus,
    engine,
    calls: { routes: () => [], saveRoute: () => Promise.reject(new Error('unused')) as never, writeCdr: (c) => void cdrs.push(c), cdr: () => null },
    flow: async () => defaultFlow(),
    ivr: () => ({}),
    prompts: promptFiles(promptDir),
    dahdi: { devRoot: path.join(tempDir('wire-card-nodahdi-'), 'dev', 'dahdi') },
  };
}

test('sim card: the exchange calls 95598, the IVR answers with the welcome, DTMF 2 reaches the outage branch, exchange clears with 16', async (t) => {
  const base = 47000 + (process.pid % 40) * 20;
  const engine = new MediaEngine({ workers: 2, rtpPortMin: base, rtpPortMax: base + 19, bindAddress: '127.0.0.1', clock: systemClock, log });
  t.teardown(() => engine.stop());
  await engine.start();
  const bus = new EventBus({ clock: systemClock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => void events.push(e));
  const cdrs: CdrRecord[] = [];
  const card = await wireCard(deps(engine, bus, cdrs, 'sim', tonePrompts()));
  t.teardown(() => card.close());
  t.is(card.kind, 'sim');
  const exchange = card.exchange;
  if (!exchange || !card.legs) return t.fail('no exchange');
  await until(() => exchange.dchanUp, 8000, 'D channel up');

  const placed = card.placeDemoCall({ calling: '037160001234', called: '95598', digits: '2' });
  if (!placed.ok) return t.fail(`refused: ${placed.reason}`);
  const call = placed.call;
  call.startRecording();
  await until(() => call.state === 'connected', 3000, 'answered');
  const visited = (): string[] => events.filter((e) => e.type === 'ivr.node.visited').map((e) => (e.payload as { nodeId: string }).nodeId);
  await until(() => visited().includes('outage-area'), 8000, 'menu choice 2 (in-band DTMF)');
  const [welcome, menu, area] = ['welcome', 'main-menu', 'outage-area'].map((n) => visited().indexOf(n));
  t.true(welcome === 0 && (menu as number) > 0 && (area as number) > (menu as number), `path ${visited().join(' → ')}`);
  // The buffered '2' cuts the welcome and the menu short, so let the outage-area prompt play.
  await until(() => call.recording().length >= 8000 * 1.5, 8000, '1.5 s of line audio');
  const heard = loudest100ms(call.recording());
  t.log(`loudest 100 ms heard by the exchange: RMS ${heard.toFixed(0)}, whole call ${rms(call.recording()).toFixed(0)}`);
  t.true(heard > 2000, 'the exchange heard the prompts, not silence');

  const leg = [...card.legs.active.values()][0];
  if (!leg) return t.fail('no TDM leg');
  t.like(leg, { tech: 'tdm', direction: 'inbound', timeslot: call.channel, level: 'connected' });
  t.is(leg.called.number, '95598');
  call.hangup(16);
  await until(() => call.state === 'released' && cdrs.length === 1, 5000, 'cleared');
  t.like(leg.hangupInfo, { cause: 16, by: 'remote' });
  const created = events.find((e) => e.type === 'call.leg.created');
  t.like(created?.payload, { legId: leg.id, tech: 'tdm', direction: 'inbound', party: '037160001234' });
  t.true(events.some((e) => e.type === 'call.leg.answered' && e.payload.legId === leg.id));
  t.like(events.find((e) => e.type === 'call.leg.ended')?.payload, { legId: leg.id, cause: 16, by: 'remote' });
  t.like(cdrs[0], { caller: '037160001234', called: '95598', cause: 16, endedBy: 'remote' });
  t.is(card.legs.active.size, 0);
});

test('dahdi without a card: kind none, no TDM, the demo call is refused; auto falls back to the simulated card', async (t) => {
  const bus = new EventBus({ clock: systemClock, log });
  const engine = {} as MediaEngine;
  const none = await wireCard(deps(engine, bus, [], 'dahdi', tempDir('wire-card-p-')));
  t.is(none.kind, 'none');
  t.is(none.legs, null);
  t.deepEqual(none.placeDemoCall({ calling: '1', called: '95598' }), { ok: false, reason: 'no-exchange' });
  await none.close();
  const auto = await wireCard(deps(engine, bus, [], 'auto', tempDir('wire-card-p-')));
  t.teardown(() => auto.close());
  t.is(auto.kind, 'sim');
  t.truthy(auto.exchange);
});

test('drain (SIGTERM): live TDM calls are counted and cleared by forceClose; once draining a new PRI call is refused with 42; the span is the gateway e1', async (t) => {
  const base = 47000 + (process.pid % 40) * 20 + 10;
  const engine = new MediaEngine({ workers: 1, rtpPortMin: base, rtpPortMax: base + 9, bindAddress: '127.0.0.1', clock: systemClock, log });
  t.teardown(() => engine.stop());
  await engine.start();
  const bus = new EventBus({ clock: systemClock, log });
  const gateways = new GatewayRegistry();
  const card = await wireCard({ ...deps(engine, bus, [], 'sim', tonePrompts()), gateways });
  t.teardown(() => card.close());
  const exchange = card.exchange;
  if (!exchange || !card.legs) return t.fail('no exchange');
  await until(() => exchange.dchanUp, 8000, 'D channel up');
  const e1 = gateways.get(TDM_GATEWAY_ID);
  t.is(e1?.kind, 'tdm');
  await until(() => e1?.available() === true, 3000, 'gateway available');

  const first = card.placeDemoCall({ calling: '13800138000', called: '95598' });
  if (!first.ok) return t.fail(first.reason);
  await until(() => first.call.state === 'connected', 3000, 'answered by the IVR');
  t.is(card.drain.active(), 1);
  card.drain.stopAccepting();
  const second = exchange.placeCall({ calling: '13900139000', called: '95598' });
  if (!second.ok) return t.fail(second.reason);
  t.like(await second.call.outcome(3000), { outcome: 'failed', cause: 42 });
  await until(() => card.drain.active() === 1, 3000, 'the refused leg is gone once its clearing completes');
  await card.drain.forceClose();
  await until(() => first.call.state === 'released', 3000, 'first call cleared');
  t.is(first.call.clearing?.cause, 31);
  t.is(card.drain.active(), 0);
});
