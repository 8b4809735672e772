/**
 * SIP trunks with real peers: three baresip UAs (Debian baresip-core, headless) and the
 * appliance's own SIP stack, registrar, media engine, call handler, trunk service, outbound
 * routes and trunk gateway, on loopback with the system clock.
 *
 *  - The "carrier" is a baresip that registers nowhere and sends from 127.0.0.1:<its port>,
 *    the trunk's ACL + source port; the trunk qualifies it with OPTIONS and goes up.
 *  - Phones 1001 (a) and 1002 (b) register with Digest (MD5).
 *  - Inbound: the carrier calls DID 02150001234 → dialplan → extension 1002, no Digest asked;
 *    tones cross both ways through the media engine.
 *  - Outbound: 1001 dials 013800138000 → no inbound route → outbound route `_0X.` (strip 1) →
 *    trunk → INVITE sip:13800138000@carrier → the carrier answers; tones cross both ways.
 *  - Channel limit 1 while that call is up: the carrier's second call gets 503, and 1002
 *    dialling out gets congestion (503 to the phone).
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../core/clock.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { defaultFlow } from '../ivr/flows/index.js';
import { MediaEngine } from '../media/engine/media-engine.js';
import { goertzelAmplitude } from '../media/tones/goertzel.js';
import { createSipAccess, type SipAccess } from '../sip/registrar/index.js';
import { endpointRequester } from '../sip/trunks/requester.js';
import { TrunkService } from '../sip/trunks/trunk-service.js';
import { SqliteTrunkStore } from '../sip/trunks/trunk-store.js';
import { SipEndpoint } from '../sip/ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../sip/ua/user-agent.js';
import { openStore } from '../store/database.js';
import { CallHandler } from './call-handler.js';
import { SqliteCallStore } from './call-store.js';
import { DEFAULT_FEATURE_CODES, FeatureCodes } from './feature-codes.js';
import { GatewayRegistry } from './gateway.js';
import { OutboundDialer } from './outbound-dialer.js';
import { OutboundPolicy, OutboundRouteSchema } from './outbound-routes.js';
import { Baresip, freePortBlock, writeToneWav } from './testing/baresip.js';
import { syncTrunkGateways } from './trunk-gateway.js';

const haveBaresip = existsSync('/usr/bin/baresip');
const serial = haveBaresip ? test.serial : test.serial.skip;
const dir = tempDir('trunks-');
const log = silentLogger();
const clock = systemClock;
const bus = new EventBus({ clock, log });
const events: AnyAppEvent[] = [];
bus.onAny((e) => events.push(e));
const DID = '02150001234';

let engine: MediaEngine;
let endpoint: SipEndpoint;
let access: SipAccess;
let handler: CallHandler;
let trunks: TrunkService;
let callStore: SqliteCallStore;
let appPort = 0;
let a: Baresip;
let b: Baresip;
let carrier: Baresip;

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

/** Goertzel amplitude of `freq` over the loudest second of the newest `-dec.wav` (what the UA heard). */
function heard(ua: Baresip, freq: number): number {
  const files = ua.recordings().filter((f) => f.endsWith('-dec.wav')).sort();
  const file = files.at(-1);
  if (!file) return 0;
  const { rate, samples } = wavSamples(file);
  let best = 0;
  for (let i = 0; i + rate <= samples.length; i += rate / 2) best = Math.max(best, goertzelAmplitude(samples.subarray(i, i + rate), freq, rate));
  return best;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const count = (ua: Baresip, type: string) => ua.events.filter((e) => e.type === type).length;

test.before(async () => {
  if (!haveBaresip) return;
  const ports = await freePortBlock(64);
  appPort = ports;
  const carrierPort = ports + 25;
  const store = openStore({ file: path.join(dir, 'hotline.db'), clock, log });
  callStore = new SqliteCallStore(store, () => clock.now());
  callStore.saveRoute({ id: 'did-1002', name: 'DID to 1002', did: DID, target: { kind: 'extension', extension: '1002' } });
  access = createSipAccess({ store, clock, log, bus }, { realm: 'hotline.local', userAgent: 'hotline', algorithms: ['MD5'], qualifyIntervalMs: 0 });
  access.extensions.create({ number: '1001', displayName: 'Caller phone', password: 'secret-1001' });
  access.extensions.create({ number: '1002', displayName: 'Agent phone', password: 'secret-1002' });

  engine = new MediaEngine({ workers: 1, rtpPortMin: ports + 40, rtpPortMax: ports + 63, bindAddress: '127.0.0.1', clock, log });
  await engine.start();
  const prompt = path.join(dir, 'silence.wav');
  writeToneWav(prompt, 0, 0, 400);
  const channel = { prompts: { resolve: () => prompt }, mediaAddress: '127.0.0.1', codecs: ['PCMA', 'PCMU'] as const, rtpTimeoutMs: 0 };

  let ua: UserAgent | null = null;
  trunks = new TrunkService({ clock, log, bus, store: new SqliteTrunkStore(store, () => clock.now()), requester: endpointRequester(() => endpoint ?? null) });
  await trunks.save({ id: 'carrier', name: 'Test carrier', host: '127.0.0.1', port: carrierPort, acl: ['127.0.0.1/32'], sourcePort: carrierPort, channels: 1, codecs: ['PCMU', 'PCMA'], qualifySeconds: 1, callerId: { number: '02150000000' } });
  const gateways = new GatewayRegistry();
  syncTrunkGateways(trunks, gateways, { clock, log, bus, ua: () => ua, channel: { ...channel, codecs: [...channel.codecs], engine, clock, log } });
  const policy = new OutboundPolicy({
    clock,
    routes: () => [OutboundRouteSchema.parse({ id: 'pstn', name: 'PSTN via carrier', pattern: '_0X.', strip: 1, gateways: ['carrier'], class: 'national' })],
    classOf: (ext) => (ext === '1001' || ext === '1002' ? 'national' : 'internal'),
  });
  const flow = defaultFlow();
  handler = new CallHandler({
    clock,
    log,
    bus,
    store: callStore,
    engine,
    channel: { ...channel, codecs: [...channel.codecs] },
    contacts: { locate: (ext) => access.registrar.locate(ext) },
    guard: trunks.guard(access.authenticator),
    outbound: new OutboundDialer({ log, bus, policy, gateways }),
    flows: { flow: (id) => (id === flow.id ? flow : null) },
  });
  ua = new UserAgent({ clock, log, t1: 500, t2: 4000, invites: handler, registrar: { onRegister: (req, tx, ep) => access.registrar.handleRegister(req, tx, ep) } });
  endpoint = await SipEndpoint.listen(
    { host: '127.0.0.1', port: appPort, transports: ['udp'], tlsPort: 5061, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] },
  );
  ua.attach(endpoint);
  handler.attach(ua);
  access.attach(endpoint);
  trunks.start();

  const toneA = path.join(dir, 'a-1000.wav');
  const toneB = path.join(dir, 'b-600.wav');
  const toneC = path.join(dir, 'c-1400.wav');
  writeToneWav(toneA, 1000, 30_000, 5_000);
  writeToneWav(toneB, 600, 30_000, 5_000);
  writeToneWav(toneC, 1400, 30_000, 5_000);
  const registrar = `127.0.0.1:${appPort}`;
  [a, b, carrier] = await Promise.all([
    Baresip.start({ name: 'a', dir, user: '1001', wav: toneA, answer: false, ports: ports + 1, register: { registrar, password: 'secret-1001' } }),
    Baresip.start({ name: 'b', dir, user: '1002', wav: toneB, answer: true, ports: ports + 13, register: { registrar, password: 'secret-1002' } }),
    Baresip.start({ name: 'carrier', dir, user: '13800138000', wav: toneC, answer: true, ports: carrierPort }),
  ]);
  await until('both phones registered', () => access.registrar.locate('1001').length > 0 && access.registrar.locate('1002').length > 0);
  await until('the trunk qualified up', () => trunks.get('carrier')!.up);
});

test.after.always(async () => {
  await Promise.all([a?.stop(), b?.stop(), carrier?.stop()]);
  await trunks?.stop();
  access?.close();
  await endpoint?.close();
  await engine?.stop();
});

serial('the carrier calls a DID on the trunk (ACL, no Digest) and reaches extension 1002; audio both ways; the channel is freed', async (t) => {
  const up = events.find((e) => e.type === 'sip.trunk.state-changed');
  t.like(up?.payload, { trunkId: 'carrier', up: true }, 'OPTIONS qualify brought the trunk up');
  const t0 = performance.now();
  await carrier.command('dial', `sip:${DID}@127.0.0.1:${appPort}`);
  await b.waitEvent('CALL_ESTABLISHED', 10_000);
  await carrier.waitEvent('CALL_ESTABLISHED', 10_000);
  t.log(`trunk → extension setup: ${(performance.now() - t0).toFixed(0)} ms`);
  t.is(trunks.get('carrier')!.channelsInUse, 1);
  t.false(events.some((e) => e.type === 'sip.auth.failed'), 'no Digest challenge for the carrier');
  await sleep(2500);
  const cdr = new Promise<AnyAppEvent>((resolve) => bus.on('call.cdr.written', (e) => resolve(e as AnyAppEvent)));
  await carrier.command('hangup');
  await b.waitEvent('CALL_CLOSED', 10_000);
  const written = await cdr;
  const record = callStore.cdr((written.payload as { callId: string }).callId)!;
  t.is(record.routeId, 'did-1002');
  t.is(record.called, DID);
  t.deepEqual(record.legs.map((l) => [l.direction, l.party]), [['inbound', '13800138000'], ['outbound', '1002']]);
  t.is(record.legs[0]!.codec, 'PCMU', 'the trunk’s codec order (PCMU first) chose the inbound codec');
  const b1400 = heard(b, 1400);
  const c600 = heard(carrier, 600);
  t.log(`1002 heard the carrier's 1400 Hz at ${b1400.toFixed(0)}; the carrier heard 1002's 600 Hz at ${c600.toFixed(0)}`);
  t.true(b1400 > 1000, 'carrier → extension audio');
  t.true(c600 > 1000, 'extension → carrier audio');
  await until('the trunk channel is released', () => trunks.get('carrier')!.channelsInUse === 0, 3000);
});

serial('1001 dials 013800138000 → outbound route → trunk → carrier answers; with limit 1 a second call each way is refused', async (t) => {
  const establishedA = count(a, 'CALL_ESTABLISHED');
  const establishedC = count(carrier, 'CALL_ESTABLISHED');
  const t0 = performance.now();
  await a.command('dial', `sip:013800138000@127.0.0.1:${appPort}`);
  await until('carrier answered', () => count(carrier, 'CALL_ESTABLISHED') > establishedC);
  await until('1001 connected', () => count(a, 'CALL_ESTABLISHED') > establishedA);
  t.log(`phone → trunk setup: ${(performance.now() - t0).toFixed(0)} ms`);
  const routed = events.find((e) => e.type === 'call.outbound.routed');
  t.like(routed?.payload, { extension: '1001', dialled: '013800138000', number: '13800138000', routeId: 'pstn', gatewayId: 'carrier' });
  t.is(trunks.get('carrier')!.channelsInUse, 1);

  // Channel limit 1: the carrier's second call is refused 503 …
  const closedC = count(carrier, 'CALL_CLOSED');
  await carrier.command('dial', `sip:${DID}@127.0.0.1:${appPort}`);
  await until('the carrier’s second call closed', () => count(carrier, 'CALL_CLOSED') > closedC);
  const closed = carrier.events.filter((e) => e.type === 'CALL_CLOSED').at(-1)!;
  t.log(`carrier's second call: ${String(closed.param)}`);
  t.regex(String(closed.param), /503/);
  // … and 1002 dialling out gets congestion (Q.850 34 → 503).
  const closedB = count(b, 'CALL_CLOSED');
  await b.command('dial', `sip:013900139000@127.0.0.1:${appPort}`);
  await until('1002’s outbound call closed', () => count(b, 'CALL_CLOSED') > closedB);
  t.regex(String(b.events.filter((e) => e.type === 'CALL_CLOSED').at(-1)!.param), /503/);
  const refusals = events.filter((e) => e.type === 'sip.trunk.call-refused').map((e) => (e.payload as { direction: string }).direction);
  t.deepEqual(refusals, ['inbound'], 'the route skipped the full trunk (not available) without dialling it');

  await sleep(2000);
  await a.command('hangup');
  await until('the carrier’s call closed', () => count(carrier, 'CALL_CLOSED') > closedC + 1);
  const a1400 = heard(a, 1400);
  const c1000 = heard(carrier, 1000);
  t.log(`1001 heard the carrier's 1400 Hz at ${a1400.toFixed(0)}; the carrier heard 1001's 1000 Hz at ${c1000.toFixed(0)}`);
  t.true(a1400 > 1000, 'carrier → phone audio');
  t.true(c1000 > 1000, 'phone → carrier audio');
  await until('the trunk channel is released', () => trunks.get('carrier')!.channelsInUse === 0, 3000);
  await until('every call is over', () => handler.active() === 0, 5000);
  const cdr = callStore.cdr((routed!.payload as { callId: string }).callId);
  t.like(cdr, { direction: 'outbound', caller: '1001', called: '013800138000', routeId: 'pstn', targetKind: null, target: 'carrier' }, 'phone → trunk CDR');
  t.deepEqual(cdr?.legs.map((l) => [l.direction, l.party]), [['inbound', '1001'], ['outbound', '13800138000']]);
});

serial('an extension-to-extension call is unchanged and a trunk caller can never reach an outbound route', async (t) => {
  callStore.saveRoute({ id: 'ext-1002', name: 'direct', did: '1002', target: { kind: 'extension', extension: '1002' } });
  const before = count(a, 'CALL_ESTABLISHED');
  await a.command('dial', `sip:1002@127.0.0.1:${appPort}`);
  await until('1001 → 1002 connected', () => count(a, 'CALL_ESTABLISHED') > before);
  t.is(trunks.get('carrier')!.channelsInUse, 0, 'no trunk channel for an internal call');
  await a.command('hangup');
  await until('every call is over', () => handler.active() === 0, 5000);

  const closedC = count(carrier, 'CALL_CLOSED');
  const routedBefore = events.filter((e) => e.type === 'call.outbound.routed').length;
  await carrier.command('dial', `sip:013700137000@127.0.0.1:${appPort}`);
  await until('the carrier’s call to a PSTN number closed', () => count(carrier, 'CALL_CLOSED') > closedC);
  t.regex(String(carrier.events.filter((e) => e.type === 'CALL_CLOSED').at(-1)!.param), /404/, 'trunk → trunk is not routed: 404');
  t.is(events.filter((e) => e.type === 'call.outbound.routed').length, routedBefore);
});

serial('a carrier caller dialling an agent feature code (*21) is routed like any number, never a login', async (t) => {
  const asked: string[] = [];
  handler.useFeatureCodes(
    new FeatureCodes(DEFAULT_FEATURE_CODES, {
      log,
      agents: {
        agentForExtension: (ext) => {
          asked.push(ext);
          return ext;
        },
        statusOf: () => 'logged-out',
        setStatus: (id) => asked.push(`set:${id}`),
      },
    }),
  );
  const closedC = count(carrier, 'CALL_CLOSED');
  const establishedC = count(carrier, 'CALL_ESTABLISHED');
  await carrier.command('dial', `sip:${DEFAULT_FEATURE_CODES.login}@127.0.0.1:${appPort}`);
  await until('the carrier’s *21 call closed', () => count(carrier, 'CALL_CLOSED') > closedC);
  t.is(count(carrier, 'CALL_ESTABLISHED'), establishedC, 'not answered with a confirmation beep');
  t.regex(String(carrier.events.filter((e) => e.type === 'CALL_CLOSED').at(-1)!.param), /404/, 'no route for *21: 404');
  t.deepEqual(asked, [], 'the ACD was never asked');
});
