/**
 * hw-test analog-calls: analog lines as call legs of the daemon (issue 5 "Analog: FXS rings a
 * simulated phone with caller-ID; FXO answers a simulated line and detects far-end disconnect"),
 * through the daemon's card wiring (daemon/wire-card.ts → card-analog.ts) and call handler:
 *
 *   exchange line (FXS 1) ── cord ── FXO 5 (DID 8101) → AnalogSignalling → TdmCallChannel (analog)
 *     → CallHandler dialplan (8101 → extension 8002) → AnalogExtensions → FXS 2 ── cord ── phone (FXO 6)
 *
 * The exchange rings the appliance's line with V.23 caller-ID; the appliance offers the call once
 * the caller-ID is decoded, routes it, and rings the extension's phone with the caller's number
 * and name as caller-ID (decoded by the phone from the line audio). The phone answers; only then
 * does the appliance seize the line (answer). Tones both ways through the media engine's bridge;
 * the exchange clears by polarity reversal: the appliance goes on hook, the phone's leg is
 * cleared (busy tone), and the CDR has both analog legs.
 *
 * Real time: the media engine's workers run on the wall clock, so the card does too.
 *
 * Needs the simulated card's analog cords and far ends (`needs: ['analog-cord']`): skipped on a
 * real card.
 */
import path from 'node:path';
import { CallHandler } from '../../appliance/calls/call-handler.js';
import { SqliteCallStore } from '../../appliance/calls/call-store.js';
import { systemClock } from '../../appliance/core/clock.js';
import { EventBus, type AnyAppEvent } from '../../appliance/core/events.js';
import { silentLogger } from '../../appliance/core/log.js';
import { tempDir } from '../../appliance/core/testing/temp-dir.js';
import { freePortBlock } from '../../appliance/calls/testing/baresip.js';
import { defaultFlow } from '../../appliance/ivr/flows/index.js';
import { MediaEngine } from '../../appliance/media/engine/media-engine.js';
import { openStore } from '../../appliance/store/database.js';
import { wireCard } from '../../appliance/daemon/wire-card.js';
import type { CallerId } from '../../drivers/types.js';
import { toneShare, toneSource } from '../harness/audio.js';
import { rigTest, waitReal } from '../harness/rig.js';

const log = silentLogger();
const clock = systemClock;

/** Collects A-law blocks heard on a port while `on`. */
function recorder(): { on: boolean; blocks: Uint8Array[]; frame: (f: Uint8Array) => void; all(): Uint8Array } {
  const r = {
    on: false,
    blocks: [] as Uint8Array[],
    frame: (f: Uint8Array) => {
      if (r.on) r.blocks.push(f.slice());
    },
    all: () => {
      const out = new Uint8Array(r.blocks.length * 160);
      r.blocks.forEach((b, i) => out.set(b, i * 160));
      return out;
    },
  };
  return r;
}

rigTest('analog-calls: FXO line call (caller-ID) → dialplan → FXS extension rung with caller-ID; phone answers, line seized, tones both ways; far-end reversal clears both, CDR with two analog legs', { needs: ['analog-cord'] }, async (t) => {
  const dir = tempDir('hw-analog-');
  const ports = await freePortBlock(20);
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const sqlite = openStore({ file: path.join(dir, 'hotline.db'), clock, log });
  t.teardown(() => sqlite.close());
  const store = new SqliteCallStore(sqlite, () => clock.now());
  store.saveRoute({ id: 'line-8101', name: 'line 8101 to the duty phone', did: '8101', target: { kind: 'extension', extension: '8002' } });
  const engine = new MediaEngine({ workers: 1, rtpPortMin: ports + 2, rtpPortMax: ports + 19, bindAddress: '127.0.0.1', clock, log });
  await engine.start();
  t.teardown(() => engine.stop());
  const flow = defaultFlow();
  const handler = new CallHandler({
    clock,
    log,
    bus,
    store,
    engine,
    channel: { prompts: { resolve: () => null }, mediaAddress: '127.0.0.1', codecs: ['PCMA'], rtpTimeoutMs: 0 },
    contacts: { locate: () => [] },
    flows: { flow: (id) => (id === flow.id ? flow : null) },
    ringTimeoutMs: 15_000,
  });
  const card = await wireCard({
    card: { driver: 'sim', spans: [], analog: { fxs: [{ port: 2, extension: '8002', callerId: 'fsk-v23' }], fxo: [{ port: 5, did: '8101' }] } },
    clock,
    log,
    bus,
    engine,
    calls: store,
    flow: async () => flow,
    ivr: () => ({}),
    prompts: { resolve: () => null },
    inbound: handler,
  });
  t.teardown(() => card.close());
  const exchange = card.analog?.farEnd.get(5);
  const phone = card.analog?.farEnd.get(2);
  if (exchange?.kind !== 'exchange' || phone?.kind !== 'phone') return t.fail('no simulated far ends on the analog ports');

  const phoneHeard: CallerId[] = [];
  phone.line.on('caller-id', (c) => phoneHeard.push(c));
  let lineSeized = false;
  exchange.line.on('off-hook', () => (lineSeized = true));
  const atExchange = recorder();
  exchange.line.port.audio.on('frame', atExchange.frame);
  const atPhone = recorder();
  phone.line.port.audio.on('frame', atPhone.frame);

  exchange.line.ring({ number: '037160001234', name: 'WANG WU', presentation: 'allowed', method: 'fsk-v23' });
  await waitReal(() => phoneHeard.length > 0, 10_000, 'caller-ID at the phone');
  t.deepEqual(phoneHeard, [{ number: '037160001234', name: 'WANG WU', presentation: 'allowed', method: 'fsk-v23' }], 'the line caller’s number and name reached the phone');
  t.false(lineSeized, 'the line is not answered while the extension rings');
  const inbound = [...(card.analog?.legs.active.values() ?? [])].find((l) => l.direction === 'inbound');
  t.like(inbound, { tech: 'analog', caller: { number: '037160001234', name: 'WANG WU', presentation: 'allowed' }, called: { number: '8101', presentation: 'allowed' } });
  t.is(handler.callOf(inbound?.id ?? '')?.route?.id, 'line-8101', 'the FXO call went through the dialplan');

  phone.line.answer();
  await waitReal(() => lineSeized, 3000, 'line seized after the phone answered');
  // Talk: 1 kHz from the exchange's caller, 600 Hz from the phone, each written on its port's tick.
  const tone1000 = toneSource(1000);
  const tone600 = toneSource(600);
  const talk = clock.setInterval(() => {
    exchange.line.port.audio.write(tone1000());
    phone.line.port.audio.write(tone600());
  }, 20);
  t.teardown(() => talk.cancel());
  await new Promise((r) => setTimeout(r, 400));
  atExchange.on = true;
  atPhone.on = true;
  await new Promise((r) => setTimeout(r, 1500));
  atExchange.on = false;
  atPhone.on = false;
  talk.cancel();

  const cdrWritten = new Promise<void>((resolve) => bus.on('call.cdr.written', () => resolve()));
  exchange.line.farEndCleared('polarity-reversal');
  await cdrWritten;
  await waitReal(() => card.analog?.signalling.stateOf(2) === 'idle' && card.analog.signalling.stateOf(5) === 'idle', 2000, 'ports idle');
  t.is(exchange.line.port.hook, 'on', 'the appliance released the line');

  const exHeard = atExchange.all();
  const phHeard = atPhone.all();
  const e600 = toneShare(exHeard, 600);
  const p1000 = toneShare(phHeard, 1000);
  t.log(`exchange heard 600 Hz at ${e600.toFixed(2)} of its signal, phone heard 1 kHz at ${p1000.toFixed(2)} (${exHeard.length / 160} / ${phHeard.length / 160} blocks)`);
  t.true(e600 > 0.5, 'the phone’s 600 Hz reached the line caller');
  t.true(p1000 > 0.5, 'the line caller’s 1 kHz reached the phone');

  const callId = (events.find((e) => e.type === 'call.cdr.written')?.payload as { callId: string }).callId;
  const cdr = store.cdr(callId);
  t.like(cdr, { routeId: 'line-8101', targetKind: 'extension', caller: '037160001234', called: '8101', cause: 16, endedBy: 'remote' });
  t.deepEqual(cdr?.legs.map((l) => [l.tech, l.direction, l.party]), [
    ['analog', 'inbound', '037160001234'],
    ['analog', 'outbound', '8002'],
  ]);
});
