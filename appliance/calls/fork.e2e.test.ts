/**
 * Parallel forking with real phones: extension 1002 is registered from two baresip UAs (a desk
 * phone and a softphone on one AOR); 1001 calls 1002, both ring, the one that answers wins and
 * the other gets a CANCEL (RFC 3261 §16.7 step 10 at the B2BUA, calls/fork.ts). The CDR holds the
 * caller's leg and the winning leg only.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { systemClock } from '../core/clock.js';
import { EventBus } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { MediaEngine } from '../media/engine/media-engine.js';
import { createSipAccess, type SipAccess } from '../sip/registrar/index.js';
import { SipEndpoint } from '../sip/ua/endpoint.js';
import { UA_ACCEPT, UA_SUPPORTED, UserAgent } from '../sip/ua/user-agent.js';
import { openStore } from '../store/database.js';
import { CallHandler } from './call-handler.js';
import { SqliteCallStore, type CdrRecord } from './call-store.js';
import { Baresip, freePortBlock, writeToneWav } from './testing/baresip.js';

const haveBaresip = existsSync('/usr/bin/baresip');
const serial = haveBaresip ? test.serial : test.serial.skip;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

serial('1002 registered twice: both ring, the answering phone wins, the other is cancelled; CDR has two legs', async (t) => {
  const dir = tempDir('fork-');
  const log = silentLogger();
  const clock = systemClock;
  const bus = new EventBus({ clock, log });
  const ports = await freePortBlock(64);
  const store = openStore({ file: path.join(dir, 'hotline.db'), clock, log });
  const callStore = new SqliteCallStore(store, () => clock.now());
  callStore.saveRoute({ id: 'ext-1002', name: 'direct', did: '1002', target: { kind: 'extension', extension: '1002' } });
  const access: SipAccess = createSipAccess({ store, clock, log, bus }, { realm: 'hotline.local', userAgent: 'hotline', algorithms: ['MD5'], qualifyIntervalMs: 0 });
  t.teardown(() => access.close());
  access.extensions.create({ number: '1001', displayName: 'Caller', password: 'secret-1001' });
  access.extensions.create({ number: '1002', displayName: 'Agent', password: 'secret-1002' });
  const engine = new MediaEngine({ workers: 1, rtpPortMin: ports + 40, rtpPortMax: ports + 63, bindAddress: '127.0.0.1', clock, log });
  await engine.start();
  t.teardown(() => engine.stop());
  const prompt = path.join(dir, 'silence.wav');
  writeToneWav(prompt, 0, 0, 400);
  const handler = new CallHandler({
    clock,
    log,
    bus,
    store: callStore,
    engine,
    channel: { prompts: { resolve: () => prompt }, mediaAddress: '127.0.0.1', codecs: ['PCMA', 'PCMU'], rtpTimeoutMs: 0 },
    contacts: { locate: (ext) => access.registrar.locate(ext) },
    guard: access.authenticator,
    flows: { flow: () => null },
  });
  const ua = new UserAgent({ clock, log, t1: 500, t2: 4000, invites: handler, registrar: { onRegister: (req, tx, ep) => access.registrar.handleRegister(req, tx, ep) } });
  const endpoint = await SipEndpoint.listen(
    { host: '127.0.0.1', port: ports, transports: ['udp'], tlsPort: 5061, t1: 500, t2: 4000, t4: 5000, userAgent: 'hotline', realm: 'hotline.local' },
    { clock, handler: ua, supported: [...UA_SUPPORTED], accept: [...UA_ACCEPT] },
  );
  t.teardown(() => endpoint.close());
  ua.attach(endpoint);
  handler.attach(ua);
  access.attach(endpoint);
  const tone = path.join(dir, 'tone.wav');
  writeToneWav(tone, 1000, 30_000, 3_000);
  const registrar = `127.0.0.1:${ports}`;
  const [a, desk, soft] = await Promise.all([
    Baresip.start({ name: 'a', dir, user: '1001', wav: tone, answer: false, ports: ports + 1, register: { registrar, password: 'secret-1001' } }),
    Baresip.start({ name: 'desk', dir, user: '1002', wav: tone, answer: false, ports: ports + 13, register: { registrar, password: 'secret-1002' } }),
    Baresip.start({ name: 'soft', dir, user: '1002', wav: tone, answer: true, ports: ports + 25, register: { registrar, password: 'secret-1002' } }),
  ]);
  t.teardown(() => Promise.all([a.stop(), desk.stop(), soft.stop()]).then(() => undefined));
  await until('two contacts for 1002', () => access.registrar.locate('1002').length === 2 && access.registrar.locate('1001').length === 1);

  const cdr = new Promise<CdrRecord>((resolve) => bus.on('call.cdr.written', (e) => resolve(callStore.cdr((e.payload as { callId: string }).callId)!)));
  await a.command('dial', `sip:1002@${registrar}`);
  await desk.waitEvent('CALL_INCOMING', 10_000);
  await soft.waitEvent('CALL_ESTABLISHED', 10_000);
  await a.waitEvent('CALL_ESTABLISHED', 10_000);
  const closed = await desk.waitEvent('CALL_CLOSED', 10_000);
  t.log(`the desk phone's ringing call closed: ${String(closed.param)}`);
  t.false(desk.events.some((e) => e.type === 'CALL_ESTABLISHED'), 'the losing branch never connected');
  await sleep(500);
  await a.command('hangup');
  const record = await cdr;
  t.is(record.legs.length, 2);
  t.deepEqual(record.legs.map((l) => [l.direction, l.party, l.answeredAt !== null]), [['inbound', '1001', true], ['outbound', '1002', true]]);
  await until('the call is over', () => handler.active() === 0, 5000);
});
