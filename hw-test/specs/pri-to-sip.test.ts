/**
 * hw-test pri-to-sip: the issue-5 acceptance "an inbound PRI call reaches a SIP extension through
 * the appliance with two-way audio", through the daemon's own card wiring (daemon/wire-card.ts)
 * and call handler (calls/call-handler.ts `acceptInbound`):
 *
 *   SimExchange (PRI NET, span 2) ── crossover ── span 1 (PRI CPE, libpri) → TdmSpanLegs →
 *   TdmCallChannel ─ CallHandler dialplan (DID 8001 → extension 1002) ─ SipChannel → baresip
 *
 * Q.931 SETUP to 8001 → ALERTING while the extension rings → CONNECT once it answers; the B
 * channel and the SIP leg's RTP are bridged in the media engine on one worker. The exchange
 * plays 1 kHz into the B channel, baresip plays 600 Hz; each end must hear the other's tone
 * (Goertzel) and not mostly its own. The exchange clears with cause 16: the extension gets a
 * BYE, and the CDR has both legs (tdm inbound, sip outbound) with the route.
 *
 * Real time: the media engine's workers and baresip run on the wall clock, so the card does too.
 *
 * Written against the Rig interface: on a real card the daemon's wiring drives span 1 of the
 * DAHDI card and the simulated exchange runs on span 2 at the other end of the cable.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CallHandler } from '../../appliance/calls/call-handler.js';
import { SqliteCallStore } from '../../appliance/calls/call-store.js';
import { Baresip, freePortBlock, writeToneWav } from '../../appliance/calls/testing/baresip.js';
import { systemClock } from '../../appliance/core/clock.js';
import { EventBus, type AnyAppEvent } from '../../appliance/core/events.js';
import { silentLogger } from '../../appliance/core/log.js';
import { tempDir } from '../../appliance/core/testing/temp-dir.js';
import { defaultFlow } from '../../appliance/ivr/flows/index.js';
import { MediaEngine } from '../../appliance/media/engine/media-engine.js';
import { goertzelAmplitude } from '../../appliance/media/tones/goertzel.js';
import { parseUri } from '../../appliance/sip/message/index.js';
import { SipEndpoint } from '../../appliance/sip/ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../../appliance/sip/ua/user-agent.js';
import { openStore } from '../../appliance/store/database.js';
import { wireCard } from '../../appliance/daemon/wire-card.js';
import { toneShare, toneSource } from '../harness/audio.js';
import { SimExchange } from '../../drivers/sim/exchange.js';
import { PRI_NET, rigTest, waitReal } from '../harness/rig.js';

const log = silentLogger();
const clock = systemClock;

/** Goertzel amplitude of `freq` over the loudest second of a baresip (S16LE WAV) recording. */
function toneInWav(file: string, freq: number): number {
  const buf = readFileSync(file);
  let off = 12;
  let rate = 8000;
  let samples = new Int16Array(0);
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') rate = buf.readUInt32LE(off + 12);
    if (id === 'data') {
      const end = Math.min(buf.length, off + 8 + size);
      const bytes = buf.subarray(off + 8, end - ((end - off - 8) % 2));
      samples = new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      break;
    }
    off += 8 + size + (size & 1);
  }
  let best = 0;
  for (let i = 0; i + rate <= samples.length; i += rate / 2) best = Math.max(best, goertzelAmplitude(samples.subarray(i, i + rate), freq, rate));
  return best;
}

rigTest('pri-to-sip: PRI call to DID 8001 → dialplan → SIP extension 1002; tones both ways through the engine; exchange clears 16 → BYE, CDR with both legs', {}, async (t, rig) => {
  const dir = tempDir('hw-pri-sip-');
  const ports = await freePortBlock(40);
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const sqlite = openStore({ file: path.join(dir, 'hotline.db'), clock, log });
  t.teardown(() => sqlite.close());
  const store = new SqliteCallStore(sqlite, () => clock.now());
  store.saveRoute({ id: 'did-8001', name: 'DID 8001 to 1002', did: '8001', target: { kind: 'extension', extension: '1002' } });

  const engine = new MediaEngine({ workers: 1, rtpPortMin: ports + 26, rtpPortMax: ports + 39, bindAddress: '127.0.0.1', clock, log });
  await engine.start();
  t.teardown(() => engine.stop());
  const flow = defaultFlow();
  const handler = new CallHandler({
    clock,
    log,
    bus,
    store,
    engine,
    channel: { prompts: { resolve: () => null }, mediaAddress: '127.0.0.1', codecs: ['PCMA', 'PCMU'], rtpTimeoutMs: 0 },
    contacts: {
      locate: (ext) => (ext === '1002' ? [{ uri: parseUri(`sip:1002@127.0.0.1:${ports + 13}`), hop: { host: '127.0.0.1', port: ports + 13, protocol: 'udp' } }] : []),
    },
    flows: { flow: (id) => (id === flow.id ? flow : null) },
    ringTimeoutMs: 15_000,
  });
  const ua = new UserAgent({ clock, log, t1: 500, t2: 4000, invites: handler });
  const endpoint = await SipEndpoint.listen(
    { host: '127.0.0.1', port: ports, transports: ['udp'], tlsPort: 5061, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] },
  );
  t.teardown(() => endpoint.close());
  ua.attach(endpoint);
  handler.attach(ua);

  const tone600 = path.join(dir, 'b-600.wav');
  writeToneWav(tone600, 600, 20_000, 10_000);
  const phone = await Baresip.start({ name: 'b', dir, user: '1002', wav: tone600, answer: true, ports: ports + 13 });
  t.teardown(() => phone.stop());

  // The carrier: the daemon's own simulated far end on the sim card; on a real card, the
  // simulated exchange on span 2 at the other end of the cable (opened first: the rig sets both
  // spans up for PRI before the daemon's wiring opens span 1).
  let far: SimExchange | null = null;
  if (rig.kind === 'dahdi') {
    const netSpan = await rig.card.openSpan(2, PRI_NET);
    far = new SimExchange({ span: netSpan }, { clock: rig.clock, signallingClock: rig.signallingClock, log });
    t.teardown(() => far?.close());
  }
  const card = await wireCard({
    card: { driver: rig.kind },
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
  const exchange = far ?? card.exchange;
  if (!exchange) return t.fail('no simulated exchange');
  await exchange.waitDchanUp(5000);

  const placed = exchange.placeCall({ calling: '037160001234', called: '8001', presentation: 'allowed', plan: 'national' });
  if (!placed.ok) return t.fail(`placeCall refused: ${placed.reason}`);
  const call = placed.call;
  call.play(toneSource(1000));
  call.startRecording();
  await call.waitFor('alerting', 10_000);
  await call.waitFor('connected', 15_000);
  await phone.waitEvent('CALL_ESTABLISHED', 10_000);
  const leg = card.legs?.active.get(call.channel);
  t.truthy(leg, 'the B channel is a live TDM leg');
  t.is(handler.callOf(leg?.id ?? '')?.route?.id, 'did-8001', 'the TDM leg went through the dialplan');

  const startOfTalk = call.recording().length;
  await new Promise((r) => setTimeout(r, 2500));
  const heardByExchange = call.recording().subarray(startOfTalk);
  const cdrWritten = new Promise<void>((resolve) => bus.on('call.cdr.written', () => resolve()));
  call.hangup(16);
  await phone.waitEvent('CALL_CLOSED', 10_000);
  await cdrWritten;

  const s600 = toneShare(heardByExchange, 600);
  const s1000 = toneShare(heardByExchange, 1000);
  const dec = phone.recordings().find((f) => f.endsWith('-dec.wav'));
  t.truthy(dec, 'the extension recorded what it heard');
  const b1000 = dec ? toneInWav(dec, 1000) : 0;
  const b600 = dec ? toneInWav(dec, 600) : 0;
  t.log(`exchange heard 600 Hz at ${s600.toFixed(2)} of its signal (own 1 kHz ${s1000.toFixed(2)}); extension heard 1 kHz ${b1000.toFixed(0)} (own 600 Hz ${b600.toFixed(0)})`);
  t.true(heardByExchange.length >= 80 * 160, `${heardByExchange.length / 160} blocks recorded at the exchange`);
  t.true(s600 > 0.5 && s600 > 3 * s1000, 'the extension’s 600 Hz reached the PRI caller');
  t.true(b1000 > 1000 && b1000 > 5 * b600, 'the PRI caller’s 1 kHz reached the extension');

  const callId = (events.find((e) => e.type === 'call.cdr.written')?.payload as { callId: string }).callId;
  const cdr = store.cdr(callId);
  t.like(cdr, { routeId: 'did-8001', targetKind: 'extension', caller: '037160001234', called: '8001', cause: 16, endedBy: 'remote' });
  t.deepEqual(cdr?.legs.map((l) => [l.tech, l.direction, l.party]), [
    ['tdm', 'inbound', '037160001234'],
    ['sip', 'outbound', '1002'],
  ]);
  await waitReal(() => handler.active() === 0, 2000, 'call forgotten');
});
